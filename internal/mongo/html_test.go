package mongo_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
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

// The backfill's reads page through what another version rendered (or
// nothing did, as in documents of older releases, which lack the fields),
// and its writes store HTML only over the source it was rendered from.
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

	var found []string
	after := ""
	for range 10 {
		page, err := s.StaleHTMLComments(ctx, 2, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, cm := range page {
			found = append(found, cm.ID)
		}
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].ID
	}
	if len(found) != len(stale) {
		t.Fatalf("stale comments found %v, want %v", found, stale)
	}
	for i := range found {
		if found[i] != stale[i] {
			t.Fatalf("stale comments found %v, want %v in id order", found, stale)
		}
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
	if page, err := s.StaleHTMLComments(ctx, 2, stale[len(stale)-2], 10); err != nil || len(page) != 0 {
		t.Fatalf("still stale after the backfill: %d %v", len(page), err)
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
