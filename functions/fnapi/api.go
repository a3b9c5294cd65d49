package fnapi

import "time"

// FunctionInfo describes a deployed function: its current version and
// that version's manifest.
type FunctionInfo struct {
	Name     string    `json:"name"`
	Version  int       `json:"version"`
	Manifest Manifest  `json:"manifest"`
	Deployed time.Time `json:"deployed"`
	// SHA256 and Size describe the module (hex digest, bytes).
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Grants are the effective grants (defaults applied).
	Grants Grants `json:"grants"`
}

// VersionInfo describes one version of a function.
type VersionInfo struct {
	Version  int       `json:"version"`
	Deployed time.Time `json:"deployed"`
	SHA256   string    `json:"sha256"`
	Size     int64     `json:"size"`
	Current  bool      `json:"current"`
}

// DeployResult is the answer to a deploy or a rollback.
type DeployResult struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
	// Previous is the version that was current before (0 for none).
	Previous int `json:"previous"`
	// ReadyMillis is how long the deploy took from the request to the
	// function being ready on this server (compiled, consumers in place).
	ReadyMillis float64 `json:"readyMillis"`
}

// DLQEntry is one event that exhausted its deliveries.
type DLQEntry struct {
	// Seq is the entry's sequence in the dead-letter stream.
	Seq       uint64    `json:"seq"`
	Function  string    `json:"function"`
	EventID   string    `json:"eventId"`
	EventName string    `json:"eventName"`
	Bucket    string    `json:"bucket"`
	Key       string    `json:"key"`
	Version   int       `json:"version"`
	Delivered int       `json:"delivered"`
	ErrorKind string    `json:"errorKind"`
	Error     string    `json:"error"`
	Time      time.Time `json:"time"`
}

// ReplayResult is the outcome of replaying dead letters.
type ReplayResult struct {
	Replayed int             `json:"replayed"`
	Failed   int             `json:"failed"`
	Results  []ReplayOutcome `json:"results"`
}

// ReplayOutcome is the outcome of replaying one dead letter. A replayed
// entry that succeeds is removed from the dead-letter stream.
type ReplayOutcome struct {
	EventID   string `json:"eventId"`
	Seq       uint64 `json:"seq"`
	OK        bool   `json:"ok"`
	ErrorKind string `json:"errorKind,omitempty"`
	Error     string `json:"error,omitempty"`
}

// Record types.
const (
	// RecordLog is a line the guest logged.
	RecordLog = "log"
	// RecordInvocation is the outcome of one invocation.
	RecordInvocation = "invocation"
	// RecordSkipped is an event a trigger selected but the loop guard
	// kept from running the function.
	RecordSkipped = "skipped"
	// RecordDeadLetter is an event moved to the dead-letter stream.
	RecordDeadLetter = "dead-letter"
)

// Record is one line of a function's log stream: a guest log line, an
// invocation record, a loop-guard skip or a dead letter. The records of
// one event id form its trail.
type Record struct {
	Type     string    `json:"type"`
	Time     time.Time `json:"time"`
	Function string    `json:"function"`
	Version  int       `json:"version,omitempty"`
	// EventID is the triggering event's id ("" for HTTP and subject
	// invocations, whose records carry an InvocationID only).
	EventID      string `json:"eventId,omitempty"`
	InvocationID string `json:"invocationId,omitempty"`
	// Trigger says what ran the function: "event:<bucket> <patterns>
	// <prefix>*<suffix>", "http", "subject:<subject>", "replay".
	Trigger   string `json:"trigger,omitempty"`
	EventName string `json:"eventName,omitempty"`
	Bucket    string `json:"bucket,omitempty"`
	Key       string `json:"key,omitempty"`
	Delivery  int    `json:"delivery,omitempty"`

	// Log lines.
	Level   string `json:"level,omitempty"`
	Message string `json:"message,omitempty"`

	// Invocation records.
	DurationMillis float64 `json:"durationMillis,omitempty"`
	Cold           bool    `json:"cold,omitempty"`
	// Result is "ok" or "error" (invocations), or the reason of a skip.
	Result    string `json:"result,omitempty"`
	ErrorKind string `json:"errorKind,omitempty"`
	Error     string `json:"error,omitempty"`
}
