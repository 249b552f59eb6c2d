package mongo_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// Every write of a Markdown source stores the HTML it was given with it, and
// a read returns it unchanged.
func TestHTML_WrittenAndReadWithTheirSources(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	c := &mitreden.Consultation{Title: "Verfahren", Body: "*b*", BodyHTML: "<p><em>b</em></p>", HTMLVersion: 7,
		OpensAt: t0, ClosesAt: t0.Add(time.Hour)}
	if err := s.CreateConsultation(ctx, c); err != nil {
		t.Fatal(err)
	}
	c.Results, c.ResultsHTML = "**r**", "<p><strong>r</strong></p>"
	if err := s.UpdateConsultation(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, err := s.FindConsultation(ctx, c.ID); err != nil || got.BodyHTML != c.BodyHTML || got.ResultsHTML != c.ResultsHTML || got.HTMLVersion != 7 {
		t.Fatalf("consultation: %+v %v", got, err)
	}

	p := mustProposal(t, s, c.ID, 1, 1)
	p.Body, p.BodyHTML = "Ein geänderter Vorschlag.", "<p>Ein geänderter Vorschlag.</p>"
	if err := s.UpdateProposalContent(ctx, p); err != nil {
		t.Fatal(err)
	}
	p.Status, p.Answer, p.AnswerHTML = mitreden.StatusAccepted, "Ja.", "<p>Ja.</p>"
	if err := s.SetProposalStatus(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindProposal(ctx, p.ID)
	if err != nil || got.BodyHTML != p.BodyHTML || got.AnswerHTML != p.AnswerHTML {
		t.Fatalf("proposal: %+v %v", got, err)
	}
	if got.HTMLVersion != 0 {
		t.Errorf("an edit of one field claimed the version for all: %d", got.HTMLVersion)
	}

	cm := &mitreden.Comment{TargetType: "proposal", TargetID: p.ID, ConsultationID: c.ID, AuthorID: "u1", Body: "a",
		BodyHTML: "<p>a</p>", HTMLVersion: 7, CreatedAt: t0}
	if err := s.CreateComment(ctx, cm); err != nil {
		t.Fatal(err)
	}
	edit := &mitreden.Comment{ID: cm.ID, AuthorID: "u1", Body: "b", BodyHTML: "<p>b</p>", HTMLVersion: 8, EditedAt: t0}
	if err := s.UpdateCommentBody(ctx, edit); err != nil {
		t.Fatal(err)
	}
	if got, err := s.FindComment(ctx, cm.ID); err != nil || got.Body != "b" || got.BodyHTML != "<p>b</p>" || got.HTMLVersion != 8 || !got.Edited {
		t.Fatalf("edited comment: %+v %v", got, err)
	}
	if err := s.MarkCommentDeleted(ctx, cm.ID, "u1"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.FindComment(ctx, cm.ID); err != nil || got.BodyHTML != "" {
		t.Fatalf("deleted comment keeps its HTML: %+v %v", got, err)
	}
}

// The backfill finds what another version rendered (or nothing did, as in
// documents of older releases, which lack the fields), and its writes store
// HTML only over the source it was rendered from.
func TestHTML_StaleFoundAndSetOnlyOverItsSource(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	s := db.Participation()
	ctx := context.Background()
	var stale []string
	for i := range 7 {
		cm := &mitreden.Comment{TargetType: "proposal", TargetID: "p1", ConsultationID: "c1", AuthorID: "u1", Body: "x", CreatedAt: t0}
		switch i % 3 {
		case 0:
			cm.BodyHTML, cm.HTMLVersion = "<p>x</p>", 2 // current
		case 1:
			cm.BodyHTML, cm.HTMLVersion = "<p>x</p>", 1 // an older renderer's
		}
		if err := s.CreateComment(ctx, cm); err != nil {
			t.Fatal(err)
		}
		if cm.HTMLVersion != 2 {
			stale = append(stale, cm.ID)
		}
	}
	// A document as an older release wrote it: no HTML fields at all.
	old := bson.NewObjectID()
	if _, err := db.C("comments").InsertOne(ctx, bson.D{{Key: "_id", Value: old}, {Key: "target_type", Value: "proposal"},
		{Key: "target_id", Value: "p1"}, {Key: "body", Value: "alt"}, {Key: "created_at", Value: t0}}); err != nil {
		t.Fatal(err)
	}
	stale = append(stale, old.Hex())

	found, err := s.StaleHTMLComments(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(found)
	if !slices.Equal(found, stale) {
		t.Fatalf("stale comments found %v, want %v", found, stale)
	}

	moved := &mitreden.Comment{ID: old.Hex(), Body: "neu", BodyHTML: "<p>neu</p>", HTMLVersion: 2}
	if err := s.SetCommentHTML(ctx, moved); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("HTML of a replaced text stored: %v", err)
	}
	if err := s.SetCommentHTML(ctx, &mitreden.Comment{ID: old.Hex(), Body: "alt", BodyHTML: "<p>alt</p>", HTMLVersion: 2}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.FindComment(ctx, old.Hex()); err != nil || got.BodyHTML != "<p>alt</p>" || got.HTMLVersion != 2 {
		t.Fatalf("backfilled: %+v %v", got, err)
	}
	if found, err := s.StaleHTMLComments(ctx, 2); err != nil || len(found) != len(stale)-1 || slices.Contains(found, old.Hex()) {
		t.Fatalf("stale after the backfill: %v %v", found, err)
	}

	p := mustProposal(t, s, "c1", 1, 1)
	p.Answer = "anders"
	if err := s.SetProposalHTML(ctx, p); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("proposal HTML over another answer: %v", err)
	}
	c := &mitreden.Consultation{Title: "Verfahren", Body: "b", OpensAt: t0, ClosesAt: t0.Add(time.Hour)}
	if err := s.CreateConsultation(ctx, c); err != nil {
		t.Fatal(err)
	}
	c.Results = "anders"
	if err := s.SetConsultationHTML(ctx, c); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("consultation HTML over other results: %v", err)
	}
}

// BenchmarkStaleHTML_NothingStale is what the start-up backfill costs when
// every item has current HTML: one read per collection that finds nothing
// (on the embedded engine a scan; MongoDB answers from the html_ver index).
func BenchmarkStaleHTML_NothingStale(b *testing.B) {
	body := strings.Repeat("Ein Vorschlag von üblicher Länge mit einem *Wort* in Kursivschrift. ", 8)
	for _, size := range []struct {
		coll string
		n    int
	}{{"proposals", 10000}, {"comments", 10000}, {"comments", 100000}} {
		b.Run(fmt.Sprintf("%s=%d", size.coll, size.n), func(b *testing.B) {
			s := mongotest.MustOpenDB(b).Participation()
			ctx := context.Background()
			for done := 0; done < size.n; done += 5000 {
				var batch mongo.SeedBatch
				for i := range 5000 {
					if size.coll == "proposals" {
						batch.Proposals = append(batch.Proposals, &mitreden.Proposal{ID: mongo.NewSeedID(), ConsultationID: "c1",
							AuthorID: "u1", AuthorName: "Anna", Title: fmt.Sprintf("Vorschlag %d", done+i), Body: body,
							BodyHTML: "<p>" + body + "</p>", HTMLVersion: 1, Topics: []string{"Verwaltung"}, Status: mitreden.StatusSubmitted, CreatedAt: t0})
						continue
					}
					batch.Comments = append(batch.Comments, &mitreden.Comment{ID: mongo.NewSeedID(), TargetType: "proposal",
						TargetID: fmt.Sprintf("p%d", (done+i)/10), ConsultationID: "c1", AuthorID: "u1", AuthorName: "Anna",
						Body:        "Ein Kommentar von üblicher Länge, mit einem *Wort* in Kursivschrift und einem Satz mehr.",
						BodyHTML:    "<p>Ein Kommentar von üblicher Länge, mit einem <em>Wort</em> in Kursivschrift und einem Satz mehr.</p>",
						HTMLVersion: 1, CreatedAt: t0})
				}
				if err := s.InsertSeed(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			stale := s.StaleHTMLComments
			if size.coll == "proposals" {
				stale = s.StaleHTMLProposals
			}
			b.ResetTimer()
			for b.Loop() {
				if ids, err := stale(ctx, 1); err != nil || len(ids) != 0 {
					b.Fatalf("%d stale, %v", len(ids), err)
				}
			}
		})
	}
}
