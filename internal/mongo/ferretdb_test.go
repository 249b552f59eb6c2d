package mongo_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// TestOpen_SerializesWritesOnFerretDB opens the store without the embedded
// mode's options, as for FerretDB on PostgreSQL: it must notice FerretDB,
// serialize its writes and say so.
func TestOpen_SerializesWritesOnFerretDB(t *testing.T) {
	if len(mongotest.Options()) == 0 {
		t.Skip("runs against a real MongoDB")
	}
	var logs bytes.Buffer
	ctx := context.Background()
	db, err := mongo.Open(ctx, mongotest.URI(t), mongotest.DBName(t), mongo.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Drop(ctx); _ = db.Close(ctx) })
	if !db.Serialized() {
		t.Fatal("writes to FerretDB are not serialized")
	}
	if !strings.Contains(logs.String(), "single instance") {
		t.Fatalf("no warning logged: %q", logs.String())
	}
}
