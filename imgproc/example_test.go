package imgproc_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/ossflow/ossflow/imgproc"
)

func Example() {
	// A 640×480 source image.
	src := image.NewNRGBA(image.Rect(0, 0, 640, 480))
	for i := range src.Pix {
		src.Pix[i] = 200
	}
	src.SetNRGBA(0, 0, color.NRGBA{255, 0, 0, 255})
	var body bytes.Buffer
	png.Encode(&body, src)

	pl, err := imgproc.Parse("image/resize,m_fill,w_200,h_200/format,jpeg")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pl.String())

	proc := imgproc.NewProcessor(imgproc.DefaultLimits(), 4)
	res, err := proc.Process(context.Background(), &body, int64(body.Len()), pl, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.ContentType, res.Width, res.Height)

	_, err = imgproc.Parse("image/resize,w_0")
	fmt.Println(err)
	// Output:
	// image/resize,m_fill,w_200,h_200/format,jpg
	// image/jpeg 200 200
	// InvalidArgument: resize: parameter w must be an integer in [1, 16384], got "0"
}
