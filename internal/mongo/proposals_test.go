package mongo_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

func mustProposal(t *testing.T, s *mongo.ParticipationStore, cid string, i int, rnd int64) *mitreden.Proposal {
	t.Helper()
	p := &mitreden.Proposal{ConsultationID: cid, AuthorID: "author", AuthorName: "Anna", Title: fmt.Sprintf("Vorschlag %02d", i),
		Body: "Ein Vorschlag mit genug Text.", Topics: []string{"Verwaltung"}, Status: mitreden.StatusSubmitted, Rand: rnd,
		CreatedAt: t0.Add(time.Duration(i) * time.Minute)}
	if err := s.CreateProposal(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProposalStore_EditLockedByFirstSupportOrComment(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	for _, lock := range []struct {
		name     string
		tally    mitreden.Tally
		comments int
	}{{"support", mitreden.Tally{Support: 1}, 0}, {"abstain", mitreden.Tally{Abstain: 1}, 0}, {"comment", mitreden.Tally{}, 1}} {
		p := mustProposal(t, s, "c1", 1, 1)
		p.Title = "Erste Änderung"
		if err := s.UpdateProposalContent(ctx, p); err != nil {
			t.Fatalf("%s: edit before: %v", lock.name, err)
		}
		if err := s.IncProposalCounts(ctx, p.ID, lock.tally, lock.comments, ""); err != nil {
			t.Fatal(err)
		}
		p.Title = "Zweite Änderung"
		if err := s.UpdateProposalContent(ctx, p); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
			t.Fatalf("%s: edit after: %v", lock.name, err)
		}
		if got, _ := s.FindProposal(ctx, p.ID); got.Title != "Erste Änderung" {
			t.Fatalf("%s: title %q", lock.name, got.Title)
		}
	}
	other := mustProposal(t, s, "c1", 2, 2)
	other.AuthorID = "someone-else"
	if err := s.UpdateProposalContent(ctx, other); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("edit by another author: %v", err)
	}
	if _, err := s.FindProposal(ctx, "zzz"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("bad id: %v", err)
	}
}

func TestProposalStore_SortsFiltersAndPages(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	var ps []*mitreden.Proposal
	for i := 0; i < 7; i++ {
		p := mustProposal(t, s, "c1", i, int64(i*100))
		if err := s.IncProposalCounts(ctx, p.ID, mitreden.Tally{Support: (i * 3) % 7}, i%4, "for"); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	mustProposal(t, s, "c2", 9, 5) // another consultation
	ps[2].Status = mitreden.StatusAccepted
	if err := s.SetProposalStatus(ctx, ps[2]); err != nil {
		t.Fatal(err)
	}
	titles := func(f mitreden.ProposalFilter) ([]string, int) {
		t.Helper()
		f.ConsultationID = "c1"
		list, total, err := s.ListProposals(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range list {
			out = append(out, p.Title[len(p.Title)-2:])
		}
		return out, total
	}
	// supports: 0 3 6 2 5 1 4 ; comments: 0 1 2 3 0 1 2
	for _, tc := range []struct {
		f     mitreden.ProposalFilter
		want  string
		total int
	}{
		{mitreden.ProposalFilter{Sort: "supported", PerPage: 3}, "[02 04 06]", 7},
		{mitreden.ProposalFilter{Sort: "supported", PerPage: 3, Page: 2}, "[01 03 05]", 7},
		{mitreden.ProposalFilter{Sort: "supported", PerPage: 3, Page: 3}, "[00]", 7},
		{mitreden.ProposalFilter{Sort: "newest", PerPage: 2, Page: 2}, "[04 03]", 7},
		{mitreden.ProposalFilter{Sort: "commented", PerPage: 3}, "[03 02 06]", 7},
		{mitreden.ProposalFilter{Sort: "newest", Status: mitreden.StatusAccepted}, "[02]", 1},
		{mitreden.ProposalFilter{Sort: "newest", Topic: "Bildung"}, "[]", 0},
		{mitreden.ProposalFilter{Sort: "newest", Page: 9, PerPage: 5}, "[]", 7},
	} {
		got, total := titles(tc.f)
		if fmt.Sprint(got) != tc.want || total != tc.total {
			t.Errorf("%+v: %v total %d, want %s total %d", tc.f, got, total, tc.want, tc.total)
		}
	}
	// Random: a rotation of the stored order starting at the seed, every
	// proposal exactly once across the pages.
	for seed, want := range map[int64]string{0: "[00 01 02 03 04 05 06]", 250: "[03 04 05 06 00 01 02]", 600: "[06 00 01 02 03 04 05]", 601: "[00 01 02 03 04 05 06]"} {
		var all []string
		for page := 1; page <= 3; page++ {
			got, total := titles(mitreden.ProposalFilter{Sort: "random", Seed: seed, Page: page, PerPage: 3})
			if total != 7 {
				t.Fatalf("random total %d", total)
			}
			all = append(all, got...)
		}
		if fmt.Sprint(all) != want {
			t.Errorf("seed %d: %v, want %s", seed, all, want)
		}
	}
	got, _ := titles(mitreden.ProposalFilter{Sort: "random", Seed: 250, PerPage: 3, Status: mitreden.StatusSubmitted})
	if slices.Contains(got, "02") || len(got) != 3 {
		t.Errorf("random with status filter: %v", got)
	}
}
