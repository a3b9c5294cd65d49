package functions

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ossflow/ossflow/functions/fnapi"
)

// appendRecord agrees with encoding/json.
func TestAppendRecordMatchesJSON(t *testing.T) {
	recs := []fnapi.Record{
		{Type: fnapi.RecordLog, Time: time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC), Function: "f", Version: 3, EventID: "abc", Level: "info", Message: "hello \"world\" <&> \n\t é \xff"},
		{Type: fnapi.RecordInvocation, Time: time.Now().UTC(), Function: "g", InvocationID: "x1", Trigger: "http", DurationMillis: 1.25, Cold: true, Result: "error", ErrorKind: "Trap", Error: "boom"},
		{Type: fnapi.RecordSkipped, Function: "h", Bucket: "b", Key: "k/\u2028", Delivery: 2, EventName: "ObjectCreated:PutObject"},
	}
	for _, r := range recs {
		got, err := appendRecord(nil, &r)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(&r)
		if string(got) != string(want) {
			t.Errorf("appendRecord:\n got %s\nwant %s", got, want)
		}
	}
}
