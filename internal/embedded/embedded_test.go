package embedded

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// mustStart starts the embedded server on dir and closes it when the test ends.
func mustStart(tb testing.TB, dir string) *Server {
	tb.Helper()
	s, err := Start(context.Background(), dir, nil)
	if err != nil {
		tb.Fatalf("Start(%s): %v", dir, err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// connect opens a driver client on s and disconnects it when the test ends.
func connect(tb testing.TB, s *Server) *mongo.Collection {
	tb.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(s.URI()).SetServerSelectionTimeout(3 * time.Second))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c.Database("embeddedtest").Collection("things")
}

// disconnect closes coll's client before its server stops; FerretDB waits up
// to 3 s for open connections when it shuts down.
func disconnect(coll *mongo.Collection) {
	_ = coll.Database().Client().Disconnect(context.Background())
}

func insert(tb testing.TB, coll *mongo.Collection, id string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "n", Value: 1}}); err != nil {
		tb.Fatalf("insert %s: %v", id, err)
	}
}

func count(tb testing.TB, coll *mongo.Collection) int64 {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := coll.CountDocuments(ctx, bson.D{})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// socketPath returns the Unix socket path the URI points at.
func socketPath(tb testing.TB, s *Server) string {
	tb.Helper()
	host := strings.TrimSuffix(strings.TrimPrefix(s.URI(), "mongodb://"), "/")
	sock, err := url.PathUnescape(host)
	if err != nil || !strings.HasSuffix(sock, ".sock") {
		tb.Fatalf("URI %s does not name a Unix socket", s.URI())
	}
	return sock
}

func TestStart_SecondStartOnSameDirFailsFastAndCloseReleases(t *testing.T) {
	dir := t.TempDir()
	first := mustStart(t, dir)
	coll := connect(t, first)
	insert(t, coll, "kept")

	start := time.Now()
	second, err := Start(context.Background(), dir, nil)
	if err == nil {
		_ = second.Close()
		t.Fatal("second Start on a held data dir succeeded")
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("second Start took %s; it must refuse at once", took)
	}
	if code := mitreden.ErrorCode(err); code != mitreden.EUNAVAILABLE {
		t.Errorf("code %q, want %q (%v)", code, mitreden.EUNAVAILABLE, err)
	}
	if !errors.Is(err, ErrLocked) || !strings.Contains(mitreden.ErrorMessage(err), dir) {
		t.Errorf("error %v should wrap ErrLocked and name %s", err, dir)
	}
	// The refused attempt must not have disturbed the running server.
	insert(t, coll, "after-refusal")
	disconnect(coll)

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	third := mustStart(t, dir)
	if n := count(t, connect(t, third)); n != 2 {
		t.Fatalf("after Close and a new Start, %d documents; want 2", n)
	}
}

func TestLock_RefusesWhileHeldAndReleasesOnClose(t *testing.T) {
	dir := t.TempDir()
	f, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(context.Background(), dir, nil); mitreden.ErrorCode(err) != mitreden.EUNAVAILABLE {
		t.Fatalf("Start under a held Lock: %v", err)
	}
	if g, err := Lock(dir); err == nil {
		g.Close()
		t.Fatal("second Lock succeeded")
	}
	f.Close()
	g, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
	g.Close()
}

func TestStart_LongDataDirUsesShortSocketPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("l", 60), strings.Repeat("o", 60))
	if len(filepath.Join(dir, "mongo.sock")) <= 108 {
		t.Fatalf("test dir %s is not long enough to exceed the socket path limit", dir)
	}
	s := mustStart(t, dir)
	sock := socketPath(t, s)
	if len(sock) > 100 || strings.HasPrefix(sock, dir) {
		t.Fatalf("socket %s (len %d) should be a short path outside the data dir", sock, len(sock))
	}
	coll := connect(t, s)
	insert(t, coll, "long")
	if n := count(t, coll); n != 1 {
		t.Fatalf("%d documents, want 1", n)
	}
	disconnect(coll)
	if _, err := os.Stat(filepath.Join(dir, "db")); err != nil {
		t.Fatalf("the SQLite files belong in the data dir: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(sock)); !os.IsNotExist(err) {
		t.Errorf("the private socket dir %s is left behind after Close: %v", filepath.Dir(sock), err)
	}
}

func TestStart_ShortDataDirKeepsSocketInside(t *testing.T) {
	dir := t.TempDir()
	s := mustStart(t, dir)
	if sock := socketPath(t, s); sock != filepath.Join(dir, "mongo.sock") {
		t.Fatalf("socket %s, want it inside the data dir", sock)
	}
}

func TestStart_DataDirWithSpaceWorks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Eigene Dateien", "mitreden daten")
	insert(t, connect(t, mustStart(t, dir)), "space")
	if _, err := os.Stat(filepath.Join(dir, "db", "embeddedtest.sqlite")); err != nil {
		t.Fatalf("the SQLite file belongs in %s/db: %v", dir, err)
	}
}

func TestStart_RefusesDataDirTheSQLiteURICannotAddress(t *testing.T) {
	for _, name := range []string{"hash#1", "query?x", "percent%20"} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			s, err := Start(context.Background(), filepath.Join(root, name), nil)
			if err == nil {
				_ = s.Close()
				t.Fatal("Start accepted a data dir whose SQLite files would land elsewhere")
			}
			if mitreden.ErrorCode(err) != mitreden.EINVALID || !strings.Contains(mitreden.ErrorMessage(err), name) {
				t.Fatalf("error %v should be invalid and name the dir", err)
			}
			if entries, _ := os.ReadDir(root); len(entries) != 0 {
				t.Fatalf("refused Start left files behind: %v", entries)
			}
		})
	}
}

// TestStart_ConcurrentStartsInOneProcess starts stores at once, as parallel
// tests do; under -race it fails if FerretDB's start-up races on its globals.
func TestStart_ConcurrentStartsInOneProcess(t *testing.T) {
	errs := make(chan error, 3)
	for range 3 {
		dir := t.TempDir()
		go func() {
			s, err := Start(context.Background(), dir, nil)
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
