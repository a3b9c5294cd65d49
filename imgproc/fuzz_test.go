package imgproc

import (
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is an OSS
// error, and that the normal form is a fixed point.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"image/resize,w_100,h_100,m_fill",
		"image/resize,p_50/rotate,90/format,png",
		"image/crop,x_10,y_10,w_200,h_200,g_se/indexcrop,x_10,i_1",
		"image/watermark,text_SGVsbG8,type_d3F5LXplbmhlaQ,size_30,g_center",
		"image/watermark,image_" + encodeB64URL("a.png?x-oss-process=image/resize,P_30"),
		"image/quality,q_80,Q_90/interlace,1/auto-orient,1/blur,r_3,s_2",
		"style/abc|sys/saveas,o_YQ,b_Yg",
		"image/info", "image/average-hue", "image/bright,-50/contrast,50/sharpen,100",
		"image/circle,r_10/rounded-corners,r_5",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pl, err := Parse(s)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Parse(%q): non-OSS error %T %v", s, err, err)
			}
			return
		}
		norm := pl.String()
		again, err := Parse(norm)
		if err != nil {
			t.Fatalf("normal form %q of %q does not parse: %v", norm, s, err)
		}
		if again.String() != norm {
			t.Fatalf("normal form not stable: %q -> %q", norm, again.String())
		}
		if pl.Style == "" && len(pl.Actions) == 0 {
			t.Fatalf("%q: no style and no actions", s)
		}
		if strings.Count(norm, "/watermark") > maxWatermarks {
			t.Fatalf("%q: too many watermarks accepted", s)
		}
	})
}
