// Package broker is ossflow's event plane: it runs (or connects to) NATS
// JetStream and publishes every committed write, in commit order, exactly
// once, as one message on the events stream.
//
// # What the composition root does
//
//	st, _ := store.Open(ctx, dir+"/data", store.Options{OutboxLimit: 1_000_000})
//	b, err := broker.Start(ctx, broker.Config{
//		DataDir:     dir + "/nats",      // embedded server's JetStream store
//		Outbox:      st,                 // starts the relay
//		OutboxStats: func() broker.OutboxStats { s := st.OutboxStats(); return broker.OutboxStats{Depth: s.Depth, OldestTime: s.OldestTime, LastSeq: s.LastSeq} },
//		OutboxLimit: 1_000_000,
//		Logger:      logger,
//	})
//	b.Register(m.Registry())         // m is the *monitor.Metrics: ossflow_events_* collectors
//	...                              // b.JetStream() for functions, TailJSON for the CLI
//	b.Close()                        // before st.Close()
//
// # Servers
//
// By default an embedded nats-server with JetStream (file storage under
// Config.DataDir) runs in the process; ossflow connects to it in-process
// (no TCP), and it listens on a loopback port (random unless Config.Port
// is set; -1 for none) so other processes can consume. With Config.URLs
// the broker instead connects to external servers or a cluster
// (credentials file, user and password, token, TLS) and the stream can be
// replicated (Config.Replicas, 3 on a cluster).
//
// # Subjects, payload, headers
//
// The stream (default "OSSFLOW_EVENTS") captures "<prefix>.>", prefix
// "ossflow.events" by default. Each event is published on
//
//	<prefix>.<bucket>.<EventType>.<Action>
//	ossflow.events.photos.ObjectCreated.PutObject
//	ossflow.events.photos.ObjectRemoved.DeleteObject
//	ossflow.events.photos.BucketCreated.PutBucket
//
// so consumers select a bucket and event names with subject wildcards:
// "ossflow.events.photos.>" (a bucket), "ossflow.events.*.ObjectCreated.*"
// (every creation), "ossflow.events.*.*.DeleteObject". Bucket names are
// subject-safe ([a-z0-9-]); object keys are not, so they are not in the
// subject: key prefix/suffix filters run in the consumer, on the
// Ossflow-Key header (events.KeyFilter, [TailOptions]).
//
// The body is the OSS event notification JSON with exactly one record,
// {"events":[record]} (see oss.EventRecord). Headers:
//
//	Nats-Msg-Id          event ID (also JetStream's de-duplication ID)
//	Ossflow-Bucket       bucket
//	Ossflow-Key          object key, percent-encoding only '%', control characters and edge blanks
//	Ossflow-Event-Name   e.g. ObjectCreated:PutObject
//	Ossflow-Seq          global outbox position (dense, commit order)
//	Ossflow-Version-Id   version id, when versioned
//	Ossflow-Origin       what made the write when not a client ("lifecycle", "function:<name>")
//
// The per-bucket sequence is the record's "sequencer" (16 hex digits).
// With Config.CloudEvents the message is also a CloudEvents 1.0
// binary-mode event: ce-specversion, ce-id (event ID), ce-source (the
// bucket ARN), ce-type ("oss:" + name), ce-time, ce-subject (the key) and
// content-type. Package sdk/events holds these names and a consumer
// helper for user programs.
//
// # Guarantees
//
// The engine writes each event into its outbox in the same atomic commit
// as the mutation. The relay reads the outbox in Seq order and publishes
// asynchronously (Config.MaxInFlight in flight) with Nats-Msg-Id = event
// ID, chaining each message to its predecessor with
// Nats-Expected-Last-Msg-Id so that the stream can never hold the events
// out of order or with a gap; so a PubAck for one message covers every
// message before it, and only every 32nd message of a batch (and its
// last) asks for one. An outbox entry is removed only after its PubAck
// and a durability hold (see DESIGN.md, "Event plane"). Any error stops
// the batch; the relay backs off (exponentially, capped), re-reads the
// stream's last event and resumes after it (or, if the server lost an
// acknowledged tail, goes back to it and republishes from the outbox).
// Consequences:
//
//   - Every committed write has exactly one message in the stream, in
//     commit order (per key, per bucket and globally), across restarts of
//     ossflow, of NATS, and crashes of either.
//   - NATS down or slow never fails a write: the relay falls behind and
//     the outbox grows on disk, up to the engine's OutboxLimit, where the
//     engine fails writes with 503 SlowDown (so no committed write ever
//     lacks its event). The depth, its age, the relay lag and errors are
//     metrics, and the relay logs a warning while the outbox is over half
//     full; it drains by itself when NATS returns.
//   - Delivery to a consumer is at-least-once (redelivery after a failed
//     or missing ack); the stream itself holds no duplicate.
//
// One relay (one ossflow node) owns a stream: two relays publishing to the
// same stream would break each other's chain. Give each node its own
// Stream and SubjectPrefix.
//
// The package never logs except through Config.Logger (default: discard)
// and registers metrics only where [Broker.Register] is told.
package broker
