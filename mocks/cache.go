package mocks

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"strconv"
	"sync"
)

// readCache keeps answers of read operations per workspace, tagged with the
// store generation they were read at (see store.DB.Generation). An entry is
// used only while its workspace's generation is unchanged, so every write
// invalidates everything read before it.
type readCache struct {
	mu  sync.RWMutex
	m   map[cacheKey]cachedAnswer
	max int
}

type cachedAnswer struct {
	gen  uint64
	body []byte
	// contentType and length are the answer's header values, shared by
	// every answer from the cache (one-element slices of capacity 1: a
	// stage that adds a value appends to a copy).
	contentType, length []string
}

func newCachedAnswer(gen uint64, contentType string, body []byte) cachedAnswer {
	a := cachedAnswer{gen: gen, body: body, length: []string{strconv.Itoa(len(body))}}
	if contentType != "" {
		a.contentType = []string{contentType}
	}
	return a
}

// write sends a cached answer: writeBody's, with the header values made
// once.
func (a cachedAnswer) write(w http.ResponseWriter) {
	h := w.Header()
	if a.contentType != nil {
		h["Content-Type"] = a.contentType[:1:1]
	}
	h["Content-Length"] = a.length[:1:1]
	w.WriteHeader(http.StatusOK)
	if rec, ok := w.(*recorder); ok {
		// The cache holds the body: the journal keeps it by reference too.
		rec.keepShared(a.body)
		rec.ResponseWriter.Write(a.body)
		return
	}
	w.Write(a.body)
}

func newReadCache(max int) *readCache {
	return &readCache{m: make(map[cacheKey]cachedAnswer), max: max}
}

func (c *readCache) get(key cacheKey, gen uint64) (cachedAnswer, bool) {
	c.mu.RLock()
	a, ok := c.m[key]
	c.mu.RUnlock()
	return a, ok && a.gen == gen
}

func (c *readCache) put(key cacheKey, a cachedAnswer) {
	c.mu.Lock()
	if len(c.m) >= c.max {
		// Crude but bounded: start over rather than track recency.
		c.m = make(map[cacheKey]cachedAnswer, c.max)
	}
	c.m[key] = a
	c.mu.Unlock()
}

// captureWriter holds a handler's answer so that it can be cached.
type captureWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (cw *captureWriter) Header() http.Header { return cw.header }
func (cw *captureWriter) WriteHeader(code int) {
	if cw.status == 0 {
		cw.status = code
	}
}
func (cw *captureWriter) Write(b []byte) (int, error) {
	if cw.status == 0 {
		cw.status = http.StatusOK
	}
	return cw.body.Write(b)
}

// cacheKey names one answer of one workspace: the same operation, method,
// path, query and body (a read may be a POST with its parameters in the
// body, as Zipwhip's lists are). A struct rather than a string, so that a
// lookup allocates nothing.
type cacheKey struct {
	workspace, op, method, path, query string
	body                               [sha256.Size]byte
}

func newCacheKey(r *http.Request, op string) cacheKey {
	ri := info(r.Context())
	return cacheKey{workspace: ri.workspace, op: op, method: r.Method, path: r.URL.EscapedPath(), query: r.URL.RawQuery, body: ri.bodySum()}
}

// cached serves h's 200 answers from the cache while the workspace's data
// is unchanged.
func (s *Server) cached(op string, h Handler) Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		gen := s.opts.Generation(Workspace(r.Context()))
		key := newCacheKey(r, op)
		if a, ok := s.cache.get(key, gen); ok {
			a.write(w)
			return nil
		}
		cw := &captureWriter{header: w.Header()}
		if err := h(cw, r); err != nil {
			return err
		}
		if cw.status == 0 {
			cw.status = http.StatusOK
		}
		writeBody(w, cw.status, cw.header.Get("Content-Type"), cw.body.Bytes())
		if cw.status == http.StatusOK {
			s.cache.put(key, newCachedAnswer(gen, cw.header.Get("Content-Type"), bytes.Clone(cw.body.Bytes())))
		}
		return nil
	}
}
