package http_test

import (
	"context"
	"fmt"
	nethttp "net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// HTTP and API tests of moderation (issue 11): who may do what, reports,
// hiding that holds on every surface the moment the call returns,
// pre-moderation, blocks, the public log and bulk actions. The browser
// journey is in moderation_browser_test.go.

// modPerson is an account with its API token and a logged-in form browser.
type modPerson struct {
	*mitreden.User
	email, pw, token string
	b                *browser
}

// modFixture is an open consultation with a proposal and comments, and the
// people moderation concerns: moderators, an admin, an author, citizens.
type modFixture struct {
	t                 *testing.T
	e                 *testEnv
	admin, mod, mod2  *modPerson
	anna, bernd, jona *modPerson
	// anon is the public: no token, a browser without login.
	anon *modPerson
	seq  int
	// cid is the consultation, pid Anna's proposal on it.
	cid, pid string
}

// Texts of the fixture, each with a word found nowhere else.
const (
	modProposalTitle = "Zaubertrank-Brunnen am Marktplatz"
	modProposalBody  = "Ein Brunnen voller Zaubertrank für alle Gäste des Marktplatzes."
)

// newModFixture serves a fresh environment with the moderation policy cfg
// (nil: the defaults) and an open consultation with the fields of
// consultation; unless that is pre-moderated, Anna has proposed on it.
func newModFixture(t *testing.T, cfg *service.ModerationConfig, consultation map[string]any) *modFixture {
	t.Helper()
	e := newEnv(t)
	if cfg != nil {
		e.Participation.SetModeration(*cfg)
	}
	f := &modFixture{t: t, e: e}
	f.admin = f.person("Admina Adler", mitreden.RoleAdmin)
	f.mod = f.person("Mortimer Moderator", mitreden.RoleModerator)
	f.mod2 = f.person("Margarete Moderatorin", mitreden.RoleModerator)
	f.anna = f.person("Anna Autorin")
	f.bernd = f.person("Bernd Bürger")
	f.jona = f.person("Jona Jansen")
	f.anon = &modPerson{b: e.browser()}
	f.cid = newConsultationAPI(t, e, f.admin.token, consultation)
	if consultation["pre_moderation"] != true {
		f.pid = f.proposal(f.anna, modProposalTitle, modProposalBody, 201)
	}
	return f
}

// person creates an account and logs it in through the API and the form.
func (f *modFixture) person(name string, roles ...mitreden.Role) *modPerson {
	f.t.Helper()
	f.seq++
	email := fmt.Sprintf("person%d@example.org", f.seq)
	u, pw := f.e.createUser(email, name, roles...)
	p := &modPerson{User: u, email: email, pw: pw, token: f.e.login(email, pw), b: f.e.browser()}
	p.b.loginForm(email, pw)
	return p
}

// citizen is a new citizen, as many as reports need.
func (f *modFixture) citizen(name string) *modPerson { return f.person(name) }

// proposal proposes through the API and checks the status (201, or 202
// when held); it returns the id.
func (f *modFixture) proposal(by *modPerson, title, body string, want int) string {
	f.t.Helper()
	resp := f.e.api("POST", "/api/v1/consultations/"+f.cid+"/proposals", by.token, map[string]any{"title": title, "body": body})
	if resp.StatusCode != want {
		f.t.Fatalf("propose %q: status %d, want %d: %s", title, resp.StatusCode, want, readBody(resp))
	}
	var out struct{ ID string }
	decodeJSON(f.t, resp, &out)
	return out.ID
}

// comment comments on a proposal or consultation through the API and
// checks the status (201, or 202 when held); it returns the id.
func (f *modFixture) comment(by *modPerson, targetType, targetID, body string, want int) string {
	f.t.Helper()
	resp := f.e.api("POST", "/api/v1/"+targetType+"s/"+targetID+"/comments", by.token, map[string]any{"body": body})
	if resp.StatusCode != want {
		f.t.Fatalf("comment %q: status %d, want %d: %s", body, resp.StatusCode, want, readBody(resp))
	}
	var out struct{ ID string }
	decodeJSON(f.t, resp, &out)
	return out.ID
}

// report reports an item through the API and checks the status.
func (f *modFixture) report(by *modPerson, itemType, id string, body any, want int) *nethttp.Response {
	f.t.Helper()
	resp := f.e.api("POST", "/api/v1/"+itemType+"s/"+id+"/reports", by.token, body)
	if resp.StatusCode != want {
		f.t.Fatalf("%s reports %s %s: status %d, want %d: %s", by.DisplayName, itemType, id, resp.StatusCode, want, readBody(resp))
	}
	return resp
}

// act applies a moderator's action through the API and checks the status.
func (f *modFixture) act(by *modPerson, action, itemType, id, reason string, want int) {
	f.t.Helper()
	resp := f.e.api("POST", "/api/v1/moderation/items/"+itemType+"/"+id+"/"+action, by.token, map[string]any{"reason": reason})
	if resp.StatusCode != want {
		f.t.Fatalf("%s %s %s: status %d, want %d: %s", action, itemType, id, resp.StatusCode, want, readBody(resp))
	}
}

// csrfOf returns the CSRF token the browser's forms carry (any page has
// one: the language switch).
func csrfOf(b *browser) string { return b.csrf("/moderation/log") }

// surfaces is where a text is looked for: each public list, page, API
// answer and search result a viewer reads.
type surfaces struct {
	// queries are searched for on the search page and in the API.
	queries []string
	// mine adds the viewer's "Meine Beiträge".
	mine bool
	// unpublished: the proposal's page and API may answer 404 (it waits
	// for moderation), which shows nothing.
	unpublished bool
}

// where returns the surfaces on which v reads text.
func (f *modFixture) where(v *modPerson, text string, s surfaces) []string {
	f.t.Helper()
	var at []string
	page := func(name, path, sel string) {
		f.t.Helper()
		resp, doc := v.b.get(path)
		if resp.StatusCode == 404 && s.unpublished && strings.HasPrefix(path, "/proposals/") {
			return
		}
		if resp.StatusCode != 200 {
			f.t.Fatalf("%s for %s: status %d", path, v.name(), resp.StatusCode)
		}
		doc.Find(sel).EachWithBreak(func(_ int, s *goquery.Selection) bool {
			if strings.Contains(s.Text(), text) {
				at = append(at, name)
				return false
			}
			return true
		})
	}
	api := func(name, path string) {
		f.t.Helper()
		resp := f.e.api("GET", path, v.token, nil)
		if resp.StatusCode == 404 && s.unpublished && strings.HasPrefix(path, "/api/v1/proposals/") {
			return
		}
		if resp.StatusCode != 200 {
			f.t.Fatalf("%s for %s: status %d: %s", path, v.name(), resp.StatusCode, readBody(resp))
		}
		// The API's JSON as decoded, so an escaped character cannot hide
		// the text.
		var doc any
		decodeJSON(f.t, resp, &doc)
		if strings.Contains(decodedText(doc), text) {
			at = append(at, name)
		}
	}
	page("proposal page", "/proposals/"+f.pid, "main")
	page("consultation page", "/consultations/"+f.cid, "main")
	api("proposal API", "/api/v1/proposals/"+f.pid)
	api("proposal list API", "/api/v1/consultations/"+f.cid+"/proposals")
	api("proposal comments API", "/api/v1/proposals/"+f.pid+"/comments")
	api("consultation comments API", "/api/v1/consultations/"+f.cid+"/comments")
	for _, q := range s.queries {
		// Only the results: the page repeats the query in its form and
		// heading.
		page("search page ("+q+")", "/search?q="+url.QueryEscape(q), "li.result")
		api("search API ("+q+")", "/api/v1/search?q="+url.QueryEscape(q))
	}
	if s.mine && v.User != nil {
		page("Meine Beiträge", "/my-contributions", "main")
	}
	return at
}

// decodedText joins every string of a decoded JSON document.
func decodedText(v any) string {
	var sb strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			sb.WriteString(x)
			sb.WriteByte('\n')
		case []any:
			for _, y := range x {
				walk(y)
			}
		case map[string]any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(v)
	return sb.String()
}

// in makes the fixture fail the subtest t until the returned func runs
// (a subtest must not stop its parent).
func (f *modFixture) in(t *testing.T) (restore func()) {
	parent := f.t
	f.t = t
	return func() { f.t = parent }
}

func (p *modPerson) name() string {
	if p.User == nil {
		return "the public"
	}
	return p.DisplayName
}

// wantSurfaces fails unless v reads text on exactly the surfaces want.
func (f *modFixture) wantSurfaces(what string, v *modPerson, text string, s surfaces, want ...string) {
	f.t.Helper()
	got := f.where(v, text, s)
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		f.t.Errorf("%s: %s reads %q on [%s], want [%s]", what, v.name(), text, strings.Join(got, ", "), strings.Join(want, ", "))
	}
}

// TestModeration_EndpointAuthorization sends every moderation request as
// the public, a citizen, a moderator and an admin: moderation needs the
// role (401 anonymous, 403 citizen), reports and appeals a login (an
// appeal the author), the log is public.
func TestModeration_EndpointAuthorization(t *testing.T) {
	f := newModFixture(t, nil, nil)
	e := f.e
	cit := f.citizen("Clara Citizen")
	n := 0
	newComment := func() (id, text string) {
		n++
		text = fmt.Sprintf("Kommentar Nummer %d zum Brunnen.", n)
		return f.comment(f.anna, "proposal", f.pid, text, 201), text
	}

	// The API: each call as the public, a citizen, then the moderator or
	// admin, whose call goes through.
	type call struct {
		method, path string
		body         any
		want         int
	}
	for _, actor := range []*modPerson{f.mod, f.admin} {
		t.Run("api-"+actor.DisplayName, func(t *testing.T) {
			defer f.in(t)()
			cm, text := newComment()
			target := f.citizen("Ziel von " + actor.DisplayName)
			// approve needs the item in the queue: one report puts it there.
			f.report(cit, "comment", cm, map[string]any{"reason": "spam"}, 201)
			calls := []call{
				{"GET", "/api/v1/moderation/queue", nil, 200},
				{"POST", "/api/v1/moderation/items/comment/" + cm + "/approve", map[string]any{"reason": "Kein Spam."}, 200},
				{"POST", "/api/v1/moderation/items/comment/" + cm + "/hide", map[string]any{"reason": "Beleidigend."}, 200},
				{"POST", "/api/v1/moderation/items/comment/" + cm + "/unhide", map[string]any{"reason": "Doch nicht."}, 200},
				{"POST", "/api/v1/moderation/bulk", map[string]any{"action": "hide", "reason": "Sammelentscheidung.",
					"items": []map[string]string{{"type": "comment", "id": cm}}}, 200},
				{"POST", "/api/v1/moderation/users/" + target.ID + "/block", map[string]any{"reason": "Spam."}, 200},
				{"POST", "/api/v1/moderation/users/" + target.ID + "/unblock", map[string]any{"reason": "Geklärt."}, 200},
			}
			for _, c := range calls {
				readProblem(t, e.api(c.method, c.path, "", c.body), 401)
				readProblem(t, e.api(c.method, c.path, cit.token, c.body), 403)
				if c.path == calls[2].path {
					// The refused hidings changed nothing.
					f.wantSurfaces("refused hiding", f.anon, text, surfaces{}, "proposal page", "proposal comments API")
				}
				if resp := e.api(c.method, c.path, actor.token, c.body); resp.StatusCode != c.want {
					t.Errorf("%s %s as %s: status %d, want %d: %s", c.method, c.path, actor.DisplayName, resp.StatusCode, c.want, readBody(resp))
				}
			}
		})
	}

	// Reports need a login; the log is public.
	cm, _ := newComment()
	for _, path := range []string{"/api/v1/proposals/" + f.pid + "/reports", "/api/v1/comments/" + cm + "/reports"} {
		readProblem(t, e.api("POST", path, "", map[string]any{"reason": "spam"}), 401)
		if resp := e.api("POST", path, cit.token, map[string]any{"reason": "spam"}); resp.StatusCode != 201 {
			t.Errorf("citizen reports %s: %d %s", path, resp.StatusCode, readBody(resp))
		}
	}
	if resp := e.api("GET", "/api/v1/moderation/log", "", nil); resp.StatusCode != 200 {
		t.Errorf("anonymous log: %d", resp.StatusCode)
	}
	// A moderator blocks citizens, not other moderators; an admin does.
	readProblem(t, e.api("POST", "/api/v1/moderation/users/"+f.mod2.ID+"/block", f.mod.token, map[string]any{"reason": "Test."}), 403)
	if resp := e.api("POST", "/api/v1/moderation/users/"+f.mod2.ID+"/block", f.admin.token, map[string]any{"reason": "Test."}); resp.StatusCode != 200 {
		t.Errorf("admin blocks a moderator: %d %s", resp.StatusCode, readBody(resp))
	}
	readProblem(t, e.api("POST", "/api/v1/moderation/users/"+f.admin.ID+"/block", f.mod.token, map[string]any{"reason": "Test."}), 403)

	// An appeal: the author of a hidden item only, once.
	f.act(f.mod, "hide", "comment", cm, "Nicht sachlich.", 200)
	appeal := "/api/v1/moderation/items/comment/" + cm + "/appeal"
	readProblem(t, e.api("POST", appeal, "", map[string]any{"note": "Bitte prüfen."}), 401)
	readProblem(t, e.api("POST", appeal, cit.token, map[string]any{"note": "Bitte prüfen."}), 403)
	readProblem(t, e.api("POST", appeal, f.mod2.token, map[string]any{"note": "Bitte prüfen."}), 403)
	if resp := e.api("POST", appeal, f.anna.token, map[string]any{"note": "Bitte prüfen."}); resp.StatusCode != 201 {
		t.Errorf("author appeals: %d %s", resp.StatusCode, readBody(resp))
	}
	readProblem(t, e.api("POST", appeal, f.anna.token, map[string]any{"note": "Noch einmal."}), 409)

	// The pages: anonymous visitors go to the login (GET) or get 401 (POST),
	// citizens 403, moderators and admins in.
	hidden, _ := newComment()
	f.act(f.mod, "hide", "comment", hidden, "Beleidigend.", 200)
	anon := e.browser()
	anonTok := csrfOf(anon)
	citB := cit.b
	citTok := csrfOf(citB)
	pages := []string{"/moderation", "/moderation/users/" + f.bernd.ID}
	for _, p := range pages {
		if resp, _ := anon.get(p); resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("anonymous GET %s: %d %s", p, resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp, _ := citB.get(p); resp.StatusCode != 403 {
			t.Errorf("citizen GET %s: %d", p, resp.StatusCode)
		}
		for _, m := range []*modPerson{f.mod, f.admin} {
			if resp, _ := m.b.get(p); resp.StatusCode != 200 {
				t.Errorf("%s GET %s: %d", m.DisplayName, p, resp.StatusCode)
			}
		}
	}
	if resp, _ := anon.get("/moderation/log"); resp.StatusCode != 200 {
		t.Errorf("anonymous log page: %d", resp.StatusCode)
	}
	for _, p := range []string{"/proposals/" + f.pid + "/report", "/comments/" + hidden + "/report", "/moderation/appeal/comment/" + hidden} {
		if resp, _ := anon.get(p); resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("anonymous GET %s: %d %s", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if resp, _ := citB.get("/proposals/" + f.pid + "/report"); resp.StatusCode != 200 {
		t.Errorf("citizen report form: %d", resp.StatusCode)
	}
	// The appeal form is the author's: others are refused before they
	// write a note.
	appealForm := `form[action="/moderation/appeal/comment/` + hidden + `"]`
	if resp, doc := citB.get("/moderation/appeal/comment/" + hidden); resp.StatusCode != 403 &&
		(doc.Find(appealForm).Length() != 0 || !strings.Contains(doc.Find("main").Text(), "Nur wer den Beitrag geschrieben hat")) {
		t.Errorf("a citizen opens the appeal form of someone else's comment: %d %q", resp.StatusCode, doc.Find("main").Text())
	}
	if resp, doc := f.anna.b.get("/moderation/appeal/comment/" + hidden); resp.StatusCode != 200 || doc.Find(appealForm).Length() != 1 {
		t.Errorf("the author opens the appeal form: %d", resp.StatusCode)
	}

	posts := []struct {
		path string
		form url.Values
	}{
		{"/moderation/items", url.Values{"item": {"comment:" + hidden}, "action": {"unhide"}, "reason": {"Geprüft."}}},
		{"/moderation/users/" + f.bernd.ID + "/block", url.Values{"reason": {"Spam."}, "days": {"1"}}},
		{"/moderation/users/" + f.bernd.ID + "/unblock", url.Values{"unblock_reason": {"Geklärt."}}},
	}
	for _, p := range posts {
		form := func(tok string) url.Values {
			v := url.Values{"_csrf": {tok}}
			for k, vs := range p.form {
				v[k] = vs
			}
			return v
		}
		if resp, _ := anon.post(p.path, form(anonTok)); resp.StatusCode != 401 {
			t.Errorf("anonymous POST %s: %d, want 401", p.path, resp.StatusCode)
		}
		if resp, _ := citB.post(p.path, form(citTok)); resp.StatusCode != 403 {
			t.Errorf("citizen POST %s: %d, want 403", p.path, resp.StatusCode)
		}
		if resp, doc := f.mod.b.post(p.path, form(csrfOf(f.mod.b))); resp.StatusCode != 303 {
			t.Errorf("moderator POST %s: %d, want 303: %s", p.path, resp.StatusCode, doc.Find("#error-summary").Text())
		}
	}
	for _, p := range []string{"/proposals/" + f.pid + "/report", "/comments/" + hidden + "/report"} {
		if resp, _ := anon.post(p, url.Values{"_csrf": {anonTok}, "reason": {"spam"}}); resp.StatusCode != 401 {
			t.Errorf("anonymous POST %s: %d, want 401", p, resp.StatusCode)
		}
	}
	// The citizen's appeal of someone else's item is refused; the author's
	// (after a second hiding) goes through.
	f.act(f.mod, "hide", "comment", hidden, "Wieder ausgeblendet.", 200)
	appealPath := "/moderation/appeal/comment/" + hidden
	if resp, _ := anon.post(appealPath, url.Values{"_csrf": {anonTok}, "note": {"Bitte prüfen."}}); resp.StatusCode != 401 {
		t.Errorf("anonymous appeal: %d", resp.StatusCode)
	}
	if resp, _ := citB.post(appealPath, url.Values{"_csrf": {citTok}, "note": {"Bitte prüfen."}}); resp.StatusCode != 403 {
		t.Errorf("citizen appeals someone else's comment: %d", resp.StatusCode)
	}
	if resp, doc := f.anna.b.post(appealPath, url.Values{"_csrf": {csrfOf(f.anna.b)}, "note": {"Bitte prüfen."}}); resp.StatusCode != 303 {
		t.Errorf("author appeals: %d %s", resp.StatusCode, doc.Find("#error-summary").Text())
	}
}

// TestModeration_ReportValidation: an unknown reason and a long note are
// field errors in the person's language; reporting twice and reporting
// one's own item are refused with a sentence, in the API and the form.
func TestModeration_ReportValidation(t *testing.T) {
	f := newModFixture(t, nil, nil)
	e := f.e
	cm := f.comment(f.anna, "proposal", f.pid, "Ein Kommentar, der gemeldet wird.", 201)
	p := readProblem(t, e.api("POST", "/api/v1/comments/"+cm+"/reports", f.bernd.token, map[string]any{"reason": "rude"}), 422)
	if len(p.Errors) != 1 || p.Errors[0].Field != "reason" || p.Errors[0].Message != "Bitte wählen Sie einen Grund." {
		t.Errorf("unknown reason: %+v", p.Errors)
	}
	p = readProblem(t, e.api("POST", "/api/v1/comments/"+cm+"/reports", f.bernd.token, map[string]any{"reason": "spam", "note": strings.Repeat("ä", 1001)}), 422)
	if len(p.Errors) != 1 || p.Errors[0].Field != "note" || strings.Contains(p.Errors[0].Message, "validation.") {
		t.Errorf("long note: %+v", p.Errors)
	}
	readProblem(t, e.api("POST", "/api/v1/comments/"+cm+"/reports", f.bernd.token, map[string]any{}), 422)
	// 1,000 characters are fine; the first report counts, the second is
	// refused with a sentence.
	f.report(f.bernd, "comment", cm, map[string]any{"reason": "spam", "note": strings.Repeat("ä", 1000)}, 201)
	p = readProblem(t, e.api("POST", "/api/v1/comments/"+cm+"/reports", f.bernd.token, map[string]any{"reason": "insulting"}), 409)
	if p.Detail != "Sie haben diesen Beitrag schon gemeldet. Die Moderation prüft ihn; eine zweite Meldung ist nicht nötig." {
		t.Errorf("reported twice: %q", p.Detail)
	}
	p = readProblem(t, e.api("POST", "/api/v1/comments/"+cm+"/reports", f.anna.token, map[string]any{"reason": "spam"}), 409)
	if !strings.Contains(p.Detail, "Eigene Beiträge können Sie nicht melden") {
		t.Errorf("own item: %q", p.Detail)
	}
	readProblem(t, e.api("POST", "/api/v1/proposals/"+f.pid+"/reports", f.anna.token, map[string]any{"reason": "spam"}), 409)
	readProblem(t, e.api("POST", "/api/v1/comments/nichtda/reports", f.bernd.token, map[string]any{"reason": "spam"}), 404)
	// Only Bernd's report counted.
	var q struct {
		Items []struct {
			ItemID  string `json:"item_id"`
			Reports int
		}
	}
	decodeJSON(t, e.api("GET", "/api/v1/moderation/queue", f.mod.token, nil), &q)
	if len(q.Items) != 1 || q.Items[0].ItemID != cm || q.Items[0].Reports != 1 {
		t.Errorf("queue after the refused reports: %+v", q.Items)
	}

	// The form: errors linked to their inputs, the text kept.
	b := f.jona.b
	form := "/comments/" + cm + "/report"
	resp, doc := b.get(form)
	if resp.StatusCode != 200 || doc.Find(`input[type="radio"][name="reason"]`).Length() != len(mitreden.ReportReasons) {
		t.Fatalf("report form: %d, %d reasons", resp.StatusCode, doc.Find(`input[name="reason"]`).Length())
	}
	checkPage(t, form, doc, "de")
	tok := csrfOf(b)
	resp, doc = b.post(form, url.Values{"_csrf": {tok}, "reason": {"rude"}, "note": {"Meine Notiz"}})
	if resp.StatusCode != 422 {
		t.Fatalf("unknown reason in the form: %d", resp.StatusCode)
	}
	if got := doc.Find("#error-summary").Text(); !strings.Contains(got, "Bitte wählen Sie einen Grund.") {
		t.Errorf("error summary: %q", got)
	}
	if href, _ := doc.Find("#error-summary a").First().Attr("href"); href == "" || doc.Find(href).Length() != 1 {
		t.Errorf("the summary links to %q, which is not on the page", href)
	}
	if doc.Find("#note").Text() != "Meine Notiz" {
		t.Errorf("note not kept: %q", doc.Find("#note").Text())
	}
	resp, doc = b.post(form, url.Values{"_csrf": {tok}, "reason": {"spam"}, "note": {strings.Repeat("x", 1001)}})
	if resp.StatusCode != 422 || doc.Find("#note-error").Length() != 1 || doc.Find("#note").AttrOr("aria-invalid", "") != "true" {
		t.Errorf("long note in the form: %d, %q", resp.StatusCode, doc.Find("#error-summary").Text())
	}
	resp, _ = b.post(form, url.Values{"_csrf": {tok}, "reason": {"off_topic"}})
	if resp.StatusCode != 303 || !strings.HasSuffix(resp.Header.Get("Location"), "#confirmation") {
		t.Fatalf("report by form: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, doc = b.post(form, url.Values{"_csrf": {tok}, "reason": {"spam"}})
	if resp.StatusCode != 409 || !strings.Contains(doc.Find("#error-summary").Text(), "Sie haben diesen Beitrag schon gemeldet.") {
		t.Errorf("reported twice by form: %d %q", resp.StatusCode, doc.Find("#error-summary").Text())
	}
	resp, doc = f.anna.b.post(form, url.Values{"_csrf": {csrfOf(f.anna.b)}, "reason": {"spam"}})
	if resp.StatusCode != 409 || !strings.Contains(doc.Find("main").Text(), "Eigene Beiträge können Sie nicht melden") {
		t.Errorf("own item by form: %d %q", resp.StatusCode, doc.Find("main").Text())
	}
}

// TestModeration_HiddenEverywhereAtOnce hides a comment on a proposal, a
// comment on the consultation and the proposal itself: the moment each
// call returns, its words are on no public page, list, API answer or search
// result, nor in another person's "Meine Beiträge", while moderators still
// read them.
func TestModeration_HiddenEverywhereAtOnce(t *testing.T) {
	f := newModFixture(t, nil, nil)
	duck := f.comment(f.bernd, "proposal", f.pid, "Die Quietschentchen im Brunnen sind pinkfarben.", 201)
	flamingo := f.comment(f.bernd, "consultation", f.cid, "Mehr Flamingos aus Gusseisen bitte.", 201)
	f.comment(f.jona, "proposal", f.pid, "Gute Idee mit Rhabarbersaft im Sommer.", 201)
	if resp := f.e.api("PUT", "/api/v1/proposals/"+f.pid+"/vote", f.jona.token, map[string]any{"value": "support"}); resp.StatusCode != 200 {
		t.Fatalf("support: %d %s", resp.StatusCode, readBody(resp))
	}
	duckS := surfaces{queries: []string{"Quietschentchen"}}
	flamingoS := surfaces{queries: []string{"Flamingos"}}
	potionS := surfaces{queries: []string{"Zaubertrank"}, mine: true}
	everywhere := []string{"proposal page", "proposal comments API", "search page (Quietschentchen)", "search API (Quietschentchen)"}
	// Before: everyone reads everything (so the test can fail).
	for _, v := range []*modPerson{f.anon, f.jona} {
		f.wantSurfaces("before hiding", v, "Quietschentchen", duckS, everywhere...)
		f.wantSurfaces("before hiding", v, "Flamingos", flamingoS, "consultation page", "consultation comments API", "search page (Flamingos)", "search API (Flamingos)")
	}
	if got := f.where(f.jona, "Zaubertrank", potionS); len(got) != 7 {
		t.Fatalf("before hiding, Jona reads the proposal only on %v", got)
	}

	f.act(f.mod, "hide", "comment", duck, "Beleidigt andere Gäste.", 200)
	for _, v := range []*modPerson{f.anon, f.jona, f.anna} {
		f.wantSurfaces("comment hidden", v, "Quietschentchen", duckS)
	}
	f.wantSurfaces("comment hidden", f.mod2, "Quietschentchen", duckS, everywhere...)
	f.wantSurfaces("comment hidden", f.admin, "Quietschentchen", duckS, everywhere...)
	_, doc := f.anon.b.get("/proposals/" + f.pid)
	if got := strings.TrimSpace(doc.Find("#comment-" + duck).Text()); !strings.Contains(got, "Von der Moderation ausgeblendet: Beleidigt andere Gäste.") ||
		strings.Contains(got, "Bernd") {
		t.Errorf("placeholder: %q", got)
	}

	f.act(f.admin, "hide", "comment", flamingo, "Werbung.", 200)
	for _, v := range []*modPerson{f.anon, f.jona} {
		f.wantSurfaces("consultation comment hidden", v, "Flamingos", flamingoS)
	}
	f.wantSurfaces("consultation comment hidden", f.mod, "Flamingos", flamingoS, "consultation page", "consultation comments API", "search page (Flamingos)", "search API (Flamingos)")

	f.act(f.mod, "hide", "proposal", f.pid, "Gesundheitsgefährdend.", 200)
	for _, v := range []*modPerson{f.anon, f.jona, f.bernd} {
		f.wantSurfaces("proposal hidden", v, "Zaubertrank", potionS)
	}
	f.wantSurfaces("proposal hidden", f.mod, "Zaubertrank", surfaces{queries: []string{"Zaubertrank"}},
		"proposal page", "consultation page", "proposal API", "proposal list API", "search page (Zaubertrank)", "search API (Zaubertrank)")
	_, doc = f.anon.b.get("/proposals/" + f.pid)
	if got := doc.Find("main").Text(); !strings.Contains(got, "Von der Moderation ausgeblendet: Gesundheitsgefährdend.") || strings.Contains(got, "Anna Autorin") {
		t.Errorf("hidden proposal page: %q", got)
	}
	// Replies and other comments stay: Jona's comment is still there.
	if !strings.Contains(doc.Find("main").Text(), "Rhabarbersaft") {
		t.Error("the comments of a hidden proposal vanished")
	}
	// Jona's comment is still found, but no longer under the hidden
	// proposal's title.
	t.Run("search context of its comments", func(t *testing.T) {
		defer f.in(t)()
		for _, v := range []*modPerson{f.anon, f.jona} {
			f.wantSurfaces("proposal hidden", v, "Zaubertrank", surfaces{queries: []string{"Rhabarbersaft"}})
		}
	})
}

// TestModeration_AutoHideAtThreshold: reports from distinct people below
// the threshold change nothing public; the one that reaches it hides the
// item everywhere at once and puts it at the top of the queue.
func TestModeration_AutoHideAtThreshold(t *testing.T) {
	f := newModFixture(t, &service.ModerationConfig{HideThreshold: 3}, nil)
	other := f.comment(f.anna, "proposal", f.pid, "Ein anderer Kommentar mit einer Meldung.", 201)
	cm := f.comment(f.anna, "proposal", f.pid, "Seifenblasenmaschinen sind die Lösung für alles.", 201)
	s := surfaces{queries: []string{"Seifenblasenmaschinen"}}
	all := []string{"proposal page", "proposal comments API", "search page (Seifenblasenmaschinen)", "search API (Seifenblasenmaschinen)"}
	f.report(f.jona, "comment", other, map[string]any{"reason": "off_topic"}, 201)
	r := []*modPerson{f.citizen("Rosa"), f.citizen("Rudi"), f.citizen("Ria")}
	f.report(r[0], "comment", cm, map[string]any{"reason": "spam"}, 201)
	// One report by the form.
	b := r[1].b
	if resp, _ := b.post("/comments/"+cm+"/report", url.Values{"_csrf": {csrfOf(b)}, "reason": {"insulting"}}); resp.StatusCode != 303 {
		t.Fatalf("report by form: %d", resp.StatusCode)
	}
	f.wantSurfaces("two reports", f.anon, "Seifenblasenmaschinen", s, all...)
	f.report(r[2], "comment", cm, map[string]any{"reason": "spam", "note": "Werbung für Maschinen."}, 201)
	for _, v := range []*modPerson{f.anon, f.bernd} {
		f.wantSurfaces("three reports", v, "Seifenblasenmaschinen", s)
	}
	f.wantSurfaces("three reports", f.mod, "Seifenblasenmaschinen", s, all...)
	_, doc := f.anon.b.get("/proposals/" + f.pid)
	if got := doc.Find("#comment-" + cm).Text(); !strings.Contains(got, "Nach mehreren Meldungen vorläufig ausgeblendet") {
		t.Errorf("auto-hidden placeholder: %q", got)
	}
	var q struct {
		Items []struct {
			ItemID        string         `json:"item_id"`
			Reports       int            `json:"reports"`
			Hidden        bool           `json:"hidden"`
			Body          string         `json:"body"`
			ReportReasons map[string]int `json:"report_reasons"`
		}
		Total int
	}
	decodeJSON(t, f.e.api("GET", "/api/v1/moderation/queue", f.mod.token, nil), &q)
	if q.Total != 2 || len(q.Items) != 2 || q.Items[0].ItemID != cm || !q.Items[0].Hidden || q.Items[0].Reports != 3 ||
		q.Items[0].ReportReasons["spam"] != 2 || q.Items[0].Body == "" {
		t.Errorf("queue: %+v", q)
	}
	// The queue page shows it first, with its text, reasons and notes.
	_, doc = f.mod.b.get("/moderation")
	first := doc.Find("li.queue-item").First()
	if v, _ := first.Find(`input[name="item"]`).Attr("value"); v != "comment:"+cm {
		t.Errorf("first in the queue page: %q", v)
	}
	if txt := first.Text(); !strings.Contains(txt, "Seifenblasenmaschinen") || !strings.Contains(txt, "Werbung für Maschinen.") {
		t.Errorf("queue item: %q", txt)
	}
	// Moderators' approval shows it again, everywhere.
	f.act(f.mod, "approve", "comment", cm, "Meinung, kein Spam.", 200)
	f.wantSurfaces("approved", f.anon, "Seifenblasenmaschinen", s, all...)
}

// TestModeration_PreModeratedConsultation: new proposals and comments wait
// (202) and are in no list, count, page, API answer or search result for
// others; their authors see them waiting; once approved they are
// everywhere.
func TestModeration_PreModeratedConsultation(t *testing.T) {
	f := newModFixture(t, nil, map[string]any{"pre_moderation": true})
	e := f.e
	// A proposal and a comment by the API.
	resp := e.api("POST", "/api/v1/consultations/"+f.cid+"/proposals", f.anna.token, map[string]any{"title": modProposalTitle, "body": modProposalBody})
	var held struct {
		ID, Status, Held, Message string
		ItemType                  string `json:"item_type"`
	}
	if resp.StatusCode != 202 {
		t.Fatalf("proposal in a pre-moderated consultation: %d %s", resp.StatusCode, readBody(resp))
	}
	decodeJSON(t, resp, &held)
	if held.Status != "pending" || held.Held != "premoderation" || held.ItemType != "proposal" || held.ID == "" || !strings.Contains(held.Message, "prüft die Moderation") {
		t.Errorf("held answer: %+v", held)
	}
	f.pid = held.ID
	cm := f.comment(f.bernd, "consultation", f.cid, "Mehr Flamingos aus Gusseisen bitte.", 202)
	// One comment by the form: a confirmation, no error.
	b := f.anna.b
	resp, _ = b.post("/consultations/"+f.cid+"/comments", url.Values{"_csrf": {csrfOf(b)}, "body": {"Ein Kommentar mit Rhabarbersaft."}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/consultations/"+f.cid+"#confirmation" {
		t.Fatalf("comment form: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, doc := b.get("/consultations/" + f.cid)
	if got := doc.Find("#held").Text(); !strings.Contains(got, "Rhabarbersaft") || !strings.Contains(got, "Danke! Ihr Beitrag ist eingegangen.") {
		t.Errorf("the author's page after the form: %q", got)
	}
	// A proposal by the form: back to the consultation, told it waits.
	resp, _ = b.post("/consultations/"+f.cid+"/proposals", url.Values{"_csrf": {csrfOf(b)}, "title": {"Ein Vorschlag über Kürbislaternen"}, "body": {"Kürbislaternen für den ganzen Marktplatz im Herbst."}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/consultations/"+f.cid+"#confirmation" {
		t.Fatalf("proposal form: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, doc = b.get("/consultations/" + f.cid)
	if got := doc.Find("#held").Text(); !strings.Contains(got, "Kürbislaternen") || !strings.Contains(got, "Danke! Ihr Beitrag ist eingegangen.") {
		t.Errorf("the author's page after the proposal form: %q", got)
	}

	pending := func(who string) {
		t.Helper()
		for _, v := range []*modPerson{f.anon, f.jona} {
			f.wantSurfaces(who+": proposal", v, "Zaubertrank", surfaces{queries: []string{"Zaubertrank"}, mine: true, unpublished: true})
			f.wantSurfaces(who+": comment", v, "Flamingos", surfaces{queries: []string{"Flamingos"}, mine: true, unpublished: true})
			f.wantSurfaces(who+": comment by the form", v, "Rhabarbersaft", surfaces{queries: []string{"Rhabarbersaft"}, unpublished: true})
			f.wantSurfaces(who+": proposal by the form", v, "Kürbislaternen", surfaces{queries: []string{"Kürbislaternen"}, unpublished: true})
		}
		for _, path := range []string{"/proposals/" + f.pid, "/api/v1/proposals/" + f.pid} {
			if resp := e.api("GET", path, "", nil); resp.StatusCode != 404 {
				t.Errorf("%s: %s answers %d, want 404", who, path, resp.StatusCode)
			}
		}
		var c struct {
			ProposalCount int `json:"proposal_count"`
			CommentCount  int `json:"comment_count"`
		}
		decodeJSON(t, e.api("GET", "/api/v1/consultations/"+f.cid, "", nil), &c)
		if c.ProposalCount != 0 || c.CommentCount != 0 {
			t.Errorf("%s: public counts %+v", who, c)
		}
		var list struct{ Total int }
		decodeJSON(t, e.api("GET", "/api/v1/consultations/"+f.cid+"/proposals", "", nil), &list)
		if list.Total != 0 {
			t.Errorf("%s: proposal list total %d", who, list.Total)
		}
		_, doc := f.anon.b.get("/consultations/" + f.cid)
		if doc.Find("#held").Length() != 0 || strings.Contains(doc.Find("main").Text(), "Rhabarbersaft") {
			t.Errorf("%s: the public sees waiting contributions", who)
		}
		_, doc = f.bernd.b.get("/my-contributions")
		if strings.Contains(doc.Find("main").Text(), "Zaubertrank") {
			t.Errorf("%s: Bernd's contributions list Anna's waiting proposal", who)
		}
	}
	pending("held")

	// Their authors see them waiting, on the page and in "Meine Beiträge".
	_, doc = f.anna.b.get("/consultations/" + f.cid)
	if got := doc.Find("#held").Text(); !strings.Contains(got, modProposalTitle) || !strings.Contains(got, "Wartet auf Freigabe") {
		t.Errorf("Anna's consultation page: %q", got)
	}
	_, doc = f.anna.b.get("/my-contributions")
	if got := doc.Find("#held").Text(); !strings.Contains(got, modProposalTitle) {
		t.Errorf("Anna's contributions: %q", got)
	}
	_, doc = f.bernd.b.get("/consultations/" + f.cid)
	if got := doc.Find("#held").Text(); !strings.Contains(got, "Flamingos") || strings.Contains(got, modProposalTitle) {
		t.Errorf("Bernd's consultation page: %q", got)
	}

	// Moderators find them in the queue.
	var q struct {
		Items []struct {
			ItemID string `json:"item_id"`
			Held   string `json:"held"`
			Body   string `json:"body"`
		}
	}
	decodeJSON(t, e.api("GET", "/api/v1/moderation/queue", f.mod.token, nil), &q)
	if len(q.Items) != 4 {
		t.Fatalf("queue: %+v", q.Items)
	}
	for _, it := range q.Items {
		if it.Held != "premoderation" || it.Body == "" {
			t.Errorf("queue item: %+v", it)
		}
	}
	// A refused unhide of a held item, then the approval.
	f.act(f.mod, "unhide", "proposal", f.pid, "Gibt es nicht.", 409)
	pending("after a refused action")
	f.act(f.mod, "approve", "proposal", f.pid, "Sachlich.", 200)
	f.act(f.mod2, "approve", "comment", cm, "Sachlich.", 200)
	f.wantSurfaces("approved", f.anon, "Zaubertrank", surfaces{queries: []string{"Zaubertrank"}},
		"proposal page", "consultation page", "proposal API", "proposal list API", "search page (Zaubertrank)", "search API (Zaubertrank)")
	f.wantSurfaces("approved", f.anon, "Flamingos", surfaces{queries: []string{"Flamingos"}},
		"consultation page", "consultation comments API", "search page (Flamingos)", "search API (Flamingos)")
	var c struct {
		ProposalCount int `json:"proposal_count"`
		CommentCount  int `json:"comment_count"`
	}
	decodeJSON(t, e.api("GET", "/api/v1/consultations/"+f.cid, "", nil), &c)
	if c.ProposalCount != 1 || c.CommentCount != 1 {
		t.Errorf("counts after approval: %+v", c)
	}
	_, doc = f.anna.b.get("/consultations/" + f.cid)
	if got := doc.Find("#held").Text(); strings.Contains(got, modProposalTitle) || !strings.Contains(got, "Rhabarbersaft") {
		t.Errorf("Anna's waiting contributions after one was approved: %q", got)
	}
	// The author is told when it was released.
	_, doc = f.anna.b.get("/proposals/" + f.pid)
	if got := doc.Find(".mod-history").Text(); !strings.Contains(got, "Freigegeben") {
		t.Errorf("the author's proposal does not tell its release: %q", got)
	}
}

// TestModeration_BlockedUserIsRefusedWithTheReason: a block answers every
// API write of the person with 403 and the reason in detail, refuses the
// comment form with the reason on the page, shows a banner on every page,
// and lets the person read and log in; unblocking lifts it at once.
func TestModeration_BlockedUserIsRefusedWithTheReason(t *testing.T) {
	f := newModFixture(t, nil, nil)
	e := f.e
	cm := f.comment(f.anna, "proposal", f.pid, "Ein Kommentar zum Melden.", 201)
	// Bernd opens the proposal page before the block; he will send its form.
	tok := csrfOf(f.bernd.b)
	reason := "Wiederholt beleidigende Beiträge"
	until := time.Now().Add(7 * 24 * time.Hour).UTC().Truncate(time.Second)
	resp := e.api("POST", "/api/v1/moderation/users/"+f.bernd.ID+"/block", f.mod.token, map[string]any{"reason": reason, "until": until.Format(time.RFC3339)})
	var blk struct {
		Blocked bool
		Reason  string
		Until   time.Time
	}
	if resp.StatusCode != 200 {
		t.Fatalf("block: %d %s", resp.StatusCode, readBody(resp))
	}
	decodeJSON(t, resp, &blk)
	if !blk.Blocked || blk.Reason != reason || !blk.Until.Equal(until) {
		t.Errorf("block answer: %+v", blk)
	}
	writes := []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/proposals/" + f.pid + "/comments", map[string]any{"body": "Noch ein Kommentar von Bernd."}},
		{"POST", "/api/v1/consultations/" + f.cid + "/comments", map[string]any{"body": "Noch ein Kommentar von Bernd."}},
		{"POST", "/api/v1/consultations/" + f.cid + "/proposals", map[string]any{"title": "Bernds neuer Vorschlag", "body": "Ein Vorschlag mit genug Text darin."}},
		{"PUT", "/api/v1/proposals/" + f.pid + "/vote", map[string]any{"value": "support"}},
		{"POST", "/api/v1/comments/" + cm + "/reports", map[string]any{"reason": "spam"}},
		{"PUT", "/api/v1/comments/" + cm + "/vote", map[string]any{"value": 1}},
	}
	for _, w := range writes {
		p := readProblem(t, e.api(w.method, w.path, f.bernd.token, w.body), 403)
		if !strings.Contains(p.Detail, reason) {
			t.Errorf("%s %s: detail %q does not give the reason", w.method, w.path, p.Detail)
		}
	}
	// Reading and logging in still work.
	if resp := e.api("GET", "/api/v1/proposals/"+f.pid, f.bernd.token, nil); resp.StatusCode != 200 {
		t.Errorf("a blocked person reads: %d", resp.StatusCode)
	}
	e.login(f.bernd.email, f.bernd.pw)
	// The form sent from the page opened before: refused with the reason,
	// the text kept.
	resp, doc := f.bernd.b.post("/proposals/"+f.pid+"/comments", url.Values{"_csrf": {tok}, "body": {"Mein Text, den ich nicht verlieren will."}})
	if resp.StatusCode != 403 {
		t.Errorf("comment form of a blocked person: %d", resp.StatusCode)
	}
	if got := doc.Find("#error-summary").Text(); !strings.Contains(got, reason) {
		t.Errorf("the refusal does not give the reason: %q", got)
	}
	if !strings.Contains(doc.Find("main").Text(), "Mein Text, den ich nicht verlieren will.") {
		t.Error("the refused text is lost")
	}
	// The banner on every page says why and until when.
	for _, p := range []string{"/", "/proposals/" + f.pid, "/my-contributions", "/consultations/" + f.cid, "/moderation/log"} {
		_, doc := f.bernd.b.get(p)
		if got := doc.Find("#block-note").Text(); !strings.Contains(got, reason) || !strings.Contains(got, "bis") {
			t.Errorf("%s: banner %q", p, got)
		}
	}
	_, doc = f.jona.b.get("/proposals/" + f.pid)
	if doc.Find("#block-note").Length() != 0 {
		t.Error("someone not blocked sees a block banner")
	}
	// The report form says it too.
	resp, doc = f.bernd.b.get("/comments/" + cm + "/report")
	if resp.StatusCode == 200 && doc.Find(`form[action="/comments/`+cm+`/report"]`).Length() != 0 {
		t.Error("a blocked person is offered the report form")
	}

	// Unblock: writes pass again at once.
	if resp := e.api("POST", "/api/v1/moderation/users/"+f.bernd.ID+"/unblock", f.mod.token, map[string]any{"reason": "Entschuldigung angenommen."}); resp.StatusCode != 200 {
		t.Fatalf("unblock: %d %s", resp.StatusCode, readBody(resp))
	}
	f.comment(f.bernd, "proposal", f.pid, "Wieder dabei.", 201)
	readProblem(t, e.api("POST", "/api/v1/moderation/users/"+f.bernd.ID+"/unblock", f.mod.token, map[string]any{"reason": "Doppelt."}), 409)
	_, doc = f.bernd.b.get("/")
	if doc.Find("#block-note").Length() != 0 {
		t.Error("the banner stays after the unblock")
	}

	// The block form: permanent, with its reason on the page; a missing
	// reason is a field error.
	mb := f.mod.b
	resp, doc = mb.post("/moderation/users/"+f.jona.ID+"/block", url.Values{"_csrf": {csrfOf(mb)}, "days": {"0"}})
	if resp.StatusCode != 422 || doc.Find("#reason-error").Length() != 1 {
		t.Errorf("block without a reason: %d %q", resp.StatusCode, doc.Find("#error-summary").Text())
	}
	resp, _ = mb.post("/moderation/users/"+f.jona.ID+"/block", url.Values{"_csrf": {csrfOf(mb)}, "days": {"0"}, "reason": {"Spam-Konto"}})
	if resp.StatusCode != 303 {
		t.Fatalf("block by form: %d", resp.StatusCode)
	}
	_, doc = mb.get("/moderation/users/" + f.jona.ID)
	if got := doc.Find("main").Text(); !strings.Contains(got, "Gesperrt auf Dauer: Spam-Konto") {
		t.Errorf("the account page after a permanent block: %q", got)
	}
	p := readProblem(t, e.api("POST", "/api/v1/proposals/"+f.pid+"/comments", f.jona.token, map[string]any{"body": "Darf ich?"}), 403)
	if !strings.Contains(p.Detail, "Spam-Konto") {
		t.Errorf("permanent block detail: %q", p.Detail)
	}
}

// modLog reads the public log through the API.
type modLogJSON struct {
	Items []struct {
		At       time.Time
		Action   string
		ItemType string `json:"item_type"`
		ItemID   string `json:"item_id"`
		URL      string
		Reason   string
	}
	Total, Page int
	PerPage     int `json:"per_page"`
}

func (f *modFixture) log(query string, status int) modLogJSON {
	f.t.Helper()
	resp := f.e.api("GET", "/api/v1/moderation/log"+query, "", nil)
	var out modLogJSON
	if resp.StatusCode != status {
		f.t.Fatalf("log %s: %d %s", query, resp.StatusCode, readBody(resp))
	}
	if status == 200 {
		decodeJSON(f.t, resp, &out)
	}
	return out
}

// TestModeration_PublicLogNamesNoOne runs reports, an automatic hiding, a
// hiding, an appeal, an unhiding and a block, then reads the public log as
// a page and through the API: each action with its reason and a link, and
// never a reporter, a moderator, the hidden text or the blocked person.
func TestModeration_PublicLogNamesNoOne(t *testing.T) {
	f := newModFixture(t, nil, nil)
	cm := f.comment(f.anna, "proposal", f.pid, "Die Quietschentchen sind pinkfarben.", 201)
	reporters := []*modPerson{f.citizen("Rosalind Reporterin"), f.citizen("Ruprecht Reporter"), f.citizen("Roswitha Reporterin")}
	for i, r := range reporters {
		f.report(r, "comment", cm, map[string]any{"reason": "insulting", "note": fmt.Sprintf("Notiz von %s", r.DisplayName)}, 201)
		if i == 0 {
			f.report(r, "proposal", f.pid, map[string]any{"reason": "spam", "note": "Vorschlagsnotiz"}, 201)
		}
	}
	f.act(f.mod, "hide", "comment", cm, "Herabwürdigend.", 200)
	if resp := f.e.api("POST", "/api/v1/moderation/items/comment/"+cm+"/appeal", f.anna.token, map[string]any{"note": "Ich bitte um Prüfung."}); resp.StatusCode != 201 {
		t.Fatalf("appeal: %d %s", resp.StatusCode, readBody(resp))
	}
	f.act(f.mod, "unhide", "comment", cm, "Anders entschieden.", 403) // not the one who hid it
	f.act(f.mod2, "unhide", "comment", cm, "Zugespitzt, aber zulässig.", 200)
	f.act(f.mod2, "approve", "proposal", f.pid, "Kein Spam.", 200)
	if resp := f.e.api("POST", "/api/v1/moderation/users/"+f.bernd.ID+"/block", f.mod.token, map[string]any{"reason": "Spam-Wellen."}); resp.StatusCode != 200 {
		t.Fatalf("block: %d", resp.StatusCode)
	}

	lg := f.log("?per_page=100", 200)
	var actions []string
	for _, it := range lg.Items {
		actions = append(actions, it.Action)
	}
	if got := strings.Join(actions, " "); got != "block approve unhide appeal hide auto_hide" {
		t.Errorf("log actions, newest first: %q", got)
	}
	for _, it := range lg.Items {
		if it.ItemType == "comment" && it.URL != "/comments/"+cm || it.ItemType == "proposal" && it.URL != "/proposals/"+f.pid {
			t.Errorf("log entry link: %+v", it)
		}
		if it.ItemType == "user" && (it.ItemID != "" || it.URL != "") {
			t.Errorf("the log names the blocked account: %+v", it)
		}
	}
	resp := f.e.api("GET", "/api/v1/moderation/log?per_page=100", "", nil)
	apiText := readBody(resp)
	_, doc := f.anon.b.get("/moderation/log")
	pageText := doc.Find("main").Text()
	for _, want := range []string{"Herabwürdigend.", "Zugespitzt, aber zulässig.", "Kein Spam.", "Spam-Wellen."} {
		if !strings.Contains(apiText, want) || !strings.Contains(pageText, want) {
			t.Errorf("the log misses the reason %q", want)
		}
	}
	if doc.Find(`main a[href="/comments/`+cm+`"]`).Length() == 0 {
		t.Error("the log page does not link the comment")
	}
	secrets := []string{"Quietschentchen", "pinkfarben", f.mod.DisplayName, f.mod2.DisplayName, f.mod.ID, f.mod2.ID,
		f.bernd.DisplayName, f.bernd.ID, f.bernd.email, "Vorschlagsnotiz", "Anna Autorin"}
	for _, r := range reporters {
		secrets = append(secrets, r.DisplayName, r.ID, r.email, "Notiz von "+r.DisplayName)
	}
	for _, s := range secrets {
		if strings.Contains(apiText, s) {
			t.Errorf("the log API reveals %q", s)
		}
		if strings.Contains(pageText, s) {
			t.Errorf("the log page reveals %q", s)
		}
	}
	// An appeal often quotes what was hidden; its note is for moderators.
	t.Run("appeal note", func(t *testing.T) {
		defer f.in(t)()
		other := f.comment(f.anna, "proposal", f.pid, "Die Gummienten im Teich sind grün.", 201)
		f.act(f.mod, "hide", "comment", other, "Herabwürdigend.", 200)
		if resp := f.e.api("POST", "/api/v1/moderation/items/comment/"+other+"/appeal", f.anna.token,
			map[string]any{"note": "Ich habe nur geschrieben, dass die Gummienten grün sind."}); resp.StatusCode != 201 {
			t.Fatalf("appeal: %d", resp.StatusCode)
		}
		_, doc := f.anon.b.get("/moderation/log")
		if strings.Contains(readBody(f.e.api("GET", "/api/v1/moderation/log", "", nil)), "Gummienten") || strings.Contains(doc.Find("main").Text(), "Gummienten") {
			t.Error("the public log quotes the hidden text through the appeal note")
		}
	})
	// No way to change or delete the record.
	for _, m := range []string{"PUT", "PATCH", "DELETE", "POST"} {
		if resp := f.e.api(m, "/api/v1/moderation/log", f.admin.token, map[string]any{}); resp.StatusCode != 404 && resp.StatusCode != 405 {
			t.Errorf("%s /api/v1/moderation/log: %d", m, resp.StatusCode)
		}
	}
}

// TestModeration_LogFiltersAndPages records actions on several days and
// filters the log by action and by day (Europe/Berlin), and pages through
// it, as a page and through the API.
func TestModeration_LogFiltersAndPages(t *testing.T) {
	f := newModFixture(t, nil, nil)
	ctx := context.Background()
	cm := f.comment(f.anna, "proposal", f.pid, "Ein Kommentar, der oft entschieden wird.", 201)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour).Add(11 * time.Hour) // noon in Berlin
	day := func(d int) time.Time { return today.AddDate(0, 0, d) }
	date := func(d int) string { return day(d).In(berlin).Format("2006-01-02") }
	steps := []struct {
		at             int
		action, reason string
	}{{-10, "hide", "R1"}, {-5, "unhide", "R2"}, {-5, "hide", "R3"}, {-1, "unhide", "R4"}}
	for _, s := range steps {
		at := day(s.at)
		f.e.Now.Store(&at)
		if err := f.e.Participation.Moderate(ctx, f.mod.User, s.action, service.ItemRef{Type: "comment", ID: cm}, s.reason); err != nil {
			t.Fatalf("%s at %s: %v", s.action, at, err)
		}
	}
	// The block is today at noon too: the real clock's date in Berlin is
	// a day later than the UTC date for an hour before midnight.
	noon := day(0)
	f.e.Now.Store(&noon)
	if _, err := f.e.Participation.Block(ctx, f.mod.User, f.bernd.ID, "R5", time.Time{}); err != nil {
		t.Fatal(err)
	}
	f.e.Now.Store(nil)
	reasons := func(l modLogJSON) string {
		var out []string
		for _, it := range l.Items {
			out = append(out, it.Reason)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct{ query, want string }{
		{"", "R5 R4 R3 R2 R1"},
		{"?action=hide", "R3 R1"},
		{"?action=block", "R5"},
		{"?from=" + date(-5), "R5 R4 R3 R2"},
		{"?to=" + date(-5), "R3 R2 R1"},
		{"?from=" + date(-5) + "&to=" + date(-5), "R3 R2"},
		{"?from=" + date(-9) + "&to=" + date(-2) + "&action=unhide", "R2"},
		{"?from=" + date(1), ""},
	} {
		if got := reasons(f.log(tc.query, 200)); got != tc.want {
			t.Errorf("log%s: %q, want %q", tc.query, got, tc.want)
		}
		_, doc := f.anon.b.get("/moderation/log" + tc.query)
		var rows []string
		doc.Find("tbody tr").Each(func(_ int, s *goquery.Selection) { rows = append(rows, strings.TrimSpace(s.Find("td").Last().Text())) })
		if got := strings.Join(rows, " "); got != tc.want {
			t.Errorf("log page%s: %q, want %q", tc.query, got, tc.want)
		}
	}
	// Pages, newest first.
	for _, tc := range []struct {
		page int
		want string
	}{{1, "R5 R4"}, {2, "R3 R2"}, {3, "R1"}, {4, ""}} {
		l := f.log(fmt.Sprintf("?per_page=2&page=%d", tc.page), 200)
		if got := reasons(l); got != tc.want || l.Total != 5 || l.PerPage != 2 || l.Page != tc.page {
			t.Errorf("page %d: %q total %d per_page %d page %d, want %q", tc.page, got, l.Total, l.PerPage, l.Page, tc.want)
		}
	}
	_, doc := f.anon.b.get("/moderation/log?action=hide&per_page=1")
	next := doc.Find(`a[href*="page=2"]`)
	href, _ := next.Attr("href")
	if next.Length() == 0 || !strings.Contains(href, "action=hide") {
		t.Fatalf("the log page does not link the next page with its filter: %q", href)
	}
	_, doc = f.anon.b.get(href)
	if got := strings.TrimSpace(doc.Find("tbody tr td").Last().Text()); got != "R1" {
		t.Errorf("second page of hidings: %q", got)
	}
	if v, _ := doc.Find(`#action option[selected]`).Attr("value"); v != "hide" {
		t.Errorf("the filter is not kept: %q", v)
	}
	// Bad filters are field errors.
	for _, q := range []string{"?from=2026-13-45", "?to=gestern", "?action=delete"} {
		readProblem(t, f.e.api("GET", "/api/v1/moderation/log"+q, "", nil), 422)
		resp, doc := f.anon.b.get("/moderation/log" + q)
		if resp.StatusCode != 422 || doc.Find("#error-summary").Length() != 1 {
			t.Errorf("log page%s: %d", q, resp.StatusCode)
		}
		if href, _ := doc.Find("#error-summary a").First().Attr("href"); href != "" && doc.Find(href).Length() != 1 {
			t.Errorf("log page%s: the summary links to %q, which is not there", q, href)
		}
	}
}

// TestModeration_BulkAPI applies one action with one reason to several
// items and says which failed and why; the others went through.
func TestModeration_BulkAPI(t *testing.T) {
	f := newModFixture(t, nil, nil)
	e := f.e
	a := f.comment(f.bernd, "proposal", f.pid, "Kaufen Sie Rasenmäherroboter hier.", 201)
	b := f.comment(f.bernd, "proposal", f.pid, "Rasenmäherroboter zum halben Preis.", 201)
	shown := f.comment(f.jona, "proposal", f.pid, "Ein sachlicher Kommentar.", 201)
	for _, id := range []string{a, b} {
		f.report(f.jona, "comment", id, map[string]any{"reason": "spam"}, 201)
	}
	f.report(f.jona, "proposal", f.pid, map[string]any{"reason": "spam"}, 201)
	type item struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}
	bulk := func(tok string, body any) *nethttp.Response {
		return e.api("POST", "/api/v1/moderation/bulk", tok, body)
	}
	readProblem(t, bulk(f.mod.token, map[string]any{"action": "hide", "reason": "Spam.", "items": []item{}}), 422)
	readProblem(t, bulk(f.mod.token, map[string]any{"action": "delete", "reason": "Spam.", "items": []item{{"comment", a}}}), 422)
	readProblem(t, bulk(f.mod.token, map[string]any{"action": "hide", "reason": "", "items": []item{{"comment", a}}}), 422)
	many := make([]item, 101)
	for i := range many {
		many[i] = item{"comment", a}
	}
	readProblem(t, bulk(f.mod.token, map[string]any{"action": "hide", "reason": "Spam.", "items": many}), 422)
	f.wantSurfaces("after refused bulk requests", f.anon, "Rasenmäherroboter", surfaces{}, "proposal page", "proposal comments API")

	resp := bulk(f.mod.token, map[string]any{"action": "hide", "reason": "Spam-Welle.",
		"items": []item{{"comment", a}, {"comment", b}, {"comment", "nichtda"}, {"proposal", f.pid}}})
	if resp.StatusCode != 200 {
		t.Fatalf("bulk: %d %s", resp.StatusCode, readBody(resp))
	}
	var out struct {
		Done   int
		Failed []struct{ Type, ID, Reason, Message string }
	}
	decodeJSON(t, resp, &out)
	if out.Done != 3 || len(out.Failed) != 1 || out.Failed[0].ID != "nichtda" || out.Failed[0].Message == "" {
		t.Errorf("bulk answer: %+v", out)
	}
	f.wantSurfaces("after the bulk hiding", f.anon, "Rasenmäherroboter", surfaces{queries: []string{"Rasenmäherroboter"}})
	f.wantSurfaces("after the bulk hiding", f.anon, "Zaubertrank", surfaces{queries: []string{"Zaubertrank"}})
	_, doc := f.anon.b.get("/proposals/" + f.pid)
	if doc.Find("#comment-"+shown).Length() != 1 || strings.Count(doc.Find("main").Text(), "Von der Moderation ausgeblendet: Spam-Welle.") != 3 {
		t.Errorf("after the bulk hiding: %q", doc.Find("main").Text())
	}
	var q struct{ Total int }
	decodeJSON(t, e.api("GET", "/api/v1/moderation/queue", f.mod.token, nil), &q)
	if q.Total != 0 {
		t.Errorf("queue after the bulk hiding: %d", q.Total)
	}
	lg := f.log("?action=hide", 200)
	if lg.Total != 3 {
		t.Errorf("log: %d hidings, want 3", lg.Total)
	}
	// Unhiding the two and one that is shown: two done, one conflict.
	resp = bulk(f.admin.token, map[string]any{"action": "unhide", "reason": "Zu streng.", "items": []item{{"comment", a}, {"comment", b}, {"comment", shown}}})
	decodeJSON(t, resp, &out)
	if out.Done != 2 || len(out.Failed) != 1 || out.Failed[0].ID != shown || out.Failed[0].Type != "comment" {
		t.Errorf("bulk unhide: %+v", out)
	}
	f.wantSurfaces("after the bulk unhiding", f.anon, "Rasenmäherroboter", surfaces{}, "proposal page", "proposal comments API")
}

// TestModeration_QueueForm decides on several items at once through the
// queue page without JavaScript: a missing choice or reason is a field
// error, a decision applies to each selected item and is confirmed.
func TestModeration_QueueForm(t *testing.T) {
	f := newModFixture(t, nil, nil)
	a := f.comment(f.bernd, "proposal", f.pid, "Erster gemeldeter Kommentar über Kartoffelkanonen.", 201)
	b := f.comment(f.bernd, "proposal", f.pid, "Zweiter gemeldeter Kommentar über Kartoffelkanonen.", 201)
	c := f.comment(f.bernd, "proposal", f.pid, "Dritter gemeldeter Kommentar.", 201)
	for _, id := range []string{a, b, c} {
		f.report(f.jona, "comment", id, map[string]any{"reason": "spam"}, 201)
	}
	mb := f.mod.b
	resp, doc := mb.get("/moderation")
	checkPage(t, "/moderation", doc, "de")
	if resp.StatusCode != 200 || doc.Find("li.queue-item").Length() != 3 {
		t.Fatalf("queue page: %d, %d items", resp.StatusCode, doc.Find("li.queue-item").Length())
	}
	tok := csrfOf(mb)
	resp, doc = mb.post("/moderation/items", url.Values{"_csrf": {tok}, "action": {"hide"}, "reason": {"Spam."}})
	if resp.StatusCode != 422 || !strings.Contains(doc.Find("#error-summary").Text(), "Bitte wählen Sie mindestens einen Eintrag aus.") {
		t.Errorf("nothing selected: %d %q", resp.StatusCode, doc.Find("#error-summary").Text())
	}
	resp, doc = mb.post("/moderation/items", url.Values{"_csrf": {tok}, "item": {"comment:" + a}, "action": {"hide"}})
	if resp.StatusCode != 422 || doc.Find("#reason-error").Length() != 1 || doc.Find("#reason").AttrOr("aria-invalid", "") != "true" {
		t.Errorf("no reason: %d %q", resp.StatusCode, doc.Find("#error-summary").Text())
	}
	for _, id := range []string{"#error-summary"} {
		if href, _ := doc.Find(id + " a").First().Attr("href"); href == "" || doc.Find(href).Length() != 1 {
			t.Errorf("the summary links to %q, which is not there", href)
		}
	}
	resp, _ = mb.post("/moderation/items", url.Values{"_csrf": {tok}, "item": {"comment:" + a, "comment:" + b}, "action": {"hide"}, "reason": {"Werbung."}})
	if resp.StatusCode != 303 {
		t.Fatalf("hide two: %d", resp.StatusCode)
	}
	_, doc = mb.get("/moderation")
	if got := doc.Find("#status, [role=status]").Text(); !strings.Contains(got, "Die ausgewählten Einträge sind ausgeblendet.") {
		t.Errorf("confirmation: %q", got)
	}
	if doc.Find("li.queue-item").Length() != 1 {
		t.Errorf("queue after deciding two: %d items", doc.Find("li.queue-item").Length())
	}
	f.wantSurfaces("hidden through the queue", f.anon, "Kartoffelkanonen", surfaces{queries: []string{"Kartoffelkanonen"}})
	// A decision that fails for some items says which, links to each and
	// keeps it selected; the others went through.
	d := f.comment(f.jona, "proposal", f.pid, "Noch ein gemeldeter Kommentar.", 201)
	f.report(f.bernd, "comment", d, map[string]any{"reason": "off_topic"}, 201)
	resp, doc = mb.post("/moderation/items", url.Values{"_csrf": {tok}, "item": {"comment:" + c, "comment:" + d, "comment:nichtda", "comment:" + a}, "action": {"unhide"}, "reason": {"Passt."}})
	if resp.StatusCode != 409 {
		t.Fatalf("partly failed decision: %d", resp.StatusCode)
	}
	checkPage(t, "/moderation/items", doc, "de")
	var lines []string
	doc.Find("#error-summary li").Each(func(_ int, s *goquery.Selection) {
		href, _ := s.Find("a").Attr("href")
		lines = append(lines, href+" "+strings.TrimSpace(s.Text()))
	})
	const notFound = "Die Seite oder der Eintrag wurde nicht gefunden."
	want := []string{
		" Nicht alle ausgewählten Einträge konnten bearbeitet werden:",
		"#item-comment-" + c + " Kommentar von Bernd Bürger: Dieser Beitrag ist nicht ausgeblendet.",
		"#item-comment-" + d + " Kommentar von Jona Jansen: Dieser Beitrag ist nicht ausgeblendet.",
		"#queue-items " + notFound,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("partly failed decision, summary:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, id := range []string{c, d} {
		if _, ok := doc.Find("#item-comment-" + id).Attr("checked"); !ok {
			t.Errorf("the failed item %s is not selected again", id)
		}
	}
	if doc.Find("li.queue-item").Length() != 2 {
		t.Errorf("queue after the failed decision: %d items", doc.Find("li.queue-item").Length())
	}
	// The one that could be unhidden was.
	f.wantSurfaces("unhidden with others that failed", f.anon, "Erster gemeldeter Kommentar", surfaces{}, "proposal page", "proposal comments API")
}

// TestModeration_WordListHolds: a contribution with a listed word (as a
// whole word, in any case) waits for review with 202 and is told why;
// others and moderators' are published at once.
func TestModeration_WordListHolds(t *testing.T) {
	f := newModFixture(t, &service.ModerationConfig{Words: []string{"Schwurbel", "dumme Idee"}}, nil)
	resp := f.e.api("POST", "/api/v1/proposals/"+f.pid+"/comments", f.bernd.token, map[string]any{"body": "Das ist SCHWURBEL, sonst nichts."})
	if resp.StatusCode != 202 {
		t.Fatalf("listed word: %d %s", resp.StatusCode, readBody(resp))
	}
	var held struct{ ID, Status, Held, Message string }
	decodeJSON(t, resp, &held)
	if held.Status != "pending" || held.Held != "words" || !strings.Contains(held.Message, "enthält ein Wort") {
		t.Errorf("held answer: %+v", held)
	}
	f.comment(f.bernd, "proposal", f.pid, "Schwurbelei ist ein anderes Wort.", 201)
	f.comment(f.jona, "proposal", f.pid, "Eine dumme Idee, finde ich.", 202)
	f.comment(f.mod, "proposal", f.pid, "Auch die Moderation darf Schwurbel schreiben.", 201)
	f.proposal(f.bernd, "Gegen jeden Schwurbel im Rathaus", "Ein Vorschlag mit einem gelisteten Wort im Titel.", 202)
	f.wantSurfaces("held by the word list", f.anon, "SCHWURBEL", surfaces{queries: []string{"SCHWURBEL"}})
	_, doc := f.bernd.b.get("/proposals/" + f.pid)
	if got := doc.Find("#held").Text(); !strings.Contains(got, "SCHWURBEL") || !strings.Contains(got, "enthält ein Wort") {
		t.Errorf("the author's waiting comment: %q", got)
	}
	var q struct {
		Items []struct {
			Held      string   `json:"held"`
			HeldWords []string `json:"held_words"`
		}
	}
	decodeJSON(t, f.e.api("GET", "/api/v1/moderation/queue", f.mod.token, nil), &q)
	if len(q.Items) != 3 || q.Items[0].Held != "words" || len(q.Items[0].HeldWords) != 1 {
		t.Errorf("queue: %+v", q.Items)
	}
	// By the form: the author is told on the page.
	b := f.bernd.b
	resp, _ = b.post("/proposals/"+f.pid+"/comments", url.Values{"_csrf": {csrfOf(b)}, "body": {"Noch mehr Schwurbel."}})
	if resp.StatusCode != 303 || !strings.HasSuffix(resp.Header.Get("Location"), "#confirmation") {
		t.Fatalf("form: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, doc = b.get(resp.Header.Get("Location"))
	if got := doc.Find("#confirmation").Text(); !strings.Contains(got, "enthält ein Wort") {
		t.Errorf("form confirmation: %q", got)
	}
}

// TestModeration_EditsAreReviewedToo: an edit cannot bring past review
// what a new contribution could not: in a pre-moderated consultation an
// approved comment or proposal that is changed, and a change that adds a
// listed word, wait for review again.
func TestModeration_EditsAreReviewedToo(t *testing.T) {
	f := newModFixture(t, &service.ModerationConfig{Words: []string{"Schwurbel"}}, map[string]any{"pre_moderation": true})
	f.pid = f.proposal(f.anna, modProposalTitle, modProposalBody, 202)
	f.act(f.mod, "approve", "proposal", f.pid, "Sachlich.", 200)
	// The proposal, edited while it may be (nobody supported or commented
	// on it yet).
	resp := f.e.api("PATCH", "/api/v1/proposals/"+f.pid, f.anna.token, map[string]any{"body": "Ein ganz anderer Text über Pinguine, nie geprüft."})
	if resp.StatusCode != 200 && resp.StatusCode != 202 {
		t.Fatalf("edit of the proposal: %d %s", resp.StatusCode, readBody(resp))
	}
	f.wantSurfaces("edited proposal", f.anon, "Pinguine", surfaces{queries: []string{"Pinguine"}})
	cm := f.comment(f.bernd, "proposal", f.pid, "Ein harmloser Kommentar.", 202)
	f.act(f.mod, "approve", "comment", cm, "Sachlich.", 200)
	resp = f.e.api("PATCH", "/api/v1/comments/"+cm, f.bernd.token, map[string]any{"body": "Jetzt steht hier Schwurbel über Eisbären."})
	if resp.StatusCode != 200 && resp.StatusCode != 202 {
		t.Fatalf("edit of the comment: %d %s", resp.StatusCode, readBody(resp))
	}
	f.wantSurfaces("edited comment", f.anon, "Eisbären", surfaces{queries: []string{"Eisbären"}})
}

// TestModeration_ReportsOnAHiddenItemKeepItHidden: dismissing reports
// (approve) shows an item that reports hid, never one a moderator hid:
// reports that arrive on a placeholder must not bring the text back.
func TestModeration_ReportsOnAHiddenItemKeepItHidden(t *testing.T) {
	f := newModFixture(t, nil, nil)
	cm := f.comment(f.anna, "proposal", f.pid, "Die Quietschentchen sind pinkfarben.", 201)
	f.act(f.mod, "hide", "comment", cm, "Herabwürdigend.", 200)
	resp := f.e.api("POST", "/api/v1/comments/"+cm+"/reports", f.jona.token, map[string]any{"reason": "spam"})
	if resp.StatusCode == 201 {
		resp := f.e.api("POST", "/api/v1/moderation/items/comment/"+cm+"/approve", f.mod2.token, map[string]any{"reason": "Meldung unbegründet."})
		if resp.StatusCode == 200 {
			t.Run("approve", func(t *testing.T) {
				defer f.in(t)()
				f.wantSurfaces("reports on a hidden item dismissed", f.anon, "Quietschentchen", surfaces{})
			})
		}
	}
}

// TestModeration_TheAuthorIsTold: the author reads every decision about
// their contribution with its reason, on it and in "Meine Beiträge", with
// the appeal link while an appeal is possible, and the release of a held
// one; a report by the form is confirmed next to the proposal.
func TestModeration_TheAuthorIsTold(t *testing.T) {
	f := newModFixture(t, nil, nil)
	cm := f.comment(f.anna, "proposal", f.pid, "Die Quietschentchen sind pinkfarben.", 201)
	// Reporting the proposal by the form: the link is offered to others
	// only; the confirmation is next to the proposal.
	for _, who := range []*modPerson{f.anon, f.anna} {
		if _, doc := who.b.get("/proposals/" + f.pid); doc.Find(`a[href="/proposals/`+f.pid+`/report"]`).Length() != 0 {
			t.Errorf("%s is offered to report the proposal", who.name())
		}
	}
	_, doc := f.jona.b.get("/proposals/" + f.pid)
	if doc.Find(`a[href="/proposals/`+f.pid+`/report"]`).Length() != 1 || doc.Find(`a[href="/comments/`+cm+`/report"]`).Length() != 1 {
		t.Error("a citizen is not offered to report the proposal and the comment")
	}
	resp, _ := f.jona.b.post("/proposals/"+f.pid+"/report", url.Values{"_csrf": {csrfOf(f.jona.b)}, "reason": {"spam"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/proposals/"+f.pid+"#confirmation" {
		t.Fatalf("report of the proposal by form: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, doc = f.jona.b.get("/proposals/" + f.pid)
	if got := doc.Find("#confirmation").Text(); !strings.Contains(got, "Danke, Ihre Meldung ist eingegangen.") {
		t.Errorf("confirmation of the report: %q", got)
	}

	f.act(f.mod, "hide", "comment", cm, "Herabwürdigend.", 200)
	f.act(f.mod, "hide", "proposal", f.pid, "Werbung.", 200)
	appeal := map[string]string{"comment": "/moderation/appeal/comment/" + cm, "proposal": "/moderation/appeal/proposal/" + f.pid}
	for _, path := range []string{"/proposals/" + f.pid, "/my-contributions"} {
		_, doc := f.anna.b.get(path)
		main := doc.Find("main").Text()
		for _, want := range []string{"Von der Moderation ausgeblendet: Herabwürdigend.", "Von der Moderation ausgeblendet: Werbung."} {
			if !strings.Contains(main, want) {
				t.Errorf("%s: the author does not read %q", path, want)
			}
		}
		for kind, href := range appeal {
			if doc.Find(`a[href="`+href+`"]`).Length() != 1 {
				t.Errorf("%s: no appeal link for the %s", path, kind)
			}
		}
		if doc.Find(".mod-history").Length() == 0 {
			t.Errorf("%s: no record of the decisions", path)
		}
	}
	if _, doc := f.jona.b.get("/proposals/" + f.pid); doc.Find(`a[href^="/moderation/appeal/"]`).Length() != 0 {
		t.Error("someone else is offered the appeal")
	}
	if resp, doc := f.anna.b.post(appeal["comment"], url.Values{"_csrf": {csrfOf(f.anna.b)}, "note": {"Bitte prüfen Sie das noch einmal."}}); resp.StatusCode != 303 {
		t.Fatalf("appeal: %d %q", resp.StatusCode, doc.Find("#error-summary").Text())
	}
	_, doc = f.anna.b.get("/my-contributions")
	if doc.Find(`a[href="`+appeal["comment"]+`"]`).Length() != 0 || doc.Find(`a[href="`+appeal["proposal"]+`"]`).Length() != 1 {
		t.Error("after one appeal, the links are not right: one per item")
	}
	if got := doc.Find(".mod-history").Text(); !strings.Contains(got, "Überprüfung beantragt") || !strings.Contains(got, "Bitte prüfen Sie das noch einmal.") {
		t.Errorf("the record does not show the appeal: %q", got)
	}
	// Unknown items and accounts.
	for _, p := range []string{"/moderation/appeal/user/" + f.anna.ID, "/moderation/appeal/comment/nichtda"} {
		if resp, _ := f.anna.b.get(p); resp.StatusCode != 404 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
	if resp, _ := f.mod.b.get("/moderation/users/nichtda"); resp.StatusCode != 404 {
		t.Errorf("unknown account page: %d", resp.StatusCode)
	}
}

// TestModeration_BlockedModeratorWritesNothing: a block refuses every
// write, a moderator's decisions included.
func TestModeration_BlockedModeratorWritesNothing(t *testing.T) {
	f := newModFixture(t, nil, nil)
	cm := f.comment(f.anna, "proposal", f.pid, "Die Quietschentchen sind pinkfarben.", 201)
	if resp := f.e.api("POST", "/api/v1/moderation/users/"+f.mod2.ID+"/block", f.admin.token, map[string]any{"reason": "Missbrauch der Rechte"}); resp.StatusCode != 200 {
		t.Fatalf("admin blocks a moderator: %d %s", resp.StatusCode, readBody(resp))
	}
	p := readProblem(t, f.e.api("POST", "/api/v1/moderation/items/comment/"+cm+"/hide", f.mod2.token, map[string]any{"reason": "Weil ich es kann."}), 403)
	if !strings.Contains(p.Detail, "Missbrauch der Rechte") {
		t.Errorf("detail %q", p.Detail)
	}
	readProblem(t, f.e.api("POST", "/api/v1/moderation/users/"+f.bernd.ID+"/block", f.mod2.token, map[string]any{"reason": "Weil ich es kann."}), 403)
	f.wantSurfaces("a blocked moderator's hiding", f.anon, "Quietschentchen", surfaces{}, "proposal page", "proposal comments API")
}

// The API says of a hidden proposal or comment what its placeholder says
// on the page: hidden, why (a decision with the moderator's reason, or
// reports), and nothing of its words or author.
func TestModerationAPI_HiddenItemsSayWhy(t *testing.T) {
	f := newModFixture(t, nil, nil)
	cm := f.comment(f.bernd, "proposal", f.pid, "Die Quietschentchen im Brunnen sind pinkfarben.", 201)
	f.act(f.mod, "hide", "comment", cm, "Beleidigt andere Gäste.", 200)
	f.act(f.mod, "hide", "proposal", f.pid, "Werbung für ein Unternehmen.", 200)

	var pr map[string]any
	decodeJSON(t, f.e.api("GET", "/api/v1/proposals/"+f.pid, "", nil), &pr)
	if pr["hidden"] != true || pr["hidden_because"] != "decision" || pr["hidden_reason"] != "Werbung für ein Unternehmen." || pr["title"] != "" {
		t.Errorf("hidden proposal: hidden %v because %v reason %v title %q", pr["hidden"], pr["hidden_because"], pr["hidden_reason"], pr["title"])
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	decodeJSON(t, f.e.api("GET", "/api/v1/proposals/"+f.pid+"/comments", "", nil), &list)
	found := false
	for _, c := range list.Items {
		if c["id"] != cm {
			continue
		}
		found = true
		if c["hidden"] != true || c["hidden_because"] != "decision" || c["hidden_reason"] != "Beleidigt andere Gäste." || c["body"] != "" {
			t.Errorf("hidden comment: %v", c)
		}
	}
	if !found {
		t.Fatalf("the hidden comment is not in the list: %v", list.Items)
	}
	// A visible comment says nothing of moderation.
	other := f.comment(f.jona, "proposal", f.pid, "Gute Idee mit Rhabarbersaft im Sommer.", 201)
	decodeJSON(t, f.e.api("GET", "/api/v1/proposals/"+f.pid+"/comments", "", nil), &list)
	for _, c := range list.Items {
		if _, ok := c["hidden_because"]; c["id"] == other && (ok || c["hidden"] != nil) {
			t.Errorf("a visible comment: %v", c)
		}
	}
}
