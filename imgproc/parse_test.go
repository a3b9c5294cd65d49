package imgproc

import (
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	cases := []struct{ in, norm string }{
		{"image/resize,w_100", "image/resize,w_100"},
		{"image/resize,h_100,w_200,m_FILL", "image/resize,m_fill,w_200,h_100"},
		{"image/resize,l_300,s_200,limit_0", "image/resize,l_300,s_200,limit_0"},
		{"image/resize,p_50", "image/resize,p_50"},
		{"image/resize,m_pad,w_100,h_100,color_ff0000", "image/resize,m_pad,w_100,h_100,color_FF0000"},
		{"image/resize,m_fixed,w_16384,h_1", "image/resize,m_fixed,w_16384,h_1"},
		{"image/resize,m_mfit,w_007", "image/resize,m_mfit,w_7"},
		{"image/crop,x_10,y_10,w_200,h_200,g_se", "image/crop,w_200,h_200,x_10,y_10,g_se"},
		{"image/crop,w_0", "image/crop,w_0"},
		{"image/indexcrop,x_100,i_2", "image/indexcrop,x_100,i_2"},
		{"image/indexcrop,y_50", "image/indexcrop,y_50"},
		{"image/circle,r_100", "image/circle,r_100"},
		{"image/rounded-corners,r_30", "image/rounded-corners,r_30"},
		{"image/rotate,90", "image/rotate,90"},
		{"image/rotate,0", "image/rotate,0"},
		{"image/rotate,360", "image/rotate,360"},
		{"image/auto-orient,1", "image/auto-orient,1"},
		{"image/blur,r_3,s_2", "image/blur,r_3,s_2"},
		{"image/bright,-50", "image/bright,-50"},
		{"image/contrast,100", "image/contrast,100"},
		{"image/sharpen,100", "image/sharpen,100"},
		{"image/format,JPEG", "image/format,jpg"},
		{"image/format,png", "image/format,png"},
		{"image/format,tif", "image/format,tiff"},
		{"image/quality,q_80", "image/quality,q_80"},
		{"image/quality,Q_50,q_90", "image/quality,q_90,Q_50"},
		{"image/interlace,1", "image/interlace,1"},
		{"image/info", "image/info"},
		{"image/average-hue", "image/average-hue"},
		{"IMAGE/Resize,w_10/", "image/resize,w_10"},
		{"image/resize,w_10,/crop,w_5", "image/resize,w_10/crop,w_5"},
		{"image/watermark,text_SGVsbG8gV29ybGQ", "image/watermark,text_SGVsbG8gV29ybGQ"},
		{"image/watermark,text_SGVsbG8gV29ybGQ=,type_d3F5LXplbmhlaQ==,color_ffffff,size_30,shadow_50,rotate_45,fill_1,t_80,g_center,x_5,y_5,voffset_-10",
			"image/watermark,text_SGVsbG8gV29ybGQ,type_d3F5LXplbmhlaQ,color_FFFFFF,size_30,shadow_50,rotate_45,fill_1,t_80,g_center,x_5,y_5,voffset_-10"},
		{"image/watermark,image_" + encodeB64URL("logo.png?x-oss-process=image/resize,P_30") + ",P_20,order_1,align_2,interval_5",
			"image/watermark,image_" + encodeB64URL("logo.png?x-oss-process=image/resize,P_30") + ",P_20,order_1,align_2,interval_5"},
		{"image/resize,w_100/watermark,text_YQ/format,png", "image/resize,w_100/watermark,text_YQ/format,png"},
		{"style/my-style_1.x", "style/my-style_1.x"},
		{"image/resize,w_100|sys/saveas,o_" + encodeB64URL("out/a.jpg") + "=,b_" + encodeB64URL("dest"),
			"image/resize,w_100|sys/saveas,o_" + encodeB64URL("out/a.jpg") + ",b_" + encodeB64URL("dest")},
		{"image/resize,w_100|sys/saveas,o_" + encodeB64URL("x"), "image/resize,w_100|sys/saveas,o_eA"},
	}
	for _, c := range cases {
		pl, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got := pl.String(); got != c.norm {
			t.Errorf("Parse(%q).String() = %q, want %q", c.in, got, c.norm)
		}
		again, err := Parse(pl.String())
		if err != nil || again.String() != pl.String() {
			t.Errorf("normal form %q does not re-parse to itself: %v", pl.String(), err)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	b64 := encodeB64URL
	cases := []struct{ in, code, msgPart string }{
		{"", CodeMissingArgument, "empty"},
		{"image", CodeMissingArgument, "no image action"},
		{"image/", CodeMissingArgument, "no image action"},
		{"picture/resize,w_1", CodeInvalidArgument, "image/"},
		{"video/snapshot,t_1000", CodeNotImplemented, "video"},
		{"image/nosuch", CodeInvalidArgument, "unknown image action"},
		{"image/resize", CodeMissingArgument, "one of w, h, l, s or p"},
		{"image/resize,w_0", CodeInvalidArgument, "[1, 16384]"},
		{"image/resize,w_16385", CodeInvalidArgument, "[1, 16384]"},
		{"image/resize,w_abc", CodeInvalidArgument, "parameter w"},
		{"image/resize,w_-5", CodeInvalidArgument, "parameter w"},
		{"image/resize,w_1e3", CodeInvalidArgument, "parameter w"},
		{"image/resize,h_99999999999", CodeInvalidArgument, "parameter h"},
		{"image/resize,p_0", CodeInvalidArgument, "[1, 1000]"},
		{"image/resize,p_1001", CodeInvalidArgument, "[1, 1000]"},
		{"image/resize,m_zoom,w_1", CodeInvalidArgument, "lfit, mfit, fill, pad, fixed"},
		{"image/resize,w_1,limit_2", CodeInvalidArgument, "limit"},
		{"image/resize,w_1,color_fff", CodeInvalidArgument, "RRGGBB"},
		{"image/resize,w_1,color_gggggg", CodeInvalidArgument, "RRGGBB"},
		{"image/resize,w_1,p_50", CodeInvalidArgument, "cannot be combined"},
		{"image/resize,w_1,l_50", CodeInvalidArgument, "w/h cannot be combined"},
		{"image/resize,P_30", CodeInvalidArgument, "watermark"},
		{"image/resize,w_1,w_2", CodeInvalidArgument, "more than once"},
		{"image/resize,w_1,z_2", CodeInvalidArgument, "unknown parameter \"z\""},
		{"image/resize,w100", CodeInvalidArgument, "key_value"},
		{"image/crop,x_-1", CodeInvalidArgument, "parameter x"},
		{"image/crop,g_middle", CodeInvalidArgument, "nw, north"},
		{"image/crop,w_30001", CodeInvalidArgument, "parameter w"},
		{"image/indexcrop,i_1", CodeMissingArgument, "x or y"},
		{"image/indexcrop,x_1,y_1", CodeInvalidArgument, "either x or y"},
		{"image/indexcrop,x_0", CodeInvalidArgument, "parameter x"},
		{"image/circle", CodeMissingArgument, "parameter r"},
		{"image/circle,r_0", CodeInvalidArgument, "[1, 4096]"},
		{"image/circle,r_4097", CodeInvalidArgument, "[1, 4096]"},
		{"image/rounded-corners,r_5000", CodeInvalidArgument, "[1, 4096]"},
		{"image/rotate", CodeMissingArgument, "value"},
		{"image/rotate,361", CodeInvalidArgument, "[0, 360]"},
		{"image/rotate,-1", CodeInvalidArgument, "[0, 360]"},
		{"image/rotate,90,180", CodeInvalidArgument, "single value"},
		{"image/auto-orient,2", CodeInvalidArgument, "[0, 1]"},
		{"image/blur,r_3", CodeMissingArgument, "parameter s"},
		{"image/blur,r_51,s_2", CodeInvalidArgument, "[1, 50]"},
		{"image/blur,r_3,s_0", CodeInvalidArgument, "[1, 50]"},
		{"image/bright,101", CodeInvalidArgument, "[-100, 100]"},
		{"image/bright,--1", CodeInvalidArgument, "[-100, 100]"},
		{"image/contrast,-101", CodeInvalidArgument, "[-100, 100]"},
		{"image/sharpen,49", CodeInvalidArgument, "[50, 399]"},
		{"image/sharpen,400", CodeInvalidArgument, "[50, 399]"},
		{"image/format", CodeMissingArgument, "format"},
		{"image/format,xyz", CodeInvalidArgument, "unknown format"},
		{"image/format,webp", CodeNotImplemented, "webp"},
		{"image/format,avif", CodeNotImplemented, "avif"},
		{"image/quality", CodeMissingArgument, "q"},
		{"image/quality,q_0", CodeInvalidArgument, "[1, 100]"},
		{"image/quality,Q_101", CodeInvalidArgument, "[1, 100]"},
		{"image/interlace,2", CodeInvalidArgument, "[0, 1]"},
		{"image/info,x_1", CodeInvalidArgument, "takes no parameters"},
		{"image/info/resize,w_1", CodeInvalidArgument, "last action"},
		{"image/average-hue/resize,w_1", CodeInvalidArgument, "last action"},
		{"image/watermark", CodeMissingArgument, "text or image"},
		{"image/watermark,text_###", CodeBadRequest, msgNotBase64},
		{"image/watermark,image_!!", CodeBadRequest, msgNotBase64},
		{"image/watermark,text_" + b64(strings.Repeat("a", 65)), CodeInvalidArgument, "at most 64"},
		{"image/watermark,text_" + b64("\xff\xfe"), CodeInvalidArgument, "UTF-8"},
		{"image/watermark,text_YQ,type_" + b64("comic-sans"), CodeInvalidArgument, "unknown font"},
		{"image/watermark,text_YQ,size_0", CodeInvalidArgument, "(0"[0:0] + "[1, 1000]"},
		{"image/watermark,text_YQ,t_101", CodeInvalidArgument, "[0, 100]"},
		{"image/watermark,text_YQ,x_4097", CodeInvalidArgument, "[0, 4096]"},
		{"image/watermark,text_YQ,voffset_1001", CodeInvalidArgument, "[-1000, 1000]"},
		{"image/watermark,text_YQ,g_top", CodeInvalidArgument, "nw, north"},
		{"image/watermark,text_YQ,P_10", CodeInvalidArgument, "image watermarks"},
		{"image/watermark,text_YQ,shadow_101", CodeInvalidArgument, "[0, 100]"},
		{"image/watermark,text_YQ,rotate_361", CodeInvalidArgument, "[0, 360]"},
		{"image/watermark,text_YQ,align_3", CodeInvalidArgument, "0, 1, 2"},
		{"image/watermark,text_YQ,interval_1001", CodeInvalidArgument, "[0, 1000]"},
		{"image/watermark,image_" + b64("a.png?x-oss-process=image/watermark,text_YQ"), CodeInvalidArgument, "not allowed in a watermark"},
		{"image/watermark,image_" + b64("a.png?foo=bar"), CodeInvalidArgument, "x-oss-process"},
		{"image/watermark,image_" + b64("a.png?x-oss-process=image/resize,P_101"), CodeInvalidArgument, "[1, 100]"},
		{"image/watermark,image_" + b64("?x-oss-process=image/resize,P_10"), CodeWatermarkError, "object name"},
		{"image/watermark,text_YQ/watermark,text_YQ/watermark,text_YQ/watermark,text_YQ", CodeInvalidArgument, "at most 3"},
		{"style/", CodeMissingArgument, "style name"},
		{"style/bad name", CodeInvalidArgument, "letters"},
		{"image/resize,w_1|sys/saveas", CodeMissingArgument, "parameter o"},
		{"image/resize,w_1|sys/saveas,o_***", CodeBadRequest, msgNotBase64},
		{"image/resize,w_1|sys/saveas,o_YQ,x_YQ", CodeInvalidArgument, "unknown parameter"},
		{"image/resize,w_1|sys/copy,o_YQ", CodeInvalidArgument, "sys/saveas"},
		{"image/resize,w_1|sys/saveas,o_YQ|sys/saveas,o_YQ", CodeBadRequest, msgNotBase64},
		{"image" + strings.Repeat("/rotate,90", 33), CodeInvalidArgument, "too many actions"},
		{"image/resize,w_1" + strings.Repeat(",", maxProcessLen), CodeInvalidArgument, "bytes long"},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		if got := errCode(err); got != c.code {
			t.Errorf("Parse(%q): code %q (%v), want %q", truncate(c.in, 80), got, err, c.code)
			continue
		}
		if !strings.Contains(err.Error(), c.msgPart) {
			t.Errorf("Parse(%q): message %q does not mention %q", truncate(c.in, 80), err.Error(), c.msgPart)
		}
	}
}

func TestParseStyleAndSaveAs(t *testing.T) {
	pl, err := Parse("style/thumb|sys/saveas,o_" + encodeB64URL("a/b.jpg") + ",b_" + encodeB64URL("bkt"))
	if err != nil {
		t.Fatal(err)
	}
	if pl.Style != "thumb" || len(pl.Actions) != 0 || pl.SaveAs == nil || pl.SaveAs.Object != "a/b.jpg" || pl.SaveAs.Bucket != "bkt" {
		t.Fatalf("got %+v %+v", pl, pl.SaveAs)
	}
	np, err := pl.WithStyle("image/resize,p_50")
	if err != nil {
		t.Fatal(err)
	}
	if np.Style != "" || len(np.Actions) != 1 || np.SaveAs != pl.SaveAs {
		t.Fatalf("WithStyle: %+v", np)
	}
	if _, err := pl.WithStyle("style/other"); errCode(err) != CodeInvalidArgument {
		t.Errorf("nested style: %v", err)
	}
	if _, err := np.WithStyle("image/resize,p_50"); errCode(err) != CodeInvalidArgument {
		t.Errorf("WithStyle on a non-style pipeline: %v", err)
	}
	sa, err := ParseSaveAs("sys/saveas,o_" + strings.TrimRight(encodeB64URL("日本/x+y?.png"), "="))
	if err != nil || sa.Object != "日本/x+y?.png" || sa.Bucket != "" {
		t.Fatalf("ParseSaveAs: %+v %v", sa, err)
	}
}

func TestParseActionsExposed(t *testing.T) {
	pl, err := Parse("image/resize,w_100,m_fill,h_50/rotate,90")
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Actions) != 2 || pl.Actions[0].Name != "resize" || pl.Actions[1].Name != "rotate" {
		t.Fatalf("%+v", pl.Actions)
	}
	want := []Param{{"m", "fill"}, {"w", "100"}, {"h", "50"}}
	for i, p := range pl.Actions[0].Params {
		if p != want[i] {
			t.Errorf("param %d = %+v, want %+v", i, p, want[i])
		}
	}
	if p := pl.Actions[1].Params; len(p) != 1 || p[0] != (Param{"", "90"}) {
		t.Errorf("rotate params %+v", p)
	}
}
