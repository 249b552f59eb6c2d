// Package embedded runs FerretDB in-process on SQLite files so that mitreden
// starts with zero setup. The database listens only on a Unix socket inside the
// data directory; a lock file keeps a second process from opening the same
// directory at the same time.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Server is a running in-process FerretDB.
type Server struct {
	uri     string
	dbDir   string
	lock    *os.File
	sockTmp string // the private socket directory used when dir's path is too long
	cancel  context.CancelFunc
	done    chan struct{}
	once    sync.Once
}

// newMu serializes ferretdb.New, which sets a package-level variable of
// FerretDB (version.Get().Package) without a lock: two stores starting at
// once in one process, as parallel tests do, are a data race otherwise.
var newMu sync.Mutex

// ErrLocked is returned (wrapped in a mitreden.Error) when another process holds the data dir.
var ErrLocked = errors.New("data directory is in use by another mitreden process")

// Lock takes an exclusive, non-blocking lock on dir. It fails at once with an
// EUNAVAILABLE error when another process holds it.
func Lock(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, mitreden.Wrap(mitreden.EINTERNAL, err, "cannot create data dir")
	}
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, mitreden.Wrap(mitreden.EINTERNAL, err, "cannot open lock file")
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, &mitreden.Error{Code: mitreden.EUNAVAILABLE, Err: ErrLocked,
			Message: fmt.Sprintf("the data directory %s is in use by another mitreden process (a running server?); stop it first, or use its admin pages", dir)}
	}
	_ = f.Truncate(0)
	_, _ = fmt.Fprintf(f, "%d\n", os.Getpid())
	return f, nil
}

// Start locks dir and starts FerretDB on SQLite files in dir/db, listening on a
// Unix socket in dir. The returned URI connects to it.
func Start(ctx context.Context, dir string, logger *slog.Logger) (*Server, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, mitreden.Wrap(mitreden.EINTERNAL, err, "bad data dir")
	}
	if strings.ContainsAny(dir, "?#%") {
		// FerretDB passes the path to SQLite inside a file: URI unescaped, so
		// these characters would silently put the data somewhere else.
		return nil, mitreden.Errorf(mitreden.EINVALID,
			"the data directory %s must not contain ?, # or %%: the embedded store cannot address it", dir)
	}
	lock, err := Lock(dir)
	if err != nil {
		return nil, err
	}
	dbDir := filepath.Join(dir, "db")
	if err := os.MkdirAll(dbDir, 0o700); err != nil {
		lock.Close()
		return nil, mitreden.Wrap(mitreden.EINTERNAL, err, "cannot create db dir")
	}
	sock, sockTmp := filepath.Join(dir, "mongo.sock"), ""
	if len(sock) > 100 {
		// Unix socket paths are limited to about 104 bytes; fall back to a short
		// private directory that only this process uses.
		tmp, err := os.MkdirTemp("", "mtr")
		if err != nil {
			lock.Close()
			return nil, mitreden.Wrap(mitreden.EINTERNAL, err, "cannot create socket dir")
		}
		sock, sockTmp = filepath.Join(tmp, "m.sock"), tmp
	}
	_ = os.Remove(sock) // a stale socket from a killed process; we hold the lock
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	// FerretDB adds WAL journaling; synchronous(full) (fsync of the WAL on
	// every commit) is SQLite's compiled-in default too, pinned here because an
	// acknowledged write must survive a crash or power loss.
	sqliteURL := (&url.URL{Scheme: "file", Path: dbDir + "/",
		RawQuery: url.Values{"_pragma": {"synchronous(full)"}}.Encode()}).String()
	newMu.Lock()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: sock},
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
		Logger:    logger,
	})
	newMu.Unlock()
	if err != nil {
		lock.Close()
		if sockTmp != "" {
			_ = os.RemoveAll(sockTmp)
		}
		return nil, mitreden.Wrap(mitreden.EINTERNAL, err, "cannot start embedded store")
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s := &Server{dbDir: dbDir, lock: lock, sockTmp: sockTmp, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		_ = f.Run(runCtx)
	}()
	s.uri = f.MongoDBURI()
	// Wait until the socket accepts connections.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			s.Close()
			return nil, mitreden.Errorf(mitreden.EUNAVAILABLE, "embedded store did not start")
		}
		select {
		case <-ctx.Done():
			s.Close()
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return s, nil
}

// URI returns the MongoDB connection string of the embedded server.
func (s *Server) URI() string { return s.uri }

// Close stops the server, waits for it to flush and releases the lock.
func (s *Server) Close() error {
	s.once.Do(func() {
		s.cancel()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
		}
		if s.sockTmp != "" {
			_ = os.RemoveAll(s.sockTmp)
		}
		s.lock.Close()
	})
	return nil
}
