// Package e2e holds end-to-end tests of access control against a real
// ossflow server (server/servertest) with the official SDKs: sub-users and
// their policies, STS sessions, ACLs, bucket policies, public access
// blocks, hotlink protection, CORS, PostObject and presigned URLs. The
// browser test (build tag "browser") drives headless Chromium through a
// cross-origin PostObject upload.
package e2e
