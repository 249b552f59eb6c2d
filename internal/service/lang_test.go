package service_test

import (
	"context"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Every contribution is stored with its language: the writer's choice,
// else detected from the text, else the writer's interface language; and
// its search document carries it.
func TestLang_StoredAtWrite(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	if got, _ := e.p.Consultation(ctx, c.ID); got.Lang != "de" {
		t.Errorf("German consultation stored as %q", got.Lang)
	}
	enCons := e.consultation(t, func(c *mitreden.Consultation) {
		c.Title, c.Summary, c.Body = "Which services first?", "Tell us which services the state should bring online first.", "The state wants to offer the most important services online by 2027."
	})
	if got, _ := e.p.Consultation(ctx, enCons.ID); got.Lang != "en" {
		t.Errorf("English consultation stored as %q", got.Lang)
	}

	german := e.user() // interface language unset: German
	english := e.user()
	english.Language = "en"
	lang := func(pr *mitreden.Proposal) (string, string) {
		t.Helper()
		got, _, err := e.p.Proposal(ctx, pr.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Lang, got.AnswerLang
	}
	for _, tc := range []struct {
		name        string
		writer      *mitreden.User
		title, body string
		chosen      string
		want        string
	}{
		{"detected English", german, "Open data for the city", "The council should publish its budget as open data.", "", "en"},
		{"detected German", english, "Offene Daten für die Stadt", "Der Rat soll den Haushalt als offene Daten veröffentlichen.", "", "de"},
		{"chosen over detected", german, "Offene Daten für die Stadt", "Der Rat soll den Haushalt als offene Daten veröffentlichen.", "en", "en"},
		{"undecidable: writer's interface", english, "Radweg Nordstrasse", "Radweg Nordstrasse, Radweg Suedstrasse", "", "en"},
		{"undecidable: German interface", german, "Radweg Nordstrasse", "Radweg Nordstrasse, Radweg Suedstrasse", "", "de"},
	} {
		pr := &mitreden.Proposal{Title: tc.title, Body: tc.body, Lang: tc.chosen}
		if err := e.p.CreateProposal(ctx, tc.writer, c.ID, pr); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got, _ := lang(pr); got != tc.want {
			t.Errorf("%s: stored %q, want %q", tc.name, got, tc.want)
		}
	}
	if err := e.p.CreateProposal(ctx, german, c.ID, &mitreden.Proposal{Title: "Offene Daten", Body: "Der Rat soll den Haushalt veröffentlichen.", Lang: "fr"}); mitreden.ErrorCode(err) != mitreden.EINVALID {
		t.Errorf("lang fr: %v, want invalid", err)
	}

	// An edit detects the language again; the answer has its own.
	pr := &mitreden.Proposal{Title: "Offene Daten für die Stadt", Body: "Der Rat soll den Haushalt als offene Daten veröffentlichen."}
	if err := e.p.CreateProposal(ctx, german, c.ID, pr); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.EditProposal(ctx, german, pr.ID, mitreden.Proposal{Title: "Open data for the city", Body: "The council should publish its budget as open data."}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.AnswerProposal(ctx, e.admin, pr.ID, mitreden.StatusAccepted, "Wir werden den Haushalt ab dem nächsten Jahr veröffentlichen."); err != nil {
		t.Fatal(err)
	}
	if l, al := lang(pr); l != "en" || al != "de" {
		t.Errorf("after an English edit and a German answer: lang %q, answer lang %q", l, al)
	}
	res, err := e.idx.Search(ctx, mitreden.SearchQuery{Text: "council budget"})
	if err != nil || res.Total == 0 {
		t.Fatalf("English proposal not found: %v %+v", err, res)
	}
	for _, h := range res.Items {
		if h.Type == mitreden.SearchTypeProposal && h.Lang != "en" {
			t.Errorf("search document of the English proposal: lang %q", h.Lang)
		}
	}
	res, err = e.idx.Search(ctx, mitreden.SearchQuery{Text: "Haushalt nächsten Jahr", Types: []string{mitreden.SearchTypeAnswer}})
	if err != nil || res.Total != 1 || res.Items[0].Lang != "de" || res.Items[0].TitleLang != "en" || res.Items[0].ConsultationLang != "de" {
		t.Errorf("German answer to the English proposal: %v %+v", err, res)
	}

	// Comments: chosen, detected, the interface as the fallback; an edit
	// detects again and keeps the language when the new text does not tell.
	for _, tc := range []struct {
		writer       *mitreden.User
		body, chosen string
		want         string
	}{
		{german, "I agree with this, the budget should be public.", "", "en"},
		{english, "Das sehe ich genauso, der Haushalt muss öffentlich sein.", "", "de"},
		{english, "Gute Idee!", "", "en"},
		{german, "Good idea!", "", "de"},
		{german, "Gute Idee!", "en", "en"},
	} {
		cm, err := e.p.AddComment(ctx, tc.writer, "proposal", pr.ID, mitreden.Comment{Body: tc.body, Lang: tc.chosen})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := e.p.ReadComment(ctx, nil, cm.ID); got.Lang != tc.want {
			t.Errorf("comment %q by a %q reader, chosen %q: stored %q, want %q", tc.body, tc.writer.Language, tc.chosen, got.Lang, tc.want)
		}
	}
	if _, err := e.p.AddComment(ctx, german, "proposal", pr.ID, mitreden.Comment{Body: "Gute Idee!", Lang: "fr"}); mitreden.ErrorCode(err) != mitreden.EINVALID {
		t.Errorf("comment with lang fr: %v, want invalid", err)
	}
	cm, err := e.p.AddComment(ctx, german, "proposal", pr.ID, mitreden.Comment{Body: "Das ist nicht das, was wir brauchen."})
	if err != nil {
		t.Fatal(err)
	}
	if it, err := e.p.EditComment(ctx, german, cm.ID, "This is not what we need at all."); err != nil || it.Lang != "en" {
		t.Errorf("comment edited to English: %v, lang %q", err, it.Lang)
	}
	if it, err := e.p.EditComment(ctx, german, cm.ID, "+1"); err != nil || it.Lang != "en" {
		t.Errorf("comment edited to no words: %v, lang %q, want it kept", err, it.Lang)
	}
	res, err = e.idx.Search(ctx, mitreden.SearchQuery{Text: "budget public", Types: []string{mitreden.SearchTypeComment}})
	if err != nil || res.Total != 1 || res.Items[0].Lang != "en" || res.Items[0].TitleLang != "" {
		t.Errorf("English comment on the English proposal: %v %+v", err, res)
	}
}
