package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/service"
)

// seedThread adds an open consultation with k proposals of n comments each
// and prints the proposals' ids on out, one a line, for the benchmark's long
// discussions. About a third of the comments reply to the one before (up to
// the nesting limit), as in the demo. Everything is indexed for search, so a
// server started afterwards finds its index complete.
func seedThread(ctx context.Context, e *env, n, k int, out, progress io.Writer) error {
	start := time.Now()
	rng := rand.New(rand.NewPCG(uint64(n), uint64(k)))
	now := time.Now().UTC().Truncate(time.Second)
	authors, err := seedCitizens(ctx, e, "thread", 100, "Thread-Buerger-2026!", now)
	if err != nil {
		return err
	}
	c := &mitreden.Consultation{Title: fmt.Sprintf("Lange Diskussion: %d Kommentare je Vorschlag", n),
		Summary: "Erzeugte Diskussionen für Lasttests der Plattform.", Body: "Dieses Beteiligungsverfahren wurde für Messungen erzeugt.",
		Region: "Land Nordrhein-Westfalen", Topics: []string{scaleWords[n%len(scaleWords)]}, OpensAt: now.AddDate(0, 0, -7),
		ClosesAt: now.AddDate(1, 0, 0), VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true, SupportThreshold: 15}
	if err := e.participation.CreateConsultation(ctx, service.System, c); err != nil {
		return err
	}
	st := e.db.Participation()
	docs := service.NewSearchDocs(st, service.SystemClock)
	render := service.NewSeedRenderer()
	for i := 0; i < k; i++ {
		a := authors[rng.IntN(len(authors))]
		created := c.OpensAt.Add(time.Duration(i+1) * time.Minute)
		p := &mitreden.Proposal{ID: mongo.NewSeedID(), ConsultationID: c.ID, AuthorID: a.ID, AuthorName: a.DisplayName,
			Title: fmt.Sprintf("Vorschlag mit %d Kommentaren (%d)", n, i+1), Body: demoBodies[i%len(demoBodies)],
			Topics: c.Topics, Status: mitreden.StatusSubmitted, Rand: rng.Int64N(1 << 62), CreatedAt: created, UpdatedAt: created}
		batch := mongo.SeedBatch{Proposals: []*mitreden.Proposal{p}}
		var last *mitreden.Comment
		for j := 0; j < n; j++ {
			ca := authors[rng.IntN(len(authors))]
			cm := &mitreden.Comment{ID: mongo.NewSeedID(), TargetType: "proposal", TargetID: p.ID, ConsultationID: c.ID,
				AuthorID: ca.ID, AuthorName: ca.DisplayName, Body: demoComments[rng.IntN(len(demoComments))],
				Alignment: []string{"", "for", "against", "neutral", "for"}[rng.IntN(5)], CreatedAt: created.Add(time.Duration(j+1) * time.Second)}
			if last != nil && last.Depth < mitreden.CommentMaxDepth && rng.IntN(3) == 0 {
				cm.ParentID, cm.Depth = last.ID, last.Depth+1
			}
			last = cm
			batch.Comments = append(batch.Comments, cm)
			countSeedComment(p, cm)
		}
		renderBatch(render, &batch)
		if err := st.InsertSeed(ctx, batch); err != nil {
			return err
		}
		if err := st.IncConsultationCounts(ctx, c.ID, 1, n); err != nil {
			return err
		}
		if e.searcher != nil {
			index := docs.Proposal(p, c)
			for _, cm := range batch.Comments {
				index = append(index, docs.Comment(cm, c, p))
			}
			if err := e.searcher.Index(ctx, index...); err != nil {
				return err
			}
		}
		fmt.Fprintln(out, p.ID)
	}
	fmt.Fprintf(progress, "generated %d proposals with %d comments each in %s\n", k, n, time.Since(start).Round(time.Millisecond))
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
