package http_test

import (
	"context"
	"encoding/json"
	nethttp "net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// commentFixture is an open consultation with a proposal and one comment
// by the admin, and a citizen who writes.
type commentFixture struct {
	cons, proposal, comment string
	email, pw               string
	citizen                 *mitreden.User
}

func newCommentFixture(t *testing.T, e *testEnv) *commentFixture {
	t.Helper()
	ctx := context.Background()
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	erika, epw := e.createUser("erika@example.org", "Erika")
	now := time.Now().UTC()
	c := &mitreden.Consultation{Title: "Welche Dienste zuerst online?", Summary: "Sagen Sie uns, was zuerst digital werden soll.",
		Body: "Das Land will die wichtigsten Leistungen online anbieten.", Region: "Land", OpensAt: now.Add(-24 * time.Hour),
		ClosesAt: now.Add(30 * 24 * time.Hour), VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
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
	return &commentFixture{cons: c.ID, proposal: pr.ID, comment: cm.ID, email: "erika@example.org", pw: epw, citizen: erika}
}

// commentForm is one comment form the tests fill: the page that shows it,
// where it posts, its text area's id and the fields it sends besides the text.
type commentForm struct {
	name, page, action, field string
	extra                     url.Values
}

func (f *commentFixture) forms() []commentForm {
	return []commentForm{
		{"proposal comment", "/proposals/" + f.proposal, "/proposals/" + f.proposal + "/comments", "new-comment-body", nil},
		{"consultation comment", "/consultations/" + f.cons, "/consultations/" + f.cons + "/comments", "new-comment-body", nil},
		{"reply", "/comments/" + f.comment + "/reply", "/proposals/" + f.proposal + "/comments", "reply-body", url.Values{"parent_id": {f.comment}}},
	}
}

func (cf commentForm) values(tok, body string) url.Values {
	v := url.Values{"_csrf": {tok}, "body": {body}}
	for k, x := range cf.extra {
		v[k] = x
	}
	return v
}

// fieldLinked checks that the page reports one error for the text area id:
// one error summary linking to it, the field marked invalid and described
// by its message.
func fieldLinked(t *testing.T, what string, doc *goquery.Document, id string) {
	t.Helper()
	if n := doc.Find("#error-summary").Length(); n != 1 {
		t.Errorf("%s: %d error summaries, want 1", what, n)
	}
	if n := doc.Find(`#error-summary a[href="#` + id + `"]`).Length(); n != 1 {
		t.Errorf("%s: the error summary has %d links to #%s: %q", what, n, id, doc.Find("#error-summary").Text())
	}
	ta := doc.Find("#" + id)
	desc, _ := ta.Attr("aria-describedby")
	inv, _ := ta.Attr("aria-invalid")
	if inv != "true" || !strings.Contains(" "+desc+" ", " "+id+"-error ") || strings.TrimSpace(doc.Find("#"+id+"-error").Text()) == "" {
		t.Errorf("%s: #%s is not marked invalid and described by its message (aria-invalid %q, aria-describedby %q)", what, id, inv, desc)
	}
}

// Every comment and reply form tells its limit before it is hit, and a
// text that is empty or too long comes back with its error in the summary
// and at the field, and with the text as typed.
func TestCommentForm_ErrorsKeepTextAndTellLimit(t *testing.T) {
	e := newEnv(t)
	f := newCommentFixture(t, e)
	b := e.browser()
	b.loginForm(f.email, f.pw)
	for _, cf := range f.forms() {
		_, doc := b.get(cf.page)
		ta := doc.Find("#" + cf.field)
		desc, _ := ta.Attr("aria-describedby")
		hint := ""
		for _, id := range strings.Fields(desc) {
			hint += doc.Find("#"+id).Text() + " "
		}
		if !strings.Contains(strings.ToLower(hint), "höchstens 5.000 zeichen") {
			t.Errorf("%s: the field's description does not tell the limit: %q", cf.name, hint)
		}
		if _, ok := ta.Attr("maxlength"); ok {
			t.Errorf("%s: maxlength would cut a pasted text silently", cf.name)
		}
		tok, _ := doc.Find(`input[name="_csrf"]`).First().Attr("value")
		for _, body := range []string{"", "   ", strings.Repeat("ä", mitreden.CommentBodyMax+1), strings.Repeat("Wort ", 1500)} {
			resp, doc := b.post(cf.action, cf.values(tok, body))
			what := cf.name + " of " + stringLen(body)
			if resp.StatusCode != 422 {
				t.Errorf("%s: status %d, want 422", what, resp.StatusCode)
				continue
			}
			fieldLinked(t, what, doc, cf.field)
			if got := doc.Find("#" + cf.field).Text(); got != body {
				t.Errorf("%s: the text came back with %d characters, want %d", what, len([]rune(got)), len([]rune(body)))
			}
			msg := doc.Find("#" + cf.field + "-error").Text()
			if body != "" && strings.TrimSpace(body) != "" && !strings.Contains(msg, "5.000") {
				t.Errorf("%s: the message does not name the limit: %q", what, msg)
			}
		}
	}
	// A text at the limit with line breaks, which a browser sends as CRLF,
	// is as long as its characters: it passes.
	text := strings.Repeat("Zeile\r\n", 714) + "Ende." // 714*6 + 5 = 4289 characters with LF, 5003 with CRLF
	tok := b.csrf("/proposals/" + f.proposal)
	if resp, doc := b.post("/proposals/"+f.proposal+"/comments", url.Values{"_csrf": {tok}, "body": {text}}); resp.StatusCode != 303 {
		t.Errorf("a text of 4,289 characters with CRLF line breaks: status %d: %s", resp.StatusCode, doc.Find("#error-summary").Text())
	}
}

func stringLen(s string) string { return itoa(len([]rune(s))) + " characters" }

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// An admin's proposal page carries the answer form too: a failed comment
// shows its summary once, at the comment form.
func TestCommentForm_OneSummaryBesideTheAnswerForm(t *testing.T) {
	e := newEnv(t)
	f := newCommentFixture(t, e)
	b := e.browser()
	b.loginForm("admin@example.org", "correct horse battery staple 42")
	tok := b.csrf("/proposals/" + f.proposal)
	resp, doc := b.post("/proposals/"+f.proposal+"/comments", url.Values{"_csrf": {tok}, "body": {""}})
	if resp.StatusCode != 422 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	fieldLinked(t, "admin's empty comment", doc, "new-comment-body")
	if doc.Find(`#comments #error-summary`).Length() != 1 {
		t.Error("the summary is not at the comment form")
	}
}

// Editing a comment has a page of its own, which a failed edit comes back
// to with the text kept and the error linked; the inline form tells the limit.
func TestCommentForm_EditKeepsText(t *testing.T) {
	e := newEnv(t)
	f := newCommentFixture(t, e)
	cm, err := e.Participation.AddComment(context.Background(), f.citizen, "proposal", f.proposal, mitreden.Comment{Body: "Mein erster Gedanke."})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.loginForm(f.email, f.pw)
	_, doc := b.get("/proposals/" + f.proposal)
	id := "edit-" + cm.ID
	desc, _ := doc.Find("#" + id).Attr("aria-describedby")
	hint := ""
	for _, id := range strings.Fields(desc) {
		hint += doc.Find("#"+id).Text() + " "
	}
	if !strings.Contains(strings.ToLower(hint), "höchstens 5.000 zeichen") {
		t.Errorf("the inline edit form does not tell the limit (aria-describedby %q)", desc)
	}
	resp, doc := b.get("/comments/" + cm.ID + "/edit")
	if resp.StatusCode != 200 || doc.Find("#edit-body").Text() != "Mein erster Gedanke." {
		t.Fatalf("edit page: %d, text %q", resp.StatusCode, doc.Find("#edit-body").Text())
	}
	tok, _ := doc.Find(`input[name="_csrf"]`).First().Attr("value")
	long := strings.Repeat("x", mitreden.CommentBodyMax+1)
	for _, body := range []string{"", long} {
		resp, doc = b.post("/comments/"+cm.ID+"/edit", url.Values{"_csrf": {tok}, "body": {body}})
		if resp.StatusCode != 422 {
			t.Fatalf("edit to %d characters: status %d", len(body), resp.StatusCode)
		}
		fieldLinked(t, "edit", doc, "edit-body")
		if doc.Find("#edit-body").Text() != body {
			t.Errorf("edit to %d characters: the text did not come back", len(body))
		}
	}
	// Past the edit window the text still comes back, with the reason.
	later := time.Now().Add(mitreden.CommentEditFor + time.Minute)
	e.Now.Store(&later)
	resp, doc = b.post("/comments/"+cm.ID+"/edit", url.Values{"_csrf": {tok}, "body": {"Zu spät geändert."}})
	if resp.StatusCode != 409 || doc.Find("#edit-body").Text() != "Zu spät geändert." || !strings.Contains(doc.Find("#error-summary").Text(), "15 Minuten") {
		t.Errorf("edit after the window: %d, text %q, summary %q", resp.StatusCode, doc.Find("#edit-body").Text(), doc.Find("#error-summary").Text())
	}
}

// A form sent after the session ended comes back with the text and a
// login in the same form; logging in there sends the text. A stale token
// of a live session brings the text back to send again. Nothing says only
// "Keine Berechtigung".
func TestCommentForm_ExpiredSessionKeepsText(t *testing.T) {
	e := newEnv(t)
	f := newCommentFixture(t, e)
	cm, err := e.Participation.AddComment(context.Background(), f.citizen, "proposal", f.proposal, mitreden.Comment{Body: "Noch zu ändern."})
	if err != nil {
		t.Fatal(err)
	}
	forms := append(f.forms(), commentForm{"edit", "/comments/" + cm.ID + "/edit", "/comments/" + cm.ID + "/edit", "edit-body", nil})
	for i, cf := range forms {
		t.Run(cf.name, func(t *testing.T) {
			e.Now.Store(nil)
			b := e.browser()
			b.loginForm(f.email, f.pw)
			tok := b.csrf(cf.page)
			text := "Mein Text, der nicht verloren gehen darf. " + itoa(i)
			// The session ends while the person writes: idle for two hours,
			// or (the edit window is 15 minutes) ended elsewhere.
			if cf.name == "edit" {
				for _, ck := range b.jar.Cookies(base) {
					if ck.Name == "mitreden_session" {
						if err := e.Accounts.Logout(context.Background(), service.SessionID(ck.Value)); err != nil {
							t.Fatal(err)
						}
					}
				}
			} else {
				later := time.Now().Add(2 * time.Hour)
				e.Now.Store(&later)
			}
			resp, doc := b.post(cf.action, cf.values(tok, text))
			main := doc.Find("main").Text()
			if resp.StatusCode != 401 || doc.Find("#draft-body").Text() != text {
				t.Fatalf("expired session: status %d, text %q: %.300s", resp.StatusCode, doc.Find("#draft-body").Text(), main)
			}
			if strings.Contains(doc.Find("h1").Text(), "Keine Berechtigung") || doc.Find("#error-summary").Length() != 1 {
				t.Errorf("expired session: heading %q, %d summaries", doc.Find("h1").Text(), doc.Find("#error-summary").Length())
			}
			form := doc.Find(`form[action="` + cf.action + `"]`)
			for k, v := range cf.extra {
				if got, _ := form.Find(`input[name="` + k + `"]`).Attr("value"); got != v[0] {
					t.Errorf("the draft form lost %s: %q", k, got)
				}
			}
			if form.Find(`input[name="email"][autocomplete="username"]`).Length() != 1 || form.Find(`input[name="password"][autocomplete="current-password"]`).Length() != 1 {
				t.Fatal("the draft form offers no login")
			}
			tok2, _ := form.Find(`input[name="_csrf"]`).Attr("value")
			vals := cf.values(tok2, text)
			vals.Set("email", f.email)
			vals.Set("password", "falsch falsch falsch")
			resp, doc = b.post(cf.action, vals)
			if resp.StatusCode != 401 || doc.Find("#draft-body").Text() != text || doc.Find(`#error-summary a[href="#draft-password"]`).Length() != 1 {
				t.Fatalf("wrong password: status %d, text kept %v, summary %q", resp.StatusCode, doc.Find("#draft-body").Text() == text, doc.Find("#error-summary").Text())
			}
			tok2, _ = doc.Find(`input[name="_csrf"]`).First().Attr("value")
			vals.Set("_csrf", tok2)
			vals.Set("password", f.pw)
			resp, _ = b.post(cf.action, vals)
			if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || !strings.HasPrefix(loc, "/comments/") {
				t.Fatalf("login from the draft: status %d to %q", resp.StatusCode, loc)
			}
			resp, doc = b.get(resp.Header.Get("Location"))
			for resp.StatusCode == 303 {
				resp, doc = b.get(resp.Header.Get("Location"))
			}
			if !strings.Contains(doc.Find("#comments").Text(), text) || doc.Find(`form[action="/logout"]`).Length() != 1 {
				t.Errorf("after logging in from the draft the text is not there, or the person is not logged in")
			}
		})
	}
	t.Run("stale token, live session", func(t *testing.T) {
		e.Now.Store(nil)
		b := e.browser()
		b.loginForm(f.email, f.pw)
		cf := forms[0]
		resp, doc := b.post(cf.action, cf.values("veraltet", "Ein Text mit altem Formular."))
		if resp.StatusCode != 403 || doc.Find("#draft-body").Text() != "Ein Text mit altem Formular." || doc.Find(`input[name="password"]`).Length() != 0 {
			t.Fatalf("stale token: status %d, text %q", resp.StatusCode, doc.Find("#draft-body").Text())
		}
		tok, _ := doc.Find(`form[action="` + cf.action + `"] input[name="_csrf"]`).Attr("value")
		if resp, _ := b.post(cf.action, cf.values(tok, "Ein Text mit altem Formular.")); resp.StatusCode != 303 {
			t.Errorf("sent again: status %d", resp.StatusCode)
		}
	})
}

// Every form of a logged-in page says until when it stays valid, in
// Europe/Berlin time; /session/extend touches the session and says the new
// time, for the warning that JavaScript shows before it runs out.
func TestCommentForm_SaysHowLongItStaysValid(t *testing.T) {
	e := newEnv(t, withAccounts(func(c *service.AccountsConfig) { c.SessionIdle = 30 * time.Minute; c.TouchEvery = time.Minute }))
	f := newCommentFixture(t, e)
	// Tomorrow at noon (not in the past: the session cookie expires with the
	// session), while the consultation is open.
	at := time.Now().UTC().Truncate(24 * time.Hour).Add(36 * time.Hour)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	want := "Dieses Formular bleibt bis " + at.Add(31*time.Minute).In(berlin).Format("15:04") + " Uhr gültig"
	e.Now.Store(&at)
	b := e.browser()
	b.loginForm(f.email, f.pw)
	for _, cf := range f.forms() {
		_, doc := b.get(cf.page)
		if got := doc.Find("form:has(#" + cf.field + ")").Text(); !strings.Contains(got, want) {
			t.Errorf("%s: no validity note in the form: %q", cf.name, got)
		}
	}
	later := at.Add(10 * time.Minute)
	e.Now.Store(&later)
	tok := b.csrf("/proposals/" + f.proposal)
	req, _ := nethttp.NewRequest("POST", "/session/extend", nil)
	req.Header.Set("X-CSRF-Token", tok)
	req.Header.Set("Accept", "application/json")
	resp := b.send(req)
	var out struct {
		ValidUntil time.Time `json:"valid_until"`
		ExpiresIn  int       `json:"expires_in"`
		Until      string    `json:"until"`
	}
	if resp.StatusCode != 200 {
		t.Fatalf("extend: status %d: %s", resp.StatusCode, readBody(resp))
	}
	decodeJSON(t, resp, &out)
	if !out.ValidUntil.Equal(later.Add(31*time.Minute)) || out.ExpiresIn != 31*60 || out.Until == "" {
		t.Errorf("extend: %+v, want valid until %v", out, later.Add(31*time.Minute))
	}
	req, _ = nethttp.NewRequest("POST", "/session/extend", nil)
	req.Header.Set("Accept", "application/json")
	if resp := b.send(req); resp.StatusCode != 403 {
		t.Errorf("extend without a token: status %d, want 403", resp.StatusCode)
	}
	anon := e.browser()
	tok = anon.csrf("/login")
	req, _ = nethttp.NewRequest("POST", "/session/extend", nil)
	req.Header.Set("X-CSRF-Token", tok)
	req.Header.Set("Accept", "application/json")
	if resp := anon.send(req); resp.StatusCode != 401 {
		t.Errorf("extend when logged out: status %d, want 401", resp.StatusCode)
	}
}

// A proposal typed while the session ended, or sent with a stale token,
// comes back like a comment does: title, text and topics on the draft
// page, where a login sends them.
func TestProposalForm_ExpiredSessionKeepsText(t *testing.T) {
	e := newEnv(t)
	f := newCommentFixture(t, e)
	action, page := "/consultations/"+f.cons+"/proposals", "/consultations/"+f.cons+"/proposals/new"
	title, body := "Bauantrag digital einreichen", "Bitte den Bauantrag vollständig online einreichen können.\nMit allen Anlagen."
	values := func(tok string) url.Values {
		return url.Values{"_csrf": {tok}, "title": {title}, "body": {body}, "topics": {"Bauen, Digitales"}, "lang": {"de"}}
	}
	t.Run("logged out", func(t *testing.T) {
		e.Now.Store(nil)
		b := e.browser()
		b.loginForm(f.email, f.pw)
		_, doc := b.get(page)
		if !strings.Contains(doc.Find(`form[action="`+action+`"]`).Text(), "Dieses Formular bleibt bis") {
			t.Error("the proposal form does not say until when it stays valid")
		}
		tok := b.csrf(page)
		later := time.Now().Add(2 * time.Hour)
		e.Now.Store(&later)
		resp, doc := b.post(action, values(tok))
		form := doc.Find(`form[action="` + action + `"]`)
		if resp.StatusCode != 401 || form.Find("#draft-body").Text() != body {
			t.Fatalf("expired session: status %d, text %q: %.300s", resp.StatusCode, form.Find("#draft-body").Text(), doc.Find("main").Text())
		}
		if strings.Contains(doc.Find("h1").Text(), "Keine Berechtigung") || doc.Find("#error-summary").Length() != 1 {
			t.Errorf("expired session: heading %q, %d summaries", doc.Find("h1").Text(), doc.Find("#error-summary").Length())
		}
		if got, _ := form.Find("#draft-title").Attr("value"); got != title {
			t.Errorf("the draft lost the title: %q", got)
		}
		if got, _ := form.Find("#draft-topics").Attr("value"); got != "Bauen, Digitales" {
			t.Errorf("the draft lost the topics: %q", got)
		}
		if form.Find(`input[name="email"][autocomplete="username"]`).Length() != 1 || form.Find(`input[name="password"][autocomplete="current-password"]`).Length() != 1 {
			t.Fatal("the draft form offers no login")
		}
		tok2, _ := form.Find(`input[name="_csrf"]`).Attr("value")
		vals := values(tok2)
		vals.Set("email", f.email)
		vals.Set("password", f.pw)
		resp, _ = b.post(action, vals)
		if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || !strings.HasPrefix(loc, "/proposals/") {
			t.Fatalf("login from the draft: status %d to %q", resp.StatusCode, loc)
		}
		resp, doc = b.get(resp.Header.Get("Location"))
		if resp.StatusCode != 200 || !strings.Contains(doc.Find("h1").Text(), title) || doc.Find(`form[action="/logout"]`).Length() != 1 {
			t.Errorf("after logging in from the draft: status %d, heading %q", resp.StatusCode, doc.Find("h1").Text())
		}
	})
	t.Run("stale token, live session", func(t *testing.T) {
		e.Now.Store(nil)
		b := e.browser()
		b.loginForm(f.email, f.pw)
		// A proposal without comments or votes, which its author may still edit.
		pr := &mitreden.Proposal{Title: "Noch zu ändern", Body: "Ein Vorschlag, der noch geändert wird."}
		if err := e.Participation.CreateProposal(context.Background(), f.citizen, f.cons, pr); err != nil {
			t.Fatal(err)
		}
		for _, act := range []string{action, "/proposals/" + pr.ID} {
			resp, doc := b.post(act, values("veraltet"))
			form := doc.Find(`form[action="` + act + `"]`)
			got, _ := form.Find("#draft-title").Attr("value")
			if resp.StatusCode != 403 || form.Find("#draft-body").Text() != body || got != title || form.Find(`input[name="password"]`).Length() != 0 {
				t.Fatalf("%s stale token: status %d, title %q, text %q", act, resp.StatusCode, got, form.Find("#draft-body").Text())
			}
			tok, _ := form.Find(`input[name="_csrf"]`).Attr("value")
			if resp, _ := b.post(act, values(tok)); resp.StatusCode != 303 {
				t.Errorf("%s sent again: status %d", act, resp.StatusCode)
			}
		}
	})
}

// A page answering a form (a comment with an error) switches the language
// back to the page the form was on, since the form's own address answers
// POST only; without a Referer from this host it goes home. The switch
// then lands on a page, never on a 404.
func TestLanguageSwitch_AfterAFormReturnsToItsPage(t *testing.T) {
	e := newEnv(t)
	f := newCommentFixture(t, e)
	b := e.browser()
	b.loginForm(f.email, f.pw)
	page := "/proposals/" + f.proposal
	_, doc := b.get(page)
	if got := doc.Find(".lang-switch input[name=return]").AttrOr("value", ""); got != page {
		t.Fatalf("on the page the switch returns to %q, want %q", got, page)
	}
	for _, tc := range []struct{ referer, want string }{
		{"http://127.0.0.1:8080" + page + "?sort=new", page},
		{"https://elsewhere.example" + page, "/"},
		{"", "/"},
	} {
		req, _ := nethttp.NewRequest("POST", "http://127.0.0.1:8080"+page+"/comments",
			strings.NewReader(url.Values{"_csrf": {b.csrf(page)}, "body": {""}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tc.referer != "" {
			req.Header.Set("Referer", tc.referer)
		}
		resp := b.send(req)
		doc, _ := goquery.NewDocumentFromReader(resp.Body)
		if resp.StatusCode != 422 {
			t.Fatalf("an empty comment: status %d", resp.StatusCode)
		}
		ret := doc.Find(".lang-switch input[name=return]").AttrOr("value", "")
		if ret != tc.want {
			t.Errorf("Referer %q: the switch returns to %q, want %q", tc.referer, ret, tc.want)
		}
		resp, _ = b.post("/language", url.Values{"_csrf": {b.csrf(page)}, "lang": {"en"}, "return": {ret}})
		if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || loc != tc.want {
			t.Fatalf("the switch answers %d to %q", resp.StatusCode, loc)
		}
		if resp, _ := b.get(tc.want); resp.StatusCode != 200 {
			t.Errorf("the page the switch leads to answers %d", resp.StatusCode)
		}
	}
}
