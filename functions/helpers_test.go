package functions_test

import (
	"encoding/json"

	"github.com/ossflow/ossflow/functions/fnapi"
)

func decodeRecord(b []byte) (fnapi.Record, error) {
	var r fnapi.Record
	err := json.Unmarshal(b, &r)
	return r, err
}
