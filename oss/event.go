package oss

import (
	"encoding/json"
	"time"
)

// EventName is an OSS event name without the "oss:" prefix, e.g.
// "ObjectCreated:PutObject".
type EventName string

// Event names recorded by the engine.
const (
	ObjectCreatedPut               EventName = "ObjectCreated:PutObject"
	ObjectCreatedPost              EventName = "ObjectCreated:PostObject"
	ObjectCreatedCopy              EventName = "ObjectCreated:CopyObject"
	ObjectCreatedAppend            EventName = "ObjectCreated:AppendObject"
	ObjectCreatedCompleteMultipart EventName = "ObjectCreated:CompleteMultipartUpload"
	ObjectCreatedPutSymlink        EventName = "ObjectCreated:PutSymlink"
	ObjectCreatedInitiateMultipart EventName = "ObjectCreated:InitiateMultipartUpload"
	ObjectCreatedUploadPart        EventName = "ObjectCreated:UploadPart"
	ObjectCreatedUploadPartCopy    EventName = "ObjectCreated:UploadPartCopy"
	ObjectRemovedDelete            EventName = "ObjectRemoved:DeleteObject"
	ObjectRemovedDeleteObjects     EventName = "ObjectRemoved:DeleteObjects"
	ObjectRemovedAbortMultipart    EventName = "ObjectRemoved:AbortMultipartUpload"
	ObjectModifiedMeta             EventName = "ObjectModified:UpdateObjectMeta"
	ObjectModifiedTagging          EventName = "ObjectModified:PutObjectTagging"
	ObjectModifiedDeleteTagging    EventName = "ObjectModified:DeleteObjectTagging"
	ObjectModifiedACL              EventName = "ObjectModified:PutObjectACL"
	BucketCreated                  EventName = "BucketCreated:PutBucket"
	BucketRemoved                  EventName = "BucketRemoved:DeleteBucket"
)

// RequestInfo is who asked for a mutation; it is recorded in the mutation's
// event. Carry it in the context with [WithRequestInfo].
type RequestInfo struct {
	RequestID   string
	SourceIP    string
	PrincipalID string
	// Origin marks writes made by ossflow itself on behalf of something
	// (e.g. "lifecycle", "function:<name>"), for loop guards and audits.
	Origin string
}

// Event is one committed mutation, as recorded in the engine's outbox in the
// same atomic commit as the mutation itself.
type Event struct {
	// Seq is the outbox position: global, dense, in commit order.
	Seq uint64
	// ID is unique per event (use as Nats-Msg-Id for de-duplication).
	ID string
	// BucketSeq is the per-bucket sequence, starting at 1.
	BucketSeq uint64
	Name      EventName
	Bucket    string
	Key       string
	VersionID string
	Time      time.Time
	// Origin is RequestInfo.Origin of the write ("" for client requests;
	// "lifecycle", "function:<name>", ...): consumers use it as a loop guard.
	Origin string `json:",omitempty"`
	// Record is the OSS event notification record (spec section 10).
	Record EventRecord
	// RawPayload, when set, is the message body already rendered
	// ({"events":[record]}, as Payload would write it from Record). A
	// reader that skips decoding the record (the engine's raw outbox read)
	// sets it and leaves Record unfilled but for OSS.Bucket.ARN.
	RawPayload []byte `json:"-"`
}

// Payload is the message body published for e: {"events":[record]}. It is
// RawPayload when that is set.
func (e Event) Payload() ([]byte, error) {
	if e.RawPayload != nil {
		return e.RawPayload, nil
	}
	return json.Marshal(EventEnvelope{Events: []EventRecord{e.Record}})
}

// EventEnvelope is the OSS event notification body.
type EventEnvelope struct {
	Events []EventRecord `json:"events"`
}

// EventRecord is one event of the OSS notification JSON.
type EventRecord struct {
	EventName         string            `json:"eventName"`
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

// EventObject is the object of an event. Sequencer is the per-bucket
// sequence as 16 hex digits, comparable as a string (as S3's sequencer).
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
