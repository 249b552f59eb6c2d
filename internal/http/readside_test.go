package http_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// Pages and the API render what the service's read side decided: permission
// flags with their reasons, redaction of hidden comments, and the phase
// instead of a login once a consultation closed.
func TestReadSide_PagesAndAPIShowTheServicesDecisions(t *testing.T) {
	e := newEnv(t)
	adminUser, apw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	admin := e.login("admin@example.org", apw)
	author, epw := e.createUser("erika@example.org", "Erika")
	erika := e.login("erika@example.org", epw)
	_, jpw := e.createUser("jonas@example.org", "Jonas")
	cid := newConsultationAPI(t, e, admin, nil)
	resp := e.api("POST", "/api/v1/consultations/"+cid+"/proposals", erika, map[string]any{"title": "Wohngeld online beantragen",
		"body": "Bitte das Wohngeld vollständig online beantragen können."})
	var pr struct{ ID string }
	decodeJSON(t, resp, &pr)

	// Anonymous while open: a login is what is missing.
	var got struct {
		Permissions map[string]struct {
			Allowed         bool
			Reason, Message string
		}
	}
	decodeJSON(t, e.api("GET", "/api/v1/proposals/"+pr.ID, "", nil), &got)
	if v := got.Permissions["vote"]; v.Allowed || v.Reason != "error.unauthorized" || v.Message == "" {
		t.Fatalf("anonymous vote permission: %+v", v)
	}
	decodeJSON(t, e.api("GET", "/api/v1/proposals/"+pr.ID, erika, nil), &got)
	if !got.Permissions["edit"].Allowed || !got.Permissions["withdraw"].Allowed || got.Permissions["answer"].Allowed {
		t.Fatalf("author's permissions: %+v", got.Permissions)
	}

	// Hidden comments: no text, no author, except for moderators.
	resp = e.api("POST", "/api/v1/proposals/"+pr.ID+"/comments", erika, map[string]any{"body": "Ein Kommentar, der später ausgeblendet wird."})
	var cm struct{ ID string }
	decodeJSON(t, resp, &cm)
	if err := e.Participation.Moderate(context.Background(), adminUser, mitreden.ActionHide, service.ItemRef{Type: mitreden.ItemComment, ID: cm.ID}, "Beleidigend"); err != nil {
		t.Fatal(err)
	}
	for token, wantBody := range map[string]bool{"": false, erika: false, admin: true} {
		var list struct {
			Items []struct {
				Body     string
				BodyHTML string `json:"body_html"`
				Hidden   bool
				Author   struct{ ID, DisplayName string }
			}
		}
		decodeJSON(t, e.api("GET", "/api/v1/proposals/"+pr.ID+"/comments", token, nil), &list)
		it := list.Items[0]
		if !it.Hidden || (it.Author.ID != "") != wantBody {
			t.Errorf("hidden comment for %q: %+v", token, it)
		}
	}
	b := e.browser()
	_, doc := b.get("/proposals/" + pr.ID)
	if strings.Contains(doc.Find("main").Text(), "später ausgeblendet") || doc.Find("#comment-"+cm.ID+" form").Length() != 0 {
		t.Fatalf("hidden comment on the page: %s", doc.Find("#comment-"+cm.ID).Text())
	}

	// Form input goes through the validator: bad values are 422 with a field.
	jb := e.browser()
	jb.loginForm("jonas@example.org", jpw)
	tok := jb.csrf("/proposals/" + pr.ID)
	if resp, _ := jb.post("/proposals/"+pr.ID+"/vote", url.Values{"_csrf": {tok}, "value": {"ja-bitte"}}); resp.StatusCode != 422 {
		t.Fatalf("vote value ja-bitte: %d", resp.StatusCode)
	}
	resp = e.api("POST", "/api/v1/proposals/"+pr.ID+"/comments", erika, map[string]any{"body": "Sichtbarer Kommentar"})
	var visible struct{ ID string }
	decodeJSON(t, resp, &visible)
	if resp, _ := jb.post("/comments/"+visible.ID+"/vote", url.Values{"_csrf": {tok}, "value": {"7"}}); resp.StatusCode != 422 {
		t.Fatalf("comment vote 7: %d", resp.StatusCode)
	}
	if resp, _ := jb.post("/comments/"+visible.ID+"/vote", url.Values{"_csrf": {tok}, "value": {"1"}}); resp.StatusCode != 303 {
		t.Fatalf("comment vote 1: %d", resp.StatusCode)
	}

	// After the close: the phase is said, nobody is asked to log in, and
	// comment votes are refused like every other write.
	later := time.Now().Add(72 * time.Hour)
	e.Now.Store(&later)
	// Sessions end after 12 hours: everyone logs in again.
	jb.loginForm("jonas@example.org", jpw)
	tok = jb.csrf("/proposals/" + pr.ID)
	erika, admin = e.login("erika@example.org", epw), e.login("admin@example.org", apw)
	_, doc = b.get("/proposals/" + pr.ID)
	main := doc.Find("main")
	if main.Find(`a[href^="/login"]`).Length() != 0 {
		t.Errorf("closed proposal page invites to log in: %s", main.Find(`a[href^="/login"]`).Text())
	}
	if !strings.Contains(main.Find(".vote-box").Text(), "die Ergebnisse werden ausgewertet") {
		t.Errorf("closed proposal page does not say the phase: %s", main.Find(".vote-box").Text())
	}
	_, doc = jb.get("/proposals/" + pr.ID)
	if doc.Find(`form[action="/comments/`+visible.ID+`/vote"]`).Length() != 0 {
		t.Errorf("comment vote buttons after the close")
	}
	if resp, _ := jb.post("/comments/"+visible.ID+"/vote", url.Values{"_csrf": {tok}, "value": {"-1"}}); resp.StatusCode != 409 {
		t.Fatalf("comment vote after the close: %d", resp.StatusCode)
	}
	readProblem(t, e.api("PUT", "/api/v1/comments/"+visible.ID+"/vote", erika, map[string]int{"value": 1}), 409)
	// The author cannot withdraw any more; the answer stays possible.
	if _, err := e.Participation.WithdrawProposal(context.Background(), author, pr.ID); mitreden.ErrorMessage(err) != "proposal.withdraw_closed" {
		t.Fatalf("withdraw after the close: %v", err)
	}
	resp = e.api("POST", "/api/v1/proposals/"+pr.ID+"/answer", admin, map[string]any{"status": "accepted", "answer": "Wird umgesetzt."})
	if resp.StatusCode != 200 {
		t.Fatalf("answer after the close: %d %s", resp.StatusCode, readBody(resp))
	}
}

// Switching the voting mode after votes is refused on the form itself, with
// the message next to the field and the admin's input kept.
func TestConsultationForm_VotingModeLockedAfterVotes(t *testing.T) {
	e := newEnv(t)
	_, apw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	admin := e.login("admin@example.org", apw)
	_, epw := e.createUser("erika@example.org", "Erika")
	erika := e.login("erika@example.org", epw)
	cid := newConsultationAPI(t, e, admin, nil)
	resp := e.api("POST", "/api/v1/consultations/"+cid+"/proposals", erika, map[string]any{"title": "Wohngeld online beantragen",
		"body": "Bitte das Wohngeld vollständig online beantragen können."})
	var pr struct{ ID string }
	decodeJSON(t, resp, &pr)
	if resp := e.api("PUT", "/api/v1/proposals/"+pr.ID+"/vote", erika, map[string]string{"value": "support"}); resp.StatusCode != 200 {
		t.Fatalf("vote: %d", resp.StatusCode)
	}
	p := readProblem(t, e.api("PATCH", "/api/v1/consultations/"+cid, admin, map[string]any{"voting_mode": "rating"}), 409)
	if len(p.Errors) != 1 || p.Errors[0].Field != "voting_mode" {
		t.Fatalf("API refusal: %+v", p)
	}
	b := e.browser()
	b.loginForm("admin@example.org", apw)
	_, doc := b.get("/consultations/" + cid + "/edit")
	form := url.Values{}
	doc.Find("form input, form textarea, form select").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		if name == "" {
			return
		}
		if typ, _ := s.Attr("type"); typ == "checkbox" {
			if _, on := s.Attr("checked"); !on {
				return
			}
		}
		switch {
		case goquery.NodeName(s) == "textarea":
			form.Set(name, s.Text())
		case goquery.NodeName(s) == "select":
			form.Set(name, s.Find("option[selected]").AttrOr("value", ""))
		default:
			form.Set(name, s.AttrOr("value", ""))
		}
	})
	form.Set("voting_mode", "rating")
	form.Set("title", "Welche Dienste zuerst online, neu gefasst?")
	resp, doc = b.post("/consultations/"+cid, form)
	if resp.StatusCode != 409 {
		t.Fatalf("form: %d", resp.StatusCode)
	}
	if doc.Find(`#error-summary a[href="#voting_mode"]`).Length() != 1 {
		t.Fatalf("error summary does not link the field: %s", doc.Find("#error-summary").Text())
	}
	if v, _ := doc.Find("#title").Attr("value"); v != "Welche Dienste zuerst online, neu gefasst?" {
		t.Fatalf("typed title lost: %q", v)
	}
}
