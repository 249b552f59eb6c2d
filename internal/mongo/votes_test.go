package mongo_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

func TestVoteStore_OneVotePerUserUnderConcurrency(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	var ok, conflict atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := s.InsertVote(ctx, "p1", "u1", "c1", "support"); mitreden.ErrorCode(err) {
			case "":
				ok.Add(1)
			case mitreden.ECONFLICT:
				conflict.Add(1)
			default:
				t.Errorf("insert: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || conflict.Load() != 9 {
		t.Fatalf("ok=%d conflict=%d, want 1/9", ok.Load(), conflict.Load())
	}
	if v, err := s.FindVote(ctx, "p1", "u1"); err != nil || v != "support" {
		t.Fatalf("find: %q %v", v, err)
	}
	if _, err := s.FindVote(ctx, "p1", "u2"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("missing vote: %v", err)
	}
	if tally, err := s.CountVotes(ctx, "p1"); err != nil || tally != (mitreden.Tally{Support: 1}) {
		t.Fatalf("count: %+v %v", tally, err)
	}
}

func TestVoteStore_ChangeIsConditionalAndDeleteReturnsValue(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	if err := s.InsertVote(ctx, "p1", "u1", "c1", "yes"); err != nil {
		t.Fatal(err)
	}
	if err := s.ChangeVote(ctx, "p1", "u1", "no", "abstain"); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("change from a stale value: %v", err)
	}
	if err := s.ChangeVote(ctx, "p1", "u1", "yes", "no"); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertVote(ctx, "p2", "u1", "c1", "yes"); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserVotes(ctx, "u1", []string{"p1", "p2", "p3"})
	if err != nil || len(got) != 2 || got["p1"] != "no" || got["p2"] != "yes" {
		t.Fatalf("user votes: %v %v", got, err)
	}
	if v, err := s.DeleteVote(ctx, "p1", "u1"); err != nil || v != "no" {
		t.Fatalf("delete: %q %v", v, err)
	}
	if _, err := s.DeleteVote(ctx, "p1", "u1"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestVoteStore_SupportQuotaHoldsUnderConcurrency(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	var ok atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.ReserveSupport(ctx, "c1", "u1", 3)
			var e *mitreden.Error
			switch {
			case err == nil:
				ok.Add(1)
			case errors.As(err, &e) && e.Code == mitreden.ECONFLICT && e.Message == "vote.limit_reached" && e.Args["limit"] == 3:
			default:
				t.Errorf("reserve: %#v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 3 {
		t.Fatalf("%d reservations, want 3", ok.Load())
	}
	// Another user and another consultation have quotas of their own.
	if err := s.ReserveSupport(ctx, "c1", "u2", 3); err != nil {
		t.Fatal(err)
	}
	if err := s.ReserveSupport(ctx, "c2", "u1", 3); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseSupport(ctx, "c1", "u1"); err != nil {
		t.Fatal(err)
	}
	if err := s.ReserveSupport(ctx, "c1", "u1", 3); err != nil {
		t.Fatalf("released support not reusable: %v", err)
	}
	// Releasing never drives a quota below zero.
	for i := 0; i < 3; i++ {
		if err := s.ReleaseSupport(ctx, "c1", "u2"); err != nil {
			t.Fatal(err)
		}
	}
	quotas := map[string]int{}
	if err := s.AllSupportQuotas(ctx, func(q mitreden.SupportQuota) error { quotas[q.ConsultationID+"/"+q.UserID] = q.Used; return nil }); err != nil {
		t.Fatal(err)
	}
	if quotas["c1/u1"] != 3 || quotas["c1/u2"] != 0 || quotas["c2/u1"] != 1 || len(quotas) != 3 {
		t.Fatalf("quotas: %v", quotas)
	}
}

func TestVoteStore_RepairSupportQuotaIsCompareAndSet(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	for _, v := range []struct{ p, u, val string }{{"p1", "u1", "support"}, {"p2", "u1", "support"}, {"p1", "u2", "yes"}} {
		if err := s.InsertVote(ctx, v.p, v.u, "c1", v.val); err != nil {
			t.Fatal(err)
		}
	}
	var supports []mitreden.SupportVote
	if err := s.AllSupportVotes(ctx, func(v mitreden.SupportVote) error { supports = append(supports, v); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(supports) != 2 || supports[0] != (mitreden.SupportVote{ConsultationID: "c1", UserID: "u1"}) {
		t.Fatalf("support votes: %v", supports)
	}
	// A missing quota counts as 0 and is created.
	missing := mitreden.SupportQuota{ConsultationID: "c1", UserID: "u1"}
	if err := s.SetSupportQuota(ctx, missing, 2); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSupportQuota(ctx, missing, 5); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("stale from: %v", err)
	}
	quota := func() mitreden.SupportQuota {
		t.Helper()
		var got mitreden.SupportQuota
		if err := s.AllSupportQuotas(ctx, func(q mitreden.SupportQuota) error { got = q; return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	// A quota that moved and came back (a release after a reservation)
	// still refuses a repair read before: its version moved.
	before := quota()
	if before.Used != 2 {
		t.Fatalf("quota %+v", before)
	}
	if err := s.ReserveSupport(ctx, "c1", "u1", 9); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseSupport(ctx, "c1", "u1"); err != nil {
		t.Fatal(err)
	}
	if q := quota(); q.Used != 2 || q.Version == before.Version || q.ChangedAt.IsZero() {
		t.Fatalf("quota after moves %+v, before %+v", q, before)
	}
	if err := s.SetSupportQuota(ctx, before, 1); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("repair over a moved quota: %v", err)
	}
	if err := s.ReserveSupport(ctx, "c1", "u1", 3); err != nil {
		t.Fatal(err)
	}
	if err := s.ReserveSupport(ctx, "c1", "u1", 3); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("repaired quota not enforced: %v", err)
	}
}
