package mocks

import (
	"net/http"
)

// Fault decides, after authentication and validation, whether an injected
// failure answers a request instead of its handler. It gets the request's
// API (so an error it returns is written in the vendor's shape, as the
// vendor would fail) and the operationId. It returns handled when it wrote
// the answer itself (an empty or truncated body, a dropped connection), or
// an error for the pipeline to write; with neither, the request goes on,
// perhaps after a delay the fault spent, or with its answer changed on the
// way out (WrapResponse). A fault that acted names its rule with MarkFault,
// for the journal.
type Fault interface {
	Apply(w http.ResponseWriter, r *http.Request, api *API, operationID string) (handled bool, err error)
}

// MarkFault records in the request's journal entry that fault rule id
// acted on it. answered is false when no HTTP answer was sent at all (a
// reset connection, a hang the client gave up on): the entry's status is
// then 0.
func MarkFault(r *http.Request, id string, answered bool) {
	ri := info(r.Context())
	ri.fault = id
	ri.noAnswer = !answered
}

// WrapResponse makes the rest of the request (its handler, or the error the
// pipeline writes) write through wrap(w), so that a Fault may change the
// answer on its way out (cut or garble its body). If the wrapper has a
// Finish method, it is called once the request is served.
func WrapResponse(r *http.Request, wrap func(http.ResponseWriter) http.ResponseWriter) {
	info(r.Context()).wrap = wrap
}

// applyFault runs the server's Fault, if any.
func applyFault(c *call) error {
	f := c.srv.opts.Fault
	if f == nil {
		return nil
	}
	handled, err := f.Apply(c.w, c.r, c.op.api, c.op.id)
	if w := c.ri.wrap; w != nil {
		c.ri.wrap = nil
		c.w = w(c.w)
	}
	if err != nil {
		return err
	}
	c.done = handled
	return nil
}
