package mongo_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// Where writes are serialized, a background write lets the request writes
// that wait go first, also one that began to wait after it.
func TestWrite_RequestsGoBeforeBackgroundWork(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	if !db.Serialized() {
		t.Skip("the store does not serialize writes (not the embedded FerretDB): there is no write lock to prioritize")
	}
	ctx := context.Background()
	var mu sync.Mutex
	var order []string
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	waitFor := func(n int) {
		for db.WaitingWrites() != n {
			time.Sleep(100 * time.Microsecond)
		}
	}
	var wg sync.WaitGroup
	request := func(name string) {
		defer wg.Done()
		done := db.Write(ctx)
		note(name)
		done()
	}
	release := db.Write(ctx) // a write in progress
	wg.Add(3)
	go request("first request")
	waitFor(1)
	go func() { // background work that starts waiting before the second request
		defer wg.Done()
		done := db.Write(mitreden.InBackground(ctx))
		note("background")
		done()
	}()
	time.Sleep(2 * time.Millisecond)
	go request("second request")
	waitFor(2)
	release()
	wg.Wait()
	if len(order) != 3 || order[2] != "background" {
		t.Fatalf("order %v, want the background write last", order)
	}
}
