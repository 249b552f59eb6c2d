package service_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/mitreden/mitreden/internal/service"
)

// BenchmarkVote measures casting and withdrawing a support on the embedded
// store without search, so the figure is the store's: the counter
// bookkeeping recount relies on adds one update to each.
func BenchmarkVote(b *testing.B) {
	e := newPart(b)
	ctx := context.Background()
	c := e.consultation(b, nil)
	pr := e.proposal(b, c, e.user(), "Ein Vorschlag zum Messen")
	p := service.NewParticipation(e.db.Participation(), nil, e.clk.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	voter := e.user()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Vote(ctx, voter, pr.ID, "support"); err != nil {
			b.Fatal(err)
		}
		if _, err := p.Unvote(ctx, voter, pr.ID); err != nil {
			b.Fatal(err)
		}
	}
}
