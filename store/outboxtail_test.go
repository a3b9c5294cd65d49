package store

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/ossflow/ossflow/oss"
)

func TestOutboxTail(t *testing.T) {
	val := func(seq uint64) []byte { return []byte(fmt.Sprintf("v%d", seq)) }
	tests := []struct {
		name       string
		entries    int
		maxBytes   int
		add        []uint64 // Seqs added in this order
		from, upto uint64
		max        int
		want       []uint64 // Seqs read; nil with ok false
		ok         bool
	}{
		{"empty", 4, 1 << 10, nil, 1, 10, 10, nil, false},
		{"all", 4, 1 << 10, []uint64{1, 2, 3}, 1, 3, 10, []uint64{1, 2, 3}, true},
		{"bounded by upto", 4, 1 << 10, []uint64{1, 2, 3}, 2, 2, 10, []uint64{2}, true},
		{"bounded by max", 4, 1 << 10, []uint64{1, 2, 3}, 1, 3, 2, []uint64{1, 2}, true},
		{"upto past the newest", 4, 1 << 10, []uint64{5, 6}, 5, 99, 10, []uint64{5, 6}, true},
		{"evicted by count", 3, 1 << 10, []uint64{1, 2, 3, 4, 5}, 2, 5, 10, nil, false},
		{"kept after eviction", 3, 1 << 10, []uint64{1, 2, 3, 4, 5}, 3, 5, 10, []uint64{3, 4, 5}, true},
		{"evicted by bytes", 8, 2 * len(val(1)), []uint64{1, 2, 3}, 1, 3, 10, nil, false},
		{"bytes keep the newest", 8, 2 * len(val(1)), []uint64{1, 2, 3}, 2, 3, 10, []uint64{2, 3}, true},
		{"wraps around", 3, 1 << 10, []uint64{1, 2, 3, 4, 5, 6, 7}, 5, 7, 10, []uint64{5, 6, 7}, true},
		{"from beyond the newest", 4, 1 << 10, []uint64{1, 2}, 3, 3, 10, nil, false},
		{"a gap restarts", 4, 1 << 10, []uint64{1, 2, 4}, 1, 4, 10, nil, false},
		{"after a gap", 4, 1 << 10, []uint64{1, 2, 4, 5}, 4, 5, 10, []uint64{4, 5}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tail := newOutboxTail(tc.entries, tc.maxBytes)
			for _, seq := range tc.add {
				v := val(seq)
				tail.add(seq, v[:len(v):len(v)])
			}
			got, ok := tail.read(nil, tc.from, tc.upto, tc.max)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			var want [][]byte
			for _, seq := range tc.want {
				want = append(want, val(seq))
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("read %q, want %q", got, want)
			}
		})
	}
}

// TestOutboxReadRawFromTailAndPebble: events still in the in-memory tail
// and events evicted from it (read through pebble) come out the same, and
// the same as OutboxRead's.
func TestOutboxReadRawFromTailAndPebble(t *testing.T) {
	e := newEnv(t, Options{})
	s := e.s
	s.tail = newOutboxTail(8, 1<<20) // the newest 8 events only
	e.bucket("bkt")
	for i := range 20 {
		if _, err := s.PutObject(bg, oss.PutObjectInput{Bucket: "bkt", Key: fmt.Sprintf("k%d", i), Size: 2}, strings.NewReader("hi")); err != nil {
			t.Fatal(err)
		}
	}
	want, err := s.OutboxRead(bg, 0, 100)
	if err != nil || len(want) != 21 { // bucket created + 20 puts
		t.Fatalf("OutboxRead: %d events, %v", len(want), err)
	}
	if _, ok := s.tail.read(nil, 1, 21, 100); ok {
		t.Fatal("the tail still holds Seq 1")
	}
	if _, ok := s.tail.read(nil, 14, 21, 100); !ok {
		t.Fatal("the tail lost Seq 14")
	}
	for _, after := range []uint64{0, 5, 12, 13, 17, 20} {
		var got []oss.Event
		err := s.OutboxReadRaw(bg, after, 100, func(ev *oss.Event) error {
			c := *ev
			body, err := ev.Payload()
			if err != nil {
				return err
			}
			c.RawPayload = append([]byte(nil), body...)
			got = append(got, c)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want)-int(after) {
			t.Fatalf("after %d: %d events, want %d", after, len(got), len(want)-int(after))
		}
		for i, g := range got {
			w := want[int(after)+i]
			wbody, _ := w.Payload()
			if string(g.RawPayload) != string(wbody) {
				t.Fatalf("after %d, event %d: body\n got %s\nwant %s", after, g.Seq, g.RawPayload, wbody)
			}
			g.Record, g.RawPayload, w.Record = oss.EventRecord{}, nil, oss.EventRecord{}
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("after %d: event\n got %+v\nwant %+v", after, g, w)
			}
		}
	}
}
