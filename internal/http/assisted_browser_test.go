package http_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// TestBrowser_AssistedJourney is issue 14's journey, with axe and
// HTML_CodeSniffer on every page: a member of the citizens' service creates
// a participant record, enters a letter's proposal and a phone support in an
// open consultation; the public page says "eingegangen per Brief" and names
// the person, never the staff member; an admin answers; the letter appears
// in the list to send, prints on A4 without the page's tools and is marked
// sent; the person registers online and supports the same proposal, staff
// link the record, and the support counts once.
func TestBrowser_AssistedJourney(t *testing.T) {
	e := newEnv(t)
	_, pw := e.createUser("admin@example.org", "Admina Adler", mitreden.RoleAdmin)
	e.createUser("service@example.org", "Sabine Sachbearbeiterin", mitreden.RoleService)
	admin := e.login("admin@example.org", pw)
	cid := newConsultationAPI(t, e, admin, map[string]any{"title": "Die Stadtbibliothek der Zukunft"})

	staff := newBrowser(t, e, "de")
	browserLogin(staff, "service@example.org", pw)
	staff.visit("/assisted")
	if st := staff.submit(`a[href="/assisted/participants/new"]`); st != 200 {
		t.Fatalf("record form: %d", st)
	}
	// Without a name the form comes back with the summary, the place kept.
	staff.fill("#locality", "Musterhausen")
	if st := staff.submit(`main form button[type="submit"]`); st != 422 || staff.attr("#locality", "value") != "Musterhausen" {
		t.Fatalf("record without a name: %d, place %q", st, staff.attr("#locality", "value"))
	}
	staff.fill("#display_name", "Erika M.")
	staff.fill("#address", "Hauptstraße 1\n12345 Musterhausen")
	if st := staff.submit(`main form button[type="submit"]`); st != 200 || !strings.Contains(staff.url(), "/assisted/participants/") {
		t.Fatalf("record created: %d at %s", st, staff.url())
	}
	record := staff.url()[strings.Index(staff.url(), "/assisted/"):]

	// The letter's proposal.
	staff.submit(`a[href$="/proposals/new"]`)
	staff.choose("channel-letter")
	staff.fill("#title", "Bibliothek auch samstags öffnen")
	staff.fill("#body", "Ich arbeite unter der Woche und komme nur samstags in die Stadt. Bitte öffnen Sie die Bibliothek auch dann.")
	staff.fill("#reference", "AZ 14/2026")
	if st := staff.submit(`main form button[type="submit"]`); st != 200 || !strings.Contains(staff.url(), "/proposals/") {
		t.Fatalf("letter entered: %d at %s", st, staff.url())
	}
	pid := staff.url()[strings.LastIndex(staff.url(), "/")+1:]

	// The phone support, at 320 pixels.
	staff.viewport(320, 900)
	staff.visit(record + "/votes/new")
	reflows(t, staff, "support form at 320 px")
	staff.choose("channel-phone")
	staff.fill("#proposal_id", "/proposals/"+pid)
	staff.choose("value-support")
	if st := staff.submit(`main form button[type="submit"]`); st != 200 {
		t.Fatalf("support entered: %d at %s", st, staff.url())
	}
	staff.viewport(1280, 900)
	// The other forms pass the same checks: a comment by e-mail, a
	// correction of the letter's text.
	staff.visit(record + "/comments/new")
	staff.choose("channel-email")
	staff.fill("#proposal_id", pid)
	staff.fill("#body", "Per E-Mail nachgereicht: gern auch mit Lesecafé.")
	if st := staff.submit(`main form button[type="submit"]`); st != 200 || !strings.Contains(staff.text("main"), "eingegangen per E-Mail am") {
		t.Fatalf("comment entered: %d at %s", st, staff.url())
	}
	staff.visit("/assisted/correct/proposal/" + pid)
	staff.fill("#title", "Bibliothek auch samstags öffnen!")
	if st := staff.submit(`main form button[type="submit"]`); st != 200 || !strings.Contains(staff.text("main"), "korrigiert am") {
		t.Fatalf("correction: %d at %s", st, staff.url())
	}

	pub := newBrowser(t, e, "de", withoutJS())
	pub.visit("/proposals/" + pid)
	meta := pub.text("main p.meta:nth-of-type(2)")
	if !strings.Contains(pub.text("main"), "eingegangen per Brief am") || !strings.Contains(meta, "Erika M.") {
		t.Errorf("public page: %q", meta)
	}
	for _, secret := range []string{"Sabine", "AZ 14/2026", "Hauptstraße"} {
		if strings.Contains(pub.text("body"), secret) {
			t.Errorf("the public page shows %q", secret)
		}
	}
	if got := supports(t, e, pid); got != 1 {
		t.Fatalf("after the phone support: %d", got)
	}
	pub.visit("/consultations/" + cid + "/statistics")

	// An admin answers; the letter waits to be sent.
	if resp := e.api("POST", "/api/v1/proposals/"+pid+"/answer", admin, map[string]any{"status": "accepted",
		"answer": "Ab Mai öffnet die Bibliothek samstags von 10 bis 14 Uhr."}); resp.StatusCode != 200 {
		t.Fatalf("answer: %d %s", resp.StatusCode, readBody(resp))
	}
	staff.visit("/assisted/letters")
	if st := staff.submit(`a[href="/assisted/letters/` + pid + `"]`); st != 200 {
		t.Fatalf("letter: %d", st)
	}
	letter := staff.text("main")
	for _, want := range []string{"Erika M.", "12345 Musterhausen", "Ab Mai öffnet", "Bibliothek auch samstags öffnen!"} {
		if !strings.Contains(letter, want) {
			t.Errorf("the letter lacks %q: %q", want, letter)
		}
	}
	if n := staff.count(".letter-text p"); n != 2 || strings.Contains(letter, "<p>") {
		t.Errorf("the letter's texts are not rendered HTML: %d paragraphs", n)
	}
	// Printed, the tools are gone and the letter fits the A4 width.
	media := func(m string) {
		if _, err := chromedp.Call(staff.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m,
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}}); err != nil {
			t.Fatalf("emulate %q: %v", m, err)
		}
	}
	media("print")
	if eval[string](staff, `getComputedStyle(document.querySelector(".letter-tools")).display`) != "none" {
		t.Error("the letter's tools are printed")
	}
	staff.screenshot("assisted-letter-print")
	media("")
	if st := staff.submit(`.letter-tools form button[type="submit"]`); st != 200 || !strings.Contains(staff.text("main"), "Keine Antworten zu versenden") {
		t.Fatalf("marked sent: %d %q", st, staff.text("main"))
	}

	// The person registers and supports the same proposal online.
	e.createUser("erika@example.org", "Erika Muster")
	erika := e.login("erika@example.org", pw)
	if resp := e.api("PUT", "/api/v1/proposals/"+pid+"/vote", erika, map[string]any{"value": "support"}); resp.StatusCode != 200 {
		t.Fatalf("online support: %d", resp.StatusCode)
	}
	if got := supports(t, e, pid); got != 2 {
		t.Fatalf("before the link: %d", got)
	}
	staff.visit(record)
	staff.fill("#account_email", "erika@example.org")
	if st := staff.submit(`form[action$="/link"] button[type="submit"]`); st != 200 || !strings.Contains(staff.text("main"), "verknüpft mit Erika Muster") {
		t.Fatalf("link: %d %q", st, staff.text("main"))
	}
	if got := supports(t, e, pid); got != 1 {
		t.Fatalf("after the link the support counts %d times", got)
	}
	// The audit names every entry.
	for _, want := range []string{"Person erfasst", "Vorschlag", "Kommentar", "Stimme", "Text korrigiert", "Antwort versandt", "Konto verknüpft", "AZ 14/2026"} {
		if !strings.Contains(staff.text("main table"), want) {
			t.Errorf("the audit lacks %q", want)
		}
	}
	if changes, err := e.Participation.Recount(context.Background()); err != nil || len(changes) != 0 {
		t.Errorf("recount after the link: %+v %v", changes, err)
	}
}

// supports reads a proposal's supports through the public API.
func supports(t *testing.T, e *testEnv, pid string) int {
	t.Helper()
	resp := e.api("GET", "/api/v1/proposals/"+pid, "", nil)
	var out struct {
		Tally   map[string]int
		Channel string
	}
	decodeJSON(t, resp, &out)
	if out.Channel != mitreden.ChannelLetter {
		t.Errorf("proposal channel %q", out.Channel)
	}
	return out.Tally["support"]
}
