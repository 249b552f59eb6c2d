package service_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
)

// seedProposals writes n proposals of realistic size into c in bulk and
// returns their ids.
func seedProposals(tb testing.TB, e *partEnv, c *mitreden.Consultation, n int) []string {
	tb.Helper()
	ids := make([]string, 0, n)
	for start := 0; start < n; start += 1000 {
		batch := mongo.SeedBatch{}
		for i := start; i < min(n, start+1000); i++ {
			p := &mitreden.Proposal{ID: mongo.NewSeedID(), ConsultationID: c.ID, AuthorID: "seed", AuthorName: "Seed",
				Title: fmt.Sprintf("Erzeugter Vorschlag %d", i), Status: mitreden.StatusSubmitted, CreatedAt: e.clk.now,
				Body:   "Erzeugter Text des Vorschlags, der so lang ist wie ein echter Vorschlag: " + fmt.Sprint(make([]int, 200)),
				Topics: []string{"Digitalisierung"}, Rand: rand.Int64()}
			batch.Proposals = append(batch.Proposals, p)
			ids = append(ids, p.ID)
		}
		if err := e.db.Participation().InsertSeed(context.Background(), batch); err != nil {
			tb.Fatal(err)
		}
	}
	return ids
}

// BenchmarkVoteParallel casts supports of distinct people on random
// proposals from 8 goroutines (as scripts/bench.sh does with 8
// connections), through the service with the Bleve index, at 1,000 and
// 10,000 proposals. It reports votes/s and checks afterwards that every
// tally equals its vote records.
func BenchmarkVoteParallel(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("proposals=%d", n), func(b *testing.B) {
			e := newPart(b)
			ctx := context.Background()
			c := e.consultation(b, nil)
			ids := seedProposals(b, e, c, n)
			var seq atomic.Int64
			stopQueue := e.p.StartIndexQueue(time.Second)     // as serve runs it
			b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0))) // 8 goroutines
			b.ResetTimer()
			var lat latencies
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := seq.Add(1)
					voter := &mitreden.User{ID: fmt.Sprintf("bench%07d", i), DisplayName: "Bench"}
					start := time.Now()
					if _, err := e.p.Vote(ctx, voter, ids[rand.IntN(len(ids))], "support"); err != nil {
						b.Error(err)
						return
					}
					lat.add(time.Since(start))
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "votes/s")
			lat.report(b)
			stopQueue()
			checkTallies(b, e, ids)
		})
	}
}

// checkTallies fails when the support tally of a proposal differs from its
// vote records: a vote counted twice or lost. One scan of the votes instead
// of a recount, which reads every proposal's votes one proposal at a time.
func checkTallies(tb testing.TB, e *partEnv, ids []string) {
	tb.Helper()
	ctx := context.Background()
	cur, err := e.db.C("votes").Find(ctx, bson.D{})
	if err != nil {
		tb.Fatal(err)
	}
	var votes []struct {
		ProposalID string `bson:"proposal_id"`
		Value      string `bson:"value"`
	}
	if err := cur.All(ctx, &votes); err != nil {
		tb.Fatal(err)
	}
	records := map[string]int{}
	for _, v := range votes {
		if v.Value == "support" {
			records[v.ProposalID]++
		}
	}
	for _, id := range ids {
		pr, err := e.db.Participation().FindProposal(ctx, id)
		if err != nil {
			tb.Fatal(err)
		}
		if pr.Tally.Support != records[id] {
			tb.Fatalf("proposal %s: tally %d, %d vote records", id, pr.Tally.Support, records[id])
		}
	}
}

// BenchmarkAddComment adds comments from 8 goroutines to a proposal whose
// thread already holds 10 or 1,000 comments, through the service with the
// Bleve index and the queue running: a comment's write should cost the
// same in both.
func BenchmarkAddComment(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("thread=%d", n), func(b *testing.B) {
			e := newPart(b)
			ctx := context.Background()
			c := e.consultation(b, nil)
			pr := e.proposal(b, c, e.user(), "Ein Vorschlag mit langer Diskussion")
			batch := mongo.SeedBatch{}
			for i := range n {
				batch.Comments = append(batch.Comments, &mitreden.Comment{ID: mongo.NewSeedID(), TargetType: "proposal", TargetID: pr.ID,
					ConsultationID: c.ID, AuthorID: "seed", AuthorName: "Seed", Body: fmt.Sprintf("Erzeugter Kommentar Nummer %d.", i),
					CreatedAt: e.clk.now})
			}
			if err := e.db.Participation().InsertSeed(ctx, batch); err != nil {
				b.Fatal(err)
			}
			stopQueue := e.p.StartIndexQueue(time.Second)
			defer stopQueue()
			author := e.user()
			var lat latencies
			b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0))) // 8 goroutines
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					start := time.Now()
					if _, err := e.p.AddComment(ctx, author, "proposal", pr.ID, mitreden.Comment{Body: "Noch ein Kommentar zur Diskussion."}); err != nil {
						b.Error(err)
						return
					}
					lat.add(time.Since(start))
				}
			})
			b.StopTimer()
			lat.report(b)
		})
	}
}

// latencies collects the durations of a benchmark's operations.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// report adds the median and the 95th percentile in milliseconds.
func (l *latencies) report(b *testing.B) {
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	at := func(q float64) float64 { return float64(l.d[int(q*float64(len(l.d)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.5), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
}
