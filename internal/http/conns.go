package http

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
)

// quietGrace is how long a connection must have been silent, with no
// request in a handler and no response being written, before Shutdown
// closes it.
const quietGrace = 500 * time.Millisecond

// connTracker is the server's listener; it knows every open connection so
// that Shutdown can close those that carry no request. fasthttp counts a
// connection as active from accept, so a browser's preconnect that never
// sends a byte, or a client that stopped halfway through its request, would
// hold a graceful shutdown until the read timeout.
type connTracker struct {
	net.Listener
	mu    sync.Mutex
	conns map[*trackedConn]struct{}
}

func newConnTracker(ln net.Listener) *connTracker {
	return &connTracker{Listener: ln, conns: map[*trackedConn]struct{}{}}
}

// Accept implements net.Listener.
func (t *connTracker) Accept() (net.Conn, error) {
	c, err := t.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, tracker: t}
	tc.touch()
	t.mu.Lock()
	t.conns[tc] = struct{}{}
	t.mu.Unlock()
	return tc, nil
}

// closeQuiet closes the connections that are quiet: nothing in a handler or
// being written, and no byte received yet or none for quietGrace.
func (t *connTracker) closeQuiet() {
	t.mu.Lock()
	var quiet []*trackedConn
	for c := range t.conns {
		if c.quiet() {
			quiet = append(quiet, c)
		}
	}
	t.mu.Unlock()
	for _, c := range quiet {
		_ = c.Close()
	}
}

// trackedConn is a connection of a connTracker.
type trackedConn struct {
	net.Conn
	tracker *connTracker
	used    atomic.Bool  // a byte of a request arrived
	busy    atomic.Int32 // requests in a handler plus writes in progress
	last    atomic.Int64 // last activity, Unix nanoseconds
	once    sync.Once
}

func (c *trackedConn) touch() { c.last.Store(time.Now().UnixNano()) }

func (c *trackedConn) quiet() bool {
	return c.busy.Load() == 0 && (!c.used.Load() || time.Since(time.Unix(0, c.last.Load())) > quietGrace)
}

func (c *trackedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.used.Store(true)
		c.touch()
	}
	return n, err
}

func (c *trackedConn) Write(b []byte) (int, error) {
	c.busy.Add(1)
	defer func() { c.touch(); c.busy.Add(-1) }()
	return c.Conn.Write(b)
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.tracker.mu.Lock()
		delete(c.tracker.conns, c)
		c.tracker.mu.Unlock()
	})
	return c.Conn.Close()
}

// mwBusy marks the request's connection busy while a handler runs on it.
func (s *Server) mwBusy(c *fiber.Ctx) error {
	if tc, ok := c.Context().Conn().(*trackedConn); ok {
		tc.busy.Add(1)
		defer func() { tc.touch(); tc.busy.Add(-1) }()
	}
	return c.Next()
}
