package whippy

import (
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/vendorsim/vendorsim/mocks"
)

// handlerRuns counts how often each cacheable read's handler runs. A read
// answered from the pipeline's read cache does not run it, so tests can
// tell a cache hit from a fresh read.
type handlerRuns struct {
	m sync.Map // operationId -> *atomic.Int64
}

func (c *handlerRuns) counter(op string) *atomic.Int64 {
	if v, ok := c.m.Load(op); ok {
		return v.(*atomic.Int64)
	}
	v, _ := c.m.LoadOrStore(op, new(atomic.Int64))
	return v.(*atomic.Int64)
}

func (c *handlerRuns) counted(op string, h mocks.Handler) mocks.Handler {
	n := c.counter(op)
	return func(w http.ResponseWriter, r *http.Request) error {
		n.Add(1)
		return h(w, r)
	}
}

// HandlerRuns returns how many times the handler of the cacheable read op
// (an operationId such as "getContact") has run: a read served from the
// read cache leaves it unchanged.
func (m *Mock) HandlerRuns(op string) int64 { return m.runs.counter(op).Load() }
