package mongo_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// Every write stores the language of its texts, and a read returns it.
func TestLang_WrittenAndRead(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	c := &mitreden.Consultation{Title: "Verfahren", Body: "Text", Lang: "en", OpensAt: t0, ClosesAt: t0.Add(time.Hour)}
	if err := s.CreateConsultation(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, err := s.FindConsultation(ctx, c.ID); err != nil || got.Lang != "en" {
		t.Fatalf("consultation lang after create = %q, %v", got.Lang, err)
	}
	c.Lang = "de"
	if err := s.UpdateConsultation(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FindConsultation(ctx, c.ID); got.Lang != "de" {
		t.Fatalf("consultation lang after update = %q", got.Lang)
	}

	p := &mitreden.Proposal{ConsultationID: c.ID, AuthorID: "a", Title: "Title", Body: "Body", Status: mitreden.StatusSubmitted, Lang: "en"}
	if err := s.CreateProposal(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FindProposal(ctx, p.ID); got.Lang != "en" {
		t.Fatalf("proposal lang after create = %q", got.Lang)
	}
	p.Lang = "de"
	if err := s.UpdateProposalContent(ctx, p); err != nil {
		t.Fatal(err)
	}
	p.Answer, p.AnswerLang, p.Status = "Answer", "en", mitreden.StatusAccepted
	if err := s.SetProposalStatus(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FindProposal(ctx, p.ID); got.Lang != "de" || got.AnswerLang != "en" {
		t.Fatalf("proposal lang, answer lang after edit and answer = %q, %q", got.Lang, got.AnswerLang)
	}

	cm := &mitreden.Comment{TargetType: "proposal", TargetID: p.ID, ConsultationID: c.ID, AuthorID: "a", Body: "x", Lang: "en"}
	if err := s.CreateComment(ctx, cm); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FindComment(ctx, cm.ID); got.Lang != "en" {
		t.Fatalf("comment lang after create = %q", got.Lang)
	}
	cm.Lang = "de"
	if err := s.UpdateCommentBody(ctx, cm); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FindComment(ctx, cm.ID); got.Lang != "de" {
		t.Fatalf("comment lang after edit = %q", got.Lang)
	}
}

// Data of releases that stored no language gets it detected at every read,
// German when the text does not tell.
func TestLang_DetectedForOlderData(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	s := db.Participation()
	ctx := context.Background()
	insert := func(coll string, doc bson.D) string {
		t.Helper()
		id := bson.NewObjectID()
		if _, err := db.C(coll).InsertOne(ctx, append(bson.D{{Key: "_id", Value: id}, {Key: "created_at", Value: t0}}, doc...)); err != nil {
			t.Fatal(err)
		}
		return id.Hex()
	}
	en := insert("proposals", bson.D{{Key: "title", Value: "Open data for the city"},
		{Key: "body", Value: "The council should publish its budget."}, {Key: "answer", Value: "Wir prüfen das und melden uns."}})
	de := insert("proposals", bson.D{{Key: "title", Value: "Offene Daten"}, {Key: "body", Value: "Die Stadt soll ihren Haushalt veröffentlichen."}})
	unknown := insert("proposals", bson.D{{Key: "title", Value: "Radweg Nordstrasse"}, {Key: "body", Value: "Radweg Nordstrasse Radweg"}})
	for id, want := range map[string][2]string{en: {"en", "de"}, de: {"de", "de"}, unknown: {"de", "de"}} {
		got, err := s.FindProposal(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Lang != want[0] || got.AnswerLang != want[1] {
			t.Errorf("proposal %q: lang %q, answer lang %q; want %q", got.Title, got.Lang, got.AnswerLang, want)
		}
	}
	cm := insert("comments", bson.D{{Key: "target_type", Value: "proposal"}, {Key: "target_id", Value: en}, {Key: "body", Value: "I agree with this proposal."}})
	if got, err := s.FindComment(ctx, cm); err != nil || got.Lang != "en" {
		t.Errorf("older comment: lang %q, %v; want en", got.Lang, err)
	}
	c := insert("consultations", bson.D{{Key: "title", Value: "Which services first?"}, {Key: "summary", Value: "Tell us what the state should do first."}})
	if got, err := s.FindConsultation(ctx, c); err != nil || got.Lang != "en" {
		t.Errorf("older consultation: lang %q, %v; want en", got.Lang, err)
	}
}
