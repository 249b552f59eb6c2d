package http_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// The proposal and comment forms offer "Sprache des Beitrags" (automatic,
// Deutsch, English); a choice wins over the detection, and the API takes
// and tells the language as lang.
func TestLangChosenInFormsAndAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	_, pw := e.createUser("erika@example.org", "Erika")
	now := time.Now().UTC()
	c := &mitreden.Consultation{Title: "Offene Daten in der Stadt", Summary: "Welche Daten soll die Stadt veröffentlichen?",
		Body: "Die Stadt will ihre Daten offen und für alle nutzbar machen.", OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(48 * time.Hour),
		VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.Participation.CreateConsultation(ctx, admin, c); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.loginForm("erika@example.org", pw)
	_, doc := b.get("/consultations/" + c.ID + "/proposals/new")
	if doc.Find(`label[for="lang"]`).Text() == "" || doc.Find(`select#lang[name="lang"] option[value=""]`).Length() != 1 ||
		doc.Find(`select#lang option[value="en"]`).Length() != 1 {
		t.Fatal("the proposal form has no labelled language select with an automatic choice")
	}
	tok := b.csrf("/consultations/" + c.ID + "/proposals/new")
	// German words, but the writer says it is English (a name, a quote).
	resp, _ := b.post("/consultations/"+c.ID+"/proposals", url.Values{"_csrf": {tok}, "title": {"Die Stadt und der Fluss"},
		"body": {"Die Stadt und der Fluss ist der Titel eines englischen Buches über die Stadt."}, "lang": {"en"}})
	if resp.StatusCode != 303 {
		t.Fatalf("proposal form: status %d", resp.StatusCode)
	}
	loc, _ := resp.Location()
	pid := loc.Path[len("/proposals/"):]
	pr, _, err := e.Participation.Proposal(ctx, pid)
	if err != nil || pr.Lang != "en" {
		t.Fatalf("proposal stored with lang %q (%v), want the chosen en", pr.Lang, err)
	}
	_, doc = b.get("/proposals/" + pid + "/edit")
	if v, _ := doc.Find(`select#lang option[selected]`).Attr("value"); v != "en" {
		t.Errorf("the edit form preselects %q, want the stored en", v)
	}

	_, doc = b.get("/proposals/" + pid)
	if doc.Find(`select#new-comment-lang[name="lang"]`).Length() != 1 || doc.Find(`label[for="new-comment-lang"]`).Length() != 1 {
		t.Fatal("the comment form has no labelled language select")
	}
	tok = b.csrf("/proposals/" + pid)
	resp, _ = b.post("/proposals/"+pid+"/comments", url.Values{"_csrf": {tok}, "body": {"Gute Idee!"}, "lang": {"en"}})
	if resp.StatusCode != 303 {
		t.Fatalf("comment form: status %d", resp.StatusCode)
	}
	d, err := e.Participation.ReadDiscussion(ctx, nil, mitreden.TargetProposal, pid, "")
	if err != nil || len(d.Comments) != 1 || d.Comments[0].Lang != "en" {
		t.Fatalf("comment stored: %v %+v, want lang en", err, d)
	}

	// The API: lang in, lang out (the contract test checks it against the spec).
	token := e.login("erika@example.org", pw)
	r := e.api("POST", "/api/v1/consultations/"+c.ID+"/proposals", token, map[string]any{"title": "Open data for the city",
		"body": "The council should publish its budget as open data."})
	var out struct{ ID, Lang string }
	decodeJSON(t, r, &out)
	if r.StatusCode != 201 || out.Lang != "en" {
		t.Fatalf("API proposal: status %d, lang %q; want 201, detected en", r.StatusCode, out.Lang)
	}
	r = e.api("PATCH", "/api/v1/proposals/"+out.ID, token, map[string]any{"title": "Offene Daten für die Stadt",
		"body": "Der Rat soll den Haushalt als offene Daten veröffentlichen."})
	decodeJSON(t, r, &out)
	if r.StatusCode != 200 || out.Lang != "de" {
		t.Fatalf("API proposal patched to German: status %d, lang %q; want de detected again", r.StatusCode, out.Lang)
	}
	r = e.api("POST", "/api/v1/proposals/"+out.ID+"/comments", token, map[string]any{"body": "Gute Idee!", "lang": "fr"})
	if r.StatusCode != 422 {
		t.Errorf("API comment with lang fr: status %d, want 422", r.StatusCode)
	}
	r = e.api("POST", "/api/v1/proposals/"+out.ID+"/comments", token, map[string]any{"body": "Gute Idee!", "lang": "en"})
	decodeJSON(t, r, &out)
	if r.StatusCode != 201 || out.Lang != "en" {
		t.Errorf("API comment: status %d, lang %q; want 201, en", r.StatusCode, out.Lang)
	}
}
