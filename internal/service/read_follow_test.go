package service_test

import (
	"context"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// The proposal and consultation pages get the viewer's follow state from
// their one read; visitors cost no lookup and get none, and reads without
// a discussion (forms, the API) skip it.
func TestRead_PagesCarryTheViewersFollowState(t *testing.T) {
	e := newNotes(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	anna, bert := e.account(t, "anna"), e.account(t, "bert")
	pr := e.proposal(t, c, anna, "Mehr Bänke im Stadtpark")
	dq := &service.DiscussionQuery{Order: "oldest"}

	state := func(viewer *mitreden.User) (proposal, consultation *bool) {
		t.Helper()
		pp, err := e.p.ReadProposalWith(ctx, viewer, pr.ID, dq)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := e.p.ReadConsultationPageWith(ctx, viewer, c.ID, mitreden.ProposalFilter{}, dq)
		if err != nil {
			t.Fatal(err)
		}
		return pp.Following, cp.Following
	}
	if p, cs := state(nil); p != nil || cs != nil {
		t.Fatalf("a visitor has a follow state: %v %v", p, cs)
	}
	// Whoever publishes a proposal follows it and its consultation.
	if p, cs := state(anna); p == nil || cs == nil || !*p || !*cs {
		t.Fatalf("the author's follow state: %v %v", p, cs)
	}
	if p, cs := state(bert); p == nil || cs == nil || *p || *cs {
		t.Fatalf("bert follows nothing yet: %v %v", p, cs)
	}
	if err := e.n.Follow(ctx, bert, mitreden.FollowProposal, pr.ID); err != nil {
		t.Fatal(err)
	}
	if p, cs := state(bert); p == nil || cs == nil || !*p || *cs {
		t.Fatalf("bert follows the proposal only: %v %v", p, cs)
	}
	if pp, err := e.p.ReadProposal(ctx, bert, pr.ID, ""); err != nil || pp.Following != nil {
		t.Fatalf("a read without the discussion looked the follow state up: %v %v", pp, err)
	}
}
