package mocks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// readBody reads the request body whole, refusing one over the body limit
// (413). Later stages read it through Body and Params; resetBody gives a
// stage that needs an io.Reader a fresh one.
func readBody(c *call) error {
	limit := c.srv.opts.MaxBodyBytes
	if c.op.api.MaxBodyBytes > 0 {
		limit = c.op.api.MaxBodyBytes
	}
	r := c.r
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(http.MaxBytesReader(c.w, r.Body, limit))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return &Error{Code: ETOOLARGE, Message: fmt.Sprintf("request body is larger than %d bytes", limit)}
			}
			return &Error{Code: EINVALID, Status: http.StatusBadRequest, Message: "request body could not be read"}
		}
		c.ri.body = body
	}
	resetBody(r, c.ri)
	return nil
}

// resetBody gives r a fresh reader of the body that was read.
func resetBody(r *http.Request, ri *requestInfo) {
	r.Body = io.NopCloser(bytes.NewReader(ri.body))
}
