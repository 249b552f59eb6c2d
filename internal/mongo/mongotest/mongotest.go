// Package mongotest gives tests a real store: an in-process FerretDB on SQLite,
// shared by the tests of one package, with a database of its own per test.
package mongotest

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mitreden/mitreden/internal/embedded"
	"github.com/mitreden/mitreden/internal/mongo"
)

var (
	once   sync.Once
	server *embedded.Server
	uri    string
	srvErr error
	seq    atomic.Int64
)

var unsafe = regexp.MustCompile(`[^a-zA-Z0-9]+`)

// URI starts (once per process) the embedded server and returns its URI.
// Tests may set MONGODB_URI to run against a real MongoDB instead.
func URI(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		if u := os.Getenv("MITREDEN_TEST_MONGODB_URI"); u != "" {
			uri = u
			return
		}
		dir, err := os.MkdirTemp("", "mtrdb")
		if err != nil {
			srvErr = err
			return
		}
		srv, err := embedded.Start(context.Background(), dir, nil)
		if err != nil {
			srvErr = err
			return
		}
		server, uri = srv, srv.URI()
	})
	if srvErr != nil {
		tb.Fatalf("embedded store: %v", srvErr)
	}
	return uri
}

// DBName returns a database name unique to this test.
func DBName(tb testing.TB) string {
	name := unsafe.ReplaceAllString(tb.Name(), "_")
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	return fmt.Sprintf("t%d_%s", seq.Add(1), name)
}

// MustOpenDB opens a fresh database for this test and drops it afterwards.
func MustOpenDB(tb testing.TB) *mongo.DB {
	tb.Helper()
	name := DBName(tb)
	db, err := mongo.Open(context.Background(), URI(tb), name, Options()...)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	if server != nil {
		if err := server.IndexIDLookups(context.Background(), name); err != nil {
			tb.Fatalf("index store: %v", err)
		}
	}
	tb.Cleanup(func() {
		_ = db.Drop(context.Background())
		_ = db.Close(context.Background())
	})
	return db
}

// Options returns the store options the embedded engine needs (none for an external MongoDB).
func Options() []mongo.Option {
	if os.Getenv("MITREDEN_TEST_MONGODB_URI") != "" {
		return nil
	}
	return mongo.EmbeddedOptions()
}
