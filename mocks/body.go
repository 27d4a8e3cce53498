package mocks

import (
	"bytes"
	"crypto/sha256"
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
		body, err := readAll(c.w, r, limit)
		// Read to its end and closed, the body needs nothing more from
		// net/http after the handler (it would copy what is left to
		// io.Discard).
		r.Body.Close()
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

// readAll reads r's body, up to limit bytes. A body of a declared length
// within the limit is read into one buffer of its size.
func readAll(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	var rd io.Reader = r.Body
	if n := r.ContentLength; n > 0 && n <= limit {
		// One byte more than declared, to see the end.
		buf := make([]byte, n+1)
		m, err := io.ReadFull(r.Body, buf)
		switch {
		case int64(m) == n && (err == io.EOF || err == io.ErrUnexpectedEOF):
			return buf[:m], nil
		case err != nil:
			return nil, err
		}
		// Longer than declared (net/http never gives such a body): read on,
		// within the limit.
		rd = io.MultiReader(bytes.NewReader(buf), r.Body)
	}
	return io.ReadAll(http.MaxBytesReader(w, io.NopCloser(rd), limit))
}

// resetBody gives r a fresh reader of the body that was read.
func resetBody(r *http.Request, ri *requestInfo) { setBody(r, ri, ri.body) }

// setBody gives r a reader of b: the request's one bodyReader, rewound
// (stages read the body several times, and a reader each time was an
// allocation each).
func setBody(r *http.Request, ri *requestInfo, b []byte) {
	if ri.reader == nil {
		ri.reader = new(bodyReader)
	}
	ri.reader.Reset(b)
	r.Body = ri.reader
}

// bodyReader reads a body that was read whole.
type bodyReader struct{ bytes.Reader }

// Close implements io.ReadCloser.
func (*bodyReader) Close() error { return nil }

// bodySum returns the SHA-256 of the request body, computed once (the
// validation memo and the read cache both key on it), or zero for no body.
func (ri *requestInfo) bodySum() [sha256.Size]byte {
	if !ri.summed && len(ri.body) > 0 {
		ri.sum, ri.summed = sha256.Sum256(ri.body), true
	}
	return ri.sum
}
