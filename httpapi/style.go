package httpapi

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/ossflow/ossflow/imgproc"
	"github.com/ossflow/ossflow/oss"
)

// Image styles: named x-oss-process contents of a bucket, kept together in
// one bucket configuration document.
const (
	// MaxStyles is the number of styles a bucket may have, as in OSS.
	MaxStyles = 50
	// maxStyleName is the longest style name OSS accepts.
	maxStyleName = 63
	// maxStyleContent bounds a style's content.
	maxStyleContent = 8 << 10
	// styleConfig is the name of the bucket configuration document.
	styleConfig = "style"
)

// The style operations (bucket configuration: the owner's business).
var (
	opPutStyle    = op("PutStyle", AccessAdmin, putStyle)
	opGetStyle    = op("GetStyle", AccessAdmin, getStyle)
	opListStyle   = op("ListStyle", AccessAdmin, listStyle)
	opDeleteStyle = op("DeleteStyle", AccessAdmin, deleteStyle)
)

// storedStyle is one style in the bucket's document.
type storedStyle struct {
	Name     string    `json:"name"`
	Content  string    `json:"content"`
	Category string    `json:"category"`
	Created  time.Time `json:"created"`
	Modified time.Time `json:"modified"`
}

// styleDoc is the bucket's style document; Styles are sorted by name.
type styleDoc struct {
	Styles []storedStyle `json:"styles"`
}

func (d *styleDoc) index(name string) (int, bool) {
	i := sort.Search(len(d.Styles), func(i int) bool { return d.Styles[i].Name >= name })
	return i, i < len(d.Styles) && d.Styles[i].Name == name
}

func (d *styleDoc) get(name string) (storedStyle, bool) {
	i, ok := d.index(name)
	if !ok {
		return storedStyle{}, false
	}
	return d.Styles[i], true
}

// loadStyles reads the bucket's style document (empty when it has none).
func (h *Handler) loadStyles(rc *reqCtx, bucket string) (styleDoc, error) {
	var doc styleDoc
	data, ok, err := h.eng.GetBucketConfig(rc.ctx, bucket, styleConfig)
	if err != nil || !ok {
		return doc, err
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return doc, oss.Wrap(rc.op.name, err)
	}
	return doc, nil
}

func (h *Handler) saveStyles(rc *reqCtx, bucket string, doc styleDoc) error {
	if len(doc.Styles) == 0 {
		return h.eng.DeleteBucketConfig(rc.ctx, bucket, styleConfig)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return oss.Wrap(rc.op.name, err)
	}
	return h.eng.PutBucketConfig(rc.ctx, bucket, styleConfig, data)
}

// validStyleName: 1 to 63 letters, digits, '_', '-' and '.'.
func validStyleName(name string) bool {
	if name == "" || len(name) > maxStyleName {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// styleNameParam reads and checks the styleName query parameter.
func styleNameParam(rc *reqCtx) (string, error) {
	name := rc.query.Get("styleName")
	if !validStyleName(name) {
		return "", invalidArgument(rc.op.name, "The value: "+name+" of parameter: stylename is invalid.", "styleName", name)
	}
	return name, nil
}

// checkStyleContent validates a style's content: an image pipeline that
// neither names a style nor saves.
func checkStyleContent(op, content string) error {
	if content == "" {
		return invalidArgument(op, "The style content is empty.", "Content", "")
	}
	if len(content) > maxStyleContent {
		return invalidArgument(op, "The style content is too long.", "Content", content[:64]+"…")
	}
	pl, err := parseProcess(op, content)
	if err != nil {
		return err
	}
	if pl.Style != "" || pl.SaveAs != nil {
		return invalidArgument(op, "A style's content must be image actions (image/…), without style/ or sys/saveas.", "Content", content)
	}
	return nil
}

type styleXML struct {
	XMLName        xml.Name `xml:"Style"`
	Name           string   `xml:"Name"`
	Content        string   `xml:"Content"`
	CreateTime     string   `xml:"CreateTime"`
	LastModifyTime string   `xml:"LastModifyTime"`
	Category       string   `xml:"Category"`
}

type styleListXML struct {
	XMLName xml.Name   `xml:"StyleList"`
	Styles  []styleXML `xml:"Style"`
}

func (s storedStyle) xml() styleXML {
	return styleXML{Name: s.Name, Content: s.Content, CreateTime: httpTime(s.Created), LastModifyTime: httpTime(s.Modified), Category: s.Category}
}

// putStyle is PUT /?style&styleName=<name>[&category=image] with
// <Style><Content>…</Content></Style>: it adds or replaces a style.
func putStyle(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	name, err := styleNameParam(rc)
	if err != nil {
		return err
	}
	category := rc.query.Get("category")
	switch category {
	case "", "image":
		category = "image"
	case "document", "video":
		return oss.E(rc.op.name, oss.NotImplemented, "Only image styles are supported.")
	default:
		return invalidArgument(rc.op.name, "The value: "+category+" of parameter: category is invalid.", "category", category)
	}
	var body struct {
		XMLName xml.Name `xml:"Style"`
		Content string   `xml:"Content"`
	}
	if err := h.readXML(rc, r, &body); err != nil {
		return err
	}
	content := strings.TrimSpace(body.Content)
	if err := checkStyleContent(rc.op.name, content); err != nil {
		return err
	}

	h.img.stylesMu.Lock()
	defer h.img.stylesMu.Unlock()
	doc, err := h.loadStyles(rc, rc.bucket())
	if err != nil {
		return err
	}
	now := h.now().UTC().Truncate(time.Second)
	if i, ok := doc.index(name); ok {
		s := &doc.Styles[i]
		s.Content, s.Category, s.Modified = content, category, now
	} else {
		if len(doc.Styles) >= MaxStyles {
			return oss.E(rc.op.name, oss.InvalidArgument, "A bucket can have at most %d styles.", MaxStyles)
		}
		doc.Styles = append(doc.Styles, storedStyle{})
		copy(doc.Styles[i+1:], doc.Styles[i:])
		doc.Styles[i] = storedStyle{Name: name, Content: content, Category: category, Created: now, Modified: now}
	}
	if err := h.saveStyles(rc, rc.bucket(), doc); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// getStyle is GET /?style&styleName=<name>.
func getStyle(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	name, err := styleNameParam(rc)
	if err != nil {
		return err
	}
	doc, err := h.loadStyles(rc, rc.bucket())
	if err != nil {
		return err
	}
	s, ok := doc.get(name)
	if !ok {
		return oss.E(rc.op.name, oss.NoSuchStyle, "")
	}
	return writeXML(w, http.StatusOK, s.xml())
}

// listStyle is GET /?style: every style, by name.
func listStyle(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	doc, err := h.loadStyles(rc, rc.bucket())
	if err != nil {
		return err
	}
	out := styleListXML{Styles: make([]styleXML, 0, len(doc.Styles))}
	for _, s := range doc.Styles {
		out.Styles = append(out.Styles, s.xml())
	}
	return writeXML(w, http.StatusOK, out)
}

// deleteStyle is DELETE /?style&styleName=<name>; deleting a style that
// does not exist succeeds (204), as deletes do.
func deleteStyle(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	name, err := styleNameParam(rc)
	if err != nil {
		return err
	}
	h.img.stylesMu.Lock()
	defer h.img.stylesMu.Unlock()
	doc, err := h.loadStyles(rc, rc.bucket())
	if err != nil {
		return err
	}
	if i, ok := doc.index(name); ok {
		doc.Styles = append(doc.Styles[:i], doc.Styles[i+1:]...)
		if err := h.saveStyles(rc, rc.bucket(), doc); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// resolveStyle replaces a style/<name> pipeline by the style's content
// (keeping a saveas); other pipelines are returned as they are.
func (h *Handler) resolveStyle(rc *reqCtx, bucket string, pl *imgproc.Pipeline) (*imgproc.Pipeline, error) {
	if pl.Style == "" {
		return pl, nil
	}
	doc, err := h.loadStyles(rc, bucket)
	if err != nil {
		return nil, err
	}
	s, ok := doc.get(pl.Style)
	if !ok {
		return nil, oss.E(rc.op.name, oss.NoSuchStyle, "")
	}
	out, err := pl.WithStyle(s.Content)
	if err != nil {
		return nil, imageError(rc.op.name, err)
	}
	return out, nil
}

// styleShorthand serves "<key><delimiter><style>" for a key that does not
// exist (orig is that NoSuchKey): trying the delimiters of the key from
// the last one leftwards, the first split whose right part names a style
// of the bucket is served as <key>?x-oss-process=style/<style>, after
// authorizing the read of <key> itself. When no split names a style, or
// the object before the delimiter does not exist either, the answer is the
// original NoSuchKey.
func (h *Handler) styleShorthand(w http.ResponseWriter, r *http.Request, rc *reqCtx, orig error) error {
	key, delims := rc.key(), h.img.delims
	if !strings.ContainsAny(key, delims) {
		return orig
	}
	doc, err := h.loadStyles(rc, rc.bucket())
	if err != nil {
		return err
	}
	if len(doc.Styles) == 0 {
		return orig
	}
	for i := len(key) - 2; i > 0; i-- {
		if strings.IndexByte(delims, key[i]) < 0 {
			continue
		}
		name := key[i+1:]
		s, ok := doc.get(name)
		if !ok {
			continue
		}
		base := key[:i]
		if err := h.authorizeVersion(rc, opReadSource, rc.bucket(), base, rc.query.Get("versionId")); err != nil {
			return err
		}
		pl, err := parseProcess(rc.op.name, "style/"+name)
		if err != nil {
			return err
		}
		if pl, err = pl.WithStyle(s.Content); err != nil {
			return imageError(rc.op.name, err)
		}
		err = h.serveImage(w, r, rc, base, pl)
		if oss.IsCode(err, oss.NoSuchKey) {
			return orig
		}
		return err
	}
	return orig
}
