package http_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// draftCase is a form beyond the comment and proposal forms whose input an
// ended session or a stale token must not lose: the admin's consultation
// form (new and edit), the official answer to a proposal, the profile.
type draftCase struct {
	name, page, action string
	email              string
	values             url.Values
	// kept checks that the page shows every value of the form as sent.
	kept func(t *testing.T, doc *goquery.Document)
	// saved checks the page the form led to once sent.
	saved func(t *testing.T, loc string, doc *goquery.Document)
}

// newDraftAdmins creates the admins besides the fixture's that draftCases
// log in as.
func newDraftAdmins(e *testEnv) {
	e.createUser("admin2@example.org", "Admin Zwei", mitreden.RoleAdmin)
	e.createUser("admin3@example.org", "Admin Drei", mitreden.RoleAdmin)
}

// inputValue is the value of the input sel on doc ("" when missing).
func inputValue(doc *goquery.Document, sel string) string {
	v, _ := doc.Find(sel).Attr("value")
	return v
}

// selected is the value of the selected option of the select sel.
func selected(doc *goquery.Document, sel string) string {
	v, _ := doc.Find(sel + " option[selected]").Attr("value")
	return v
}

// draftCases are the forms, each sent by an account of its own (logins
// are throttled per account). newDraftAdmins creates the accounts.
func draftCases(f *commentFixture) []draftCase {
	now := time.Now()
	opens, closes := now.AddDate(0, 0, 3).Format("2006-01-02")+"T09:00", now.AddDate(0, 0, 40).Format("2006-01-02")+"T18:00"
	consultation := func(title string) url.Values {
		return url.Values{"title": {title}, "summary": {"Wie kommen Kinder sicher zur Schule?"},
			"body": {"Die Stadt plant neue Schulwege.\n\n- Ampeln\n- Zebrastreifen"}, "topics": {"Verkehr, Schule"},
			"region": {"Nordstadt"}, "lang": {"de"}, "opens_at": {opens}, "closes_at": {closes}, "voting_mode": {"rating"},
			"max_supports": {"4"}, "support_threshold": {"25"}, "proposals_enabled": {"true"}, "pre_moderation": {"true"}}
	}
	consultationKept := func(title string) func(t *testing.T, doc *goquery.Document) {
		return func(t *testing.T, doc *goquery.Document) {
			t.Helper()
			for id, want := range map[string]string{"#title": title, "#summary": "Wie kommen Kinder sicher zur Schule?",
				"#topics": "Verkehr, Schule", "#region": "Nordstadt", "#opens_at": opens, "#closes_at": closes,
				"#max_supports": "4", "#support_threshold": "25"} {
				if got := inputValue(doc, id); got != want {
					t.Errorf("%s came back as %q, want %q", id, got, want)
				}
			}
			if got := doc.Find("textarea#body").Text(); got != "Die Stadt plant neue Schulwege.\n\n- Ampeln\n- Zebrastreifen" {
				t.Errorf("the text came back as %q", got)
			}
			if got := selected(doc, "#voting_mode"); got != "rating" {
				t.Errorf("the voting mode came back as %q", got)
			}
			if got := selected(doc, "#lang"); got != "de" {
				t.Errorf("the language came back as %q", got)
			}
			for id, want := range map[string]bool{"#proposals_enabled": true, "#comments_enabled": false, "#pre_moderation": true} {
				if _, got := doc.Find(id).Attr("checked"); got != want {
					t.Errorf("%s came back checked=%v, want %v", id, got, want)
				}
			}
		}
	}
	consultationSaved := func(title string) func(t *testing.T, loc string, doc *goquery.Document) {
		return func(t *testing.T, loc string, doc *goquery.Document) {
			t.Helper()
			if !strings.HasPrefix(loc, "/consultations/") || strings.TrimSpace(doc.Find("main h1").Text()) != title {
				t.Errorf("saved: at %s, heading %q, want %q", loc, doc.Find("main h1").Text(), title)
			}
		}
	}
	answer := "Wir prüfen den Vorschlag bis Ende des Monats.\nDanach melden wir uns."
	return []draftCase{
		{name: "new consultation", page: "/consultations/new", action: "/consultations", email: "admin@example.org",
			values: consultation("Sichere Schulwege"), kept: consultationKept("Sichere Schulwege"), saved: consultationSaved("Sichere Schulwege")},
		{name: "consultation edit", page: "/consultations/" + f.cons + "/edit", action: "/consultations/" + f.cons, email: "admin2@example.org",
			values: consultation("Schulwege, geändert"), kept: consultationKept("Schulwege, geändert"), saved: consultationSaved("Schulwege, geändert")},
		{name: "official answer", page: "/proposals/" + f.proposal, action: "/proposals/" + f.proposal + "/answer", email: "admin3@example.org",
			values: url.Values{"status": {mitreden.StatusInReview}, "answer_text": {answer}},
			kept: func(t *testing.T, doc *goquery.Document) {
				if got := doc.Find(`textarea[name="answer_text"]`).Text(); got != answer {
					t.Errorf("the answer came back as %q", got)
				}
				if got := selected(doc, `select[name="status"]`); got != mitreden.StatusInReview {
					t.Errorf("the status came back as %q", got)
				}
			},
			saved: func(t *testing.T, loc string, doc *goquery.Document) {
				if !strings.HasPrefix(loc, "/proposals/"+f.proposal) || !strings.Contains(doc.Find("#answer").Text(), "Wir prüfen den Vorschlag") {
					t.Errorf("saved: at %s, answer section %q", loc, doc.Find("#answer").Text())
				}
			}},
		{name: "profile", page: "/profile", action: "/profile", email: f.email,
			values: url.Values{"display_name": {"Erika M."}, "language": {"en"}},
			kept: func(t *testing.T, doc *goquery.Document) {
				if got := inputValue(doc, `input[name="display_name"]`); got != "Erika M." {
					t.Errorf("the name came back as %q", got)
				}
				if got := selected(doc, `select[name="language"]`); got != "en" {
					t.Errorf("the language came back as %q", got)
				}
			},
			saved: func(t *testing.T, loc string, doc *goquery.Document) {
				if loc != "/profile" || inputValue(doc, "#display_name") != "Erika M." {
					t.Errorf("saved: at %s, name %q", loc, inputValue(doc, "#display_name"))
				}
			}},
	}
}

// The admin's consultation form, the official answer form and the profile
// form keep what was typed like the comment forms do: sent after the
// session ended, the form comes back with every value and a login that
// sends it; sent with a stale token, it comes back to be sent again.
// Never a bare "Keine Berechtigung".
func TestDraftForms_ExpiredSessionKeepsInput(t *testing.T) {
	e := newEnv(t)
	f := newCommentFixture(t, e)
	newDraftAdmins(e)
	for _, dc := range draftCases(f) {
		t.Run(dc.name+", logged out", func(t *testing.T) {
			e.Now.Store(nil)
			b := e.browser()
			b.loginForm(dc.email, f.pw)
			tok := b.csrf(dc.page)
			later := time.Now().Add(2 * time.Hour) // away from the desk
			e.Now.Store(&later)
			defer e.Now.Store(nil)
			vals := url.Values{"_csrf": {tok}}
			for k, v := range dc.values {
				vals[k] = v
			}
			resp, doc := b.post(dc.action, vals)
			form := doc.Find(`form[action="` + dc.action + `"]`)
			if resp.StatusCode != 401 || form.Length() != 1 {
				t.Fatalf("status %d, %d forms to %s: %.300s", resp.StatusCode, form.Length(), dc.action, doc.Find("main").Text())
			}
			if h := doc.Find("h1").Text(); strings.Contains(h, "Keine Berechtigung") || doc.Find("#error-summary").Length() != 1 ||
				!strings.Contains(doc.Find("#error-summary").Text(), "Ihre Anmeldung ist abgelaufen") {
				t.Errorf("heading %q, summary %q", h, doc.Find("#error-summary").Text())
			}
			dc.kept(t, doc)
			if form.Find(`input[name="email"][autocomplete="username"]`).Length() != 1 || form.Find(`input[name="password"][autocomplete="current-password"]`).Length() != 1 {
				t.Fatal("the form offers no login")
			}
			// A wrong password: everything stays.
			tok2, _ := form.Find(`input[name="_csrf"]`).Attr("value")
			vals.Set("_csrf", tok2)
			vals.Set("email", dc.email)
			vals.Set("password", "falsch falsch falsch")
			resp, doc = b.post(dc.action, vals)
			if resp.StatusCode != 401 || doc.Find(`#error-summary a[href="#draft-password"]`).Length() != 1 {
				t.Fatalf("wrong password: status %d, summary %q", resp.StatusCode, doc.Find("#error-summary").Text())
			}
			dc.kept(t, doc)
			tok2, _ = doc.Find(`form[action="` + dc.action + `"] input[name="_csrf"]`).Attr("value")
			vals.Set("_csrf", tok2)
			vals.Set("password", f.pw)
			resp, _ = b.post(dc.action, vals)
			loc := resp.Header.Get("Location")
			if resp.StatusCode != 303 {
				t.Fatalf("login from the form: status %d", resp.StatusCode)
			}
			_, doc = b.get(loc)
			dc.saved(t, loc, doc)
			if doc.Find(`form[action="/logout"]`).Length() != 1 {
				t.Error("not logged in after the form's login")
			}
		})
	}
	// The profile was saved in English: back to German for what follows.
	de := "de"
	if _, err := e.Accounts.UpdateProfile(context.Background(), f.citizen, mitreden.UserUpdate{Language: &de}); err != nil {
		t.Fatal(err)
	}
	for _, dc := range draftCases(f) {
		t.Run(dc.name+", stale token", func(t *testing.T) {
			e.Now.Store(nil)
			b := e.browser()
			b.loginForm(dc.email, f.pw)
			vals := url.Values{"_csrf": {"veraltet"}}
			for k, v := range dc.values {
				vals[k] = v
			}
			resp, doc := b.post(dc.action, vals)
			form := doc.Find(`form[action="` + dc.action + `"]`)
			if resp.StatusCode != 403 || form.Length() != 1 || form.Find(`input[name="password"]`).Length() != 0 ||
				!strings.Contains(doc.Find("#error-summary").Text(), "Das Formular war nicht mehr gültig") {
				t.Fatalf("status %d, summary %q", resp.StatusCode, doc.Find("#error-summary").Text())
			}
			dc.kept(t, doc)
			if !strings.Contains(form.Text(), "Dieses Formular bleibt bis") {
				t.Error("the form sent again does not say until when it stays valid")
			}
			tok, _ := form.Find(`input[name="_csrf"]`).Attr("value")
			vals.Set("_csrf", tok)
			resp, _ = b.post(dc.action, vals)
			if resp.StatusCode != 303 {
				t.Fatalf("sent again: status %d", resp.StatusCode)
			}
			_, doc = b.get(resp.Header.Get("Location"))
			dc.saved(t, resp.Header.Get("Location"), doc)
		})
	}
}

// Each of these forms says until when it stays valid, and its page carries
// the warning that offers to extend the session, once; the answer form
// too where the consultation has closed and no comment form brings it.
func TestDraftForms_SayHowLongTheyStayValid(t *testing.T) {
	e := newEnv(t)
	f := newCommentFixture(t, e)
	newDraftAdmins(e)
	check := func(t *testing.T, b *browser, page, action string) {
		t.Helper()
		_, doc := b.get(page)
		form := doc.Find(`form[action="` + action + `"]`)
		if form.Length() != 1 || !strings.Contains(form.Find("[data-session-until]").Text(), "Dieses Formular bleibt bis") {
			t.Errorf("%s: the form to %s does not say until when it stays valid: %q", page, action, form.Text())
		}
		if n := doc.Find("dialog.session-warning").Length(); n != 1 {
			t.Errorf("%s: %d session warnings, want 1", page, n)
		}
	}
	admin := e.browser()
	admin.loginForm("admin@example.org", f.pw)
	for _, dc := range draftCases(f) {
		if dc.email != f.email {
			check(t, admin, dc.page, dc.action)
		}
	}
	erika := e.browser()
	erika.loginForm(f.email, f.pw)
	check(t, erika, "/profile", "/profile")

	// A month later the consultation has closed: the proposal page shows
	// no comment form, the answer form still warns.
	later := time.Now().AddDate(0, 1, 1)
	e.Now.Store(&later)
	defer e.Now.Store(nil)
	admin = e.browser()
	admin.loginForm("admin@example.org", f.pw)
	if _, doc := admin.get("/proposals/" + f.proposal); doc.Find("#new-comment-body").Length() != 0 {
		t.Fatal("the closed consultation still takes comments")
	}
	check(t, admin, "/proposals/"+f.proposal, "/proposals/"+f.proposal+"/answer")
}
