package broker

import "github.com/ossflow/ossflow/oss"

// appendPayload appends the message body of an event, {"events":[r]}, byte
// for byte as encoding/json writes it (see [oss.AppendEventPayload]; the
// engine renders it once at commit and the relay normally publishes the
// stored bytes). TestAppendPayloadMatchesJSON guards the identity.
func appendPayload(b []byte, r *oss.EventRecord) []byte { return oss.AppendEventPayload(b, r) }
