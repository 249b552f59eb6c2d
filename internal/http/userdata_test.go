package http_test

import (
	"context"
	"encoding/json"
	nethttp "net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	mhttp "github.com/mitreden/mitreden/internal/http"
	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/web"
)

// dataFixture is a person with a proposal and a comment, and another
// person who supported the proposal.
type dataFixture struct {
	user, other *mitreden.User
	pw          string
	proposal    *mitreden.Proposal
	comment     *mitreden.Comment
}

func newDataFixture(t *testing.T, e *testEnv) *dataFixture {
	t.Helper()
	ctx := context.Background()
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	u, pw := e.createUser("erika@example.org", "Erika Elster")
	other, _ := e.createUser("otto@example.org", "Otto Ortolan")
	now := time.Now().UTC()
	c := &mitreden.Consultation{Title: "Spielplätze im Stadtteil", Summary: "Wo fehlen Spielplätze, was soll besser werden?",
		Body: "Die Stadt plant neue Spielplätze.", Region: "Stadt", OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(72 * time.Hour),
		VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.Participation.CreateConsultation(ctx, admin, c); err != nil {
		t.Fatal(err)
	}
	pr := &mitreden.Proposal{Title: "Wasserspielplatz am Kanalufer", Body: "Ein Wasserspielplatz mit Schatten und Bänken am Kanal."}
	if err := e.Participation.CreateProposal(ctx, u, c.ID, pr); err != nil {
		t.Fatal(err)
	}
	cm, err := e.Participation.AddComment(ctx, u, "proposal", pr.ID, mitreden.Comment{Body: "Schattenspender nicht vergessen"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Participation.Vote(ctx, other, pr.ID, "support"); err != nil {
		t.Fatal(err)
	}
	return &dataFixture{user: u, other: other, pw: pw, proposal: pr, comment: cm}
}

func TestData_PageExplainsAndDownloadsInBothLanguages(t *testing.T) {
	e := newEnv(t)
	f := newDataFixture(t, e)
	for _, lang := range []string{"de", "en"} {
		b := e.browser()
		b.Lang = lang
		b.loginForm("erika@example.org", f.pw)
		// Logged in, the profile's language counts.
		if resp, _ := b.post("/language", url.Values{"_csrf": {b.csrf("/profile")}, "lang": {lang}, "return": {"/profile"}}); resp.StatusCode != 303 {
			t.Fatalf("language: %d", resp.StatusCode)
		}
		_, doc := b.get("/profile")
		if doc.Find(`main a[href="/profile/data"]`).Length() != 1 || doc.Find(`main a[href="/profile/delete"]`).Length() != 1 {
			t.Errorf("%s: the profile does not link to my data and to deleting the account", lang)
		}
		resp, doc := b.get("/profile/data")
		want := map[string]string{"de": "Meine Daten", "en": "My data"}[lang]
		if resp.StatusCode != 200 || strings.TrimSpace(doc.Find("h1").Text()) != want {
			t.Fatalf("%s: %d %q", lang, resp.StatusCode, doc.Find("h1").Text())
		}
		if doc.Find(`main ul.data-sections > li`).Length() != 11 || doc.Find(`main a[href="/profile/data/export"][download]`).Length() != 1 {
			t.Errorf("%s: the page does not list the sections and offer the download", lang)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: data page cacheable: %q", lang, resp.Header.Get("Cache-Control"))
		}
		req, _ := nethttp.NewRequest("GET", "/profile/data/export", nil)
		resp = b.send(req)
		day := time.Now().UTC().Format("2006-01-02")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Disposition") != `attachment; filename="mitreden-daten-`+day+`.json"` ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("%s: download %d %v", lang, resp.StatusCode, resp.Header)
		}
		var ex struct {
			Format    int `json:"format"`
			Profile   struct{ Email string }
			Proposals []struct{ ID, Title string }
			Comments  []struct{ ID string }
			Sessions  []struct {
				UserAgent string `json:"user_agent"`
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&ex); err != nil {
			t.Fatal(err)
		}
		if ex.Format != 1 || ex.Profile.Email != "erika@example.org" || len(ex.Proposals) != 1 || ex.Proposals[0].ID != f.proposal.ID ||
			len(ex.Comments) != 1 || len(ex.Sessions) == 0 {
			t.Errorf("%s: export %+v", lang, ex)
		}
	}
	// Logged out, the pages send to the login.
	for _, p := range []string{"/profile/data", "/profile/data/export", "/profile/delete"} {
		resp, _ := e.browser().get(p)
		if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("%s logged out: %d %s", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

func TestData_DeleteThroughTheFormShowsTheLabelEverywhere(t *testing.T) {
	e := newEnv(t)
	f := newDataFixture(t, e)
	b := e.browser()
	b.loginForm("erika@example.org", f.pw)
	_, doc := b.get("/profile/delete")
	if doc.Find(`label[for="password"]`).Length() != 1 || doc.Find(`form[action="/profile/delete"] input#password[type="password"]`).Length() != 1 {
		t.Fatal("the delete page lacks its labelled password field")
	}
	if text := doc.Find("main").Text(); !strings.Contains(text, "gelöschtes Konto") || !strings.Contains(text, "endgültig") {
		t.Errorf("the page does not say what happens: %q", text)
	}
	tok, _ := doc.Find(`form[action="/profile/delete"] input[name="_csrf"]`).Attr("value")

	// A wrong password: a translated error at the field, nothing deleted.
	resp, doc := b.post("/profile/delete", url.Values{"_csrf": {tok}, "password": {"nicht mein Passwort"}})
	if resp.StatusCode != 422 {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	if !strings.Contains(doc.Find("#error-summary").Text(), "Das Passwort stimmt nicht") || doc.Find(`#password[aria-invalid="true"]`).Length() != 1 ||
		doc.Find(`#error-summary a[href="#password"]`).Length() != 1 {
		t.Errorf("wrong password not shown at the field: %q", doc.Find("#error-summary").Text())
	}
	if v, _ := doc.Find("#password").Attr("value"); v != "" {
		t.Error("the password comes back in the form")
	}
	if _, err := e.Accounts.User(context.Background(), f.user.ID); err != nil {
		t.Fatalf("deleted after a wrong password: %v", err)
	}

	tok, _ = doc.Find(`form[action="/profile/delete"] input[name="_csrf"]`).Attr("value")
	resp, _ = b.post("/profile/delete", url.Values{"_csrf": {tok}, "password": {f.pw}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/" {
		t.Fatalf("delete: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, doc = b.get("/")
	if !strings.Contains(doc.Text(), "Ihr Konto ist gelöscht.") {
		t.Error("no confirmation after the deletion")
	}
	if resp, _ := b.get("/profile"); resp.StatusCode != 303 {
		t.Errorf("still logged in: %d", resp.StatusCode)
	}
	// The address registers again at once.
	if _, pw := e.createUser("erika@example.org", "Erika Elster"); pw == "" {
		t.Fatal("no password")
	}

	// Pages in both languages, the API and the search show the label.
	for lang, label := range map[string]string{"de": "gelöschtes Konto", "en": "deleted account"} {
		v := e.browser()
		v.Lang = lang
		_, doc := v.get("/proposals/" + f.proposal.ID)
		meta := doc.Find("main p.meta").Text()
		if !strings.Contains(meta, label) || strings.Contains(doc.Text(), "Erika Elster") {
			t.Errorf("%s: proposal page: %q", lang, meta)
		}
		if by := doc.Find("#comment-" + f.comment.ID + "-by").Text(); !strings.Contains(by, label) {
			t.Errorf("%s: comment: %q", lang, by)
		}
	}
	resp = e.api("GET", "/api/v1/proposals/"+f.proposal.ID, "", nil)
	var pj struct {
		Author struct {
			ID          string `json:"id"`
			DisplayName string `json:"display_name"`
			Deleted     bool   `json:"deleted"`
		} `json:"author"`
		Tally map[string]int `json:"tally"`
	}
	decodeJSON(t, resp, &pj)
	if pj.Author.ID != "" || !pj.Author.Deleted || pj.Author.DisplayName != "gelöschtes Konto" || pj.Tally["support"] != 1 {
		t.Errorf("API proposal: %+v", pj)
	}
	resp = e.api("GET", "/api/v1/proposals/"+f.proposal.ID+"/comments", "", nil)
	text := readBody(resp)
	if resp.StatusCode != 200 || !strings.Contains(text, `"deleted":true`) || strings.Contains(text, "Erika") || strings.Contains(text, f.user.ID) {
		t.Errorf("API comments: %d %s", resp.StatusCode, text)
	}
	_, doc = e.browser().get("/search?q=Wasserspielplatz")
	if !strings.Contains(doc.Find("main").Text(), "Wasserspielplatz am Kanalufer") || strings.Contains(doc.Text(), "Erika Elster") {
		t.Errorf("search: %q", doc.Find("main").Text())
	}
}

func TestData_APIExportAndDelete(t *testing.T) {
	e := newEnv(t)
	f := newDataFixture(t, e)
	tok := e.login("erika@example.org", f.pw)
	// What notifications hold joins the export and goes with the account.
	if err := e.Notifications.Follow(context.Background(), f.user, "proposal", f.proposal.ID); err != nil {
		t.Fatal(err)
	}
	resp := e.api("GET", "/api/v1/me/export", tok, nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="mitreden-daten-`) {
		t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
	}
	var ex map[string]json.RawMessage
	decodeJSON(t, resp, &ex)
	if !strings.Contains(string(ex["proposals"]), f.proposal.ID) || strings.Contains(string(ex["profile"]), "hash") {
		t.Errorf("export: %s", ex["proposals"])
	}
	var notes struct {
		Follows []struct {
			TargetID string `json:"target_id"`
		} `json:"follows"`
	}
	follows := false
	if err := json.Unmarshal(ex["notifications"], &notes); err == nil {
		for _, fl := range notes.Follows {
			follows = follows || fl.TargetID == f.proposal.ID
		}
	}
	if !follows {
		t.Errorf("export's notifications lack the follow: %s", ex["notifications"])
	}
	if resp := e.api("GET", "/api/v1/me/export", "", nil); resp.StatusCode != 401 {
		t.Errorf("anonymous export: %d", resp.StatusCode)
	}

	// Refusals are problems and delete nothing.
	for _, c := range []struct {
		body any
		want int
	}{{map[string]any{"password": "falsch"}, 422}, {map[string]any{"passwort": f.pw}, 400}, {`{"password": 5}`, 400}} {
		resp := e.api("DELETE", "/api/v1/me", tok, c.body)
		if resp.StatusCode != c.want || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%v: %d %s", c.body, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	req, _ := nethttp.NewRequest("DELETE", "/api/v1/me", strings.NewReader("password="+f.pw))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp := e.do(req); resp.StatusCode != 415 {
		t.Errorf("form body: %d", resp.StatusCode)
	}
	p := readProblem(t, e.api("DELETE", "/api/v1/me", tok, map[string]any{"password": "falsch"}), 422)
	if len(p.Errors) != 1 || p.Errors[0].Field != "password" || !strings.Contains(p.Errors[0].Message, "Passwort stimmt nicht") {
		t.Errorf("the problem does not name the field: %+v", p)
	}

	// Someone tries to register the address: its owner gets a mail.
	if resp := e.api("POST", "/api/v1/auth/register", "", map[string]any{"email": "erika@example.org", "password": "Rheinwiesen im Herbst",
		"display_name": "Jemand Anderes"}); resp.StatusCode != 202 {
		t.Fatalf("register a taken address: %d", resp.StatusCode)
	}
	if n := len(e.mails("erika@example.org")); n == 0 {
		t.Fatal("no mail to the owner")
	}
	if resp := e.api("DELETE", "/api/v1/me", tok, map[string]any{"password": f.pw}); resp.StatusCode != 204 {
		t.Fatalf("delete: %d %s", resp.StatusCode, readBody(resp))
	}
	if n := len(e.mails("erika@example.org")); n != 0 {
		t.Errorf("%d mails to the deleted account's address kept", n)
	}
	if resp := e.api("GET", "/api/v1/me", tok, nil); resp.StatusCode != 401 {
		t.Errorf("the token outlived the account: %d", resp.StatusCode)
	}
	if left, err := e.Notifications.ExportUser(context.Background(), f.user.ID); err != nil || len(left.Follows) != 0 {
		t.Errorf("follows outlived the account: %+v %v", left, err)
	}
	if resp := e.api("POST", "/api/v1/auth/login", "", map[string]string{"email": "erika@example.org", "password": f.pw}); resp.StatusCode != 401 {
		t.Errorf("login after deletion: %d", resp.StatusCode)
	}
}

func TestData_LastAdminIsRefusedWithAClearMessage(t *testing.T) {
	e := newEnv(t)
	_, pw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	b := e.browser()
	b.loginForm("admin@example.org", pw)
	_, doc := b.get("/profile/delete")
	if !strings.Contains(doc.Find("main").Text(), "Administrator") {
		t.Error("the page does not tell an admin about the rule")
	}
	tok := b.csrf("/profile/delete")
	resp, doc := b.post("/profile/delete", url.Values{"_csrf": {tok}, "password": {pw}})
	if resp.StatusCode != 409 || !strings.Contains(doc.Find("#error-summary").Text(), "einzige Administrator") {
		t.Fatalf("last admin: %d %q", resp.StatusCode, doc.Find("#error-summary").Text())
	}
	api := e.login("admin@example.org", pw)
	if resp := e.api("DELETE", "/api/v1/me", api, map[string]any{"password": pw}); resp.StatusCode != 409 {
		t.Errorf("API last admin: %d", resp.StatusCode)
	}
}

// TestData_CouncilWorkShowsTheDeletedAccount: what a council member wrote
// in the workspace stays, with the label, on the history page and in the
// API of the internal discussion.
func TestData_CouncilWorkShowsTheDeletedAccount(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	member, pw := e.createUser("rat@example.org", "Rita Rat", mitreden.RoleCouncil)
	_, pw2 := e.createUser("rat2@example.org", "Rolf Rat", mitreden.RoleCouncil)
	rec, err := e.Council.CreateRecommendation(ctx, member, mitreden.Recommendation{Title: "Offene Daten für Spielplätze",
		Summary: "Kurz.", Body: "Ein Absatz.", Topics: []string{"Open Data"}}, "Erste Fassung")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Council.AddCouncilComment(ctx, member, rec.ID, "", "Ein interner Kommentar zur Empfehlung"); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	cons := &mitreden.Consultation{Title: "Offene Daten der Stadt", Summary: "Welche Daten soll die Stadt veröffentlichen?",
		Body: "Die Stadt fragt, welche Daten sie zuerst öffnen soll.", Region: "Stadt", OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(72 * time.Hour),
		VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.Participation.CreateConsultation(ctx, admin, cons); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Council.AddEvidence(ctx, member, rec.ID, mitreden.Evidence{Type: "consultation", ItemID: cons.ID, Note: "Passt."}); err != nil {
		t.Fatal(err)
	}
	if resp := e.api("DELETE", "/api/v1/me", e.login("rat@example.org", pw), map[string]any{"password": pw}); resp.StatusCode != 204 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	tok := e.login("rat2@example.org", pw2)
	text := readBody(e.api("GET", "/api/v1/council/recommendations/"+rec.ID+"/comments", tok, nil))
	if !strings.Contains(text, `"display_name":"gelöschtes Konto","deleted":true`) || strings.Contains(text, "Rita") {
		t.Errorf("council comments: %s", text)
	}
	text = readBody(e.api("GET", "/api/v1/council/recommendations/"+rec.ID+"/revisions", tok, nil))
	if !strings.Contains(text, `"deleted":true`) || strings.Contains(text, "Rita") {
		t.Errorf("revisions: %s", text)
	}
	b := e.browser()
	b.loginForm("rat2@example.org", pw2)
	_, doc := b.get("/council/recommendations/" + rec.ID + "/history")
	if cell := doc.Find("main table").Text(); !strings.Contains(cell, "gelöschtes Konto") || strings.Contains(cell, "Rita") {
		t.Errorf("history: %q", cell)
	}
	_, doc = b.get("/council/recommendations/" + rec.ID)
	if text := doc.Find("main").Text(); !strings.Contains(text, "Verknüpft von gelöschtes Konto") || strings.Contains(text, "Rita") {
		t.Errorf("the recommendation's page: %q", text)
	}
}

// TestData_PrivacyNoticeSaysWhatExportAndDeletionDo in both languages.
func TestData_PrivacyNoticeSaysWhatExportAndDeletionDo(t *testing.T) {
	e := newEnv(t)
	for lang, want := range map[string][]string{
		"de": {"Meine Daten", "JSON", "Konto löschen", "gelöschtes Konto", "zählen weiter", "sofort neu registriert", "nicht rückgängig"},
		"en": {"My data", "JSON", "Delete account", "deleted account", "still count", "register again at once", "cannot undo"},
	} {
		b := e.browser()
		b.Lang = lang
		_, doc := b.get("/datenschutz")
		sec := doc.Find("#self-service").Text() + " " + doc.Find("#self-service ~ p").Text()
		for _, w := range want {
			if !strings.Contains(sec, w) {
				t.Errorf("%s: the privacy notice does not say %q", lang, w)
			}
		}
	}
}

// TestData_EveryTextIsTranslated: the pages show no message key in either
// language, and both catalogues hold the same texts of this feature.
func TestData_EveryTextIsTranslated(t *testing.T) {
	cat, err := mhttp.LoadCatalog(web.Locales)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]int{}
	for _, lang := range []string{"de", "en"} {
		for _, k := range cat.Keys(lang) {
			if strings.HasPrefix(k, "data.") || strings.HasPrefix(k, "page.datenschutz.") {
				keys[k]++
			}
		}
	}
	for k, n := range keys {
		if n != 2 {
			t.Errorf("%s is in one language only", k)
		}
	}
	e := newEnv(t)
	_, pw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	for _, lang := range []string{"de", "en"} {
		b := e.browser()
		b.loginForm("admin@example.org", pw)
		if resp, _ := b.post("/language", url.Values{"_csrf": {b.csrf("/profile")}, "lang": {lang}, "return": {"/profile"}}); resp.StatusCode != 303 {
			t.Fatalf("language: %d", resp.StatusCode)
		}
		for _, p := range []string{"/profile", "/profile/data", "/profile/delete"} {
			_, doc := b.get(p)
			if text := doc.Find("main").Text(); strings.Contains(text, "data.") || strings.Contains(text, "page.") {
				t.Errorf("%s %s shows a message key: %q", lang, p, text)
			}
		}
		tok := b.csrf("/profile/delete")
		_, doc := b.post("/profile/delete", url.Values{"_csrf": {tok}, "password": {"falsch"}})
		if text := doc.Find("#error-summary").Text(); strings.Contains(text, "data.") || text == "" {
			t.Errorf("%s: error summary %q", lang, text)
		}
	}
}
