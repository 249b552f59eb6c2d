package service_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// TestGuards_WiredIntoParticipation checks that every way of posting
// passes through the guards: new comments and replies count against the
// comments per minute, new proposals against the proposals per day, and
// new texts and edits of both against the link rule; what they refuse is
// not stored.
func TestGuards_WiredIntoParticipation(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	e.p.Guards = service.NewGuards(e.db.Counters(), service.GuardsConfig{CommentMaxPerMinute: 2, ProposalMaxPerDay: 2}, e.clk.Now,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	u := e.user()
	u.CreatedAt = e.clk.now.Add(-3 * 24 * time.Hour) // on probation for links, past half rates
	pr := &mitreden.Proposal{Title: "Ein Vorschlag zum Kommentieren", Body: "Ein Vorschlag mit genug Text.", Topics: []string{"Digitalisierung"}}
	if err := e.p.CreateProposal(ctx, u, c.ID, pr); err != nil {
		t.Fatal(err)
	}
	first, err := e.p.AddComment(ctx, u, mitreden.TargetProposal, pr.ID, mitreden.Comment{Body: "Erster Kommentar"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.AddComment(ctx, u, mitreden.TargetProposal, pr.ID, mitreden.Comment{Body: "Eine Antwort", ParentID: first.ID}); err != nil {
		t.Fatalf("reply: %v", err)
	}
	_, err = e.p.AddComment(ctx, u, mitreden.TargetConsultation, c.ID, mitreden.Comment{Body: "Dritter in der Minute"})
	wantCode(t, "third comment of two a minute", err, mitreden.ERATELIMITED)
	_, err = e.p.AddComment(ctx, u, mitreden.TargetProposal, pr.ID, mitreden.Comment{Body: "Dritte Antwort", ParentID: first.ID})
	wantCode(t, "reply beyond the limit", err, mitreden.ERATELIMITED)
	_, err = e.p.EditComment(ctx, u, first.ID, links(4))
	wantCode(t, "comment edited to four links", err, mitreden.EINVALID)
	e.clk.Advance(time.Minute)
	_, err = e.p.AddComment(ctx, u, mitreden.TargetProposal, pr.ID, mitreden.Comment{Body: links(4)})
	wantCode(t, "comment with four links", err, mitreden.EINVALID)

	second := &mitreden.Proposal{Title: "Zweiter Vorschlag heute", Body: "Ein Vorschlag mit genug Text.", Topics: []string{"Digitalisierung"}}
	if err := e.p.CreateProposal(ctx, u, c.ID, second); err != nil {
		t.Fatal(err)
	}
	err = e.p.CreateProposal(ctx, u, c.ID, &mitreden.Proposal{Title: "Dritter Vorschlag heute", Body: "Ein Vorschlag mit genug Text."})
	wantCode(t, "third proposal of two a day", err, mitreden.ERATELIMITED)
	err = e.p.CreateProposal(ctx, e.userAged(3*24*time.Hour), c.ID, &mitreden.Proposal{Title: "Mit vielen Links", Body: links(4)})
	wantCode(t, "proposal with four links", err, mitreden.EINVALID)
	// (A proposal can be edited while nobody commented.)
	_, err = e.p.EditProposal(ctx, u, second.ID, mitreden.Proposal{Title: second.Title, Body: links(4), Topics: second.Topics})
	wantCode(t, "proposal edited to four links", err, mitreden.EINVALID)

	got, _, err := e.p.Proposal(ctx, pr.ID)
	if err != nil || got.CommentCount != 2 {
		t.Fatalf("stored: %d comments (%v); want the two that passed", got.CommentCount, err)
	}
	if got, _, _ := e.p.Proposal(ctx, second.ID); got.Body != second.Body {
		t.Fatalf("the refused edit was stored: %q", got.Body)
	}
	if _, n, _ := e.p.Proposals(ctx, mitreden.ProposalFilter{ConsultationID: c.ID}); n != 2 {
		t.Fatalf("%d proposals stored, want 2", n)
	}
}

// userAged returns a new user whose account is age old.
func (e *partEnv) userAged(age time.Duration) *mitreden.User {
	u := e.user()
	u.CreatedAt = e.clk.now.Add(-age)
	u.DisplayName = fmt.Sprintf("%s (seit %s)", u.DisplayName, age)
	return u
}
