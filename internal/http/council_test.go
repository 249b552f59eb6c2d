package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	nethttp "net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// HTTP and API tests of the council's recommendations (issue 12): the
// workspace hidden from everyone but members and admins, saves on a stale
// base over HTTP (one wins, the other gets both texts and the merge), the
// history and its diff, deciding, the evidence picker, the public pages and
// the citations on the cited contributions. Who may call which route is in
// the access matrix (matrix_test.go, with recFixture below); the browser
// journey is in council_browser_test.go.

// councilPerson is an account with its API token and a logged-in form
// browser.
type councilPerson struct {
	*mitreden.User
	email, pw, token string
	b                *browser
	csrf             string
}

// councilFix is a server with two members (Anna, Bernd), an admin, a
// moderator and a citizen who proposed and commented in an open
// consultation.
type councilFix struct {
	t                     *testing.T
	e                     *testEnv
	anna, bernd           *councilPerson
	admin, mod, citizen   *councilPerson
	anon                  *browser
	seq                   int
	cid, pid, cmt, hidden string
}

// Texts of the fixture; "Zaubertrank" is found nowhere else.
const (
	councilProposalTitle = "Ein Bürgerkonto für alle Zaubertrank-Anträge"
	councilProposalBody  = "Ein einziges Bürgerkonto, mit dem sich jeder Zaubertrank-Antrag online stellen lässt."
	councilCommentBody   = "Das Zaubertrank-Konto sollte auch ohne Smartphone funktionieren."
)

func newCouncilFix(t *testing.T) *councilFix {
	t.Helper()
	e := newEnv(t)
	f := &councilFix{t: t, e: e, anon: e.browser()}
	f.anna = f.person("Anna Amsel", mitreden.RoleCouncil)
	f.bernd = f.person("Bernd Buchfink", mitreden.RoleCouncil)
	f.admin = f.person("Admina Adler", mitreden.RoleAdmin)
	f.mod = f.person("Mortimer Moderator", mitreden.RoleModerator)
	f.citizen = f.person("Clara Citoyenne")
	f.cid = newConsultationAPI(t, e, f.admin.token, map[string]any{"title": "Zaubertrank-Dienste zuerst online"})
	f.pid = f.postID(f.citizen, "/api/v1/consultations/"+f.cid+"/proposals", map[string]any{"title": councilProposalTitle, "body": councilProposalBody})
	f.cmt = f.postID(f.citizen, "/api/v1/proposals/"+f.pid+"/comments", map[string]any{"body": councilCommentBody})
	// A hidden comment with the same word: the picker never offers it.
	f.hidden = f.postID(f.citizen, "/api/v1/proposals/"+f.pid+"/comments", map[string]any{"body": "Zaubertrank ist Quatsch, und ihr seid es auch."})
	if resp := e.api("POST", "/api/v1/moderation/items/comment/"+f.hidden+"/hide", f.mod.token, map[string]any{"reason": "Beleidigend"}); resp.StatusCode != 200 {
		t.Fatalf("hide: %d %s", resp.StatusCode, readBody(resp))
	}
	return f
}

// person creates an account and logs it in through the API and the form.
func (f *councilFix) person(name string, roles ...mitreden.Role) *councilPerson {
	f.t.Helper()
	f.seq++
	email := fmt.Sprintf("rat%d@example.org", f.seq)
	u, pw := f.e.createUser(email, name, roles...)
	p := &councilPerson{User: u, email: email, pw: pw, token: f.e.login(email, pw), b: f.e.browser()}
	p.b.loginForm(email, pw)
	p.csrf = p.b.csrf("/")
	return p
}

// postID posts JSON and returns the id of what it created (201).
func (f *councilFix) postID(by *councilPerson, path string, body any) string {
	f.t.Helper()
	resp := f.e.api("POST", path, by.token, body)
	if resp.StatusCode != 201 {
		f.t.Fatalf("POST %s: %d %s", path, resp.StatusCode, readBody(resp))
	}
	var out struct{ ID string }
	decodeJSON(f.t, resp, &out)
	return out.ID
}

// recJSON is the API's recommendation, as far as the tests read it.
type recJSON struct {
	ID, Title, Summary, Body, Status, Lang string
	Revision, Published                    int
	Topics                                 []string
	MyVote                                 string `json:"my_vote"`
	Vote                                   *struct {
		Open      bool
		VotesCast *int `json:"votes_cast"`
		Members   *int
		Result    *struct {
			Approve, Reject, Abstain, Members int
			Adopted                           bool
		}
	}
	Evidence []struct {
		Type, ID, Note, Title, Status string
		Gone                          bool
	}
	Versions []struct {
		Version, Revision int
		Note              string
	}
	Permissions map[string]struct {
		Allowed bool
		Reason  string
	}
}

// create drafts a recommendation through the API.
func (f *councilFix) create(by *councilPerson, title, body string) string {
	f.t.Helper()
	return f.postID(by, "/api/v1/council/recommendations", map[string]any{"title": title, "summary": "Eine kurze Zusammenfassung.", "body": body, "topics": []string{"Verwaltung"}})
}

// rec reads a recommendation through the API as by.
func (f *councilFix) rec(by *councilPerson, id string) recJSON {
	f.t.Helper()
	resp := f.e.api("GET", "/api/v1/council/recommendations/"+id, by.token, nil)
	if resp.StatusCode != 200 {
		f.t.Fatalf("GET recommendation: %d %s", resp.StatusCode, readBody(resp))
	}
	var r recJSON
	decodeJSON(f.t, resp, &r)
	return r
}

// call sends a JSON request as by and checks the status.
func (f *councilFix) call(by *councilPerson, method, path string, body any, want int) *nethttp.Response {
	f.t.Helper()
	tok := ""
	if by != nil {
		tok = by.token
	}
	resp := f.e.api(method, path, tok, body)
	if resp.StatusCode != want {
		f.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, readBody(resp))
	}
	return resp
}

// form posts a form as by with its token.
func (f *councilFix) form(by *councilPerson, path string, vals url.Values) (*nethttp.Response, *goquery.Document) {
	f.t.Helper()
	vals.Set("_csrf", by.csrf)
	return by.b.post(path, vals)
}

// adopt puts a recommendation to the vote, both members approve, the admin
// closes it.
func (f *councilFix) adopt(id string) {
	f.t.Helper()
	base := "/api/v1/council/recommendations/" + id
	f.call(f.anna, "POST", base+"/submit", nil, 200)
	f.call(f.anna, "PUT", base+"/vote", map[string]any{"value": "approve"}, 200)
	f.call(f.bernd, "PUT", base+"/vote", map[string]any{"value": "approve"}, 200)
	f.call(f.admin, "POST", base+"/close-vote", nil, 200)
}

func recPath(id string) string { return "/council/recommendations/" + id }

// recFixture makes a recommendation of the matrix's council member in the
// state kind names: "rec" a draft, "rec-history" a draft with two
// revisions, "rec-evidence" a draft citing commentID, "rec-review" in
// review, "rec-adopted" adopted, "rec-published" published.
func (m *matrixEnv) recFixture(t *testing.T, kind, commentID string) string {
	t.Helper()
	ctx := context.Background()
	member := m.actors["council"].User
	r, err := m.Council.CreateRecommendation(ctx, member, mitreden.Recommendation{Title: "Eine Empfehlung für die Matrix",
		Summary: "Kurz gesagt.", Body: "Ein Text der Empfehlung."}, "")
	if err != nil {
		t.Fatalf("fixture recommendation: %v", err)
	}
	step := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("fixture %s: %v", kind, err)
		}
	}
	switch kind {
	case "rec-history":
		_, err = m.Council.SaveRecommendation(ctx, member, r.ID, 1, mitreden.Recommendation{Title: r.Title, Body: "Ein neuer Text der Empfehlung."}, "Zweite Fassung")
		step(err)
	case "rec-evidence":
		_, err = m.Council.AddEvidence(ctx, member, r.ID, mitreden.Evidence{Type: "comment", ItemID: commentID, Note: "Passt."})
		step(err)
	case "rec-review", "rec-adopted", "rec-published":
		_, err = m.Council.Submit(ctx, member, r.ID)
		step(err)
		if kind == "rec-review" {
			// The matrix makes the member chair on its own row; here
			// the member is none, so that only admins close.
			step(m.Council.SetChair(ctx, m.DB.Users(), m.admin, ""))
			break
		}
		step(m.Council.Vote(ctx, member, r.ID, mitreden.CouncilApprove))
		// The matrix's role changes may have made the target a member too:
		// the quorum counts every member.
		if target, err := m.DB.Users().FindUserByID(ctx, m.target.ID); err == nil && target.HasRole(mitreden.RoleCouncil) {
			step(m.Council.Vote(ctx, target, r.ID, mitreden.CouncilApprove))
		}
		_, err = m.Council.CloseVote(ctx, m.admin, r.ID)
		step(err)
		if kind == "rec-published" {
			_, err = m.Council.Publish(ctx, member, r.ID, "")
			step(err)
		}
	}
	return r.ID
}

// TestCouncil_WorkspaceIsHiddenFromOthers: to the anonymous, a citizen and
// a moderator a draft's every page and endpoint answers exactly as an id
// that does not exist, and drafts appear in no public list, search or API;
// no link to the workspace shows for them.
func TestCouncil_WorkspaceIsHiddenFromOthers(t *testing.T) {
	f := newCouncilFix(t)
	id := f.create(f.anna, "Geheimer Entwurf Mondscheinsonate", "Der Mondscheinsonate-Entwurf ist noch nicht öffentlich.")
	missing := "0123456789abcdef01234567"
	for _, who := range []*councilPerson{nil, f.citizen, f.mod} {
		name := "anonymous"
		b := f.anon
		if who != nil {
			name, b = who.DisplayName, who.b
		}
		for _, suffix := range []string{"", "/edit", "/history"} {
			resp, doc := b.get(recPath(id) + suffix)
			resp2, doc2 := b.get(recPath(missing) + suffix)
			if resp.StatusCode != 404 || resp2.StatusCode != 404 {
				t.Errorf("%s: GET %s: %d (a missing one: %d), want 404", name, suffix, resp.StatusCode, resp2.StatusCode)
			}
			if doc.Find("h1").Text() != doc2.Find("h1").Text() || doc.Find("main").Text() == "" ||
				strings.Contains(doc.Text(), "Mondscheinsonate") {
				t.Errorf("%s: the 404 of a draft differs from that of a missing one, or shows it", name)
			}
		}
		for _, path := range []string{"/council", "/council/recommendations/new"} {
			if resp, _ := b.get(path); resp.StatusCode != 404 {
				t.Errorf("%s: GET %s: %d, want 404", name, path, resp.StatusCode)
			}
		}
		tok := ""
		if who != nil {
			tok = who.token
		}
		for _, p := range []string{"", "/revisions", "/comments", "/diff?from=1&to=1"} {
			if resp := f.e.api("GET", "/api/v1/council/recommendations/"+id+p, tok, nil); resp.StatusCode != 404 {
				t.Errorf("%s: GET API %s: %d, want 404", name, p, resp.StatusCode)
			}
		}
		if resp := f.e.api("PATCH", "/api/v1/council/recommendations/"+id, tok, map[string]any{"title": "Übernommen", "base_revision": 1}); resp.StatusCode != 404 {
			t.Errorf("%s: PATCH: %d, want 404", name, resp.StatusCode)
		}
		_, home := b.get("/")
		if home.Find(`nav a[href="/council"]`).Length() != 0 {
			t.Errorf("%s sees a link to the workspace", name)
		}
		// Public lists, pages and search know nothing of the draft.
		if resp, _ := b.get("/recommendations/" + id); resp.StatusCode != 404 {
			t.Errorf("%s: the draft's public page: %d", name, resp.StatusCode)
		}
		_, list := b.get("/recommendations")
		_, found := b.get("/search?q=Mondscheinsonate")
		if strings.Contains(list.Find("main").Text(), "Mondscheinsonate") || strings.Contains(found.Find("main").Text(), "Mondscheinsonate") {
			t.Errorf("%s finds the draft in the public list or search", name)
		}
		for _, p := range []string{"/api/v1/recommendations", "/api/v1/recommendations/" + id, "/api/v1/search?q=Mondscheinsonate"} {
			if body := readBody(f.e.api("GET", p, tok, nil)); strings.Contains(body, "Mondscheinsonate") {
				t.Errorf("%s: %s shows the draft", name, p)
			}
		}
	}
	// Members and admins see the workspace and its link.
	for _, who := range []*councilPerson{f.bernd, f.admin} {
		_, doc := who.b.get("/council")
		if !strings.Contains(doc.Find("main").Text(), "Geheimer Entwurf Mondscheinsonate") || doc.Find(`.site-nav a[href="/council"]`).Length() != 1 {
			t.Errorf("%s does not see the draft in the workspace with its link", who.DisplayName)
		}
	}
}

// TestCouncil_StaleSaveOverHTTP: two members open the edit form of the same
// revision and save at once: one save is taken, the other answers 409 with
// the merge in the form on the new base, the member's text exactly as sent
// and the text saved meanwhile; saving the merge keeps both changes.
func TestCouncil_StaleSaveOverHTTP(t *testing.T) {
	f := newCouncilFix(t)
	body := "Erster Absatz zum Bürgerkonto.\n\nZweiter Absatz zu offenen Daten.\n\nDritter Absatz zur Barrierefreiheit."
	id := f.create(f.anna, "Digitale Dienste zuerst", body)
	for _, p := range []*councilPerson{f.anna, f.bernd} {
		resp, doc := p.b.get(recPath(id) + "/edit")
		if resp.StatusCode != 200 || doc.Find(`input[name="base_revision"]`).AttrOr("value", "") != "1" {
			t.Fatalf("%s: edit form %d without base revision 1", p.DisplayName, resp.StatusCode)
		}
		if doc.Find("textarea#body").Text() != body {
			t.Errorf("%s: the form does not hold the current text", p.DisplayName)
		}
	}
	texts := map[*councilPerson]string{
		f.anna:  strings.Replace(body, "Erster Absatz zum Bürgerkonto.", "Erster Absatz zum Bürgerkonto, das Anna geschärft hat.", 1),
		f.bernd: strings.Replace(body, "Dritter Absatz zur Barrierefreiheit.", "Dritter Absatz zur Barrierefreiheit, von Bernd ergänzt.", 1),
	}
	type answer struct {
		who    *councilPerson
		status int
		doc    *goquery.Document
	}
	var wg sync.WaitGroup
	answers := make(chan answer, 2)
	for who, text := range texts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, doc := f.form(who, recPath(id), url.Values{"title": {"Digitale Dienste zuerst"}, "summary": {"Eine kurze Zusammenfassung."},
				"body": {strings.ReplaceAll(text, "\n", "\r\n")}, "topics": {"Verwaltung"}, "base_revision": {"1"}, "note": {"Änderung von " + who.DisplayName}})
			answers <- answer{who, resp.StatusCode, doc}
		}()
	}
	wg.Wait()
	close(answers)
	var won, lost *answer
	for a := range answers {
		switch a.status {
		case 303:
			won = &a
		case 409:
			lost = &a
		}
	}
	if won == nil || lost == nil {
		t.Fatalf("two saves at once: want one 303 and one 409")
	}
	doc := lost.doc
	mine, theirs := texts[lost.who], texts[won.who]
	if got := doc.Find("textarea#mine-body").Text(); got != mine {
		t.Errorf("the 409 page does not keep the member's text as sent:\n%q\nwant\n%q", got, mine)
	}
	if got := doc.Find("textarea#theirs-body").Text(); got != theirs {
		t.Errorf("the 409 page does not show the text saved meanwhile:\n%q", got)
	}
	merged := doc.Find("form textarea#body").Text()
	if !strings.Contains(merged, "das Anna geschärft hat") || !strings.Contains(merged, "von Bernd ergänzt") || strings.Contains(merged, "<<<<<<<") {
		t.Errorf("the merge does not hold both changes cleanly: %q", merged)
	}
	if got := doc.Find(`form input[name="base_revision"]`).AttrOr("value", ""); got != "2" {
		t.Errorf("the merge form is based on revision %q, want 2", got)
	}
	if doc.Find("div.diff ins").Length() == 0 || !strings.Contains(doc.Find("div.diff").Text(), "Eingefügt: ") {
		t.Errorf("the 409 page has no labelled word diff: %q", doc.Find("div.diff").Text())
	}
	if doc.Find("#merge-alert").Length() != 1 || !strings.Contains(doc.Find("#merge-alert").Text(), won.who.DisplayName) {
		t.Errorf("the page does not say who saved meanwhile: %q", doc.Find("#merge-alert").Text())
	}
	// Saving the merge on the new base keeps both.
	vals := url.Values{}
	doc.Find("form[action='" + recPath(id) + "'] input, form[action='" + recPath(id) + "'] textarea, form[action='" + recPath(id) + "'] select").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		switch {
		case name == "":
		case goquery.NodeName(s) == "textarea":
			vals.Set(name, s.Text())
		case goquery.NodeName(s) == "select":
			vals.Set(name, s.Find("option[selected]").AttrOr("value", ""))
		default:
			vals.Set(name, s.AttrOr("value", ""))
		}
	})
	if resp, _ := f.form(lost.who, recPath(id), vals); resp.StatusCode != 303 {
		t.Fatalf("saving the merge: %d", resp.StatusCode)
	}
	r := f.rec(f.anna, id)
	if r.Revision != 3 || !strings.Contains(r.Body, "das Anna geschärft hat") || !strings.Contains(r.Body, "von Bernd ergänzt") {
		t.Errorf("after the merge: revision %d, body %q", r.Revision, r.Body)
	}
}

// TestCouncil_StaleSaveWithConflicts: where both changed the same lines the
// form holds both versions between marks the page explains (in the
// reader's language), the title saved meanwhile is named, and nothing of
// either text is lost.
func TestCouncil_StaleSaveWithConflicts(t *testing.T) {
	f := newCouncilFix(t)
	id := f.create(f.anna, "Offene Daten", "Die Verwaltung veröffentlicht ihre Daten.")
	f.call(f.bernd, "PATCH", "/api/v1/council/recommendations/"+id, map[string]any{"title": "Offene Daten für alle", "body": "Die Verwaltung veröffentlicht alle Daten sofort.", "base_revision": 1}, 200)
	resp, doc := f.form(f.anna, recPath(id), url.Values{"title": {"Offene Daten zuerst"}, "body": {"Die Verwaltung veröffentlicht ihre Daten maschinenlesbar."}, "base_revision": {"1"}})
	if resp.StatusCode != 409 {
		t.Fatalf("stale save: %d", resp.StatusCode)
	}
	merged := doc.Find("form textarea#body").Text()
	for _, want := range []string{"<<<<<<< Ihre Fassung", "maschinenlesbar", "======= Gespeicherte Fassung", "alle Daten sofort", ">>>>>>> Ende"} {
		if !strings.Contains(merged, want) {
			t.Errorf("the merged text lacks %q: %q", want, merged)
		}
	}
	help := doc.Find("#merge-help").Text()
	if !strings.Contains(help, "<<<<<<< Ihre Fassung") || !strings.Contains(help, "löschen Sie die drei Markierungszeilen") {
		t.Errorf("the page does not explain the marks: %q", help)
	}
	if doc.Find(`form input[name="title"]`).AttrOr("value", "") != "Offene Daten zuerst" || !strings.Contains(doc.Find(".mod-note").Text(), "Offene Daten für alle") {
		t.Errorf("the title clash is not shown with the member's title in the form")
	}
	// In English the marks and their explanation are English.
	f.call(f.anna, "PATCH", "/api/v1/me", map[string]any{"language": "en"}, 200)
	_, doc = f.form(f.anna, recPath(id), url.Values{"title": {"Offene Daten zuerst"}, "body": {"Die Verwaltung veröffentlicht ihre Daten maschinenlesbar."}, "base_revision": {"1"}})
	if merged := doc.Find("form textarea#body").Text(); !strings.Contains(merged, "<<<<<<< Your version") || !strings.Contains(doc.Find("#merge-help").Text(), "<<<<<<< Your version") {
		t.Errorf("English marks missing: %q", merged)
	}
}

// TestCouncilAPI_StaleSave: two PATCHes on the same base at once: one 200,
// one 409 problem with the revision saved meanwhile, its texts and the
// merged body; the refused text is in the merge.
func TestCouncilAPI_StaleSave(t *testing.T) {
	f := newCouncilFix(t)
	id := f.create(f.anna, "Breitband für Dörfer", "Absatz eins.\n\nAbsatz zwei.\n\nAbsatz drei.")
	bodies := map[*councilPerson]string{f.anna: "Absatz eins, Anna.\n\nAbsatz zwei.\n\nAbsatz drei.", f.bernd: "Absatz eins.\n\nAbsatz zwei.\n\nAbsatz drei, Bernd."}
	var mu sync.Mutex
	got := map[int][]string{}
	var wg sync.WaitGroup
	for who, body := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := f.e.api("PATCH", "/api/v1/council/recommendations/"+id, who.token, map[string]any{"body": body, "base_revision": 1, "note": "Parallel"})
			mu.Lock()
			got[resp.StatusCode] = append(got[resp.StatusCode], readBody(resp))
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(got[200]) != 1 || len(got[409]) != 1 {
		t.Fatalf("two PATCHes at once: %v", got)
	}
	var p struct {
		Status          int
		CurrentRevision int `json:"current_revision"`
		Theirs          struct{ Title, Summary, Body string }
		MergedBody      string `json:"merged_body"`
		Conflicts       bool
	}
	if err := jsonUnmarshal(got[409][0], &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != 409 || p.CurrentRevision != 2 || p.Conflicts || p.Theirs.Title != "Breitband für Dörfer" ||
		!strings.Contains(p.MergedBody, "Absatz eins, Anna.") || !strings.Contains(p.MergedBody, "Absatz drei, Bernd.") {
		t.Errorf("the stale problem: %+v", p)
	}
	if !slices.Contains([]string{bodies[f.anna], bodies[f.bernd]}, p.Theirs.Body) {
		t.Errorf("theirs is no member's text: %q", p.Theirs.Body)
	}
	// Saving the merge on the current revision works.
	f.call(f.anna, "PATCH", "/api/v1/council/recommendations/"+id, map[string]any{"body": p.MergedBody, "base_revision": p.CurrentRevision}, 200)
	if r := f.rec(f.bernd, id); r.Revision != 3 || r.Body != "Absatz eins, Anna.\n\nAbsatz zwei.\n\nAbsatz drei, Bernd." {
		t.Errorf("after saving the merge: %d %q", r.Revision, r.Body)
	}
	// A PATCH without its base is refused.
	f.call(f.anna, "PATCH", "/api/v1/council/recommendations/"+id, map[string]any{"title": "Ohne Basis"}, 422)
}

// TestCouncil_HistoryDiffAndRestore: the history lists every revision with
// author, note and restore; the diff between any two marks insertions and
// deletions with labels for screen readers and counts the words; restoring
// makes a new revision.
func TestCouncil_HistoryDiffAndRestore(t *testing.T) {
	f := newCouncilFix(t)
	id := f.create(f.anna, "Daten bereitstellen", "Die Verwaltung stellt ihre Daten offen bereit.")
	if resp, _ := f.form(f.bernd, recPath(id), url.Values{"title": {"Daten maschinenlesbar bereitstellen"},
		"body": {"Die Verwaltung stellt ihre Daten maschinenlesbar und kostenlos bereit."}, "base_revision": {"1"}, "note": {"Präzisiert"}}); resp.StatusCode != 303 {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	resp, doc := f.anna.b.get(recPath(id) + "/history")
	if resp.StatusCode != 200 {
		t.Fatalf("history: %d", resp.StatusCode)
	}
	rows := doc.Find("table tbody tr")
	if rows.Length() != 2 || !strings.Contains(rows.First().Text(), "Bernd Buchfink") || !strings.Contains(rows.First().Text(), "Präzisiert") {
		t.Errorf("history rows: %q", rows.Text())
	}
	if doc.Find(`input[form="compare"][name="from"][value="1"][checked]`).Length() != 1 || doc.Find(`input[form="compare"][name="to"][value="2"][checked]`).Length() != 1 {
		t.Error("the last change is not chosen by default")
	}
	body := doc.Find("#diff div.diff").Last()
	ins, del := body.Find("ins"), body.Find("del")
	if !strings.Contains(ins.Text(), "maschinenlesbar und kostenlos") || !strings.Contains(del.Text(), "offen") {
		t.Errorf("diff: ins %q del %q", ins.Text(), del.Text())
	}
	if ins.First().Find("span.kern-sr-only").First().Text() != "Eingefügt: " || del.First().Find("span.kern-sr-only").First().Text() != "Gelöscht: " ||
		!strings.Contains(ins.First().Find("span.kern-sr-only").Last().Text(), "Ende") {
		t.Errorf("the changes lack their labels: %q / %q", ins.First().Text(), del.First().Text())
	}
	if c := doc.Find("#diff").Text(); !strings.Contains(c, "Wörter eingefügt") || !strings.Contains(c, "Wörter gelöscht") {
		t.Errorf("no counts: %q", c)
	}
	if !strings.Contains(doc.Find("#diff p.diff ins").Text(), "maschinenlesbar") {
		t.Errorf("the title's change is not marked: %q", doc.Find("#diff p.diff").Text())
	}
	// Any two, in either order.
	_, doc = f.anna.b.get(recPath(id) + "/history?from=2&to=1")
	if !strings.Contains(doc.Find("#diff div.diff del").Text(), "maschinenlesbar") {
		t.Error("the reversed diff does not delete what revision 2 added")
	}
	if resp, doc := f.anna.b.get(recPath(id) + "/history?from=7&to=1"); resp.StatusCode != 422 || doc.Find("#error-summary").Length() != 1 {
		t.Errorf("a revision that does not exist: %d", resp.StatusCode)
	}
	// The API's diff says the same as segments.
	var d struct {
		From, To          int
		Body              []struct{ Op, Text string }
		Inserted, Deleted int
	}
	decodeJSON(t, f.call(f.anna, "GET", "/api/v1/council/recommendations/"+id+"/diff?from=1&to=2", nil, 200), &d)
	var insText string
	for _, s := range d.Body {
		if s.Op == "insert" {
			insText += s.Text
		}
	}
	if d.From != 1 || d.To != 2 || !strings.Contains(insText, "maschinenlesbar") || d.Inserted == 0 || d.Deleted == 0 {
		t.Errorf("API diff: %+v", d)
	}
	// Restore revision 1 as revision 3.
	if resp, _ := f.form(f.anna, recPath(id)+"/restore", url.Values{"revision": {"1"}}); resp.StatusCode != 303 {
		t.Fatalf("restore: %d", resp.StatusCode)
	}
	r := f.rec(f.anna, id)
	if r.Revision != 3 || r.Body != "Die Verwaltung stellt ihre Daten offen bereit." || r.Title != "Daten bereitstellen" {
		t.Errorf("after restoring: %d %q %q", r.Revision, r.Title, r.Body)
	}
	_, doc = f.anna.b.get(recPath(id) + "/history")
	if !strings.Contains(doc.Find("table tbody tr").First().Text(), "Wiederhergestellt aus Fassung 1") {
		t.Errorf("the restored revision does not say so: %q", doc.Find("table tbody tr").First().Text())
	}
	var revs struct {
		Items []struct {
			N            int
			RestoredFrom int `json:"restored_from"`
		}
	}
	decodeJSON(t, f.call(f.bernd, "GET", "/api/v1/council/recommendations/"+id+"/revisions", nil, 200), &revs)
	if len(revs.Items) != 3 || revs.Items[0].RestoredFrom != 1 {
		t.Errorf("API revisions: %+v", revs.Items)
	}
}

// TestCouncil_Deciding: submitting opens the vote and freezes the text;
// members vote and change their vote; an admin who is no member cannot
// vote; a member who is not the chair cannot close; the admin marks a
// chair, who closes; the result is recorded and shown. Too few votes send
// it back to draft with the reason.
func TestCouncil_Deciding(t *testing.T) {
	f := newCouncilFix(t)
	id := f.create(f.anna, "Digitale Schule", "Jede Schule bekommt WLAN.")
	_, doc := f.anna.b.get(recPath(id))
	if doc.Find(`form[action="`+recPath(id)+`/submit"]`).Length() != 1 {
		t.Fatal("no submit form on a draft")
	}
	if resp, _ := f.form(f.anna, recPath(id)+"/submit", url.Values{}); resp.StatusCode != 303 || !strings.HasSuffix(resp.Header.Get("Location"), "#confirmation") {
		t.Fatalf("submit: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, doc = f.anna.b.get(recPath(id))
	if !strings.Contains(doc.Find("#confirmation").Text(), "steht zur Abstimmung") || !strings.Contains(doc.Find("#decision").Text(), "0 von 2 Mitgliedern") {
		t.Errorf("after submitting: %q", doc.Find("#decision").Text())
	}
	if resp, _ := f.anna.b.get(recPath(id) + "/edit"); resp.StatusCode != 409 {
		t.Errorf("editing while in review: %d, want 409", resp.StatusCode)
	}
	// Anna approves, then abstains instead.
	for _, v := range []struct{ value, label string }{{"approve", "Zustimmung"}, {"abstain", "Enthaltung"}} {
		if resp, _ := f.form(f.anna, recPath(id)+"/vote", url.Values{"value": {v.value}}); resp.StatusCode != 303 {
			t.Fatalf("vote %s: %d", v.value, resp.StatusCode)
		}
		_, doc = f.anna.b.get(recPath(id))
		if !strings.Contains(doc.Find("#my-vote").Text(), "Sie haben mit „"+v.label+"“ gestimmt.") || doc.Find("#vote-"+v.value+"[checked]").Length() != 1 {
			t.Errorf("after voting %s: %q", v.value, doc.Find("#my-vote").Text())
		}
	}
	if resp, doc := f.form(f.anna, recPath(id)+"/vote", url.Values{"value": {"vielleicht"}}); resp.StatusCode != 422 || doc.Find("#error-summary a[href='#vote-approve']").Length() != 1 {
		t.Errorf("a vote that is no value: %d", resp.StatusCode)
	}
	// The admin is no member: no vote, but the close button.
	_, doc = f.admin.b.get(recPath(id))
	if doc.Find(`form[action="`+recPath(id)+`/vote"]`).Length() != 0 || !strings.Contains(doc.Find("#decision").Text(), "Abstimmen können nur Mitglieder") ||
		doc.Find(`form[action="`+recPath(id)+`/close-vote"]`).Length() != 1 {
		t.Errorf("the admin's decision box: %q", doc.Find("#decision").Text())
	}
	if resp, _ := f.form(f.admin, recPath(id)+"/vote", url.Values{"value": {"approve"}}); resp.StatusCode != 403 {
		t.Errorf("the admin votes: %d, want 403", resp.StatusCode)
	}
	// Bernd is not the chair: no close button, and closing is refused.
	_, doc = f.bernd.b.get(recPath(id))
	if doc.Find(`form[action="`+recPath(id)+`/close-vote"]`).Length() != 0 {
		t.Error("a member who is not the chair sees the close button")
	}
	if resp, doc := f.form(f.bernd, recPath(id)+"/close-vote", url.Values{}); resp.StatusCode != 403 || !strings.Contains(doc.Find("#error-summary").Text(), "Vorsitz") {
		t.Errorf("a member closes: %d", resp.StatusCode)
	}
	// The admin marks Bernd as chair on the user list.
	if resp, _ := f.form(f.admin, "/admin/users/"+f.bernd.ID+"/chair", url.Values{"action": {"set"}}); resp.StatusCode != 303 {
		t.Fatalf("mark chair: %d", resp.StatusCode)
	}
	_, doc = f.admin.b.get("/admin/users")
	doc.Find("tbody tr").Each(func(_ int, row *goquery.Selection) {
		chair := strings.Contains(row.Text(), "(Vorsitz des Digitalrats)")
		if bernd := strings.Contains(row.Text(), "Bernd Buchfink"); chair != bernd {
			t.Errorf("the chair mark on %q", strings.Join(strings.Fields(row.Find("td").First().Text()), " "))
		}
	})
	if doc.Find(`form[action="/admin/users/`+f.citizen.ID+`/chair"]`).Length() != 0 {
		t.Error("a citizen can be made chair")
	}
	if resp, _ := f.form(f.admin, "/admin/users/"+f.citizen.ID+"/chair", url.Values{"action": {"set"}}); resp.StatusCode != 422 {
		t.Errorf("a citizen made chair: %d, want 422", resp.StatusCode)
	}
	if resp, _ := f.form(f.bernd, recPath(id)+"/vote", url.Values{"value": {"approve"}}); resp.StatusCode != 303 {
		t.Fatalf("Bernd votes: %d", resp.StatusCode)
	}
	if resp, _ := f.form(f.bernd, recPath(id)+"/close-vote", url.Values{}); resp.StatusCode != 303 {
		t.Fatalf("the chair closes: %d", resp.StatusCode)
	}
	_, doc = f.bernd.b.get(recPath(id))
	result := strings.Join(strings.Fields(doc.Find("#result").Text()), " ")
	for _, want := range []string{"Ergebnis der Abstimmung vom", "Angenommen", "Zustimmung: 1", "Ablehnung: 0", "Enthaltung: 1", "Abgestimmt haben 2 von 2 Mitgliedern"} {
		if !strings.Contains(result, want) {
			t.Errorf("the result lacks %q: %q", want, result)
		}
	}
	if !strings.Contains(doc.Find("#confirmation").Text(), "angenommen") || doc.Find(`form[action="`+recPath(id)+`/publish"]`).Length() != 1 {
		t.Error("no confirmation or no publish form after adoption")
	}
	// Too few votes: back to draft with the reason.
	id2 := f.create(f.bernd, "Zu wenig Stimmen", "Ein Text.")
	f.call(f.bernd, "POST", "/api/v1/council/recommendations/"+id2+"/submit", nil, 200)
	f.call(f.bernd, "PUT", "/api/v1/council/recommendations/"+id2+"/vote", map[string]any{"value": "approve"}, 200)
	r := recJSON{}
	decodeJSON(t, f.call(f.admin, "POST", "/api/v1/council/recommendations/"+id2+"/close-vote", nil, 200), &r)
	if r.Status != "draft" || r.Vote == nil || r.Vote.Result == nil || r.Vote.Result.Adopted || r.Vote.Result.Approve != 1 || r.Vote.Result.Members != 2 {
		t.Errorf("a vote without quorum: %+v", r)
	}
	_, doc = f.bernd.b.get(recPath(id2))
	if t2 := doc.Find("#result").Text(); !strings.Contains(t2, "Nicht angenommen") || !strings.Contains(t2, "zu wenige Mitglieder") {
		t.Errorf("the failed vote's result: %q", t2)
	}
}

// TestCouncil_EvidencePickerAndPublicPages: the picker searches what the
// public can find and links a hit with a note; the workspace lists the
// evidence with its current text; a draft is 404 in public; once
// published, the public page shows the frozen version, the decision, the
// evidence and the changelog, and the cited proposal, comment and
// consultation say "Aufgegriffen in der Empfehlung …". A correction is a
// new version with its note; until it is published the public reads the
// old text.
func TestCouncil_EvidencePickerAndPublicPages(t *testing.T) {
	f := newCouncilFix(t)
	id := f.create(f.anna, "Ein Konto für alle Dienste", "Das Land baut ein Bürgerkonto für alle Verwaltungsdienste.")
	resp, doc := f.anna.b.get(recPath(id) + "?q=Zaubertrank")
	if resp.StatusCode != 200 {
		t.Fatalf("picker: %d", resp.StatusCode)
	}
	hits := doc.Find("ol.picker-hits > li")
	kinds := map[string]string{}
	hits.Each(func(_ int, h *goquery.Selection) {
		kinds[h.Find(`input[name="type"]`).AttrOr("value", "")] = h.Find(`input[name="id"]`).AttrOr("value", "")
		if h.Find(`button[type="submit"]`).Text() != "Als Beleg hinzufügen" || h.Find("textarea[name=note]").Length() != 1 {
			t.Errorf("a hit without its add form: %q", h.Text())
		}
	})
	if kinds["proposal"] != f.pid || kinds["comment"] != f.cmt || kinds["consultation"] != f.cid {
		t.Errorf("the picker offers %v", kinds)
	}
	if strings.Contains(doc.Find("ol.picker-hits").Text(), "Quatsch") {
		t.Error("the picker offers a hidden comment")
	}
	// A note too long comes back in its hit's field.
	long := strings.Repeat("Sehr wichtig. ", 50)
	resp, doc = f.form(f.anna, recPath(id)+"/evidence", url.Values{"type": {"proposal"}, "id": {f.pid}, "note": {long}, "q": {"Zaubertrank"}})
	field := "note-proposal-" + f.pid
	if resp.StatusCode != 422 || doc.Find("textarea#"+field).Text() != long || doc.Find(`#error-summary a[href="#`+field+`"]`).Length() != 1 {
		t.Errorf("a note too long: %d, kept %v", resp.StatusCode, doc.Find("textarea#"+field).Text() == long)
	}
	for _, ev := range []struct {
		who             *councilPerson
		typ, item, note string
	}{
		{f.anna, "proposal", f.pid, "Zeigt den Wunsch nach einem Konto."}, {f.bernd, "comment", f.cmt, "Ohne Smartphone!"}, {f.bernd, "consultation", f.cid, ""}} {
		resp, _ = f.form(ev.who, recPath(id)+"/evidence", url.Values{"type": {ev.typ}, "id": {ev.item}, "note": {ev.note}, "q": {"Zaubertrank"}})
		if resp.StatusCode != 303 || resp.Header.Get("Location") != recPath(id)+"?q=Zaubertrank#confirmation" {
			t.Fatalf("add %s: %d %s", ev.typ, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	// A hidden comment cannot be linked, even by its id.
	if resp, _ = f.form(f.anna, recPath(id)+"/evidence", url.Values{"type": {"comment"}, "id": {f.hidden}}); resp.StatusCode != 422 {
		t.Errorf("linking a hidden comment: %d, want 422", resp.StatusCode)
	}
	_, doc = f.anna.b.get(recPath(id) + "?q=Zaubertrank")
	ev := doc.Find("ul.evidence-list")
	for _, want := range []string{councilProposalTitle, "Vorschlag", "Eingereicht", "Zeigt den Wunsch nach einem Konto.", "Kommentar von Clara Citoyenne", "ohne Smartphone funktionieren", "Ohne Smartphone!", "Zaubertrank-Dienste zuerst online", "Verknüpft von Bernd Buchfink"} {
		if !strings.Contains(ev.Text(), want) {
			t.Errorf("the evidence list lacks %q", want)
		}
	}
	if doc.Find("ol.picker-hits").Text() == "" || !strings.Contains(doc.Find("ol.picker-hits").Text(), "Bereits als Beleg verknüpft") {
		t.Error("linked hits are not marked")
	}
	// A draft is not public.
	if resp, _ := f.anon.get("/recommendations/" + id); resp.StatusCode != 404 {
		t.Errorf("a draft's public page: %d", resp.StatusCode)
	}
	f.call(nil, "GET", "/api/v1/recommendations/"+id, nil, 404)
	_, doc = f.anon.get("/proposals/" + f.pid)
	if strings.Contains(doc.Text(), "Aufgegriffen") {
		t.Error("a draft's citation shows")
	}
	f.adopt(id)
	if resp, _ := f.form(f.anna, recPath(id)+"/publish", url.Values{"note": {""}}); resp.StatusCode != 303 {
		t.Fatalf("publish: %d", resp.StatusCode)
	}
	// The public page.
	resp, doc = f.anon.get("/recommendations/" + id)
	if resp.StatusCode != 200 {
		t.Fatalf("public page: %d", resp.StatusCode)
	}
	main := strings.Join(strings.Fields(doc.Find("main").Text()), " ")
	for _, want := range []string{"Ein Konto für alle Dienste", "Bürgerkonto für alle Verwaltungsdienste", "Fassung 1 vom", "Beschluss des Digitalrats",
		"Angenommen", "Zustimmung: 2", "Abgestimmt haben 2 von 2 Mitgliedern", "Zeigt den Wunsch nach einem Konto.", "erste Veröffentlichung"} {
		if !strings.Contains(main, want) {
			t.Errorf("the public page lacks %q", want)
		}
	}
	if doc.Find(`#evidence a[href="/proposals/`+f.pid+`"]`).Length() != 1 || doc.Find(`#evidence a[href="/comments/`+f.cmt+`"]`).Length() != 1 {
		t.Error("the public evidence does not link the contributions")
	}
	if strings.Contains(main, "Interne Diskussion") || strings.Contains(main, "Anna Amsel") {
		t.Error("the public page shows the workspace")
	}
	// The cited contributions say where they were taken up.
	cited := `a[href="/recommendations/` + id + `"]`
	for _, page := range []string{"/proposals/" + f.pid, "/consultations/" + f.cid} {
		_, doc = f.anon.get(page)
		if got := doc.Find("main .cited-in " + cited).First().Text(); got != "Aufgegriffen in der Empfehlung „Ein Konto für alle Dienste“" {
			t.Errorf("%s: citation %q", page, got)
		}
	}
	_, doc = f.anon.get("/proposals/" + f.pid)
	if doc.Find("#comment-"+f.cmt+" .cited-in "+cited).Length() != 1 {
		t.Error("the cited comment does not show its citation")
	}
	// The public list and API.
	_, doc = f.anon.get("/recommendations")
	if doc.Find(`main a[href="/recommendations/`+id+`"]`).Length() != 1 || doc.Find(`footer a[href="/recommendations"]`).Length() != 1 {
		t.Error("the public list or the footer link is missing")
	}
	var pub struct {
		Title, Body string
		Version     int
		Decision    *struct{ Approve int }
		Evidence    []struct{ Type, ID, Note string }
		Versions    []struct{ Version int }
	}
	decodeJSON(t, f.call(nil, "GET", "/api/v1/recommendations/"+id, nil, 200), &pub)
	if pub.Version != 1 || pub.Decision == nil || pub.Decision.Approve != 2 || len(pub.Evidence) != 3 || len(pub.Versions) != 1 {
		t.Errorf("public API: %+v", pub)
	}
	// A correction: the workspace edits, the public still reads version 1.
	f.call(f.bernd, "PATCH", "/api/v1/council/recommendations/"+id, map[string]any{"body": "Das Land baut ein barrierefreies Bürgerkonto für alle Verwaltungsdienste.", "base_revision": 1}, 200)
	_, doc = f.anon.get("/recommendations/" + id)
	if strings.Contains(doc.Find("main").Text(), "barrierefreies") {
		t.Error("the public reads an unpublished correction")
	}
	if resp, doc := f.form(f.bernd, recPath(id)+"/publish", url.Values{"note": {""}}); resp.StatusCode != 422 || doc.Find(`#error-summary a[href="#publish-note"]`).Length() != 1 {
		t.Errorf("a correction without a note: %d", resp.StatusCode)
	}
	if resp, _ := f.form(f.bernd, recPath(id)+"/publish", url.Values{"note": {"Barrierefreiheit ergänzt."}}); resp.StatusCode != 303 {
		t.Fatalf("publish the correction: %d", resp.StatusCode)
	}
	_, doc = f.anon.get("/recommendations/" + id)
	main = strings.Join(strings.Fields(doc.Find("main").Text()), " ")
	if !strings.Contains(main, "barrierefreies Bürgerkonto") || !strings.Contains(main, "Fassung 2 vom") || !strings.Contains(main, "Barrierefreiheit ergänzt.") {
		t.Errorf("after the correction: %q", main)
	}
	if n := doc.Find("#versions li").Length(); n != 2 {
		t.Errorf("the changelog has %d versions, want 2", n)
	}
}

// TestCouncil_PublicListFilters: the public list filters by topic and by
// the day of publication and pages; a day that is no date is a field error.
func TestCouncil_PublicListFilters(t *testing.T) {
	f := newCouncilFix(t)
	a := f.postID(f.anna, "/api/v1/council/recommendations", map[string]any{"title": "Schulen ans Netz", "body": "Text.", "topics": []string{"Bildung"}})
	b := f.postID(f.anna, "/api/v1/council/recommendations", map[string]any{"title": "Offene Verwaltungsdaten", "body": "Text.", "topics": []string{"Daten"}})
	for _, id := range []string{a, b} {
		f.adopt(id)
		f.call(f.anna, "POST", "/api/v1/council/recommendations/"+id+"/publish", nil, 200)
	}
	today := f.e.Council.Now().In(publicDayZone(t)).Format("2006-01-02")
	var list struct {
		Items []struct{ ID, Title string }
		Total int
	}
	decodeJSON(t, f.call(nil, "GET", "/api/v1/recommendations?topic=Bildung", nil, 200), &list)
	if list.Total != 1 || list.Items[0].ID != a {
		t.Errorf("topic filter: %+v", list)
	}
	decodeJSON(t, f.call(nil, "GET", "/api/v1/recommendations?from="+today+"&to="+today, nil, 200), &list)
	if list.Total != 2 {
		t.Errorf("today: %+v", list)
	}
	decodeJSON(t, f.call(nil, "GET", "/api/v1/recommendations?to=2001-01-01", nil, 200), &list)
	if list.Total != 0 {
		t.Errorf("before 2001: %+v", list)
	}
	decodeJSON(t, f.call(nil, "GET", "/api/v1/recommendations?per_page=1&page=2", nil, 200), &list)
	if list.Total != 2 || len(list.Items) != 1 || list.Items[0].ID != a {
		t.Errorf("page 2 of 1 each: %+v", list)
	}
	_, doc := f.anon.get("/recommendations?topic=Daten")
	if doc.Find("main ul.card-list > li").Length() != 1 || !strings.Contains(doc.Find("main ul.card-list").Text(), "Offene Verwaltungsdaten") {
		t.Errorf("page topic filter: %q", doc.Find("main").Text())
	}
	resp, doc := f.anon.get("/recommendations?from=gestern")
	if resp.StatusCode != 422 || doc.Find(`#error-summary a[href="#rec-from"]`).Length() != 1 || doc.Find("#rec-from").AttrOr("value", "") != "gestern" {
		t.Errorf("a bad date: %d", resp.StatusCode)
	}
}

// TestCouncil_DiscussionAndKeptDrafts: the internal discussion threads
// comments and replies (page and API); an empty one comes back with its
// error; a member whose session ended gets the edit form's text back with
// a login, while a request without any session gets the workspace's 404.
func TestCouncil_DiscussionAndKeptDrafts(t *testing.T) {
	f := newCouncilFix(t)
	id := f.create(f.anna, "Diskutierte Empfehlung", "Ein Text.")
	resp, _ := f.form(f.anna, recPath(id)+"/comments", url.Values{"body": {"Sollten wir die Kosten nennen?"}})
	if resp.StatusCode != 303 {
		t.Fatalf("comment: %d", resp.StatusCode)
	}
	var list struct {
		Items []struct {
			ID, Body string
			Replies  []struct {
				Body     string
				ParentID string `json:"parent_id"`
			}
		}
		Total int
	}
	decodeJSON(t, f.call(f.bernd, "GET", "/api/v1/council/recommendations/"+id+"/comments", nil, 200), &list)
	if len(list.Items) != 1 {
		t.Fatalf("comments: %+v", list)
	}
	parent := list.Items[0].ID
	if resp, _ := f.form(f.bernd, recPath(id)+"/comments", url.Values{"body": {"Ja, als Spanne."}, "parent_id": {parent}}); resp.StatusCode != 303 ||
		resp.Header.Get("Location") != recPath(id)+"#confirmation" {
		t.Fatalf("reply: %d", resp.StatusCode)
	}
	f.call(f.anna, "POST", "/api/v1/council/recommendations/"+id+"/comments", map[string]any{"body": "Einverstanden.", "parent_id": parent}, 201)
	decodeJSON(t, f.call(f.bernd, "GET", "/api/v1/council/recommendations/"+id+"/comments", nil, 200), &list)
	if list.Total != 3 || len(list.Items[0].Replies) != 2 || list.Items[0].Replies[0].ParentID != parent {
		t.Errorf("threaded: %+v", list)
	}
	_, doc := f.anna.b.get(recPath(id))
	thread := doc.Find("#discussion ol.comment-list > li#ccomment-" + parent)
	if thread.Find("ol.comment-list--nested > li").Length() != 2 || !strings.Contains(thread.Text(), "Ja, als Spanne.") {
		t.Errorf("the page does not nest the replies: %q", thread.Text())
	}
	if resp, doc := f.form(f.anna, recPath(id)+"/comments", url.Values{"body": {"  "}}); resp.StatusCode != 422 || doc.Find(`#error-summary a[href="#ccomment-body"]`).Length() != 1 {
		t.Errorf("an empty comment: %d", resp.StatusCode)
	}
	if resp, doc := f.form(f.anna, recPath(id)+"/comments", url.Values{"body": {"  "}, "parent_id": {parent}}); resp.StatusCode != 422 ||
		doc.Find(`#error-summary a[href="#reply-`+parent+`"]`).Length() != 1 || doc.Find("details:has(#reply-"+parent+")[open]").Length() != 1 {
		t.Errorf("an empty reply: %d", resp.StatusCode)
	}
	// A session that has ended: the form's text comes back with a login,
	// which saves it.
	ended := f.e.browser()
	ended.loginForm(f.anna.email, f.anna.pw)
	tok := ended.csrf(recPath(id) + "/edit")
	later := time.Now().Add(2 * time.Hour)
	f.e.Now.Store(&later)
	text := "Ein langer Text, den niemand verlieren will."
	sent := url.Values{"_csrf": {tok}, "title": {"Diskutierte Empfehlung"}, "body": {text}, "base_revision": {"1"}, "note": {"Nachgetragen"}}
	resp, doc = ended.post(recPath(id), sent)
	if resp.StatusCode != 401 || doc.Find("textarea#draft-body").Text() != text || doc.Find(`input[name="base_revision"][value="1"]`).Length() != 1 ||
		doc.Find("#draft-password").Length() != 1 {
		t.Fatalf("an ended session: %d, body kept %v", resp.StatusCode, doc.Find("textarea#draft-body").Text() == text)
	}
	sent.Set("_csrf", doc.Find(`main form input[name="_csrf"]`).AttrOr("value", ""))
	sent.Set("email", f.anna.email)
	sent.Set("password", f.anna.pw)
	resp, _ = ended.post(recPath(id), sent)
	if resp.StatusCode != 303 {
		t.Errorf("saving from the kept draft: %d", resp.StatusCode)
	}
	if pg, err := f.e.Council.ReadRecommendation(context.Background(), f.anna.User, id); err != nil || pg.Body != text || pg.Revision != 2 {
		t.Errorf("after saving from the kept draft: %v", err)
	}
	// Without any session there is no workspace.
	fresh := f.e.browser()
	resp, _ = fresh.post(recPath(id), url.Values{"_csrf": {fresh.csrf("/login")}, "title": {"X"}, "body": {text}, "base_revision": {"1"}})
	if resp.StatusCode != 404 {
		t.Errorf("a form without a session: %d, want 404", resp.StatusCode)
	}
}

// TestCouncilAPI_Workflow walks the rest of the workspace's API as a
// member: create, read, the list's status filter, evidence in and out,
// withdrawing, and the refusals of states.
func TestCouncilAPI_Workflow(t *testing.T) {
	f := newCouncilFix(t)
	resp := f.call(f.anna, "POST", "/api/v1/council/recommendations", map[string]any{"title": "Per API", "body": "Ein **Text**.", "topics": []string{"Daten"}}, 201)
	var r recJSON
	decodeJSON(t, resp, &r)
	if r.ID == "" || r.Status != "draft" || r.Revision != 1 || resp.Header.Get("Location") != "/api/v1/council/recommendations/"+r.ID ||
		!r.Permissions["edit"].Allowed || r.Permissions["vote"].Allowed {
		t.Errorf("created: %+v", r)
	}
	f.call(f.anna, "POST", "/api/v1/council/recommendations", map[string]any{"title": "Kurz"}, 422)
	f.call(f.anna, "POST", "/api/v1/council/recommendations", map[string]any{"title": "Per API", "body": "x", "base_revision": 3}, 400)
	base := "/api/v1/council/recommendations/" + r.ID
	f.call(f.anna, "POST", base+"/evidence", map[string]any{"type": "proposal", "id": f.pid, "note": "Passt."}, 201)
	f.call(f.anna, "POST", base+"/evidence", map[string]any{"type": "petition", "id": f.pid}, 422)
	if got := f.rec(f.bernd, r.ID); len(got.Evidence) != 1 || got.Evidence[0].Title != councilProposalTitle || got.Evidence[0].Status != "submitted" {
		t.Errorf("evidence: %+v", got.Evidence)
	}
	f.call(f.bernd, "DELETE", base+"/evidence/proposal/"+f.pid, nil, 204)
	if got := f.rec(f.anna, r.ID); len(got.Evidence) != 0 {
		t.Errorf("evidence after removing: %+v", got.Evidence)
	}
	f.call(f.anna, "PUT", base+"/vote", map[string]any{"value": "approve"}, 409)
	f.call(f.anna, "POST", base+"/publish", nil, 409)
	f.call(f.anna, "POST", base+"/submit", nil, 200)
	f.call(f.anna, "PATCH", base, map[string]any{"title": "Während der Abstimmung", "base_revision": 1}, 409)
	var list struct {
		Items []struct{ ID, Status string }
		Total int
	}
	decodeJSON(t, f.call(f.bernd, "GET", "/api/v1/council/recommendations?status=in_review", nil, 200), &list)
	if list.Total != 1 || list.Items[0].ID != r.ID {
		t.Errorf("status filter: %+v", list)
	}
	f.call(f.bernd, "GET", "/api/v1/council/recommendations?status=geheim", nil, 422)
	decodeJSON(t, f.call(f.anna, "POST", base+"/withdraw", nil, 200), &r)
	if r.Status != "withdrawn" {
		t.Errorf("withdrawn: %+v", r)
	}
	f.call(f.anna, "POST", base+"/withdraw", nil, 409)
	f.call(f.anna, "POST", base+"/evidence", map[string]any{"type": "proposal", "id": f.pid}, 409)
	// The restore of a revision that does not exist.
	f.call(f.anna, "POST", base+"/revisions/9/restore", nil, 409)
	f.call(f.anna, "GET", base+"/diff?from=1", nil, 422)
}

// jsonUnmarshal decodes a JSON text.
func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// publicDayZone is the zone the public list's days are in.
func publicDayZone(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	return loc
}

// TestCouncil_EveryTextIsTranslated: every workspace and public page, in
// German and English, shows no catalogue key (a key missing in both
// languages shows as itself), and the English pages are English.
func TestCouncil_EveryTextIsTranslated(t *testing.T) {
	f := newCouncilFix(t)
	id := f.create(f.anna, "Übersetzte Empfehlung", "Ein Text.")
	f.call(f.anna, "POST", "/api/v1/council/recommendations/"+id+"/evidence", map[string]any{"type": "proposal", "id": f.pid, "note": "Passt."}, 201)
	f.call(f.anna, "POST", "/api/v1/council/recommendations/"+id+"/comments", map[string]any{"body": "Ein Kommentar."}, 201)
	f.call(f.bernd, "PATCH", "/api/v1/council/recommendations/"+id, map[string]any{"body": "Ein neuer Text.", "base_revision": 1}, 200)
	pub := f.create(f.anna, "Veröffentlichte Empfehlung", "Ein Text.")
	f.adopt(pub)
	f.call(f.anna, "POST", "/api/v1/council/recommendations/"+pub+"/publish", nil, 200)
	keyLike := regexp.MustCompile(`\b(council|recommendations|diff|workspace|admin\.users)\.[a-z_.]+\b`)
	for _, lang := range []string{"de", "en"} {
		f.call(f.anna, "PATCH", "/api/v1/me", map[string]any{"language": lang}, 200)
		pages := []string{"/council", "/council?status=draft", "/council/recommendations/new", recPath(id), recPath(id) + "?q=Zaubertrank",
			recPath(id) + "/edit", recPath(id) + "/history", recPath(pub), "/recommendations", "/recommendations/" + pub, "/proposals/" + f.pid}
		for _, p := range pages {
			resp, doc := f.anna.b.get(p)
			if resp.StatusCode != 200 {
				t.Errorf("%s %s: %d", lang, p, resp.StatusCode)
			}
			text := doc.Find("body").Text()
			if k := keyLike.FindString(text); k != "" {
				t.Errorf("%s %s shows the key %q", lang, p, k)
			}
			if lang == "en" && (strings.Contains(text, "Entscheidung") || strings.Contains(text, "Empfehlungen des Digitalrats")) {
				t.Errorf("%s shows German on an English page", p)
			}
		}
		_, doc := f.anna.b.post(recPath(id), url.Values{"_csrf": {f.anna.csrf}, "title": {"Übersetzte Empfehlung"}, "body": {"Mein Text."}, "base_revision": {"1"}})
		if k := keyLike.FindString(doc.Find("body").Text()); k != "" {
			t.Errorf("%s merge page shows the key %q", lang, k)
		}
	}
}

// TestCouncil_PublicListShowsThePublishedVersion: a correction being
// drafted in the workspace does not show in the public list before it is
// published.
func TestCouncil_PublicListShowsThePublishedVersion(t *testing.T) {
	f := newCouncilFix(t)
	id := f.create(f.anna, "Veröffentlichter Titel", "Ein Text.")
	f.adopt(id)
	f.call(f.anna, "POST", "/api/v1/council/recommendations/"+id+"/publish", nil, 200)
	f.call(f.anna, "PATCH", "/api/v1/council/recommendations/"+id, map[string]any{"title": "Unveröffentlichte Korrektur", "base_revision": 1}, 200)
	_, doc := f.anon.get("/recommendations")
	api := readBody(f.call(nil, "GET", "/api/v1/recommendations", nil, 200))
	if strings.Contains(doc.Find("main").Text(), "Unveröffentlichte Korrektur") || strings.Contains(api, "Unveröffentlichte Korrektur") ||
		!strings.Contains(api, "Veröffentlichter Titel") {
		t.Errorf("the public list shows an unpublished correction: %s", api)
	}
}
