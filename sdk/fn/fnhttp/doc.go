// Package fnhttp connects ossflow Go guests to net/http: Transport is an
// http.RoundTripper over the host's HTTP call (the host enforces the
// function's allow-list, its body limit and the private-address guard),
// and Handle serves HTTP invocations with an http.Handler.
//
//	resp, err := fnhttp.Transport{}.RoundTrip(req) // about 6 MB of guest
//	resp, err := fnhttp.NewClient().Do(req)        // about 11 MB: http.Client links the default transport
//
// It is separate from package fn because net/http adds megabytes to a
// guest; functions that do not speak HTTP need not carry it.
package fnhttp
