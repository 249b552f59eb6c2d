package mongo_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// TestRecordWrites_MarkTheirCountersUntilTheCounterUpdate checks the
// bookkeeping a recount relies on: every vote and comment record write
// marks the counter documents before it, the counter update ends the mark,
// and a record write that did not happen ends its own mark.
func TestRecordWrites_MarkTheirCountersUntilTheCounterUpdate(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	s := db.Participation()
	ctx := context.Background()
	c := mustConsultation(t, s, "Zähler", t0, t0.Add(time.Hour))
	pr := mustProposal(t, s, c.ID, 1, 1)
	if err := s.IncConsultationCounts(ctx, c.ID, 1, 0); err != nil {
		t.Fatal(err)
	}
	pending := func(what string, want int) mitreden.CountState {
		t.Helper()
		pc, err := s.ProposalCounts(ctx, pr.ID)
		if err != nil {
			t.Fatal(err)
		}
		if pc.State.Pending != want {
			t.Fatalf("%s: %d writes in flight, want %d", what, pc.State.Pending, want)
		}
		return pc.State
	}
	pending("new proposal", 0)
	if err := s.InsertVote(ctx, pr.ID, "u1", c.ID, "yes"); err != nil {
		t.Fatal(err)
	}
	st := pending("vote stored", 1)
	if st.PendingAt.IsZero() || st.Version == 0 {
		t.Fatalf("mark without time or version: %+v", st)
	}
	if err := s.IncProposalCounts(ctx, pr.ID, mitreden.Tally{Yes: 1}, 0, ""); err != nil {
		t.Fatal(err)
	}
	pending("vote counted", 0)
	if err := s.InsertVote(ctx, pr.ID, "u1", c.ID, "no"); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("second vote: %v", err)
	}
	pending("refused second vote", 0)
	if err := s.ChangeVote(ctx, pr.ID, "u1", "no", "abstain"); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("change from a value not stored: %v", err)
	}
	pending("refused change", 0)
	if _, err := s.DeleteVote(ctx, pr.ID, "u2"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("withdrawing no vote: %v", err)
	}
	pending("nothing withdrawn", 0)
	if old, err := s.DeleteVote(ctx, pr.ID, "u1"); err != nil || old != "yes" {
		t.Fatalf("withdraw: %q %v", old, err)
	}
	pending("vote withdrawn", 1)
	if err := s.IncProposalCounts(ctx, pr.ID, mitreden.Tally{Yes: -1}, 0, ""); err != nil {
		t.Fatal(err)
	}

	cm := &mitreden.Comment{TargetType: "proposal", TargetID: pr.ID, ConsultationID: c.ID, AuthorID: "u1", Body: "Gut", Alignment: "for"}
	if err := s.CreateComment(ctx, cm); err != nil {
		t.Fatal(err)
	}
	pending("comment stored", 1)
	consultationPending := func(what string, want int) {
		t.Helper()
		if err := s.AllConsultationCounts(ctx, func(cc mitreden.ConsultationCounts) error {
			if cc.ID == c.ID && cc.State.Pending != want {
				t.Fatalf("%s: consultation has %d writes in flight, want %d", what, cc.State.Pending, want)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	consultationPending("comment stored", 1)
	if err := s.IncProposalCounts(ctx, pr.ID, mitreden.Tally{}, 1, "for"); err != nil {
		t.Fatal(err)
	}
	if err := s.IncConsultationCounts(ctx, c.ID, 0, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkCommentDeleted(ctx, cm.ID, "someone else"); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("delete by another: %v", err)
	}
	pending("refused deletion", 0)
	consultationPending("refused deletion", 0)
	if err := s.MarkCommentDeleted(ctx, cm.ID, "u1"); err != nil {
		t.Fatal(err)
	}
	pending("comment deleted", 1)
	consultationPending("comment deleted", 1)
}

// TestProposalStore_RepairsDocumentsOlderThanTheBookkeeping checks that a
// proposal stored before the recount bookkeeping existed (no count fields)
// reads as settled and can be repaired.
func TestProposalStore_RepairsDocumentsOlderThanTheBookkeeping(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	s := db.Participation()
	ctx := context.Background()
	pr := mustProposal(t, s, "c1", 1, 1)
	o, err := bson.ObjectIDFromHex(pr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.C("proposals").UpdateOne(ctx, bson.D{{Key: "_id", Value: o}}, bson.D{{Key: "$unset", Value: bson.D{
		{Key: "count_pending", Value: ""}, {Key: "count_pending_at", Value: ""}, {Key: "count_ver", Value: ""}}}}); err != nil {
		t.Fatal(err)
	}
	from, err := s.ProposalCounts(ctx, pr.ID)
	if err != nil || from.State != (mitreden.CountState{}) {
		t.Fatalf("old document: %+v %v", from, err)
	}
	to := from
	to.Tally.Support = 4
	if err := s.SetProposalCounts(ctx, from, to); err != nil {
		t.Fatal(err)
	}
	if err := s.SetProposalCounts(ctx, from, to); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("second repair from the same read: %v", err)
	}
	if got, _ := s.FindProposal(ctx, pr.ID); got.Tally.Support != 4 {
		t.Fatalf("support %d", got.Tally.Support)
	}
}

// TestCounterUpdate_WithoutAWriteInFlightKeepsTheCountAtZero adds to counters
// as bulk seeding does, with no write started: the count of writes in flight
// must stay at zero, or the next vote's mark would read as none in flight.
func TestCounterUpdate_WithoutAWriteInFlightKeepsTheCountAtZero(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	c := mustConsultation(t, s, "Zähler", t0, t0.Add(time.Hour))
	pr := mustProposal(t, s, c.ID, 1, 1)
	for range 2 {
		if err := s.IncConsultationCounts(ctx, c.ID, 1, 0); err != nil { // the first ends the creation's mark
			t.Fatal(err)
		}
		if err := s.IncProposalCounts(ctx, pr.ID, mitreden.Tally{Support: 2}, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	pc, err := s.ProposalCounts(ctx, pr.ID)
	if err != nil || pc.Tally.Support != 4 || pc.State.Pending != 0 {
		t.Fatalf("proposal after unpaired updates: %+v %v", pc, err)
	}
	if err := s.AllConsultationCounts(ctx, func(cc mitreden.ConsultationCounts) error {
		if cc.ID == c.ID && (cc.Proposals != 2 || cc.State.Pending != 0) {
			t.Fatalf("consultation after unpaired updates: %+v", cc)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertVote(ctx, pr.ID, "u1", c.ID, "support"); err != nil {
		t.Fatal(err)
	}
	if pc, _ := s.ProposalCounts(ctx, pr.ID); pc.State.Pending != 1 {
		t.Fatalf("vote in flight not visible: %+v", pc.State)
	}
}
