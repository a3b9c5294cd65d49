package client

import (
	"context"
	"io"
	"net/http"
	"net/url"
)

// TailOptions selects the events TailEvents streams.
type TailOptions struct {
	// Bucket selects one bucket; "" all.
	Bucket string
	// Prefix and Suffix filter object keys.
	Prefix, Suffix string
	// Events are event-name patterns such as "ObjectCreated:*"; none
	// selects all.
	Events []string
	// Since is where to start: "" for new events only, "0" to replay every
	// retained event first, a stream sequence, or an RFC 3339 time.
	Since string
}

// TailEvents streams the server's events as JSON lines, one OSS event
// notification ({"events":[record]}) per line, until ctx ends or the body
// is closed. It needs the root account's credentials.
func (c *Client) TailEvents(ctx context.Context, opts *TailOptions) (io.ReadCloser, error) {
	if opts == nil {
		opts = &TailOptions{}
	}
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("bucket", opts.Bucket)
	set("prefix", opts.Prefix)
	set("suffix", opts.Suffix)
	set("since", opts.Since)
	for _, e := range opts.Events {
		q.Add("event", e)
	}
	// Management endpoints live under "/-/" and sign as bucket "-".
	resp, err := c.do(ctx, &request{method: http.MethodGet, bucket: "-", key: "events/tail", query: q})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
