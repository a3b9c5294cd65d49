package fn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	goruntime "runtime"

	"github.com/ossflow/ossflow/runtime/abi"
)

// registry holds the handlers. It is the SDK's one package-level variable:
// the module's exported entry point has no other way to find them.
type registry struct {
	generic func(Context, []byte) ([]byte, error)
	event   func(Context, EventRecord) error
	http    func(Context, *HTTPRequest) (*HTTPResponse, error)
}

var handlers registry

// Handle registers h for any input. With HandleEvent or HandleHTTP also
// registered, h gets only the inputs those do not take. Call it from an
// init function: a reactor module never runs main.
func Handle(h func(ctx Context, input []byte) ([]byte, error)) { handlers.generic = h }

// HandleEvent registers h for event invocations: the input is an OSS event
// notification ({"events":[...]}) and h is called once per record, in
// order; the first error fails the invocation. Call it from init.
func HandleEvent(h func(ctx Context, ev EventRecord) error) { handlers.event = h }

// HandleHTTP registers h for HTTP invocations: the input is an
// HTTPRequest document and the output h's HTTPResponse. Call it from init.
// (Package fnhttp adapts a net/http Handler.)
func HandleHTTP(h func(ctx Context, req *HTTPRequest) (*HTTPResponse, error)) {
	handlers.http = h
}

// serve runs one invocation: read the input, dispatch, write the output.
func serve(inputLen int32) (status int32) {
	input := make([]byte, max(inputLen, 0))
	for off := 0; off < len(input); {
		n := hostInputRead(bytesPtr(input[off:]), uint32(len(input)-off))
		if n < 0 {
			return failWith(hostError(n))
		}
		if n == 0 {
			input = input[:off]
			break
		}
		off += int(n)
	}
	out, err := dispatch(Context{Context: context.Background()}, input)
	if err != nil {
		return failWith(err)
	}
	if len(out) > 0 {
		if n := hostOutputWrite(bytesPtr(out), uint32(len(out))); n < 0 {
			return failWith(hostError(n))
		}
	}
	return 0
}

// failWith reports err as the invocation's failure. A failure caused by a
// denied host call returns the Denied status, so the host classifies the
// invocation as denied.
func failWith(err error) int32 {
	msg := err.Error()
	_ = hostFail(strPtr(msg), uint32(len(msg)))
	return failStatus(err)
}

func failStatus(err error) int32 {
	if errors.Is(err, ErrDenied) {
		return int32(abi.Denied)
	}
	return int32(abi.Internal)
}

// dispatch routes input to the registered handler. A panic becomes the
// invocation's error rather than killing the instance.
func dispatch(ctx Context, input []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			stack := make([]byte, 2048)
			stack = stack[:goruntime.Stack(stack, false)]
			err = fmt.Errorf("panic: %v\n%s", r, stack)
		}
	}()
	h := handlers
	if h.event != nil || h.http != nil {
		if t := bytes.TrimLeft(input, " \t\r\n"); len(t) > 0 && t[0] == '{' {
			var probe struct {
				Events json.RawMessage `json:"events"`
				Method string          `json:"method"`
			}
			if json.Unmarshal(t, &probe) == nil {
				switch {
				case h.event != nil && probe.Events != nil:
					return nil, dispatchEvents(ctx, h.event, input)
				case h.http != nil && probe.Method != "":
					return dispatchHTTP(ctx, h.http, input)
				}
			}
		}
	}
	if h.generic != nil {
		return h.generic(ctx, input)
	}
	return nil, errors.New("fn: no handler registered for this input (register one with fn.Handle, fn.HandleEvent or fn.HandleHTTP from an init function)")
}

func dispatchEvents(ctx Context, h func(Context, EventRecord) error, input []byte) error {
	var env EventEnvelope
	if err := json.Unmarshal(input, &env); err != nil {
		return fmt.Errorf("fn: decode event notification: %w", err)
	}
	for _, rec := range env.Events {
		if err := h(ctx, rec); err != nil {
			return err
		}
	}
	return nil
}

func dispatchHTTP(ctx Context, h func(Context, *HTTPRequest) (*HTTPResponse, error), input []byte) ([]byte, error) {
	var req HTTPRequest
	if err := json.Unmarshal(input, &req); err != nil {
		return nil, fmt.Errorf("fn: decode HTTP request: %w", err)
	}
	resp, err := h(ctx, &req)
	if err != nil {
		return nil, err
	}
	if resp == nil {
		resp = &HTTPResponse{Status: 204}
	}
	if resp.Status == 0 {
		resp.Status = 200
	}
	return json.Marshal(resp)
}
