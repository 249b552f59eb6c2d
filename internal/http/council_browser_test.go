package http_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// The browser journey of the council's recommendations (issue 12), with
// axe and HTML_CodeSniffer on every page (visit and submit check each
// page) at 1280 pixels, and the recommendation page and the edit and merge
// pages at 320 pixels too. The handler tests are in council_test.go.

// TestBrowser_CouncilJourney: member A drafts; A opens the edit form and
// meanwhile member B edits and saves; A saves on the stale base, gets the
// merge page with both texts and saves the merge without losing a word;
// the history's diff shows the change; both link evidence through the
// search picker; A submits, both vote, the admin closes the vote, A
// publishes; the public page shows it and the cited proposal says
// "Aufgegriffen in …". B works without JavaScript throughout.
func TestBrowser_CouncilJourney(t *testing.T) {
	e := newEnv(t)
	mail := map[string]string{}
	var pw string
	for _, p := range []struct {
		key, name string
		roles     []mitreden.Role
	}{
		{"anna", "Anna Amsel", []mitreden.Role{mitreden.RoleCouncil}}, {"bernd", "Bernd Buchfink", []mitreden.Role{mitreden.RoleCouncil}},
		{"admin", "Admina Adler", []mitreden.Role{mitreden.RoleAdmin}}, {"clara", "Clara Citoyenne", nil},
	} {
		mail[p.key] = p.key + "@example.org"
		_, pw = e.createUser(mail[p.key], p.name, p.roles...)
	}
	admin, clara := e.login(mail["admin"], pw), e.login(mail["clara"], pw)
	cid := newConsultationAPI(t, e, admin, map[string]any{"title": "Zaubertrank-Dienste zuerst online"})
	created := func(path string, body map[string]any) string {
		t.Helper()
		resp := e.api("POST", path, clara, body)
		var out struct{ ID string }
		decodeJSON(t, resp, &out)
		if resp.StatusCode != 201 {
			t.Fatalf("POST %s: %d", path, resp.StatusCode)
		}
		return out.ID
	}
	pid := created("/api/v1/consultations/"+cid+"/proposals", map[string]any{"title": councilProposalTitle, "body": councilProposalBody})
	cmt := created("/api/v1/proposals/"+pid+"/comments", map[string]any{"body": councilCommentBody})

	a := newBrowser(t, e, "de")
	browserLogin(a, mail["anna"], pw)
	// B works without JavaScript.
	b := newBrowser(t, e, "de", withoutJS())
	browserLogin(b, mail["bernd"], pw)

	// 1. A drafts.
	a.visit("/council")
	if st := a.submit(`main a[href="/council/recommendations/new"]`); st != 200 {
		t.Fatalf("new form: %d", st)
	}
	// An empty form: the summary takes the focus and links the fields.
	if st := a.submit(`main form button[type="submit"]`); st != 422 || a.focused() != "#error-summary" {
		t.Errorf("an empty draft: %d, focus %s", st, a.focused())
	}
	first := "Das Land baut ein Bürgerkonto für alle Verwaltungsdienste.\n\nEs wird schrittweise eingeführt.\n\nDie Daten bleiben in Nordrhein-Westfalen."
	a.fill("#title", "Ein Konto für alle Dienste")
	a.fill("#summary", "Ein Bürgerkonto, mit dem alle Anträge online gehen.")
	a.fill("#body", first)
	a.fill("#topics", "Verwaltung, Daten")
	a.fill("#note", "Erster Entwurf")
	if st := a.submit(`main form button[type="submit"]`); st != 200 || !strings.Contains(a.url(), "/council/recommendations/") {
		t.Fatalf("create: %d at %s", st, a.url())
	}
	rec, _, _ := strings.Cut(a.url()[strings.Index(a.url(), "/council/recommendations/"):], "#")
	id := strings.TrimPrefix(rec, "/council/recommendations/")
	for _, w := range []int64{320, 1280} {
		a.viewport(w, 900)
		a.visit(rec)
		reflows(t, a, fmt.Sprintf("the recommendation at %d px", w))
		a.screenshot(fmt.Sprintf("council-recommendation-%d", w))
	}

	// 2. A opens the edit form (revision 1); meanwhile B edits and saves.
	a.visit(rec + "/edit")
	b.visit(rec)
	if st := b.submit(`main a[href="` + rec + `/edit"]`); st != 200 {
		t.Fatalf("B's edit form: %d", st)
	}
	berndBody := strings.Replace(first, "Es wird schrittweise eingeführt.", "Es wird schrittweise bis 2027 eingeführt.", 1)
	b.fill("#body", berndBody)
	b.fill("#note", "Zeitplan ergänzt")
	if st := b.submit(`main form button[type="submit"]`); st != 200 || !strings.Contains(b.text("#status"), "neue Fassung gespeichert") {
		t.Fatalf("B saves: %d %q", st, b.text("#status"))
	}

	// 3. A saves on the stale base: the merge page keeps everything.
	annaBody := strings.Replace(first, "Die Daten bleiben in Nordrhein-Westfalen.", "Die Daten bleiben in Nordrhein-Westfalen und werden nicht weitergegeben.", 1)
	for _, w := range []int64{320, 1280} {
		a.viewport(w, 900)
		a.visit(rec + "/edit")
		if w == 320 {
			reflows(t, a, "the edit form at 320 px")
			a.screenshot("council-edit-320")
		}
	}
	a.visit(rec + "/edit")
	// The form A opened before B saved: revision 1.
	a.fill(`input[name="base_revision"]`, "1")
	a.fill("#body", annaBody)
	a.fill("#note", "Datenschutz")
	if st := a.submit(`main form button[type="submit"]`); st != 409 {
		t.Fatalf("A saves on a stale base: %d", st)
	}
	if a.focused() != "#merge-alert" {
		t.Errorf("the merge page's alert does not take the focus: %s", a.focused())
	}
	merged := eval[string](a, `document.querySelector("#body").value`)
	if !strings.Contains(merged, "bis 2027") || !strings.Contains(merged, "nicht weitergegeben") {
		t.Errorf("the merge lost a change: %q", merged)
	}
	if got := eval[string](a, `document.querySelector("#mine-body").value`); got != annaBody {
		t.Errorf("A's text is not kept as sent: %q", got)
	}
	for _, w := range []int64{320, 1280} {
		a.viewport(w, 900)
		reflows(t, a, fmt.Sprintf("the merge page at %d px", w))
		a.screenshot(fmt.Sprintf("council-merge-%d", w))
	}
	if st := a.submit(`main form[action="` + rec + `"] button[type="submit"]`); st != 200 || !strings.HasSuffix(a.url(), rec) {
		t.Fatalf("saving the merge: %d at %s", st, a.url())
	}
	if !strings.Contains(a.text(".prose"), "bis 2027") || !strings.Contains(a.text(".prose"), "nicht weitergegeben") {
		t.Errorf("the saved text: %q", a.text(".prose"))
	}

	// 4. The diff shows the change.
	if st := a.submit(`main a[href="` + rec + `/history"]`); st != 200 {
		t.Fatalf("history: %d", st)
	}
	if got := a.text("#diff ins"); !strings.Contains(got, "und werden nicht weitergegeben") {
		t.Errorf("the diff's insertion: %q", got)
	}
	if label := eval[string](a, `document.querySelector("#diff div.diff ins .kern-sr-only").textContent`); label != "Eingefügt: " {
		t.Errorf("the insertion's label: %q", label)
	}
	a.choose("from-1")
	a.choose("to-3")
	if st := a.submit(`button[form="compare"]`); st != 200 || !strings.Contains(a.url(), "from=1") {
		t.Fatalf("compare 1 and 3: %d at %s", st, a.url())
	}
	if !strings.Contains(a.text("#diff ins"), "bis 2027") {
		t.Errorf("the diff from 1 to 3 lacks B's change: %q", a.text("#diff"))
	}
	for _, w := range []int64{320, 1280} {
		a.viewport(w, 900)
		reflows(t, a, fmt.Sprintf("the history at %d px", w))
		a.screenshot(fmt.Sprintf("council-diff-%d", w))
	}

	// 5. Both link evidence through the search picker.
	for _, x := range []struct {
		s          *browserSession
		typ, id, n string
	}{{a, "proposal", pid, "Zeigt, dass ein Konto gewünscht wird."}, {b, "comment", cmt, "Bitte auch ohne Smartphone."}} {
		x.s.visit(rec)
		x.s.fill("#picker-q", "Zaubertrank")
		if st := x.s.submit(`form.search-box button[type="submit"]`); st != 200 || x.s.count("ol.picker-hits > li") == 0 {
			t.Fatalf("the picker: %d, %d hits", st, x.s.count("ol.picker-hits > li"))
		}
		if x.s == a {
			a.screenshot("council-picker-1280")
		}
		note := "#note-" + x.typ + "-" + x.id
		x.s.fill(note, x.n)
		if st := x.s.submit(`form:has(` + note + `) button[type="submit"]`); st != 200 {
			t.Fatalf("add %s: %d", x.typ, st)
		}
		if !strings.Contains(x.s.text("#confirmation"), "Beleg ist verknüpft") || !strings.Contains(x.s.text("ul.evidence-list"), x.n) {
			t.Errorf("after adding %s: %q", x.typ, x.s.text("#evidence"))
		}
	}

	// 6. Submit, vote, adopt.
	a.visit(rec)
	a.submit(`form[action="` + rec + `/submit"] button`)
	for _, s := range []*browserSession{a, b} {
		s.visit(rec)
		s.choose("vote-approve")
		if st := s.submit(`form[action="` + rec + `/vote"] button[type="submit"]`); st != 200 || !strings.Contains(s.text("#my-vote"), "Zustimmung") {
			t.Errorf("vote: %d %q", st, s.text("#my-vote"))
		}
	}
	ad := newBrowser(t, e, "de")
	browserLogin(ad, mail["admin"], pw)
	ad.visit(rec)
	if st := ad.submit(`form[action="` + rec + `/close-vote"] button`); st != 200 || !strings.Contains(ad.text("#result"), "Angenommen") {
		t.Fatalf("close: %d %q", st, ad.text("#decision"))
	}

	// 7. Publish.
	a.visit(rec)
	a.fill("#publish-note", "Auf Grundlage der Beteiligung zu Online-Diensten.")
	if st := a.submit(`form[action="` + rec + `/publish"] button`); st != 200 || !strings.Contains(a.text("#confirmation"), "veröffentlicht") {
		t.Fatalf("publish: %d", st)
	}

	// 8. The public sees it, and the cited proposal says so.
	pub := newBrowser(t, e, "de")
	pub.visit("/")
	if st := pub.submit(`footer a[href="/recommendations"]`); st != 200 {
		t.Fatalf("public list: %d", st)
	}
	if st := pub.submit(`main a[href="/recommendations/` + id + `"]`); st != 200 {
		t.Fatalf("public page: %d", st)
	}
	page := pub.text("main")
	for _, want := range []string{"Ein Konto für alle Dienste", "bis 2027", "Fassung 1 vom", "Angenommen", "Zustimmung: 2", "Zeigt, dass ein Konto gewünscht wird."} {
		if !strings.Contains(page, want) {
			t.Errorf("the public page lacks %q", want)
		}
	}
	pub.screenshot("council-public-1280")
	if st := pub.submit(`#evidence a[href="/proposals/` + pid + `"]`); st != 200 {
		t.Fatalf("the cited proposal: %d", st)
	}
	if got := pub.text("main .cited-in"); !strings.Contains(got, "Aufgegriffen in der Empfehlung „Ein Konto für alle Dienste“") {
		t.Errorf("the cited proposal says %q", got)
	}
	if st := pub.submit(`main .cited-in a[href="/recommendations/` + id + `"]`); st != 200 {
		t.Errorf("the citation's link: %d", st)
	}

	// 9. A citizen comments on the published recommendation.
	cl := newBrowser(t, e, "de")
	browserLogin(cl, mail["clara"], pw)
	cl.visit("/recommendations/" + id)
	cl.fill("#new-comment-body", "Bitte auch an Menschen ohne Smartphone denken.")
	if st := cl.submit(`form[action="/recommendations/` + id + `/comments"] button[type="submit"]`); st != 200 {
		t.Fatalf("the citizen's comment: %d", st)
	}
	if got := cl.text("#comments"); !strings.Contains(got, "Bitte auch an Menschen ohne Smartphone denken.") || !strings.Contains(got, "Clara Citoyenne") {
		t.Errorf("the discussion shows %q", got)
	}
	cl.screenshot("council-public-comment-1280")
}
