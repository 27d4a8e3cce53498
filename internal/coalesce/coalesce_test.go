package coalesce_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/coalesce"
)

// recConn records the writes that reach the network.
type recConn struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
}

func (c *recConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes = append(c.writes, bytes.Clone(p))
	return len(p), nil
}

func (c *recConn) Close() error { return nil }

func (c *recConn) got() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.writes...)
}

// oneListener hands out one connection.
type oneListener struct {
	c    net.Conn
	once sync.Once
	done chan struct{}
}

func (l *oneListener) Accept() (net.Conn, error) {
	var c net.Conn
	l.once.Do(func() { c = l.c })
	if c == nil {
		<-l.done
		return nil, net.ErrClosed
	}
	return c, nil
}
func (l *oneListener) Close() error   { return nil }
func (l *oneListener) Addr() net.Addr { return &net.TCPAddr{} }

func conn(t *testing.T, delay time.Duration) (net.Conn, *recConn) {
	t.Helper()
	rec := &recConn{}
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	ln := coalesce.Listener(&oneListener{c: rec, done: done}, delay)
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return c, rec
}

func TestFullBufferGoesWithWhatFollows(t *testing.T) {
	c, rec := conn(t, time.Hour)
	full := bytes.Repeat([]byte("a"), coalesce.BufferSize)
	if n, err := c.Write(full); n != len(full) || err != nil {
		t.Fatalf("Write(full) = %d, %v", n, err)
	}
	if got := rec.got(); len(got) != 0 {
		t.Fatalf("a full buffer went out alone: %d writes", len(got))
	}
	if n, err := c.Write([]byte("rest")); n != 4 || err != nil {
		t.Fatalf("Write(rest) = %d, %v", n, err)
	}
	got := rec.got()
	if len(got) != 1 || string(got[0]) != string(full)+"rest" {
		t.Fatalf("got %d writes, want one of the full buffer and the rest", len(got))
	}
	// Other sizes go straight out.
	c.Write([]byte("small"))
	if got := rec.got(); len(got) != 2 || string(got[1]) != "small" {
		t.Fatalf("a small write was held: %d writes", len(got))
	}
}

func TestHeldBufferGoesAloneAfterDelay(t *testing.T) {
	c, rec := conn(t, time.Millisecond)
	full := bytes.Repeat([]byte("b"), coalesce.BufferSize)
	c.Write(full)
	deadline := time.Now().Add(5 * time.Second)
	for len(rec.got()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the held buffer never went out")
		}
		time.Sleep(time.Millisecond)
	}
	if got := rec.got(); len(got) != 1 || !bytes.Equal(got[0], full) {
		t.Fatalf("got %d writes, want the full buffer", len(got))
	}
}

func TestLargeWriteAfterHeldKeepsOrder(t *testing.T) {
	c, rec := conn(t, time.Hour)
	full := bytes.Repeat([]byte("c"), coalesce.BufferSize)
	big := bytes.Repeat([]byte("d"), 100<<10)
	c.Write(full)
	if n, err := c.Write(big); n != len(big) || err != nil {
		t.Fatalf("Write(big) = %d, %v", n, err)
	}
	if got := bytes.Join(rec.got(), nil); !bytes.Equal(got, append(full, big...)) {
		t.Fatalf("bytes out of order or lost: %d bytes", len(got))
	}
}

func TestCloseSendsHeld(t *testing.T) {
	c, rec := conn(t, time.Hour)
	c.Write(bytes.Repeat([]byte("e"), coalesce.BufferSize))
	c.Close()
	if got := rec.got(); len(got) != 1 || len(got[0]) != coalesce.BufferSize {
		t.Fatalf("Close did not send the held buffer: %d writes", len(got))
	}
}

// countingListener counts the writes its connections make.
type countingListener struct {
	net.Listener
	mu     sync.Mutex
	writes int
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, l: l}, nil
}

type countingConn struct {
	net.Conn
	l *countingListener
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.l.mu.Lock()
	c.l.writes++
	c.l.mu.Unlock()
	return c.Conn.Write(p)
}

func (l *countingListener) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writes
}

// TestHTTPAnswers serves answers of every size around the buffer's edge
// through net/http: each arrives whole, and one of a little over 4 KiB
// takes one write.
func TestHTTPAnswers(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	counter := &countingListener{Listener: inner}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.URL.Query().Get("n"), &n)
		w.Header().Set("Content-Length", fmt.Sprint(n))
		w.Write([]byte(strings.Repeat("x", n)))
	})}
	go srv.Serve(coalesce.Listener(counter, 0))
	t.Cleanup(func() { srv.Close() })
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	get := func(n int) {
		t.Helper()
		resp, err := client.Get(fmt.Sprintf("http://%s/?n=%d", inner.Addr(), n))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || len(body) != n {
			t.Fatalf("answer of %d bytes: got %d bytes, %v", n, len(body), err)
		}
	}
	for n := 3800; n <= 4400; n++ {
		get(n)
	}
	get(1 << 20)
	before := counter.count()
	get(4200)
	if w := counter.count() - before; w != 1 {
		t.Errorf("an answer of 4200 bytes took %d writes, want 1", w)
	}
}
