package mongo_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// TestListCacheMatchesQueries writes through a store that caches listings
// and checks, after every round of writes, that its pages are exactly those
// of the indexed queries of a store without the cache on the same data:
// every sort, filter, seed and page.
func TestListCacheMatchesQueries(t *testing.T) {
	ctx := context.Background()
	name := mongotest.DBName(t)
	open := func(opts ...mongo.Option) *mongo.ParticipationStore {
		db, err := mongo.Open(ctx, mongotest.URI(t), name, append([]mongo.Option{mongo.SerializeWrites()}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Drop(ctx); _ = db.Close(ctx) })
		return db.Participation()
	}
	cached, plain := open(mongo.CacheListings()), open()
	r := rand.New(rand.NewPCG(9, 9))
	topics := []string{"Verwaltung", "Schule", "Radwege"}
	statuses := []string{mitreden.StatusSubmitted, mitreden.StatusInReview, mitreden.StatusAccepted, mitreden.StatusWithdrawn}
	var ids []string
	create := func(cid string) {
		p := &mitreden.Proposal{ConsultationID: cid, AuthorID: "a", AuthorName: "Anna", Title: "Vorschlag", Body: "Text genug für einen Vorschlag.",
			Topics: []string{topics[r.IntN(3)]}, Status: mitreden.StatusSubmitted, Rand: r.Int64N(1000),
			// Equal creation times and positions exercise the tie-breaks.
			CreatedAt: t0.Add(time.Duration(r.IntN(5)) * time.Hour)}
		if err := cached.CreateProposal(ctx, p); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	for i := range 40 {
		create([]string{"c1", "c2"}[i%2])
	}
	check := func(round int) {
		t.Helper()
		for _, cid := range []string{"c1", "c3"} {
			for _, sort := range mitreden.ProposalSorts {
				for _, f := range []mitreden.ProposalFilter{{Page: 1}, {Page: 3}, {Topic: "Schule", Page: 1}, {Topic: "Schule", Page: 2},
					{Status: mitreden.StatusAccepted}} {
					f.ConsultationID, f.Sort, f.PerPage, f.Seed = cid, sort, 7, int64(round*97%1000)
					got, gotN, err := cached.ListProposals(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					want, wantN, err := plain.ListProposals(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					key := func(ps []*mitreden.Proposal) []string {
						var out []string
						for _, p := range ps {
							out = append(out, fmt.Sprintf("%s/%d/%d", p.ID, p.Tally.Support, p.CommentCount))
						}
						return out
					}
					if gotN != wantN || !slices.Equal(key(got), key(want)) {
						t.Fatalf("round %d, %+v: cached %d %v, queried %d %v", round, f, gotN, key(got), wantN, key(want))
					}
				}
			}
		}
	}
	check(0)
	for round := 1; round <= 3; round++ {
		for range 30 {
			id := ids[r.IntN(len(ids))]
			switch op := r.IntN(6); op {
			case 0:
				create([]string{"c1", "c2", "c3"}[r.IntN(3)])
			case 1, 2:
				if err := cached.IncProposalCounts(ctx, id, mitreden.Tally{Support: r.IntN(3), Yes: r.IntN(2)}, r.IntN(2), "for"); err != nil {
					t.Fatal(err)
				}
			case 3:
				p, err := cached.FindProposal(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				p.Status = statuses[r.IntN(len(statuses))]
				if err := cached.SetProposalStatus(ctx, p); err != nil {
					t.Fatal(err)
				}
			case 4:
				p, err := cached.FindProposal(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				p.Topics = []string{topics[r.IntN(3)], topics[r.IntN(3)]}
				// Refused (ECONFLICT) once the proposal has votes or comments:
				// the cache must not take the change then.
				if err := cached.UpdateProposalContent(ctx, p); err != nil && mitreden.ErrorCode(err) != mitreden.ECONFLICT {
					t.Fatal(err)
				}
			case 5:
				from, err := cached.ProposalCounts(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				to := from
				to.Tally.Support, to.Comments = r.IntN(9), r.IntN(4)
				if err := cached.SetProposalCounts(ctx, from, to); err != nil {
					t.Fatal(err)
				}
			}
		}
		check(round)
	}
}

// TestListCache_SurvivesProposalRemovedByHand removes a proposal around the
// store (as an operator might with a database shell): the page skips it and
// the next listing no longer counts it.
func TestListCache_SurvivesProposalRemovedByHand(t *testing.T) {
	ctx := context.Background()
	db := mongotest.MustOpenDB(t)
	s := db.Participation()
	a := mustProposal(t, s, "c1", 1, 1)
	mustProposal(t, s, "c1", 2, 2)
	f := mitreden.ProposalFilter{ConsultationID: "c1", Sort: "newest"}
	if list, n, err := s.ListProposals(ctx, f); err != nil || n != 2 || len(list) != 2 {
		t.Fatalf("before: %d %d %v", len(list), n, err)
	}
	o, err := bson.ObjectIDFromHex(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.C("proposals").DeleteOne(ctx, bson.D{{Key: "_id", Value: o}}); err != nil {
		t.Fatal(err)
	}
	if list, _, err := s.ListProposals(ctx, f); err != nil || len(list) != 1 {
		t.Fatalf("page after removal: %d %v", len(list), err)
	}
	if list, n, err := s.ListProposals(ctx, f); err != nil || n != 1 || len(list) != 1 {
		t.Fatalf("next listing: %d of %d, %v", len(list), n, err)
	}
}

// appliedButFailed is a proposal store whose counter writes happen and then
// report the store unavailable, as a write whose answer was lost does.
type appliedButFailed struct{ mitreden.ProposalStore }

func (s appliedButFailed) IncProposalCounts(ctx context.Context, id string, t mitreden.Tally, comments int, alignment string) error {
	if err := s.ProposalStore.IncProposalCounts(ctx, id, t, comments, alignment); err != nil {
		return err
	}
	return &mitreden.Error{Code: mitreden.EUNAVAILABLE, Message: "error.unavailable"}
}

// TestListingCache_DropsKeysWhenAWriteMayHaveHappened wraps a store whose
// write lands but answers "unavailable": the cache cannot know, so its next
// listing must be that of the store, not its stale keys.
func TestListingCache_DropsKeysWhenAWriteMayHaveHappened(t *testing.T) {
	ctx := context.Background()
	db, err := mongo.Open(ctx, mongotest.URI(t), mongotest.DBName(t), mongo.SerializeWrites())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Drop(ctx); _ = db.Close(ctx) })
	raw := db.Proposals()
	if _, ok := raw.(*mongo.ListingCache); ok {
		t.Fatal("a DB opened without CacheListings returned the cache")
	}
	cache := mongo.NewListingCache(appliedButFailed{raw})
	var ids []string
	for i := range 3 {
		p := &mitreden.Proposal{ConsultationID: "c1", AuthorID: "a", Title: fmt.Sprintf("Vorschlag %d", i), Body: "Text genug.",
			Status: mitreden.StatusSubmitted, CreatedAt: t0}
		if err := cache.CreateProposal(ctx, p); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	f := mitreden.ProposalFilter{ConsultationID: "c1", Sort: "supported"}
	if _, _, err := cache.ListProposals(ctx, f); err != nil { // loads the keys
		t.Fatal(err)
	}
	if err := cache.IncProposalCounts(ctx, ids[2], mitreden.Tally{Support: 5}, 0, ""); mitreden.ErrorCode(err) != mitreden.EUNAVAILABLE {
		t.Fatalf("write answered %v", err)
	}
	got, _, err := cache.ListProposals(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := raw.ListProposals(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].ID != ids[2] || got[0].ID != want[0].ID {
		t.Fatalf("cached order %v, store order %v", idsOf(got), idsOf(want))
	}
}

func idsOf(ps []*mitreden.Proposal) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}
