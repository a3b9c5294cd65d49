package fn

// The OSS event notification, as the store records it (package oss's
// EventEnvelope and EventRecord, same JSON). The SDK declares its own
// copy instead of importing package oss because oss pulls in net/http,
// which would add about 2 MB and its initialization to every guest; a
// host-side test keeps both in step.

// EventEnvelope is the body of an event invocation.
type EventEnvelope struct {
	Events []EventRecord `json:"events"`
}

// EventRecord is one event.
type EventRecord struct {
	EventName         string            `json:"eventName"` // e.g. "ObjectCreated:PutObject"
	EventSource       string            `json:"eventSource"`
	EventTime         string            `json:"eventTime"`
	EventVersion      string            `json:"eventVersion"`
	EventID           string            `json:"eventId"`
	OSS               EventOSS          `json:"oss"`
	Region            string            `json:"region"`
	RequestParameters EventRequestParam `json:"requestParameters"`
	ResponseElements  EventResponse     `json:"responseElements"`
	UserIdentity      EventUser         `json:"userIdentity"`
}

// EventOSS is the "oss" member of an event record.
type EventOSS struct {
	Bucket           EventBucket `json:"bucket"`
	Object           EventObject `json:"object"`
	OSSSchemaVersion string      `json:"ossSchemaVersion"`
	RuleID           string      `json:"ruleId"`
}

// EventBucket is the bucket of an event.
type EventBucket struct {
	ARN           string `json:"arn"`
	Name          string `json:"name"`
	OwnerIdentity string `json:"ownerIdentity"`
	VirtualBucket string `json:"virtualBucket"`
}

// EventObject is the object of an event.
type EventObject struct {
	DeltaSize int64  `json:"deltaSize"`
	ETag      string `json:"eTag"`
	Key       string `json:"key"`
	Size      int64  `json:"size"`
	VersionID string `json:"versionId,omitempty"`
	Position  *int64 `json:"position,omitempty"`
	Sequencer string `json:"sequencer"`
}

// EventRequestParam is the requestParameters member.
type EventRequestParam struct {
	SourceIPAddress string `json:"sourceIPAddress"`
}

// EventResponse is the responseElements member.
type EventResponse struct {
	RequestID string `json:"requestId"`
}

// EventUser is the userIdentity member.
type EventUser struct {
	PrincipalID string `json:"principalId"`
}

// Bucket is the event's bucket name.
func (r EventRecord) Bucket() string { return r.OSS.Bucket.Name }

// Key is the event's object key.
func (r EventRecord) Key() string { return r.OSS.Object.Key }

// Created reports whether the event is an ObjectCreated:* event.
func (r EventRecord) Created() bool { return hasPrefix(r.EventName, "ObjectCreated:") }

// Removed reports whether the event is an ObjectRemoved:* event.
func (r EventRecord) Removed() bool { return hasPrefix(r.EventName, "ObjectRemoved:") }

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
