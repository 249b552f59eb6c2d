package service_test

import (
	"context"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Switching the voting mode after votes exist would make them vanish from
// the tally: it is refused, naming the field; before the first vote, and for
// every other field afterwards, changes go through.
func TestUpdateConsultation_VotingModeStaysOnceVoted(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	pr := e.proposal(t, c, e.user(), "Ein Vorschlag zum Prüfen")
	c.VotingMode = mitreden.VotingRating
	if err := e.p.UpdateConsultation(ctx, e.admin, c); err != nil {
		t.Fatalf("switch before any vote: %v", err)
	}
	if _, err := e.p.Vote(ctx, e.user(), pr.ID, mitreden.VoteNo); err != nil {
		t.Fatal(err)
	}
	c.VotingMode = mitreden.VotingSupport
	err := e.p.UpdateConsultation(ctx, e.admin, c)
	de, ok := err.(*mitreden.Error)
	if !ok || de.Code != mitreden.ECONFLICT || de.Message != "consultation.voting_mode_locked" || len(de.Fields) != 1 || de.Fields[0].Field != "voting_mode" {
		t.Fatalf("switch after a vote: %v", err)
	}
	got, _ := e.p.Consultation(ctx, c.ID)
	if got.VotingMode != mitreden.VotingRating {
		t.Fatalf("mode changed to %s", got.VotingMode)
	}
	got.Title = "Ein neuer Titel für das Verfahren"
	if err := e.p.UpdateConsultation(ctx, e.admin, got); err != nil {
		t.Fatalf("other fields after votes: %v", err)
	}
	page, err := e.p.ReadProposal(ctx, nil, pr.ID, "")
	if err != nil || page.Tally.No != 1 || page.VotingMode != mitreden.VotingRating {
		t.Fatalf("tally after the refused switch: %+v %v", page.Tally, err)
	}
}
