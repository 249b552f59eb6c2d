package service_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/service"
)

// tookPart returns how many people took part in c, as the home page reads it.
func (e *partEnv) tookPart(t *testing.T, c *mitreden.Consultation) int {
	t.Helper()
	home, err := e.p.ReadHome(context.Background(), nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	n, ok := home.Participants[c.ID]
	if !ok {
		t.Fatalf("consultation %s not on the home page", c.ID)
	}
	return n
}

func TestParticipants_EachPersonCountsOnce(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	other := e.consultation(t, nil)
	anna, ben, cem := e.user(), e.user(), e.user()
	if n := e.tookPart(t, c); n != 0 {
		t.Fatalf("nobody took part yet: %d", n)
	}
	step := func(what string, want int) {
		t.Helper()
		if n := e.tookPart(t, c); n != want {
			t.Fatalf("after %s: %d took part, want %d", what, n, want)
		}
	}
	mine := e.proposal(t, c, anna, "Annas Vorschlag zur Verwaltung")
	step("Anna proposed", 1)
	if _, err := e.p.AddComment(ctx, anna, "proposal", mine.ID, mitreden.Comment{Body: "Noch ein Gedanke dazu."}); err != nil {
		t.Fatal(err)
	}
	step("Anna commented", 1)
	bens := e.proposal(t, c, ben, "Bens Vorschlag zur Verwaltung")
	step("Ben proposed", 2)
	if _, err := e.p.Vote(ctx, anna, bens.ID, "support"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Unvote(ctx, anna, bens.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Vote(ctx, anna, bens.ID, "support"); err != nil {
		t.Fatal(err)
	}
	step("Anna voted, withdrew and voted again", 2)
	if _, err := e.p.AddComment(ctx, cem, "consultation", c.ID, mitreden.Comment{Body: "Ein Kommentar zum Verfahren."}); err != nil {
		t.Fatal(err)
	}
	step("Cem commented on the consultation", 3)
	if n := e.tookPart(t, other); n != 0 {
		t.Fatalf("the other consultation counts %d", n)
	}
	if _, err := e.p.Vote(ctx, cem, e.proposal(t, other, ben, "Ein Vorschlag anderswo").ID, "support"); err != nil {
		t.Fatal(err)
	}
	if n, m := e.tookPart(t, c), e.tookPart(t, other); n != 3 || m != 2 {
		t.Fatalf("after Ben and Cem took part elsewhere: %d and %d, want 3 and 2", n, m)
	}
	// The counts agree with the records: a recount changes nothing.
	fixes, err := e.p.RecountConsultations(ctx)
	if err != nil || len(fixes) != 0 {
		t.Fatalf("recount: %+v %v", fixes, err)
	}
}

func TestParticipants_HeldCountsWhenReleased(t *testing.T) {
	e := newMod(t)
	ctx := context.Background()
	c := e.consultation(t, func(c *mitreden.Consultation) { c.PreModeration = true })
	neu, zwei := e.account(t, "neu"), e.account(t, "zwei")
	pr := &mitreden.Proposal{Title: "Bürgerbüro am Samstag", Body: "Samstags geöffnete Bürgerbüros für Berufstätige einrichten."}
	if err := e.p.CreateProposal(ctx, neu, c.ID, pr); err != nil || pr.Held == "" {
		t.Fatalf("held %q %v", pr.Held, err)
	}
	if n := e.tookPart(t, c); n != 0 {
		t.Fatalf("a held proposal counts: %d", n)
	}
	if err := e.p.Moderate(ctx, e.mod, mitreden.ActionApprove, service.ItemRef{Type: mitreden.ItemProposal, ID: pr.ID}, "Sachlich"); err != nil {
		t.Fatal(err)
	}
	if n := e.tookPart(t, c); n != 1 {
		t.Fatalf("released proposal: %d took part, want 1", n)
	}
	cm, err := e.p.AddComment(ctx, zwei, "proposal", pr.ID, mitreden.Comment{Body: "Ein Kommentar, der warten muss."})
	if err != nil || cm.Held == "" {
		t.Fatalf("comment held %q %v", cm.Held, err)
	}
	if n := e.tookPart(t, c); n != 1 {
		t.Fatalf("a held comment counts: %d", n)
	}
	// Released hidden, it is still published, as a placeholder.
	if err := e.p.Moderate(ctx, e.mod, mitreden.ActionHide, service.ItemRef{Type: mitreden.ItemComment, ID: cm.ID}, "Persönliche Daten"); err != nil {
		t.Fatal(err)
	}
	if n := e.tookPart(t, c); n != 2 {
		t.Fatalf("released comment: %d took part, want 2", n)
	}
}

// Contributions stored before participants were recorded (here written
// around the service, as seeding does) are counted by the backfill, once.
func TestBackfillParticipants_CountsWhatWasStoredBefore(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c1, c2 := e.consultation(t, nil), e.consultation(t, nil)
	st := e.db.Participation()
	prop := func(c *mitreden.Consultation, author string) *mitreden.Proposal {
		return &mitreden.Proposal{ID: mongo.NewSeedID(), ConsultationID: c.ID, AuthorID: author, AuthorName: author, Title: "Ein älterer Vorschlag",
			Body: "Geschrieben, bevor Beteiligte gezählt wurden.", Status: mitreden.StatusSubmitted, CreatedAt: e.clk.now}
	}
	p1, p2 := prop(c1, "old1"), prop(c1, "old2")
	comment := func(author string, deleted bool) *mitreden.Comment {
		return &mitreden.Comment{ID: mongo.NewSeedID(), TargetType: "proposal", TargetID: p1.ID, ConsultationID: c1.ID, AuthorID: author,
			AuthorName: author, Body: "Ein älterer Kommentar.", Deleted: deleted, CreatedAt: e.clk.now}
	}
	if err := st.InsertSeed(ctx, mongo.SeedBatch{
		Proposals: []*mitreden.Proposal{p1, p2},
		Comments:  []*mitreden.Comment{comment("old1", false), comment("old3", false), comment("old4", true)},
		Votes: []mongo.SeedVote{{ProposalID: p1.ID, UserID: "old2", ConsultationID: c1.ID, Value: "support"},
			{ProposalID: p1.ID, UserID: "old5", ConsultationID: c1.ID, Value: "support"},
			{ProposalID: p2.ID, UserID: "old5", ConsultationID: c1.ID, Value: "support"},
			{ProposalID: "elsewhere", UserID: "old1", ConsultationID: c2.ID, Value: "support"}},
	}); err != nil {
		t.Fatal(err)
	}
	// One person takes part through the service before the backfill runs.
	if _, err := e.p.AddComment(ctx, e.user(), "consultation", c1.ID, mitreden.Comment{Body: "Ein neuer Kommentar."}); err != nil {
		t.Fatal(err)
	}
	if n, m := e.tookPart(t, c1), e.tookPart(t, c2); n != 1 || m != 0 {
		t.Fatalf("before the backfill: %d and %d", n, m)
	}
	// The new record is younger than the service's clock allows a raise
	// to take; as at a start that holds the data, it is settled.
	e.p.CounterWritesDeadBefore(time.Now().UTC())

	r, err := e.p.BackfillParticipants(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	// c1: old1..old5 and the new one; c2: old1.
	set := map[string]string{}
	for _, f := range r.Fixes {
		set[f.ConsultationID] = fmt.Sprintf("%s %d→%d %v", f.Field, f.From, f.To, f.Skipped)
	}
	if !r.Ran || r.People != 7 || r.Added != 6 || len(r.Fixes) != 2 ||
		set[c1.ID] != "participant_count 1→6 false" || set[c2.ID] != "participant_count 0→1 false" {
		t.Fatalf("backfill: %+v", r)
	}
	if n, m := e.tookPart(t, c1), e.tookPart(t, c2); n != 6 || m != 1 {
		t.Fatalf("after the backfill: %d and %d, want 6 and 1", n, m)
	}
	if r, err := e.p.BackfillParticipants(ctx, false); err != nil || r.Ran {
		t.Fatalf("second backfill ran: %+v %v", r, err)
	}
	if r, err := e.p.BackfillParticipants(ctx, true); err != nil || !r.Ran || r.Added != 0 || len(r.Fixes) != 0 {
		t.Fatalf("forced again, it changed something: %+v %v", r, err)
	}
	if n, m := e.tookPart(t, c1), e.tookPart(t, c2); n != 6 || m != 1 {
		t.Fatalf("after the second backfill: %d and %d", n, m)
	}
	// (Seeding sets the consultations' own counters itself; this test did not.)
	fixes, err := e.p.RecountConsultations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fixes {
		if f.Field == "participant_count" {
			t.Errorf("recount after the backfill: %+v", f)
		}
	}
}

// The recount sets a drifted count right from the records, but leaves it
// while a participation recorded meanwhile may still raise it.
func TestRecountConsultations_RepairsParticipantCounts(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	anna, ben := e.user(), e.user()
	pr := e.proposal(t, c, anna, "Annas Vorschlag zur Verwaltung")
	if _, err := e.p.Vote(ctx, ben, pr.ID, "support"); err != nil {
		t.Fatal(err)
	}
	st := e.db.Participation()
	if err := st.SetParticipantCount(ctx, mitreden.ParticipantCount{ConsultationID: c.ID, N: 2, Version: 2}, 7); err != nil {
		t.Fatal(err)
	}
	fixes, err := e.p.RecountConsultations(ctx)
	want := fmt.Sprint([]service.CounterFix{{ConsultationID: c.ID, Field: "participant_count", From: 7, To: 2, Skipped: true}})
	if err != nil || fmt.Sprint(fixes) != want {
		t.Fatalf("recount while raises may be in flight: %+v %v, want %s", fixes, err, want)
	}
	e.p.CounterWritesDeadBefore(time.Now().UTC())
	fixes, err = e.p.RecountConsultations(ctx)
	want = fmt.Sprint([]service.CounterFix{{ConsultationID: c.ID, Field: "participant_count", From: 7, To: 2}})
	if err != nil || fmt.Sprint(fixes) != want {
		t.Fatalf("recount: %+v %v, want %s", fixes, err, want)
	}
	if n := e.tookPart(t, c); n != 2 {
		t.Fatalf("after the recount: %d", n)
	}
}

// failingParticipants is a store whose participant records cannot be
// written.
type failingParticipants struct{ mitreden.ParticipationStore }

func (failingParticipants) AddParticipant(context.Context, string, string) error {
	return &mitreden.Error{Code: mitreden.EUNAVAILABLE, Message: "error.unavailable"}
}

// A participant record that cannot be written fails none of the writes it
// follows; the recount adds it.
func TestParticipants_FailedRecordFailsNoWriteAndRecountAddsIt(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	p := service.NewParticipation(failingParticipants{e.db.Participation()}, e.idx, e.clk.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	anna, ben := e.user(), e.user()
	pr := &mitreden.Proposal{Title: "Annas Vorschlag zur Verwaltung", Body: "Ein ausführlicher Vorschlag mit genug Text für die Prüfung."}
	if err := p.CreateProposal(ctx, anna, c.ID, pr); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddComment(ctx, ben, "proposal", pr.ID, mitreden.Comment{Body: "Ein Kommentar dazu."}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Vote(ctx, ben, pr.ID, "support"); err != nil {
		t.Fatal(err)
	}
	if n := e.tookPart(t, c); n != 0 {
		t.Fatalf("recorded despite the failure: %d", n)
	}
	fixes, err := e.p.RecountConsultations(ctx)
	if err != nil || fmt.Sprint(fixes) != fmt.Sprint([]service.CounterFix{{ConsultationID: c.ID, Field: "participant_count", From: 0, To: 2}}) {
		t.Fatalf("recount: %+v %v", fixes, err)
	}
	if n := e.tookPart(t, c); n != 2 {
		t.Fatalf("after the recount: %d took part, want 2", n)
	}
}
