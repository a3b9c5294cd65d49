package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	_ "image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	ossv1 "github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/ossflow/ossflow/auth"
	"github.com/ossflow/ossflow/httpapi"
	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/store"
)

// imageServer is newServer with a chosen Config and the Handler at hand.
type imageServer struct {
	*testServer
	h *httpapi.Handler
}

func newImageServer(t testing.TB, cfg httpapi.Config) *imageServer {
	t.Helper()
	st, err := store.Open(t.Context(), t.TempDir(), store.Options{Region: region, Owner: oss.Owner{ID: rootAK, DisplayName: "root"}})
	if err != nil {
		t.Fatal(err)
	}
	obs := &recordingObserver{}
	cfg.Region, cfg.Domains = region, []string{domain}
	h := httpapi.New(cfg, st, &auth.Verifier{Creds: staticCreds{rootAK: rootSK}, Region: region}, obs)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		st.Close()
	})
	return &imageServer{testServer: &testServer{Server: srv, store: st, obs: obs, addr: srv.Listener.Addr().String()}, h: h}
}

// testJPEG is a w×h JPEG with a gradient (so resizing has work to do).
func testJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testPNG(t testing.TB, w, h int, c color.Color) []byte {
	t.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// imageShape decodes data's header: format and dimensions.
func imageShape(t testing.TB, data []byte) (string, int, int) {
	t.Helper()
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("result is not an image (%d bytes %q): %v", len(data), data[:min(len(data), 80)], err)
	}
	return format, cfg.Width, cfg.Height
}

func wantShape(t testing.TB, data []byte, format string, w, h int) {
	t.Helper()
	f, gw, gh := imageShape(t, data)
	if f != format || gw != w || (h >= 0 && gh != h) {
		t.Fatalf("got %s %dx%d, want %s %dx%d", f, gw, gh, format, w, h)
	}
}

func b64url(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) }

// wantImageError checks an SDKv2 service error (image errors may have no EC).
func wantImageError(t *testing.T, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("expected %d %s, got success", status, code)
	}
	se, ok := errorsAs[*ossv2.ServiceError](err)
	if !ok || se.Code != code || se.StatusCode != status || se.RequestID == "" {
		t.Fatalf("expected %d %s, got %v", status, code, err)
	}
}

func v2Get(t *testing.T, c *ossv2.Client, bucket, key, process string) (*ossv2.GetObjectResult, []byte, error) {
	t.Helper()
	res, err := c.GetObject(t.Context(), &ossv2.GetObjectRequest{Bucket: &bucket, Key: &key, Process: ossv2.Ptr(process)})
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res, body, err
}

func v2Put(t *testing.T, c *ossv2.Client, bucket, key string, data []byte, ct string) *ossv2.PutObjectResult {
	t.Helper()
	res, err := c.PutObject(t.Context(), &ossv2.PutObjectRequest{Bucket: &bucket, Key: &key, Body: bytes.NewReader(data), ContentType: ossv2.Ptr(ct)})
	must(t, err)
	return res
}

func TestImageOSSSDKV2(t *testing.T) {
	s := newImageServer(t, httpapi.Config{})
	c := ossV2Client(s.testServer, rootSK, false)
	ctx := t.Context()
	const bucket = "img-v2"
	_, err := c.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: ossv2.Ptr(bucket)})
	must(t, err)
	v2Put(t, c, bucket, "photo.jpg", testJPEG(t, 800, 600), "image/jpeg")
	v2Put(t, c, bucket, "logo.png", testPNG(t, 64, 64, color.NRGBA{255, 0, 0, 200}), "image/png")
	v2Put(t, c, bucket, "text.txt", []byte("not an image"), "text/plain")

	t.Run("Resize", func(t *testing.T) {
		res, body, err := v2Get(t, c, bucket, "photo.jpg", "image/resize,w_200")
		must(t, err)
		wantShape(t, body, "jpeg", 200, 150)
		if ossv2.ToString(res.ContentType) != "image/jpeg" || res.ContentLength != int64(len(body)) || res.LastModified == nil {
			t.Fatalf("headers %s %d %v", ossv2.ToString(res.ContentType), res.ContentLength, res.LastModified)
		}
	})
	t.Run("Chain", func(t *testing.T) {
		res, body, err := v2Get(t, c, bucket, "photo.jpg", "image/resize,w_100/rotate,90/format,png")
		must(t, err)
		wantShape(t, body, "png", 75, 100)
		if ossv2.ToString(res.ContentType) != "image/png" {
			t.Fatalf("content type %s", ossv2.ToString(res.ContentType))
		}
		_, body, err = v2Get(t, c, bucket, "photo.jpg", "image/crop,w_100,h_50,g_se/quality,Q_50")
		must(t, err)
		wantShape(t, body, "jpeg", 100, 50)
	})
	t.Run("Info", func(t *testing.T) {
		res, body, err := v2Get(t, c, bucket, "photo.jpg", "image/info")
		must(t, err)
		var info map[string]struct{ Value string }
		if err := json.Unmarshal(body, &info); err != nil || ossv2.ToString(res.ContentType) != "application/json" {
			t.Fatalf("info %s %q %v", ossv2.ToString(res.ContentType), body, err)
		}
		if info["ImageWidth"].Value != "800" || info["ImageHeight"].Value != "600" || info["Format"].Value != "jpg" {
			t.Fatalf("info %s", body)
		}
		_, body, err = v2Get(t, c, bucket, "photo.jpg", "image/average-hue")
		must(t, err)
		var hue struct{ RGB string }
		if err := json.Unmarshal(body, &hue); err != nil || !strings.HasPrefix(hue.RGB, "0x") || len(hue.RGB) != 8 {
			t.Fatalf("average-hue %q %v", body, err)
		}
	})
	t.Run("Watermark", func(t *testing.T) {
		_, body, err := v2Get(t, c, bucket, "photo.jpg", "image/resize,w_400/watermark,image_"+b64url("logo.png")+",g_se,t_80")
		must(t, err)
		wantShape(t, body, "jpeg", 400, 300)
		_, body, err = v2Get(t, c, bucket, "photo.jpg", "image/watermark,text_"+b64url("ossflow")+",color_FFFFFF,size_30")
		must(t, err)
		wantShape(t, body, "jpeg", 800, 600)
	})
	t.Run("Errors", func(t *testing.T) {
		for _, tt := range []struct {
			key, process, code string
			status             int
		}{
			{"photo.jpg", "image/resize,w_abc", "InvalidArgument", 400},
			{"photo.jpg", "image/nosuchaction,x_1", "InvalidArgument", 400},
			{"photo.jpg", "image/resize,p_1000", "ImageTooLarge", 400},
			{"photo.jpg", "image/watermark,image_" + b64url("nosuch.png"), "WatermarkError", 400},
			{"photo.jpg", "image/watermark,image_!!!", "BadRequest", 400},
			{"photo.jpg", "image/format,heif", "NotImplemented", 400},
			{"photo.jpg", "image/resize,w_10|sys/saveas,o_" + b64url("x.jpg"), "InvalidArgument", 400},
			{"photo.jpg", "style/nosuch", "NoSuchStyle", 404},
			{"missing.jpg", "image/resize,w_10", "NoSuchKey", 404},
		} {
			_, _, err := v2Get(t, c, bucket, tt.key, tt.process)
			wantImageError(t, err, tt.code, tt.status)
		}
		// Not an image: a 400 of imgproc's choosing.
		_, _, err := v2Get(t, c, bucket, "text.txt", "image/resize,w_10")
		if code, status := ossV2Code(err); status != 400 || code == "" {
			t.Fatalf("text source: %v", err)
		}
	})
	t.Run("Versions", func(t *testing.T) {
		_, err := c.PutBucketVersioning(ctx, &ossv2.PutBucketVersioningRequest{Bucket: ossv2.Ptr(bucket),
			VersioningConfiguration: &ossv2.VersioningConfiguration{Status: ossv2.VersionEnabled}})
		must(t, err)
		v1 := v2Put(t, c, bucket, "v.jpg", testJPEG(t, 400, 300), "image/jpeg")
		v2Put(t, c, bucket, "v.jpg", testJPEG(t, 200, 100), "image/jpeg")
		res, err := c.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: ossv2.Ptr(bucket), Key: ossv2.Ptr("v.jpg"), VersionId: v1.VersionId, Process: ossv2.Ptr("image/resize,p_50")})
		must(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		wantShape(t, body, "jpeg", 200, 150)
		_, body, err = v2Get(t, c, bucket, "v.jpg", "image/resize,p_50")
		must(t, err)
		wantShape(t, body, "jpeg", 100, 50)
	})
	t.Run("Styles", func(t *testing.T) {
		put := func(name, content string) error {
			_, err := c.PutStyle(ctx, &ossv2.PutStyleRequest{Bucket: ossv2.Ptr(bucket), StyleName: ossv2.Ptr(name), Style: &ossv2.StyleContent{Content: ossv2.Ptr(content)}})
			return err
		}
		must(t, put("thumb", "image/resize,w_100"))
		_, err := c.PutStyle(ctx, &ossv2.PutStyleRequest{Bucket: ossv2.Ptr(bucket), StyleName: ossv2.Ptr("small.v2"), Category: ossv2.Ptr("image"),
			Style: &ossv2.StyleContent{Content: ossv2.Ptr("image/resize,w_50/format,png")}})
		must(t, err)
		got, err := c.GetStyle(ctx, &ossv2.GetStyleRequest{Bucket: ossv2.Ptr(bucket), StyleName: ossv2.Ptr("thumb")})
		must(t, err)
		st := got.Style
		if ossv2.ToString(st.Name) != "thumb" || ossv2.ToString(st.Content) != "image/resize,w_100" || ossv2.ToString(st.Category) != "image" {
			t.Fatalf("style %+v", st)
		}
		if _, err := time.Parse(http.TimeFormat, ossv2.ToString(st.CreateTime)); err != nil {
			t.Fatalf("CreateTime %q", ossv2.ToString(st.CreateTime))
		}
		list, err := c.ListStyle(ctx, &ossv2.ListStyleRequest{Bucket: ossv2.Ptr(bucket)})
		must(t, err)
		if len(list.StyleList.Styles) != 2 || ossv2.ToString(list.StyleList.Styles[0].Name) != "small.v2" || ossv2.ToString(list.StyleList.Styles[1].Name) != "thumb" {
			t.Fatalf("list %+v", list.StyleList)
		}

		_, body, err := v2Get(t, c, bucket, "photo.jpg", "style/thumb")
		must(t, err)
		wantShape(t, body, "jpeg", 100, 75)
		_, body, err = v2Get(t, c, bucket, "photo.jpg", "style/small.v2")
		must(t, err)
		wantShape(t, body, "png", 50, 38)
		// Changing a style changes what it serves (the cache keys on the
		// resolved pipeline).
		must(t, put("thumb", "image/resize,w_120"))
		_, body, err = v2Get(t, c, bucket, "photo.jpg", "style/thumb")
		must(t, err)
		wantShape(t, body, "jpeg", 120, 90)

		wantImageError(t, put("bad!name", "image/resize,w_1"), "InvalidArgument", 400)
		wantImageError(t, put(strings.Repeat("x", 64), "image/resize,w_1"), "InvalidArgument", 400)
		wantImageError(t, put("bad", "image/resize,w_abc"), "InvalidArgument", 400)
		wantImageError(t, put("bad", "style/thumb"), "InvalidArgument", 400)
		wantImageError(t, put("bad", "image/resize,w_1|sys/saveas,o_"+b64url("x")), "InvalidArgument", 400)
		_, err = c.GetStyle(ctx, &ossv2.GetStyleRequest{Bucket: ossv2.Ptr(bucket), StyleName: ossv2.Ptr("nosuch")})
		wantOSSV2Code(t, err, "NoSuchStyle", 404)
		_, err = c.GetStyle(ctx, &ossv2.GetStyleRequest{Bucket: ossv2.Ptr("no-such-bucket"), StyleName: ossv2.Ptr("thumb")})
		wantOSSV2Code(t, err, "NoSuchBucket", 404)

		// At most 50 per bucket; replacing one at the limit is fine.
		for i := range httpapi.MaxStyles - 2 {
			must(t, put(fmt.Sprintf("s%02d", i), "image/resize,w_10"))
		}
		wantImageError(t, put("one-too-many", "image/resize,w_10"), "InvalidArgument", 400)
		must(t, put("s00", "image/resize,w_11"))

		_, err = c.DeleteStyle(ctx, &ossv2.DeleteStyleRequest{Bucket: ossv2.Ptr(bucket), StyleName: ossv2.Ptr("thumb")})
		must(t, err)
		_, err = c.GetStyle(ctx, &ossv2.GetStyleRequest{Bucket: ossv2.Ptr(bucket), StyleName: ossv2.Ptr("thumb")})
		wantOSSV2Code(t, err, "NoSuchStyle", 404)
		_, _, err = v2Get(t, c, bucket, "photo.jpg", "style/thumb")
		wantImageError(t, err, "NoSuchStyle", 404)
		_, err = c.DeleteStyle(ctx, &ossv2.DeleteStyleRequest{Bucket: ossv2.Ptr(bucket), StyleName: ossv2.Ptr("thumb")})
		must(t, err) // deleting again is fine
	})
	t.Run("ProcessObject", func(t *testing.T) {
		_, err := c.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: ossv2.Ptr("img-v2-dest")})
		must(t, err)
		// The SDK's own example: o_ with '=' padding.
		res, err := c.ProcessObject(ctx, &ossv2.ProcessObjectRequest{Bucket: ossv2.Ptr(bucket), Key: ossv2.Ptr("photo.jpg"),
			Process: ossv2.Ptr("image/resize,w_300|sys/saveas,o_" + b64url("out/a.jpg"))})
		must(t, err)
		if res.Bucket != bucket || res.Object != "out/a.jpg" || res.ProcessStatus != "OK" || res.FileSize <= 0 {
			t.Fatalf("result %+v", res)
		}
		got, body, err := v2Get(t, c, bucket, "out/a.jpg", "image/info")
		must(t, err)
		_ = got
		if !strings.Contains(string(body), `"ImageWidth":{"value":"300"}`) {
			t.Fatalf("saved info %s", body)
		}
		obj, err := c.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: ossv2.Ptr(bucket), Key: ossv2.Ptr("out/a.jpg")})
		must(t, err)
		data, err := io.ReadAll(obj.Body) // CRC-64 checked by the SDK
		obj.Body.Close()
		must(t, err)
		wantShape(t, data, "jpeg", 300, 225)
		if len(data) != res.FileSize || ossv2.ToString(obj.ContentType) != "image/jpeg" {
			t.Fatalf("saved %d bytes %s, reported %d", len(data), ossv2.ToString(obj.ContentType), res.FileSize)
		}

		// Another bucket, through a style.
		_, err = c.PutStyle(ctx, &ossv2.PutStyleRequest{Bucket: ossv2.Ptr(bucket), StyleName: ossv2.Ptr("png64"), Style: &ossv2.StyleContent{Content: ossv2.Ptr("image/resize,w_64/format,png")}})
		must(t, err)
		res, err = c.ProcessObject(ctx, &ossv2.ProcessObjectRequest{Bucket: ossv2.Ptr(bucket), Key: ossv2.Ptr("photo.jpg"),
			Process: ossv2.Ptr("style/png64|sys/saveas,o_" + b64url("thumbs/p.png") + ",b_" + b64url("img-v2-dest"))})
		must(t, err)
		if res.Bucket != "img-v2-dest" || res.Object != "thumbs/p.png" {
			t.Fatalf("result %+v", res)
		}
		obj, err = c.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: ossv2.Ptr("img-v2-dest"), Key: ossv2.Ptr("thumbs/p.png")})
		must(t, err)
		data, _ = io.ReadAll(obj.Body)
		obj.Body.Close()
		wantShape(t, data, "png", 64, 48)

		_, err = c.ProcessObject(ctx, &ossv2.ProcessObjectRequest{Bucket: ossv2.Ptr(bucket), Key: ossv2.Ptr("photo.jpg"), Process: ossv2.Ptr("image/resize,w_300")})
		wantImageError(t, err, "InvalidArgument", 400)
		_, err = c.ProcessObject(ctx, &ossv2.ProcessObjectRequest{Bucket: ossv2.Ptr(bucket), Key: ossv2.Ptr("photo.jpg"),
			Process: ossv2.Ptr("image/resize,w_30|sys/saveas,o_" + b64url("x.jpg") + ",b_" + b64url("no-such-bucket"))})
		wantOSSV2Code(t, err, "NoSuchBucket", 404)
		_, err = c.ProcessObject(ctx, &ossv2.ProcessObjectRequest{Bucket: ossv2.Ptr(bucket), Key: ossv2.Ptr("missing.jpg"),
			Process: ossv2.Ptr("image/resize,w_30|sys/saveas,o_" + b64url("x.jpg"))})
		wantOSSV2Code(t, err, "NoSuchKey", 404)
		_, err = c.ProcessObject(ctx, &ossv2.ProcessObjectRequest{Bucket: ossv2.Ptr(bucket), Key: ossv2.Ptr("photo.jpg"),
			Process: ossv2.Ptr("image/resize,p_1000|sys/saveas,o_" + b64url("x.jpg"))})
		wantImageError(t, err, "ImageTooLarge", 400)
		if ok, err := c.IsObjectExist(ctx, bucket, "x.jpg"); err != nil || ok {
			t.Fatalf("a failed ProcessObject wrote x.jpg: %v %v", ok, err)
		}
		if s.obs.count("ProcessObject") == 0 {
			t.Fatal("ProcessObject not observed")
		}
	})
	t.Run("AsyncNotImplemented", func(t *testing.T) {
		_, err := c.AsyncProcessObject(ctx, &ossv2.AsyncProcessObjectRequest{Bucket: ossv2.Ptr(bucket), Key: ossv2.Ptr("photo.jpg"),
			AsyncProcess: ossv2.Ptr("video/convert,f_mp4|sys/saveas,o_" + b64url("x.mp4"))})
		wantOSSV2Code(t, err, "NotImplemented", 501)
	})
	t.Run("Head", func(t *testing.T) {
		// HEAD answers the processed result's headers; errors come in x-oss-err.
		req, _ := http.NewRequest("HEAD", s.URL+"/"+bucket+"/photo.jpg?x-oss-process=image/resize,w_200", nil)
		presigned(t, c, req)
		resp, _ := s.do(t, req)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || resp.ContentLength <= 0 {
			t.Fatalf("HEAD %d %v", resp.StatusCode, resp.Header)
		}
		req, _ = http.NewRequest("HEAD", s.URL+"/"+bucket+"/photo.jpg?x-oss-process=image/resize,p_1000", nil)
		presigned(t, c, req)
		resp, _ = s.do(t, req)
		x, _ := base64.StdEncoding.DecodeString(resp.Header.Get("X-Oss-Err"))
		if resp.StatusCode != 400 || !strings.Contains(string(x), "<Code>ImageTooLarge</Code>") {
			t.Fatalf("HEAD error %d %s", resp.StatusCode, x)
		}
	})
}

// presigned signs req (a GET or HEAD with query) as an SDKv2 presigned URL.
func presigned(t *testing.T, c *ossv2.Client, req *http.Request) {
	t.Helper()
	parts := strings.SplitN(strings.TrimPrefix(req.URL.Path, "/"), "/", 2)
	q := req.URL.Query()
	var pr *ossv2.PresignResult
	var err error
	if req.Method == http.MethodHead {
		pr, err = c.Presign(t.Context(), &ossv2.HeadObjectRequest{Bucket: ossv2.Ptr(parts[0]), Key: ossv2.Ptr(parts[1]),
			RequestCommon: ossv2.RequestCommon{Parameters: map[string]string{"x-oss-process": q.Get("x-oss-process")}}})
	} else {
		pr, err = c.Presign(t.Context(), &ossv2.GetObjectRequest{Bucket: ossv2.Ptr(parts[0]), Key: ossv2.Ptr(parts[1]), Process: ossv2.Ptr(q.Get("x-oss-process"))})
	}
	must(t, err)
	u, err := req.URL.Parse(pr.URL)
	must(t, err)
	req.URL = u
	for k, v := range pr.SignedHeaders {
		req.Header.Set(k, v)
	}
}

func TestImageOSSSDKV1(t *testing.T) {
	s := newImageServer(t, httpapi.Config{})
	c := ossV1Client(t, s.testServer, rootSK)
	const bucket = "img-v1"
	must(t, c.CreateBucket(bucket))
	must(t, c.CreateBucket("img-v1-dest"))
	b, err := c.Bucket(bucket)
	must(t, err)
	must(t, b.PutObject("photo.jpg", bytes.NewReader(testJPEG(t, 800, 600)), ossv1.ContentType("image/jpeg")))

	get := func(key string, opts ...ossv1.Option) ([]byte, error) {
		r, err := b.GetObject(key, opts...)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return io.ReadAll(r)
	}
	body, err := get("photo.jpg", ossv1.Process("image/resize,w_120"))
	must(t, err)
	wantShape(t, body, "jpeg", 120, 90)
	body, err = get("photo.jpg", ossv1.Process("image/resize,m_fill,w_64,h_64/format,gif"))
	must(t, err)
	wantShape(t, body, "gif", 64, 64)

	res, err := b.ProcessObject("photo.jpg", "image/resize,w_50|sys/saveas,o_"+b64url("saved.jpg")+",b_"+b64url("img-v1-dest"))
	must(t, err)
	if res.Bucket != "img-v1-dest" || res.Object != "saved.jpg" || res.Status != "OK" || res.FileSize <= 0 {
		t.Fatalf("ProcessObject %+v", res)
	}
	d, err := c.Bucket("img-v1-dest")
	must(t, err)
	r, err := d.GetObject("saved.jpg")
	must(t, err)
	body, err = io.ReadAll(r)
	r.Close()
	must(t, err)
	wantShape(t, body, "jpeg", 50, -1)

	must(t, c.PutBucketStyle(bucket, "small", "image/resize,w_60"))
	st, err := c.GetBucketStyle(bucket, "small")
	must(t, err)
	if st.Name != "small" || st.Content != "image/resize,w_60" || st.CreateTime == "" {
		t.Fatalf("style %+v", st)
	}
	list, err := c.ListBucketStyle(bucket)
	must(t, err)
	if len(list.Style) != 1 || list.Style[0].Name != "small" {
		t.Fatalf("list %+v", list)
	}
	body, err = get("photo.jpg", ossv1.Process("style/small"))
	must(t, err)
	wantShape(t, body, "jpeg", 60, 45)
	must(t, c.DeleteBucketStyle(bucket, "small"))
	_, err = c.GetBucketStyle(bucket, "small")
	wantOSSV1Code(t, err, "NoSuchStyle", 404)

	_, err = get("photo.jpg", ossv1.Process("image/resize,w_abc"))
	wantOSSV1Code(t, err, "InvalidArgument", 400)
	_, err = get("photo.jpg", ossv1.Process("image/resize,p_1000"))
	wantOSSV1Code(t, err, "ImageTooLarge", 400)
	_, err = get("photo.jpg", ossv1.Process("style/small"))
	wantOSSV1Code(t, err, "NoSuchStyle", 404)
	_, err = b.ProcessObject("photo.jpg", "image/resize,w_50")
	wantOSSV1Code(t, err, "InvalidArgument", 400)
	_, err = b.AsyncProcessObject("photo.jpg", "image/resize,w_50|sys/saveas,o_"+b64url("a.jpg"))
	wantOSSV1Code(t, err, "NotImplemented", 501)

	// A presigned V1 URL with x-oss-process (x-oss-process is a signed
	// sub-resource).
	u, err := b.SignURL("photo.jpg", ossv1.HTTPGet, 60, ossv1.Process("image/resize,w_30"))
	must(t, err)
	resp, err := s.httpClient().Get(u)
	must(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("signed URL %d %s", resp.StatusCode, body)
	}
	wantShape(t, body, "jpeg", 30, -1)
}

// anonDo sends an unsigned request.
func anonDo(t *testing.T, s *imageServer, method, url string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	must(t, err)
	return s.do(t, req)
}

func TestImageStyleShorthand(t *testing.T) {
	s := newImageServer(t, httpapi.Config{StyleDelimiters: "!-/"})
	c := ossV2Client(s.testServer, rootSK, false)
	ctx := t.Context()
	const bucket = "img-short"
	_, err := c.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: ossv2.Ptr(bucket), Acl: ossv2.BucketACLPublicRead})
	must(t, err)
	v2Put(t, c, bucket, "photo.jpg", testJPEG(t, 800, 600), "image/jpeg")
	v2Put(t, c, bucket, "a!thumb", []byte("literal"), "text/plain")
	_, err = c.PutObject(ctx, &ossv2.PutObjectRequest{Bucket: ossv2.Ptr(bucket), Key: ossv2.Ptr("secret.jpg"), Body: bytes.NewReader(testJPEG(t, 100, 100)), Acl: ossv2.ObjectACLPrivate})
	must(t, err)
	for name, content := range map[string]string{"thumb": "image/resize,w_100", "small.v2": "image/resize,w_50", "thumb-x": "image/resize,w_70"} {
		_, err := c.PutStyle(ctx, &ossv2.PutStyleRequest{Bucket: ossv2.Ptr(bucket), StyleName: ossv2.Ptr(name), Style: &ossv2.StyleContent{Content: ossv2.Ptr(content)}})
		must(t, err)
	}
	base := s.URL + "/" + bucket + "/"
	for _, tt := range []struct {
		key   string
		width int
	}{
		{"photo.jpg!thumb", 100},
		{"photo.jpg-thumb", 100},
		{"photo.jpg/thumb", 100},
		{"photo.jpg!small.v2", 50},
		{"photo.jpg!thumb-x", 70}, // the last delimiter names no style: the one before does
	} {
		resp, body := anonDo(t, s, "GET", base+tt.key, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("%s: %d %s", tt.key, resp.StatusCode, body)
		}
		wantShape(t, body, "jpeg", tt.width, -1)
	}
	// Virtual-hosted.
	resp, body := anonDo(t, s, "GET", "http://"+bucket+"."+domain+"/photo.jpg!thumb", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("virtual-hosted %d %s", resp.StatusCode, body)
	}
	wantShape(t, body, "jpeg", 100, 75)
	resp, _ = anonDo(t, s, "HEAD", base+"photo.jpg!thumb", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || resp.ContentLength <= 0 {
		t.Fatalf("HEAD %d %v", resp.StatusCode, resp.Header)
	}
	// An existing key is served as it is.
	if resp, body := anonDo(t, s, "GET", base+"a!thumb", nil); resp.StatusCode != 200 || string(body) != "literal" {
		t.Fatalf("literal key %d %q", resp.StatusCode, body)
	}
	// No such style, or no such object before the delimiter: NoSuchKey.
	for _, key := range []string{"photo.jpg!nosuch", "missing.jpg!thumb", "nodelimiter"} {
		resp, body := anonDo(t, s, "GET", base+key, nil)
		if e := parseRawError(t, body); resp.StatusCode != 404 || e.Code != "NoSuchKey" {
			t.Fatalf("%s: %d %s", key, resp.StatusCode, body)
		}
	}
	// The object before the delimiter is authorized: a private object in a
	// public-read bucket stays private.
	resp, body = anonDo(t, s, "GET", base+"secret.jpg!thumb", nil)
	if e := parseRawError(t, body); resp.StatusCode != 403 || e.Code != "AccessDenied" {
		t.Fatalf("private object through the shorthand: %d %s", resp.StatusCode, body)
	}
	// The owner may.
	req, _ := http.NewRequest("GET", base+"secret.jpg!thumb", nil)
	pr, err := c.Presign(ctx, &ossv2.GetObjectRequest{Bucket: ossv2.Ptr(bucket), Key: ossv2.Ptr("secret.jpg!thumb")})
	must(t, err)
	req.URL, _ = req.URL.Parse(pr.URL)
	if resp, body := s.do(t, req); resp.StatusCode != 200 {
		t.Fatalf("owner shorthand %d %s", resp.StatusCode, body)
	}

	// Without delimiters configured there is no shorthand.
	s2 := newImageServer(t, httpapi.Config{})
	c2 := ossV2Client(s2.testServer, rootSK, false)
	_, err = c2.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: ossv2.Ptr(bucket), Acl: ossv2.BucketACLPublicRead})
	must(t, err)
	v2Put(t, c2, bucket, "photo.jpg", testJPEG(t, 80, 60), "image/jpeg")
	_, err = c2.PutStyle(ctx, &ossv2.PutStyleRequest{Bucket: ossv2.Ptr(bucket), StyleName: ossv2.Ptr("thumb"), Style: &ossv2.StyleContent{Content: ossv2.Ptr("image/resize,w_10")}})
	must(t, err)
	resp, body = anonDo(t, s2, "GET", s2.URL+"/"+bucket+"/photo.jpg!thumb", nil)
	if e := parseRawError(t, body); resp.StatusCode != 404 || e.Code != "NoSuchKey" {
		t.Fatalf("shorthand off: %d %s", resp.StatusCode, body)
	}
}

func TestImageAuthorization(t *testing.T) {
	s := newImageServer(t, httpapi.Config{})
	c := ossV2Client(s.testServer, rootSK, false)
	ctx := t.Context()
	for name, acl := range map[string]ossv2.BucketACLType{"img-priv": ossv2.BucketACLPrivate, "img-pub": ossv2.BucketACLPublicRead, "img-rw": ossv2.BucketACLPublicReadWrite} {
		_, err := c.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: ossv2.Ptr(name), Acl: acl})
		must(t, err)
		v2Put(t, c, name, "photo.jpg", testJPEG(t, 200, 100), "image/jpeg")
	}
	_, err := c.PutObject(ctx, &ossv2.PutObjectRequest{Bucket: ossv2.Ptr("img-pub"), Key: ossv2.Ptr("private-logo.png"),
		Body: bytes.NewReader(testPNG(t, 16, 16, color.White)), Acl: ossv2.ObjectACLPrivate})
	must(t, err)
	v2Put(t, c, "img-pub", "logo.png", testPNG(t, 16, 16, color.Black), "image/png")

	wantErr := func(resp *http.Response, body []byte, status int, code string) {
		t.Helper()
		if e := parseRawError(t, body); resp.StatusCode != status || e.Code != code {
			t.Fatalf("want %d %s, got %d %s", status, code, resp.StatusCode, body)
		}
	}
	resp, body := anonDo(t, s, "GET", s.URL+"/img-priv/photo.jpg?x-oss-process=image/info", nil)
	wantErr(resp, body, 403, "AccessDenied")
	resp, body = anonDo(t, s, "GET", s.URL+"/img-pub/photo.jpg?x-oss-process=image/resize,w_20", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("public read %d %s", resp.StatusCode, body)
	}
	wantShape(t, body, "jpeg", 20, 10)

	// A watermark the requester may not read is refused, before and after
	// the owner's request put the result in the cache.
	wm := "image/watermark,image_" + b64url("private-logo.png")
	resp, body = anonDo(t, s, "GET", s.URL+"/img-pub/photo.jpg?x-oss-process="+wm, nil)
	wantErr(resp, body, 400, "WatermarkError")
	_, body, err = v2Get(t, c, "img-pub", "photo.jpg", wm)
	must(t, err)
	wantShape(t, body, "jpeg", 200, 100)
	resp, body = anonDo(t, s, "GET", s.URL+"/img-pub/photo.jpg?x-oss-process="+wm, nil)
	wantErr(resp, body, 400, "WatermarkError")
	resp, body = anonDo(t, s, "GET", s.URL+"/img-pub/photo.jpg?x-oss-process=image/watermark,image_"+b64url("logo.png"), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("public watermark %d %s", resp.StatusCode, body)
	}

	// ProcessObject writes: anonymous needs write on the source bucket
	// and on the destination.
	form := func(key, bucket string) io.Reader {
		v := "x-oss-process=image/resize,w_10|sys/saveas,o_" + b64url(key)
		if bucket != "" {
			v += ",b_" + b64url(bucket)
		}
		return strings.NewReader(v)
	}
	resp, body = anonDo(t, s, "POST", s.URL+"/img-pub/photo.jpg?x-oss-process", form("t.jpg", ""))
	wantErr(resp, body, 403, "AccessDenied")
	resp, body = anonDo(t, s, "POST", s.URL+"/img-rw/photo.jpg?x-oss-process", form("t.jpg", "img-priv"))
	wantErr(resp, body, 403, "AccessDenied")
	resp, body = anonDo(t, s, "POST", s.URL+"/img-rw/photo.jpg?x-oss-process", form("t.jpg", ""))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("anonymous ProcessObject in a public-read-write bucket: %d %s", resp.StatusCode, body)
	}
	var out struct {
		Bucket   string `json:"bucket"`
		FileSize int    `json:"fileSize"`
		Object   string `json:"object"`
		Status   string `json:"status"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Bucket != "img-rw" || out.Object != "t.jpg" || out.Status != "OK" {
		t.Fatalf("%s %v", body, err)
	}
	if ok, _ := c.IsObjectExist(ctx, "img-priv", "t.jpg"); ok {
		t.Fatal("denied ProcessObject wrote its destination")
	}
	// The body's own errors.
	resp, body = anonDo(t, s, "POST", s.URL+"/img-rw/photo.jpg?x-oss-process", strings.NewReader("nothing=here"))
	wantErr(resp, body, 400, "MissingArgument")
	resp, body = anonDo(t, s, "POST", s.URL+"/img-rw/photo.jpg?x-oss-process", strings.NewReader("x-oss-process=image/resize,w_10|sys/saveas,o_"+b64url("../\x00")))
	if resp.StatusCode != 400 {
		t.Fatalf("bad saveas key %d %s", resp.StatusCode, body)
	}
}

func TestImageCache(t *testing.T) {
	s := newImageServer(t, httpapi.Config{})
	c := ossV2Client(s.testServer, rootSK, false)
	ctx := t.Context()
	const bucket = "img-cache"
	_, err := c.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: ossv2.Ptr(bucket)})
	must(t, err)
	v2Put(t, c, bucket, "photo.jpg", testJPEG(t, 800, 600), "image/jpeg")
	v2Put(t, c, bucket, "logo.png", testPNG(t, 32, 32, color.Black), "image/png")

	stats := func() (int64, int64) { return httpapi.ImageStats(s.h) }
	get := func(process string) []byte {
		t.Helper()
		_, body, err := v2Get(t, c, bucket, "photo.jpg", process)
		must(t, err)
		return body
	}
	p0, h0 := stats()
	first := get("image/resize,w_200")
	second := get("image/resize,w_200")
	p1, h1 := stats()
	if p1-p0 != 1 || h1-h0 != 1 || !bytes.Equal(first, second) {
		t.Fatalf("second read: processed +%d, hits +%d, same body %v", p1-p0, h1-h0, bytes.Equal(first, second))
	}
	// The info of the source is cached too, and overwriting the source
	// makes both stale.
	if body := get("image/info"); !strings.Contains(string(body), `"ImageWidth":{"value":"800"}`) {
		t.Fatalf("info %s", body)
	}
	v2Put(t, c, bucket, "photo.jpg", testJPEG(t, 400, 300), "image/jpeg")
	p2, _ := stats()
	if body := get("image/info"); !strings.Contains(string(body), `"ImageWidth":{"value":"400"}`) {
		t.Fatalf("stale info after overwrite: %s", body)
	}
	wantShape(t, get("image/resize,w_200"), "jpeg", 200, 150)
	if p3, _ := stats(); p3-p2 != 2 {
		t.Fatalf("after overwrite: processed +%d, want +2", p3-p2)
	}

	// Concurrent identical misses decode once.
	p4, _ := stats()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, body, err := v2Get(t, c, bucket, "photo.jpg", "image/resize,w_150")
			if err != nil {
				t.Error(err)
				return
			}
			wantShape(t, body, "jpeg", 150, 113)
		})
	}
	wg.Wait()
	if p5, _ := stats(); p5-p4 != 1 {
		t.Fatalf("8 concurrent identical reads processed %d times", p5-p4)
	}

	// A result with a watermark is stale once the watermark changes.
	wm := "image/watermark,image_" + b64url("logo.png")
	get(wm)
	p6, h6 := stats()
	get(wm)
	if p7, h7 := stats(); p7 != p6 || h7 != h6+1 {
		t.Fatalf("watermark result not cached: processed +%d hits +%d", p7-p6, h7-h6)
	}
	v2Put(t, c, bucket, "logo.png", testPNG(t, 32, 32, color.White), "image/png")
	get(wm)
	if p8, _ := stats(); p8 != p6+1 {
		t.Fatalf("changed watermark served from the cache")
	}
}

// TestImageBurst: with one decode slot and no cache, a burst of distinct
// requests queues and every one is answered correctly.
func TestImageBurst(t *testing.T) {
	s := newImageServer(t, httpapi.Config{ImageConcurrency: 1, ImageCacheBytes: -1})
	c := ossV2Client(s.testServer, rootSK, false)
	_, err := c.PutBucket(t.Context(), &ossv2.PutBucketRequest{Bucket: ossv2.Ptr("img-burst")})
	must(t, err)
	v2Put(t, c, "img-burst", "photo.jpg", testJPEG(t, 640, 480), "image/jpeg")
	p0, _ := httpapi.ImageStats(s.h)
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			w := 20 + 10*i
			_, body, err := v2Get(t, c, "img-burst", "photo.jpg", fmt.Sprintf("image/resize,w_%d", w))
			if err != nil {
				t.Error(err)
				return
			}
			if _, gw, _ := imageShape(t, body); gw != w {
				t.Errorf("width %d, want %d", gw, w)
			}
		})
	}
	wg.Wait()
	if p1, _ := httpapi.ImageStats(s.h); p1-p0 != 12 {
		t.Fatalf("processed %d, want 12", p1-p0)
	}
}
