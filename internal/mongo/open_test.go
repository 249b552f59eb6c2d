package mongo_test

import (
	"context"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// Opening a store creates its indexes, one command per collection; opening
// it again (every start after the first) creates none and works. The
// embedded engine failed when one command listed indexes that exist.
func TestOpen_AgainCreatesNoIndexes(t *testing.T) {
	ctx := context.Background()
	name := mongotest.DBName(t)
	var mu sync.Mutex
	created := map[string]int{}
	monitor := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		if e.CommandName == "createIndexes" {
			mu.Lock()
			created[e.Command.Lookup("createIndexes").StringValue()]++
			mu.Unlock()
		}
	}}
	open := func() *mongo.DB {
		t.Helper()
		db, err := mongo.Open(ctx, mongotest.URI(t), name, append(mongotest.Options(), mongo.WithMonitor(monitor))...)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open()
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if created["proposals"] != 1 || created["users"] == 0 {
		t.Errorf("the first open sent createIndexes %v, want one for proposals and some for users", created)
	}
	clear(created)
	mu.Unlock()
	db = open()
	t.Cleanup(func() { _ = db.Drop(ctx); _ = db.Close(ctx) })
	mu.Lock()
	if len(created) != 0 {
		t.Errorf("opening again sent createIndexes %v, want none", created)
	}
	mu.Unlock()
	specs, err := db.C("users").Indexes().ListSpecifications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range specs {
		found = found || (s.Name == "email_key_unique" && s.Unique != nil && *s.Unique)
	}
	if !found {
		t.Errorf("users lack the unique address index after opening again: %+v", specs)
	}
}
