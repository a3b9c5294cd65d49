package fnapi

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestOverlap(t *testing.T) {
	created := []string{"ObjectCreated:*"}
	put := []string{"oss:ObjectCreated:PutObject"}
	removed := []string{"ObjectRemoved:*"}
	tests := []struct {
		name string
		a, b EventTrigger
		want bool
	}{
		{"identical", EventTrigger{created, "b1", "img/", ".jpg"}, EventTrigger{created, "b1", "img/", ".jpg"}, true},
		{"other bucket", EventTrigger{created, "b1", "img/", ""}, EventTrigger{created, "b2", "img/", ""}, false},
		{"wildcard vs specific event", EventTrigger{created, "b1", "", ""}, EventTrigger{put, "b1", "", ""}, true},
		{"disjoint event types", EventTrigger{created, "b1", "", ""}, EventTrigger{removed, "b1", "", ""}, false},
		{"action wildcard vs type wildcard", EventTrigger{[]string{"*:PutObject"}, "b1", "", ""}, EventTrigger{created, "b1", "", ""}, true},
		{"disjoint actions", EventTrigger{[]string{"ObjectCreated:PutObject"}, "b1", "", ""}, EventTrigger{[]string{"ObjectCreated:CopyObject"}, "b1", "", ""}, false},
		{"star alone", EventTrigger{[]string{"*"}, "b1", "", ""}, EventTrigger{removed, "b1", "", ""}, true},
		{"one of several patterns", EventTrigger{[]string{"ObjectRemoved:DeleteObject", "ObjectCreated:PutObject"}, "b1", "", ""}, EventTrigger{put, "b1", "", ""}, true},
		{"nested prefixes", EventTrigger{created, "b1", "img/", ""}, EventTrigger{created, "b1", "img/2024/", ""}, true},
		{"empty prefix covers all", EventTrigger{created, "b1", "", ".png"}, EventTrigger{created, "b1", "a/", ".png"}, true},
		{"diverging prefixes", EventTrigger{created, "b1", "a/", ""}, EventTrigger{created, "b1", "b/", ""}, false},
		{"prefix that is not a path prefix", EventTrigger{created, "b1", "img", ""}, EventTrigger{created, "b1", "image/", ""}, false},
		{"nested suffixes", EventTrigger{created, "b1", "", ".jpg"}, EventTrigger{created, "b1", "", "thumb.jpg"}, true},
		{"empty suffix compatible", EventTrigger{created, "b1", "x/", ""}, EventTrigger{created, "b1", "x/", ".zip"}, true},
		{"diverging suffixes", EventTrigger{created, "b1", "", ".jpg"}, EventTrigger{created, "b1", "", ".png"}, false},
		{"same prefix, diverging suffixes", EventTrigger{created, "b1", "img/", ".jpg"}, EventTrigger{created, "b1", "img/", ".png"}, false},
		{"diverging prefixes, same suffix", EventTrigger{created, "b1", "a/", ".jpg"}, EventTrigger{created, "b1", "b/", ".jpg"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Overlap(tt.a, tt.b); got != tt.want {
				t.Fatalf("Overlap(a, b) = %v, want %v", got, tt.want)
			}
			if got := Overlap(tt.b, tt.a); got != tt.want {
				t.Fatalf("Overlap(b, a) = %v, want %v (not symmetric)", got, tt.want)
			}
		})
	}
}

func TestCheckOverlap(t *testing.T) {
	a := Manifest{Name: "a", Triggers: Triggers{Events: []EventTrigger{{Events: []string{"ObjectCreated:*"}, Bucket: "bkt", Prefix: "img/"}}}}
	b := Manifest{Name: "b", Triggers: Triggers{Events: []EventTrigger{{Events: []string{"ObjectCreated:PutObject"}, Bucket: "bkt", Prefix: "img/x/"}}}}
	err := CheckOverlap(&b, []Manifest{a})
	if !errors.Is(err, ErrOverlap) {
		t.Fatalf("CheckOverlap = %v, want ErrOverlap", err)
	}
	if want := "Cannot specify overlapping prefix and suffix with same event type."; err.Error()[:len(want)] != want {
		t.Fatalf("message %q does not start with FC's", err)
	}
	// A redeploy of the same function replaces its own triggers.
	if err := CheckOverlap(&a, []Manifest{a}); err != nil {
		t.Fatalf("redeploy: %v", err)
	}
	// Two overlapping triggers in one manifest are refused too.
	a.Triggers.Events = append(a.Triggers.Events, b.Triggers.Events[0])
	if err := a.Validate(); !errors.Is(err, ErrOverlap) {
		t.Fatalf("Validate = %v, want ErrOverlap", err)
	}
}

func TestValidate(t *testing.T) {
	ok := Manifest{Name: "thumb", Triggers: Triggers{Events: []EventTrigger{{Events: []string{"ObjectCreated:*"}, Bucket: "photos"}}}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := map[string]func(m *Manifest){
		"name":            func(m *Manifest) { m.Name = "Bad.Name" },
		"no bucket":       func(m *Manifest) { m.Triggers.Events[0].Bucket = "" },
		"reserved bucket": func(m *Manifest) { m.Triggers.Events[0].Bucket = ReservedBucket },
		"no events":       func(m *Manifest) { m.Triggers.Events[0].Events = nil },
		"bad pattern":     func(m *Manifest) { m.Triggers.Events[0].Events = []string{"ObjectCreated"} },
		"bad subject":     func(m *Manifest) { m.Triggers.Subjects = []string{"a..b"} },
		"reserved subj":   func(m *Manifest) { m.Triggers.Subjects = []string{"ossflow.events.x"} },
		"negative limit":  func(m *Manifest) { m.Limits.Timeout = -1 },
		"ack wait":        func(m *Manifest) { m.Retry.AckWait = Duration(time.Millisecond) },
	}
	for name, mutate := range bad {
		m := ok
		m.Triggers.Events = []EventTrigger{ok.Triggers.Events[0]}
		mutate(&m)
		if err := m.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, m)
		}
	}
}

func TestManifestJSON(t *testing.T) {
	doc := `{"name":"z","triggers":{"events":[{"events":["oss:ObjectCreated:PutObject"],"bucket":"src","filter":{"key":{"prefix":"source/","suffix":".zip"}}}],"http":{"public":true}},
	  "limits":{"memory":"64MiB","timeout":"10s","concurrency":2,"maxInput":1048576},"retry":{"maxDeliver":3,"backoff":2}}`
	m, err := ParseManifest([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	tr := m.Triggers.Events[0]
	if tr.Prefix != "source/" || tr.Suffix != ".zip" || !m.Triggers.HTTP.Public {
		t.Fatalf("FC filter shape not read: %+v", m.Triggers)
	}
	if m.Limits.Memory != 64<<20 || time.Duration(m.Limits.Timeout) != 10*time.Second || m.Limits.MaxInput != 1<<20 || time.Duration(m.Retry.Backoff) != 2*time.Second {
		t.Fatalf("limits %+v retry %+v", m.Limits, m.Retry)
	}
	if _, err := ParseManifest([]byte(`{"name":"z","limts":{}}`)); err == nil {
		t.Fatal("an unknown field was accepted")
	}
	b, _ := json.Marshal(m)
	m2, err := ParseManifest(b)
	if err != nil || m2.Limits != m.Limits {
		t.Fatalf("round trip: %v %+v", err, m2.Limits)
	}
	g := m.EffectiveGrants()
	if len(g.Read) != 1 || g.Read[0] != "src" || g.Write[0] != "src" {
		t.Fatalf("default grants %+v", g)
	}
}

func TestRetryDelay(t *testing.T) {
	r := Retry{Backoff: Duration(time.Second), MaxBackoff: Duration(5 * time.Second)}
	for d, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 5 * time.Second, 10: 5 * time.Second} {
		if got := r.Delay(d); got != want {
			t.Errorf("Delay(%d) = %v, want %v", d, got, want)
		}
	}
	if r := (Retry{}).WithDefaults(); r.MaxDeliver != 5 {
		t.Fatalf("default MaxDeliver %d", r.MaxDeliver)
	}
}
