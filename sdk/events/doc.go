// Package events is the Go consumer side of ossflow's event stream: the
// wire format (subjects and headers) and a small helper that runs a handler
// on a durable JetStream pull consumer.
//
// ossflow publishes every committed write, in commit order, as one message
// on the JetStream stream [DefaultStream]. The subject is
//
//	<prefix>.<bucket>.<EventType>.<Action>     e.g. ossflow.events.photos.ObjectCreated.PutObject
//
// so a consumer filters by bucket and event name with subject wildcards
// ([FilterSubjects] builds them from OSS-style patterns such as
// "ObjectCreated:*"). Object keys are not subject-safe; filter them by
// prefix and suffix with [KeyFilter], which reads [HeaderKey].
//
// The body is the OSS event notification JSON, {"events":[record]}, with
// exactly one record ([oss.EventRecord]). Headers carry the event id
// (also the JetStream de-duplication id), bucket, key, event name, the
// global commit-order sequence and the per-bucket sequence: see the
// Header* constants.
//
// Delivery to a durable consumer is at-least-once (a handler failure or a
// crash before the acknowledgement redelivers); the stream itself holds
// each event exactly once. A handler that must act once keys on
// [Event.ID].
//
// This package depends only on the NATS client, never on the server, so
// it is cheap to import in user programs.
package events
