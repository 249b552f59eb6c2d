package service_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
)

func TestRecountConsultations_RepairsCountersAndQuotas(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	st := e.db.Participation()
	c := e.consultation(t, func(c *mitreden.Consultation) { c.MaxSupports = 3 })
	free := e.consultation(t, nil)
	author := e.user()
	var props []*mitreden.Proposal
	for i := 0; i < 4; i++ {
		props = append(props, e.proposal(t, c, author, fmt.Sprintf("Vorschlag mit Limit %d", i)))
	}
	e.proposal(t, free, author, "Vorschlag ohne Limit")
	voter, other := e.user(), e.user()
	for _, pr := range props[:2] {
		if _, err := e.p.Vote(ctx, voter, pr.ID, "support"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.p.Vote(ctx, other, props[0].ID, "support"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.AddComment(ctx, other, "consultation", c.ID, mitreden.Comment{Body: "Zum Verfahren"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.AddComment(ctx, other, "proposal", props[1].ID, mitreden.Comment{Body: "Zum Vorschlag"}); err != nil {
		t.Fatal(err)
	}
	if fixes, err := e.p.RecountConsultations(ctx); err != nil || len(fixes) != 0 {
		t.Fatalf("consistent store: %+v %v", fixes, err)
	}
	// Drift: lost counter updates, a lost quota release and a lost reservation.
	if err := st.IncConsultationCounts(ctx, c.ID, 3, -1); err != nil {
		t.Fatal(err)
	}
	if err := st.ReleaseSupport(ctx, c.ID, voter.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.ReleaseSupport(ctx, c.ID, voter.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.ReserveSupport(ctx, c.ID, other.ID, 3); err != nil {
		t.Fatal(err)
	}
	fixes, err := e.p.RecountConsultations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		c.ID + "//proposal_count/7/4": true, c.ID + "//comment_count/1/2": true,
		c.ID + "/" + voter.ID + "/supports_used/0/2": true, c.ID + "/" + other.ID + "/supports_used/2/1": true,
	}
	for _, f := range fixes {
		k := fmt.Sprintf("%s/%s/%s/%d/%d", f.ConsultationID, f.UserID, f.Field, f.From, f.To)
		if !want[k] || f.Skipped {
			t.Errorf("unexpected fix %+v", f)
		}
		delete(want, k)
	}
	if len(want) != 0 {
		t.Fatalf("missing fixes %v (got %+v)", want, fixes)
	}
	got, _ := e.p.Consultation(ctx, c.ID)
	if got.ProposalCount != 4 || got.CommentCount != 2 {
		t.Fatalf("counters %d/%d", got.ProposalCount, got.CommentCount)
	}
	// The repaired quota holds: one more support, then the limit.
	if _, err := e.p.Vote(ctx, voter, props[2].ID, "support"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Vote(ctx, voter, props[3].ID, "support"); mitreden.ErrorMessage(err) != "vote.limit_reached" {
		t.Fatalf("limit after repair: %v", err)
	}
	if fixes, err := e.p.RecountConsultations(ctx); err != nil || len(fixes) != 0 {
		t.Fatalf("second recount: %+v %v", fixes, err)
	}
}

// Seeded votes bypass the quota; a recount gives them their quotas so the
// limit holds for seeded citizens too.
func TestRecountConsultations_GivesSeededVotesTheirQuota(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, func(c *mitreden.Consultation) { c.MaxSupports = 2 })
	voter := e.user()
	var props []*mitreden.Proposal
	batch := mongo.SeedBatch{}
	for i := 0; i < 3; i++ {
		p := &mitreden.Proposal{ID: mongo.NewSeedID(), ConsultationID: c.ID, AuthorID: "seed", AuthorName: "Seed",
			Title: fmt.Sprintf("Erzeugter Vorschlag %d", i), Body: "Erzeugter Text des Vorschlags.", Status: mitreden.StatusSubmitted,
			CreatedAt: e.clk.now}
		if i < 2 {
			p.Tally.Support = 1
			batch.Votes = append(batch.Votes, mongo.SeedVote{ProposalID: p.ID, UserID: voter.ID, ConsultationID: c.ID, Value: "support"})
		}
		props = append(props, p)
	}
	batch.Proposals = props
	if err := e.db.Participation().InsertSeed(ctx, batch); err != nil {
		t.Fatal(err)
	}
	fixes, err := e.p.RecountConsultations(ctx)
	if err != nil || len(fixes) != 2 {
		t.Fatalf("fixes %+v %v", fixes, err) // proposal_count 0→3 and the quota 0→2
	}
	if _, err := e.p.Vote(ctx, voter, props[2].ID, "support"); mitreden.ErrorMessage(err) != "vote.limit_reached" {
		t.Fatalf("seeded supports not counted: %v", err)
	}
	if changes, err := e.p.Recount(ctx); err != nil || len(changes) != 0 {
		t.Fatalf("proposal recount: %+v %v", changes, err)
	}
}
