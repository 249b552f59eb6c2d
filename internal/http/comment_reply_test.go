package http_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Replying happens on a page of its own: a discussion page links each
// comment's reply page instead of carrying a form per comment, and a failed
// reply comes back to that page with the text kept and the error linked.
func TestCommentReply_PageOfItsOwn(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	erika, epw := e.createUser("erika@example.org", "Erika")
	now := time.Now().UTC()
	c := &mitreden.Consultation{Title: "Welche Dienste zuerst online?", Summary: "Sagen Sie uns, was zuerst digital werden soll.",
		Body: "Das Land will die wichtigsten Leistungen online anbieten.", Region: "Land", OpensAt: now.Add(-time.Hour),
		ClosesAt: now.Add(48 * time.Hour), VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.Participation.CreateConsultation(ctx, admin, c); err != nil {
		t.Fatal(err)
	}
	pr := &mitreden.Proposal{Title: "Wohngeld online beantragen", Body: "Bitte das Wohngeld vollständig online beantragen können."}
	if err := e.Participation.CreateProposal(ctx, erika, c.ID, pr); err != nil {
		t.Fatal(err)
	}
	cm, err := e.Participation.AddComment(ctx, admin, "proposal", pr.ID, mitreden.Comment{Body: "Was genau fehlt noch?"})
	if err != nil {
		t.Fatal(err)
	}
	reply := "/comments/" + cm.ID + "/reply"

	anon := e.browser()
	if resp, doc := anon.get(reply); resp.StatusCode != 200 || doc.Find(`a[href="/login?return=`+reply+`"]`).Length() != 1 ||
		doc.Find("textarea").Length() != 0 {
		t.Fatalf("anonymous reply page: %d, login link %d", resp.StatusCode, doc.Find(`a[href^="/login"]`).Length())
	}

	b := e.browser()
	b.loginForm("erika@example.org", epw)
	_, doc := b.get("/proposals/" + pr.ID)
	if n := doc.Find("#comments textarea").Length(); n != 1 {
		t.Errorf("the discussion page has %d text areas, want only the new comment's", n)
	}
	if doc.Find(`#comment-`+cm.ID+` a[href="`+reply+`"]`).Length() != 1 {
		t.Fatal("the comment does not link its reply page")
	}
	resp, doc := b.get(reply)
	form := doc.Find(`form[action="/proposals/` + pr.ID + `/comments"]`)
	if resp.StatusCode != 200 || form.Find(`input[name="parent_id"][value="`+cm.ID+`"]`).Length() != 1 || form.Find("#reply-body").Length() != 1 ||
		!strings.Contains(doc.Find("main").Text(), "Was genau fehlt noch?") {
		t.Fatalf("reply page: %d, form %d", resp.StatusCode, form.Length())
	}
	tok, _ := doc.Find(`input[name="_csrf"]`).Attr("value")

	// Too long: the reply page again, text kept, error linked to the field.
	long := strings.Repeat("x", mitreden.CommentBodyMax+1)
	resp, doc = b.post("/proposals/"+pr.ID+"/comments", url.Values{"_csrf": {tok}, "parent_id": {cm.ID}, "body": {long}})
	if resp.StatusCode != 422 || doc.Find(`#error-summary a[href="#reply-body"]`).Length() != 1 || doc.Find("#reply-body").Text() != long {
		t.Fatalf("failed reply: %d, summary link %d", resp.StatusCode, doc.Find(`#error-summary a[href="#reply-body"]`).Length())
	}

	resp, _ = b.post("/proposals/"+pr.ID+"/comments", url.Values{"_csrf": {tok}, "parent_id": {cm.ID}, "body": {"Der Nachweis der Miete."}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || !strings.HasPrefix(loc, "/comments/") {
		t.Fatalf("reply: %d to %q", resp.StatusCode, loc)
	}
	d, err := e.Participation.ReadDiscussion(ctx, erika, "proposal", pr.ID, "oldest")
	if err != nil || len(d.Comments) != 1 || len(d.Comments[0].Replies) != 1 {
		t.Fatalf("the reply is not under its comment: %v", err)
	}
}

// The answer to a new comment (built from what was written, without
// reading it back) is the comment as the discussion then lists it, for a
// comment and a reply.
func TestCommentAPI_CreatedAnswersAsListed(t *testing.T) {
	e := newEnv(t)
	f := newCommentFixture(t, e)
	token := e.login(f.email, f.pw)
	for _, body := range []map[string]any{
		{"body": "Ein neuer Gedanke zum **Wohngeld**.", "alignment": "for"},
		{"body": "Eine Antwort auf die Frage.", "parent_id": f.comment},
	} {
		resp := e.api("POST", "/api/v1/proposals/"+f.proposal+"/comments", token, body)
		if resp.StatusCode != 201 {
			t.Fatalf("create: %d %s", resp.StatusCode, readBody(resp))
		}
		var created map[string]any
		decodeJSON(t, resp, &created)
		var list struct {
			Items []map[string]any `json:"items"`
		}
		decodeJSON(t, e.api("GET", "/api/v1/proposals/"+f.proposal+"/comments?sort=newest", token, nil), &list)
		var listed map[string]any
		for _, it := range list.Items {
			if it["id"] == created["id"] {
				listed = it
			}
		}
		if listed == nil {
			t.Fatalf("the new comment %v is not listed", created["id"])
		}
		a, _ := json.Marshal(created)
		b, _ := json.Marshal(listed)
		if string(a) != string(b) {
			t.Errorf("created:\n%s\nlisted:\n%s", a, b)
		}
	}
}
