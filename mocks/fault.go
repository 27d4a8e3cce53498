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
// perhaps after a delay the fault spent.
type Fault interface {
	Apply(w http.ResponseWriter, r *http.Request, api *API, operationID string) (handled bool, err error)
}

// applyFault runs the server's Fault, if any.
func applyFault(c *call) error {
	f := c.srv.opts.Fault
	if f == nil {
		return nil
	}
	handled, err := f.Apply(c.w, c.r, c.op.api, c.op.id)
	if err != nil {
		return err
	}
	c.done = handled
	return nil
}
