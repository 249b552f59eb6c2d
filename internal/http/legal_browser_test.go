package http_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	mhttp "github.com/mitreden/mitreden/internal/http"
	"github.com/mitreden/mitreden/internal/mitreden"
)

// TestBrowser_HomeFirstVisit is a first visit at 320 and 1280 px, with and
// without JavaScript and by keyboard: the home page shows what is open, until
// when, how many took part and how to take part, and names where letters and
// calls go.
func TestBrowser_HomeFirstVisit(t *testing.T) {
	e := newEnv(t, withOperator(fullOperator()))
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	now := time.Now().UTC()
	closes := time.Date(now.Year()+1, 7, 1, 20, 0, 0, 0, time.UTC) // 22:00 in Berlin (summer time)
	c := &mitreden.Consultation{Title: "Digitalisierungsvorhaben der Kreisverwaltungen in Nordrhein-Westfalen",
		Summary: "Welche Verwaltungsleistungen sollen zuerst online gehen? Sagen Sie uns, was Ihnen im Alltag am meisten hilft.",
		Body:    "Das Land will die wichtigsten Leistungen online anbieten.", Region: "Land",
		OpensAt: now.Add(-time.Hour), ClosesAt: closes, VotingMode: "support", ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.Participation.CreateConsultation(context.Background(), admin, c); err != nil {
		t.Fatal(err)
	}
	until := "01.07." + strconv.Itoa(closes.Year()) + ", 22:00 Uhr"

	for _, width := range []int64{320, 1280} {
		for _, noJS := range []bool{false, true} {
			var opts []sessionOption
			name := "home-first-visit-" + strconv.FormatInt(width, 10)
			if noJS {
				opts = append(opts, withoutJS())
				name += "-nojs"
			}
			b := newBrowser(t, e, "de", opts...)
			b.viewport(width, 900)
			b.visit("/")
			b.screenshot(name)
			if b.overflowsHorizontally() {
				t.Errorf("%s: the home page scrolls sideways", name)
			}
			card := b.text("main .home-open > li")
			for _, want := range []string{c.Title, "Welche Verwaltungsleistungen", "Beiträge bis " + until, "Bisher hat noch niemand mitgemacht."} {
				if !strings.Contains(card, want) {
					t.Errorf("%s: the card lacks %q: %q", name, want, card)
				}
			}
			if n := b.count("main ol.home-steps > li"); n < 3 {
				t.Errorf("%s: %d steps of how to take part", name, n)
			}
			offline := b.text("main .home-offline")
			for _, want := range []string{"Musterstraße 12", "40213 Düsseldorf", "0211 837-1234"} {
				if !strings.Contains(offline, want) {
					t.Errorf("%s: the letter-or-phone section lacks %q: %q", name, want, offline)
				}
			}
		}
	}

	// By keyboard: Tab reaches the consultation, Enter opens it.
	b := newBrowser(t, e, "de")
	b.visit("/")
	reached := false
	for range 40 {
		b.press("\t")
		if eval[bool](b, `document.activeElement.matches("main .home-open a")`) {
			reached = true
			break
		}
	}
	if !reached {
		t.Fatal("Tab never reaches the open consultation's link")
	}
	b.press("\r")
	waitFor(t, func() bool { return strings.HasSuffix(b.url(), "/consultations/"+c.ID) })
	b.checkPage()

	// In English the same facts, the time as English readers write it.
	en := newBrowser(t, e, "en")
	en.visit("/")
	if got := en.text("main .home-open time"); got != "1 Jul "+strconv.Itoa(closes.Year())+", 22:00" {
		t.Errorf("english closing time %q", got)
	}
	if !strings.Contains(en.text("main"), "How to take part") {
		t.Error("english home lacks the steps")
	}
}

// TestBrowser_HomeWithoutPostalContactMakesNoPromise checks that an
// installation without address and phone does not invite letters or calls.
func TestBrowser_HomeWithoutPostalContactMakesNoPromise(t *testing.T) {
	e := newEnv(t, withOperator(mhttp.Operator{Name: "Stadt Musterhausen"}))
	b := newBrowser(t, e, "de")
	b.visit("/")
	if n := b.count("main .home-offline"); n != 0 {
		t.Error("the home page promises taking part by letter or phone without a postal contact")
	}
	if txt := b.text("main"); strings.Contains(txt, "Brief") || strings.Contains(txt, "Telefon") {
		t.Errorf("the home page mentions letters or phone: %q", txt)
	}
	if !strings.Contains(b.text("main"), "Gerade ist kein Beteiligungsverfahren offen") {
		t.Error("with nothing open the home page does not say so")
	}
}

// TestBrowser_LegalPagesAndMissingSettings walks the legal pages at 320 px,
// the registration form's privacy link, and the admin's warning while
// settings are missing.
func TestBrowser_LegalPagesAndMissingSettings(t *testing.T) {
	op := fullOperator()
	op.DataProtectionOfficer = []string{"Behördliche Datenschutzbeauftragte", "datenschutzbeauftragte.ministerium-fuer-digitales@verwaltung.nrw.example"}
	op.Phone = ""
	e := newEnv(t, withOperator(op, "MITREDEN_OPERATOR_PHONE"))
	_, pw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	for _, lang := range []string{"de", "en"} {
		b := newBrowser(t, e, lang)
		b.viewport(320, 800)
		for _, p := range []string{"/impressum", "/datenschutz", "/barrierefreiheit"} {
			b.visit(p)
			b.screenshot("legal" + strings.ReplaceAll(p, "/", "-") + "-320-" + lang)
			if b.overflowsHorizontally() {
				t.Errorf("%s %s: scrolls sideways at 320 px", lang, p)
			}
		}
		if n := b.count("main h2"); n != 5 {
			t.Errorf("%s statement: %d sections, want the model's 5", lang, n)
		}
	}

	b := newBrowser(t, e, "de", withoutJS())
	b.visit("/register")
	b.submit(`main form[action="/register"] a[href="/datenschutz"]`)
	if !strings.HasSuffix(b.url(), "/datenschutz") || b.text("h1") != "Datenschutz" {
		t.Errorf("the registration form's privacy link leads to %s", b.url())
	}

	b.visit("/login")
	b.fill("#email", "admin@example.org")
	b.fill("#password", pw)
	b.submit(`form[action="/login"] button[type="submit"]`)
	for _, p := range []string{"/admin/users", "/admin/search"} {
		b.visit(p)
		b.screenshot("admin-missing-settings" + strings.ReplaceAll(p, "/", "-"))
		if !strings.Contains(b.text("#missing-settings"), "MITREDEN_OPERATOR_PHONE") {
			t.Errorf("%s: no warning naming MITREDEN_OPERATOR_PHONE", p)
		}
	}
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 100 {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("condition not met within 5 s")
}
