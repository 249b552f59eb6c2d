package mongo_test

import (
	"context"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func mustConsultation(t *testing.T, s *mongo.ParticipationStore, title string, opens, closes time.Time) *mitreden.Consultation {
	t.Helper()
	c := &mitreden.Consultation{Title: title, Summary: "Zusammenfassung des Verfahrens", Body: "Beschreibung des Verfahrens mit Text.",
		Topics: []string{"Verwaltung"}, Region: "Kreis Lippe", OpensAt: opens, ClosesAt: closes, VotingMode: mitreden.VotingSupport,
		MaxSupports: 3, SupportThreshold: 10, ProposalsEnabled: true, CommentsEnabled: true, PreModeration: true}
	if err := s.CreateConsultation(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConsultationStore_RoundTripAndNotFound(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	c := mustConsultation(t, s, "Offene Daten", t0.In(berlin), t0.Add(time.Hour))
	got, err := s.FindConsultation(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.OpensAt.Location() != time.UTC || !got.OpensAt.Equal(t0) || got.MaxSupports != 3 || !got.PreModeration ||
		got.Region != "Kreis Lippe" || !got.EvaluatedAt.IsZero() || got.Topics[0] != "Verwaltung" {
		t.Fatalf("round trip: %+v", got)
	}
	for _, id := range []string{"", "kein-objectid", "64b7f0f0f0f0f0f0f0f0f0f0", "$where"} {
		if _, err := s.FindConsultation(ctx, id); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
			t.Errorf("FindConsultation(%q) = %v", id, err)
		}
	}
	missing := *got
	missing.ID = "64b7f0f0f0f0f0f0f0f0f0f0"
	if err := s.UpdateConsultation(ctx, &missing); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("update unknown: %v", err)
	}
	got.Results, got.EvaluatedAt = "Ergebnisse", t0.Add(2*time.Hour)
	if err := s.UpdateConsultation(ctx, got); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.FindConsultation(ctx, c.ID); again.Phase(t0) != mitreden.PhaseEvaluated || again.Results != "Ergebnisse" {
		t.Fatalf("evaluated: %+v", again)
	}
}

func TestConsultationStore_ListByPhaseAndPages(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	day := 24 * time.Hour
	mustConsultation(t, s, "Bald", t0.Add(day), t0.Add(10*day))
	for i := 0; i < 3; i++ {
		mustConsultation(t, s, "Offen", t0.Add(-time.Duration(i+1)*day), t0.Add(day))
	}
	closed := mustConsultation(t, s, "Vorbei", t0.Add(-10*day), t0.Add(-day))
	done := mustConsultation(t, s, "Ausgewertet", t0.Add(-20*day), t0.Add(-15*day))
	done.Results, done.EvaluatedAt = "Ergebnis", t0.Add(-day)
	if err := s.UpdateConsultation(ctx, done); err != nil {
		t.Fatal(err)
	}
	for phase, want := range map[mitreden.Phase]int{"": 6, mitreden.PhaseUpcoming: 1, mitreden.PhaseOpen: 3, mitreden.PhaseClosed: 1, mitreden.PhaseEvaluated: 1} {
		list, total, err := s.ListConsultations(ctx, mitreden.ConsultationFilter{Phase: phase, Now: t0, PerPage: 2})
		if err != nil || total != want || len(list) != min(2, want) {
			t.Errorf("phase %q: %d items, total %d, want %d (%v)", phase, len(list), total, want, err)
		}
		for _, c := range list {
			if phase != "" && c.Phase(t0) != phase {
				t.Errorf("phase %q lists %q in %s", phase, c.Title, c.Phase(t0))
			}
		}
	}
	list, total, err := s.ListConsultations(ctx, mitreden.ConsultationFilter{Now: t0, Page: 3, PerPage: 2})
	if err != nil || total != 6 || len(list) != 2 || list[1].ID != done.ID || list[0].ID != closed.ID {
		t.Fatalf("last page: %d %v", total, err)
	}
}

// TestConsultationStore_SetCountsIsCompareAndSet checks the recount's
// repair against the bookkeeping of counter writes: a write that starts
// after the counters were read (here a proposal, which marks its
// consultation before it is stored) makes the repair fail, even before its
// counter update lands.
func TestConsultationStore_SetCountsIsCompareAndSet(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	c := mustConsultation(t, s, "Zähler", t0, t0.Add(time.Hour))
	counts := func() mitreden.ConsultationCounts {
		t.Helper()
		var got mitreden.ConsultationCounts
		if err := s.AllConsultationCounts(ctx, func(cc mitreden.ConsultationCounts) error {
			if cc.ID == c.ID {
				got = cc
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	read := counts()
	if read.Proposals != 0 || read.State.Pending != 0 {
		t.Fatalf("fresh consultation: %+v", read)
	}
	mustProposal(t, s, c.ID, 1, 1)
	inFlight := counts()
	if inFlight.State.Pending != 1 || inFlight.State.Version == read.State.Version || inFlight.State.PendingAt.IsZero() {
		t.Fatalf("proposal stored without marking its consultation: %+v", inFlight)
	}
	if err := s.SetConsultationCounts(ctx, read, 1, 0); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("repair over a write in flight: %v", err)
	}
	if err := s.IncConsultationCounts(ctx, c.ID, 1, 0); err != nil {
		t.Fatal(err)
	}
	done := counts()
	if done.Proposals != 1 || done.State.Pending != 0 {
		t.Fatalf("after the counter update: %+v", done)
	}
	if err := s.SetConsultationCounts(ctx, done, 3, 4); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FindConsultation(ctx, c.ID); got.ProposalCount != 3 || got.CommentCount != 4 {
		t.Fatalf("counts %d/%d", got.ProposalCount, got.CommentCount)
	}
	if err := s.SetConsultationCounts(ctx, done, 1, 1); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("stale counts: %v", err)
	}
	if err := s.SetConsultationCounts(ctx, mitreden.ConsultationCounts{ID: "nope"}, 1, 1); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("bad id: %v", err)
	}
}
