// Package coalesce sends an HTTP/1.1 answer of a few kilobytes in one write
// rather than two.
//
// net/http writes an answer through a 4 KiB buffer per connection. An answer
// a little over 4 KiB (a page of ten Whippy contacts is one) leaves in two
// writes: the full buffer, then the rest when the handler returns. That is
// two segments and two wake-ups of the client, which on a loopback
// connection costs about as much as serving the request. A connection from
// this package's Listener holds a write of exactly the buffer's size and
// sends it together with the write that follows, in one call. If nothing
// follows within the delay (an answer that ends on the buffer's edge), the
// held bytes go alone. The bytes on the wire are the same either way.
package coalesce

import (
	"net"
	"sync"
	"time"
)

// BufferSize is the size of net/http's per-connection write buffer: a write
// of exactly this size is a full buffer, and more is likely to follow.
const BufferSize = 4 << 10

// DefaultDelay bounds how long a full buffer may wait for the rest.
const DefaultDelay = 500 * time.Microsecond

// maxCopy is the largest write appended to held bytes; larger ones go out
// with writev instead.
const maxCopy = 32 << 10

// Listener wraps ln so that its connections coalesce writes. A delay of 0
// means DefaultDelay.
func Listener(ln net.Listener, delay time.Duration) net.Listener {
	if delay <= 0 {
		delay = DefaultDelay
	}
	return &listener{Listener: ln, delay: delay}
}

type listener struct {
	net.Listener
	delay time.Duration
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newConn(c, l.delay), nil
}

// Conn is a connection that coalesces writes.
type Conn struct {
	net.Conn
	delay time.Duration

	mu    sync.Mutex
	held  []byte // a full buffer waiting for the rest of its answer
	timer *time.Timer
	err   error // from a write the timer made, reported by the next call
}

func newConn(c net.Conn, delay time.Duration) *Conn {
	cc := &Conn{Conn: c, delay: delay}
	cc.timer = time.AfterFunc(time.Hour, cc.flushLater)
	cc.timer.Stop()
	return cc
}

// NetConn returns the wrapped connection.
func (c *Conn) NetConn() net.Conn { return c.Conn }

// Write sends p, or holds it when it is a full buffer.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	if len(c.held) == 0 {
		if len(p) != BufferSize {
			return c.Conn.Write(p)
		}
		c.held = append(c.held, p...)
		c.timer.Reset(c.delay)
		return len(p), nil
	}
	c.timer.Stop()
	var err error
	if len(p) <= maxCopy {
		c.held = append(c.held, p...)
		_, err = c.Conn.Write(c.held)
	} else {
		bufs := net.Buffers{c.held, p}
		_, err = bufs.WriteTo(c.Conn)
	}
	c.held = c.held[:0]
	if err != nil {
		c.err = err
		return 0, err
	}
	return len(p), nil
}

// flush sends held bytes. c.mu is held.
func (c *Conn) flush() error {
	if c.err != nil || len(c.held) == 0 {
		return c.err
	}
	c.timer.Stop()
	_, err := c.Conn.Write(c.held)
	c.held = c.held[:0]
	if err != nil {
		c.err = err
	}
	return err
}

func (c *Conn) flushLater() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flush()
}

// CloseWrite sends held bytes, then shuts the writing side down when the
// connection can (net/http calls it before closing).
func (c *Conn) CloseWrite() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.flush(); err != nil {
		return err
	}
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Close sends held bytes (as far as it can) and closes the connection.
func (c *Conn) Close() error {
	c.mu.Lock()
	c.flush()
	c.timer.Stop()
	c.mu.Unlock()
	return c.Conn.Close()
}
