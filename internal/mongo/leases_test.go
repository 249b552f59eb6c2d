package mongo_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// TestLeases_StaleOnesAreTakenOnce checks the life of leases: a renewed
// lease is not stale, a stale one is taken by exactly one of several
// concurrent takers, and a released lease is gone.
func TestLeases_StaleOnesAreTakenOnce(t *testing.T) {
	s := mongotest.MustOpenDB(t).Leases()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	for _, id := range []string{"dead", "alive", "self"} {
		if err := s.AcquireLease(ctx, mitreden.Lease{ID: id, Host: "h", PID: 7, Started: t0, Renewed: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AcquireLease(ctx, mitreden.Lease{ID: "self", Started: t0, Renewed: t0}); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("acquiring an existing lease: %v, want conflict", err)
	}
	if err := s.RenewLease(ctx, "alive", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	stale, err := s.StaleLeases(ctx, t0.Add(30*time.Second), "self")
	if err != nil || len(stale) != 1 || stale[0].ID != "dead" || stale[0].PID != 7 || !stale[0].Renewed.Equal(t0) {
		t.Fatalf("stale leases: %+v %v; want only dead", stale, err)
	}

	var mu sync.Mutex
	taken := 0
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.TakeLease(ctx, stale[0], t0.Add(2*time.Minute))
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				taken++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if taken != 1 {
		t.Fatalf("the stale lease was taken %d times, want once", taken)
	}
	if stale, err := s.StaleLeases(ctx, t0.Add(50*time.Second), "self"); err != nil || len(stale) != 0 {
		t.Fatalf("a taken lease is renewed, so not stale: %+v %v", stale, err)
	}

	if err := s.ReleaseLease(ctx, "dead"); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseLease(ctx, "dead"); err != nil {
		t.Fatalf("releasing twice: %v", err)
	}
	if err := s.RenewLease(ctx, "dead", t0.Add(3*time.Minute)); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("renewing a released lease: %v, want not found", err)
	}
	if stale, err := s.StaleLeases(ctx, t0.Add(time.Hour), ""); err != nil || len(stale) != 2 || stale[0].ID != "self" {
		t.Fatalf("leases left: %+v %v; want self and alive, oldest first", stale, err)
	}
}
