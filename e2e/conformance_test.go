package e2e

import (
	"strings"
	"testing"

	"github.com/ossflow/ossflow/server/servertest"
	"github.com/ossflow/ossflow/store/storetest"
)

// TestConformanceOSSv2 runs the engine's conformance suite (store/storetest)
// over HTTP: every sub-test gets a fresh server (event plane on) and drives
// it with alibabacloud-oss-go-sdk-v2 through ossv2Engine.
//
// Sub-tests are skipped, with their reason, in two ways: up front, from
// ossv2Skips, when the protocol cannot express what the sub-test checks;
// and by the adapter at the first engine-only call (ApplyLifecycle, the
// raw bucket configuration store), after the steps before it passed over
// HTTP.
func TestConformanceOSSv2(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server per sub-test")
	}
	t.Cleanup(func() {
		discrepancies.Lock()
		defer discrepancies.Unlock()
		for d, tests := range discrepancies.seen {
			t.Logf("known discrepancy met by %v: %s", tests, d)
		}
	})
	storetest.Run(t, func(t *testing.T) storetest.Engine {
		if reason, ok := ossv2Skips[subtest(t)]; ok && (!strict || !reason.strictRuns) {
			t.Skip(reason.why)
		}
		return newOSSv2Engine(t, servertest.Start(t))
	})
}

type skipReason struct {
	why        string
	strictRuns bool // OSSFLOW_E2E_STRICT=1 runs the sub-test anyway
}

// ossv2Skips are the sub-tests the OSS API cannot run, by name (group/test).
var ossv2Skips = map[string]skipReason{
	"outbox/RecordShape": {why: "checks the request identity an engine caller passes in the context (oss.WithRequestInfo); " +
		"over HTTP the server sets request id, source IP and principal itself"},
	"symlink/Follow": {strictRuns: true, why: "checks that a read through a symlink reports the link (Key and SymlinkTarget) and that " +
		"the link's own Content-Type is readable: a GET/HEAD through a link answers with the target's headers only " +
		"(x-oss-object-type is the target's) and GetSymlink's answer has no Content-Type, so neither is observable over the OSS API"},
}

// subtest is a sub-test's name below the top-level test.
func subtest(t *testing.T) string {
	_, name, _ := strings.Cut(t.Name(), "/")
	return name
}
