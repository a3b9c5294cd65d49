// Package servertest starts a real ossflow server on a random loopback port
// for tests of any package:
//
//	ts := servertest.Start(t)
//	c, _ := client.New(ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret)
//
// The server is shut down, and its data directory removed, when the test
// ends. CheckFor polls a condition instead of sleeping.
package servertest
