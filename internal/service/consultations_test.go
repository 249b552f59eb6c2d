package service_test

import (
	"context"
	"testing"
	"time"

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

// Official texts refuse invisible control characters like every
// contribution: a bidirectional override could make an answer read
// differently from what it says.
func TestOfficialTexts_RefuseControlCharacters(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	pr := e.proposal(t, c, e.user(), "Ein Vorschlag zum Prüfen")
	for _, text := range []string{"Abgelehnt\u202e.tpecca", "Mit NUL \x00 darin"} {
		_, err := e.p.AnswerProposal(ctx, e.admin, pr.ID, mitreden.StatusRejected, text)
		if de, ok := err.(*mitreden.Error); !ok || de.Code != mitreden.EINVALID || de.Fields[0].Field != "answer" {
			t.Errorf("answer %q: %v", text, err)
		}
	}
	e.clk.Advance(31 * 24 * time.Hour)
	_, err := e.p.PublishResults(ctx, e.admin, c.ID, "Ergebnis\u2066 versteckt")
	if de, ok := err.(*mitreden.Error); !ok || de.Code != mitreden.EINVALID || de.Fields[0].Field != "results" {
		t.Errorf("results with an isolate: %v", err)
	}
	if _, err := e.p.PublishResults(ctx, e.admin, c.ID, "Drei Vorschläge werden umgesetzt.\n\n\tDanke!"); err != nil {
		t.Errorf("plain results: %v", err)
	}
}
