package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// BenchmarkAnswerFanOut measures answering a proposal with 0 and with
// 10,000 supporters on the embedded engine: "answer" is the admin's call
// alone (the write plus one enqueued job), "fanout" the time from the
// answer until every supporter's notification is stored (the job run by
// the worker, as a server's runner does). Supporters are stored as votes
// without accounts, so no mail is rendered (a mail per person adds the
// mailer's render, insert and job per immediate recipient).
func BenchmarkAnswerFanOut(b *testing.B) {
	for _, n := range []int{0, 10000} {
		e := newNotes(b)
		ctx := context.Background()
		c := e.consultation(b, nil)
		pr := e.proposal(b, c, e.user(), "Mehr Grün auf dem Marktplatz")
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("%024x", i+1)
		}
		if err := e.db.Notifications().InsertSeedSupports(ctx, pr.ID, c.ID, ids); err != nil {
			b.Fatal(err)
		}
		statuses := []string{mitreden.StatusInReview, mitreden.StatusAccepted}
		b.Run(fmt.Sprintf("answer/supporters=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := e.p.AnswerProposal(ctx, e.admin, pr.ID, statuses[i%2], "Die Verwaltung prüft den Vorschlag."); err != nil {
					b.Fatal(err)
				}
				e.clk.now = e.clk.now.Add(time.Millisecond)
			}
			b.StopTimer()
			e.run(b) // the fan-outs of this round, outside the measure
		})
		b.Run(fmt.Sprintf("fanout/supporters=%d", n), func(b *testing.B) {
			var last string
			if n > 0 {
				last = ids[n-1]
			}
			for i := 0; i < b.N; i++ {
				before := e.total(b, last)
				start := time.Now()
				if _, err := e.p.AnswerProposal(ctx, e.admin, pr.ID, statuses[i%2], "Die Verwaltung prüft den Vorschlag."); err != nil {
					b.Fatal(err)
				}
				e.clk.now = e.clk.now.Add(time.Millisecond)
				e.run(b)
				elapsed := time.Since(start)
				if n > 0 {
					if got := e.total(b, ids[0]); got != before+1 {
						b.Fatalf("first supporter has %d notifications, want %d", got, before+1)
					}
					if got := e.total(b, last); got != before+1 {
						b.Fatalf("last supporter has %d notifications, want %d", got, before+1)
					}
				}
				b.ReportMetric(float64(elapsed.Milliseconds()), "ms-until-all-stored")
			}
		})
	}
}

// total is the number of notifications of a person ("" has none).
func (e *noteEnv) total(tb testing.TB, userID string) int {
	tb.Helper()
	if userID == "" {
		return 0
	}
	pg, err := e.n.ReadNotifications(context.Background(), &mitreden.User{ID: userID}, 1, 1)
	if err != nil {
		tb.Fatal(err)
	}
	return pg.Total
}
