package mongo_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// The embedded mode keeps the throttles in memory: they must answer exactly
// as the store's allowances do, for any sequence of takes and give-backs,
// across boundaries and with a clock set back.
func TestThrottles_InMemoryAnswersAsTheStore(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	mem, store := db.Throttles(), db.Counters()
	if fmt.Sprintf("%T", mem) == fmt.Sprintf("%T", store) {
		t.Fatalf("the embedded mode counts in the store (%T)", mem)
	}
	ctx := context.Background()
	rates := []mitreden.Rate{{Max: 5, Per: 15 * time.Minute}, {Max: 3, Per: time.Minute}, {Max: 1, Per: 10 * time.Second}}
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	for i := range 400 {
		key := fmt.Sprintf("k%d", rng.IntN(3))
		r := rates[rng.IntN(len(rates))]
		switch n := rng.IntN(20); {
		case n < 12:
			now = now.Add(time.Duration(rng.IntN(40)) * time.Second)
		case n == 12:
			now = now.Add(-time.Duration(rng.IntN(3600)) * time.Second) // set back
		}
		if rng.IntN(8) == 0 {
			if err := mem.GiveBack(ctx, key, r); err != nil {
				t.Fatal(err)
			}
			if err := store.GiveBack(ctx, key, r); err != nil {
				t.Fatal(err)
			}
			continue
		}
		okM, retryM, err := mem.Take(ctx, key, r, now)
		if err != nil {
			t.Fatal(err)
		}
		okS, retryS, err := store.Take(ctx, key, r, now)
		if err != nil {
			t.Fatal(err)
		}
		if okM != okS || !retryM.Equal(retryS) {
			t.Fatalf("step %d, %s %v at %s: memory %v %s, store %v %s", i, key, r, now.Format(time.TimeOnly), okM, retryM, okS, retryS)
		}
	}
}
