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
// alone (the write plus one enqueued job; the jobs are left queued),
// "fanout" the time from the answer until every supporter's notification
// is stored and counted (the job run by the worker, as a server's runner
// does), checked on the first and the last supporter. Supporters are
// stored as votes without accounts, so no mail is rendered (a mail per
// person adds the mailer's render, insert and job per immediate
// recipient).
func BenchmarkAnswerFanOut(b *testing.B) {
	for _, n := range []int{0, 10000} {
		b.Run(fmt.Sprintf("answer/supporters=%d", n), func(b *testing.B) {
			e, pr, _ := fanOutEnv(b, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.p.AnswerProposal(context.Background(), e.admin, pr.ID, answerStatuses[i%2], "Die Verwaltung prüft den Vorschlag."); err != nil {
					b.Fatal(err)
				}
				e.clk.now = e.clk.now.Add(time.Millisecond)
			}
		})
		b.Run(fmt.Sprintf("fanout/supporters=%d", n), func(b *testing.B) {
			e, pr, ids := fanOutEnv(b, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				if _, err := e.p.AnswerProposal(context.Background(), e.admin, pr.ID, answerStatuses[i%2], "Die Verwaltung prüft den Vorschlag."); err != nil {
					b.Fatal(err)
				}
				e.clk.now = e.clk.now.Add(time.Millisecond)
				e.run(b)
				elapsed := time.Since(start)
				b.StopTimer()
				for _, id := range []string{ids[0], ids[len(ids)-1]} {
					if id == "" {
						continue
					}
					if got := e.total(b, id); got != i+1 {
						b.Fatalf("supporter %s has %d notifications, want %d", id, got, i+1)
					}
				}
				b.StartTimer()
				b.ReportMetric(elapsed.Seconds(), "s-until-all-stored")
			}
		})
	}
}

var answerStatuses = []string{mitreden.StatusInReview, mitreden.StatusAccepted}

// fanOutEnv is a proposal with n supporters (ids[0] and ids[n-1] are ""
// when n is 0).
func fanOutEnv(b *testing.B, n int) (*noteEnv, *mitreden.Proposal, []string) {
	b.Helper()
	e := newNotes(b)
	c := e.consultation(b, nil)
	pr := e.proposal(b, c, e.user(), "Mehr Grün auf dem Marktplatz")
	ids := make([]string, max(n, 1))
	for i := 0; i < n; i++ {
		ids[i] = fmt.Sprintf("%024x", i+1)
	}
	if err := e.db.Notifications().InsertSeedSupports(context.Background(), pr.ID, c.ID, ids[:n]); err != nil {
		b.Fatal(err)
	}
	return e, pr, ids
}

// total is the number of notifications of a person, from the counter
// alone (a page past the end lists nothing).
func (e *noteEnv) total(tb testing.TB, userID string) int {
	tb.Helper()
	pg, err := e.n.ReadNotifications(context.Background(), &mitreden.User{ID: userID}, 1<<20, 1)
	if err != nil {
		tb.Fatal(err)
	}
	return pg.Total
}
