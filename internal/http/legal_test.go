package http_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	mhttp "github.com/mitreden/mitreden/internal/http"
	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// withOperator gives the test server the operator's facts and the list of
// settings still missing.
func withOperator(op mhttp.Operator, missing ...string) envOption {
	return func(c *mhttp.Config, _ *service.AccountsConfig) {
		c.Operator = op
		c.MissingSettings = missing
	}
}

// fullOperator is an operator who filled in every fact.
func fullOperator() mhttp.Operator {
	return mhttp.Operator{
		Name:                  "Ministerium für Digitales des Landes NRW",
		Address:               []string{"Musterstraße 12", "40213 Düsseldorf"},
		Phone:                 "0211 837-1234",
		Email:                 "beteiligung@mdi.nrw.example",
		DataProtectionOfficer: []string{"Dr. Maria Schutz", "datenschutz@mdi.nrw.example"},
		SupervisoryAuthority:  []string{"Landesbeauftragte für Datenschutz und Informationsfreiheit NRW", "https://www.ldi.nrw.de"},
		AccessibilityReviewed: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		KnownBarriers:         []string{"Ältere PDF-Anhänge sind nicht barrierefrei.", "Videos haben noch keine Untertitel."},
		EnforcementBody: []string{"Ombudsstelle für barrierefreie Informationstechnik des Landes Nordrhein-Westfalen",
			"E-Mail: ombudsstelle-barrierefreie-it@mags.nrw.de", "https://www.lbbp.nrw.de/ombudsstelle"},
	}
}

// mainText is the text of the page's main, with whitespace collapsed.
func mainText(doc *goquery.Document) string {
	return strings.Join(strings.Fields(doc.Find("main").Text()), " ")
}

// TestLegal_PagesStateTheOperatorsFacts checks that imprint, privacy notice
// and accessibility statement name what the operator configured, in both
// languages, with working mail and phone links.
func TestLegal_PagesStateTheOperatorsFacts(t *testing.T) {
	e := newEnv(t, withOperator(fullOperator()))
	for _, lang := range []string{"de", "en"} {
		b := e.browser()
		b.Lang = lang
		_, doc := b.get("/impressum")
		txt := mainText(doc)
		for _, want := range []string{"Ministerium für Digitales des Landes NRW", "Musterstraße 12", "40213 Düsseldorf", "0211 837-1234"} {
			if !strings.Contains(txt, want) {
				t.Errorf("%s imprint lacks %q: %s", lang, want, txt)
			}
		}
		if doc.Find(`main a[href="tel:02118371234"]`).Length() != 1 || doc.Find(`main a[href="mailto:beteiligung@mdi.nrw.example"]`).Length() != 1 {
			t.Errorf("%s imprint lacks the phone or mail link", lang)
		}
		if doc.Find(".missing-note").Length() != 0 {
			t.Errorf("%s imprint says facts are missing though all are set", lang)
		}

		_, doc = b.get("/datenschutz")
		txt = mainText(doc)
		for _, want := range []string{"Ministerium für Digitales des Landes NRW", "Dr. Maria Schutz", "Landesbeauftragte für Datenschutz und Informationsfreiheit NRW"} {
			if !strings.Contains(txt, want) {
				t.Errorf("%s privacy notice lacks %q", lang, want)
			}
		}
		if doc.Find(`#data-protection-officer a[href="mailto:datenschutz@mdi.nrw.example"]`).Length() != 1 ||
			doc.Find(`#supervisory-authority a[href="https://www.ldi.nrw.de"]`).Length() != 1 {
			t.Errorf("%s privacy notice does not link the officer's mail and the authority's site", lang)
		}

		_, doc = b.get("/barrierefreiheit")
		txt = mainText(doc)
		// The sections of the EU model statement, in its order.
		var heads []string
		doc.Find("main h2").Each(func(_ int, s *goquery.Selection) { heads = append(heads, s.Text()) })
		want := map[string][]string{
			"de": {"Stand der Vereinbarkeit mit den Anforderungen", "Nicht barrierefreie Inhalte", "Erstellung dieser Erklärung", "Feedback und Kontakt", "Durchsetzungsverfahren"},
			"en": {"Compliance status", "Non-accessible content", "Preparation of this statement", "Feedback and contact", "Enforcement procedure"},
		}[lang]
		if strings.Join(heads, "|") != strings.Join(want, "|") {
			t.Errorf("%s statement sections %q, want %q", lang, heads, want)
		}
		if c, _ := doc.Find("#compliance-status").Attr("data-compliance"); c != "partial" {
			t.Errorf("%s statement compliance %q with known barriers, want partial", lang, c)
		}
		date := map[string]string{"de": "01.03.2026", "en": "1 Mar 2026"}[lang]
		for _, want := range []string{date, "Ältere PDF-Anhänge sind nicht barrierefrei.", "Videos haben noch keine Untertitel.", "Ombudsstelle für barrierefreie Informationstechnik"} {
			if !strings.Contains(txt, want) {
				t.Errorf("%s statement lacks %q", lang, want)
			}
		}
		if doc.Find(`#enforcement-body a[href="mailto:ombudsstelle-barrierefreie-it@mags.nrw.de"]`).Length() != 1 {
			t.Errorf("%s statement does not link the enforcement body's mail", lang)
		}
		if doc.Find(`main a[href="mailto:kontakt@example.org"]`).Length() != 1 || doc.Find(`main a[href="tel:02118371234"]`).Length() != 1 {
			t.Errorf("%s statement lacks the feedback mail or phone", lang)
		}
	}
}

// TestLegal_MissingFactsAreNotInvented checks that without settings the pages
// say what is missing instead of claiming compliance or inventing contacts.
func TestLegal_MissingFactsAreNotInvented(t *testing.T) {
	e := newEnv(t, withOperator(mhttp.Operator{}), func(c *mhttp.Config, _ *service.AccountsConfig) { c.ContactEmail = "" })
	b := e.browser()
	for _, p := range []string{"/impressum", "/datenschutz", "/barrierefreiheit"} {
		_, doc := b.get(p)
		if doc.Find(".missing-note").Length() == 0 {
			t.Errorf("%s does not say that facts are missing", p)
		}
		if n := doc.Find(`main a[href^="mailto:"], main a[href^="tel:"]`).Length(); n != 0 {
			t.Errorf("%s links %d contacts nobody configured", p, n)
		}
	}
	_, doc := b.get("/barrierefreiheit")
	if c, _ := doc.Find("#compliance-status").Attr("data-compliance"); c != "unknown" {
		t.Errorf("statement without a review claims compliance %q", c)
	}
	_, doc = b.get("/impressum")
	if strings.Contains(mainText(doc), "per Brief oder Telefon") {
		t.Error("imprint promises taking part by letter or phone without a postal contact")
	}

	// An operator who states no known barriers after a review is fully compliant.
	op := fullOperator()
	op.KnownBarriers, op.NoKnownBarriers = nil, true
	_, doc = newEnv(t, withOperator(op)).browser().get("/barrierefreiheit")
	if c, _ := doc.Find("#compliance-status").Attr("data-compliance"); c != "full" {
		t.Errorf("statement with no known barriers: compliance %q, want full", c)
	}
}

// TestLegal_AdminPageListsMissingSettings checks the warning an admin sees
// while settings are missing, and that it goes once they are all given.
func TestLegal_AdminPageListsMissingSettings(t *testing.T) {
	missing := []string{"MITREDEN_OPERATOR_PHONE", "MITREDEN_ACCESSIBILITY_REVIEWED"}
	e := newEnv(t, withOperator(mhttp.Operator{Name: "Stadt Musterhausen"}, missing...))
	_, pw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	b := e.browser()
	b.loginForm("admin@example.org", pw)
	for _, p := range []string{"/admin/search", "/admin/users"} {
		_, doc := b.get(p)
		w := doc.Find("#missing-settings")
		if w.Length() != 1 {
			t.Fatalf("%s shows no warning about missing settings: %s", p, mainText(doc))
		}
		for _, m := range missing {
			if w.Find("code").FilterFunction(func(_ int, s *goquery.Selection) bool { return s.Text() == m }).Length() != 1 {
				t.Errorf("%s warning does not name %s: %s", p, m, w.Text())
			}
		}
	}

	e2 := newEnv(t, withOperator(fullOperator()))
	_, pw = e2.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	b2 := e2.browser()
	b2.loginForm("admin@example.org", pw)
	if _, doc := b2.get("/admin/users"); doc.Find("#missing-settings").Length() != 0 {
		t.Error("warning shown although no setting is missing")
	}
}

// TestHome_PostalPromiseOnlyWithContact checks that the home page promises
// taking part by letter or phone only when the contact is configured, and
// then names it.
func TestHome_PostalPromiseOnlyWithContact(t *testing.T) {
	_, doc := newEnv(t, withOperator(fullOperator())).browser().get("/")
	txt := mainText(doc)
	for _, want := range []string{"Beteiligung per Brief oder Telefon", "Ministerium für Digitales des Landes NRW", "Musterstraße 12", "40213 Düsseldorf", "0211 837-1234"} {
		if !strings.Contains(txt, want) {
			t.Errorf("home lacks %q: %s", want, txt)
		}
	}
	if doc.Find(`main a[href="tel:02118371234"]`).Length() != 1 {
		t.Error("home lacks the phone link")
	}
	_, doc = newEnv(t, withOperator(fullOperator())).browser().get("/leichte-sprache")
	if txt := mainText(doc); !strings.Contains(txt, "Musterstraße 12") || !strings.Contains(txt, "0211 837-1234") {
		t.Errorf("Leichte Sprache does not name the address and phone: %s", txt)
	}

	_, doc = newEnv(t, withOperator(mhttp.Operator{Name: "Stadt Musterhausen", Email: "info@musterhausen.example"})).browser().get("/")
	txt = strings.ToLower(mainText(doc))
	for _, promise := range []string{"brief", "telefon", "post"} {
		if strings.Contains(txt, promise) {
			t.Errorf("home without a postal contact still mentions %q: %s", promise, txt)
		}
	}
	_, doc = newEnv(t, withOperator(mhttp.Operator{})).browser().get("/leichte-sprache")
	if strings.Contains(mainText(doc), "Brief") {
		t.Error("Leichte Sprache promises a letter without a postal contact")
	}
}

// TestHome_ShowsOpenConsultationsAndHowToTakePart checks the first visit:
// open consultations (not upcoming or closed ones) with what they are
// about, until when in Europe/Berlin, how many took part, and the steps.
func TestHome_ShowsOpenConsultationsAndHowToTakePart(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	citizen, _ := e.createUser("erika@example.org", "Erika")
	ctx := context.Background()
	now := time.Now().UTC()
	closes := time.Date(now.Year()+1, 1, 15, 17, 0, 0, 0, time.UTC) // 18:00 in Berlin (winter time)
	long := "Das Land will die wichtigsten Verwaltungsleistungen online anbieten. " + strings.Repeat("Welche davon brauchen Sie am dringendsten im Alltag? ", 6)
	mk := func(title, summary string, opens, closes time.Time) *mitreden.Consultation {
		t.Helper()
		c := &mitreden.Consultation{Title: title, Summary: summary, Body: "Der Text des Verfahrens mit allen Einzelheiten.",
			Region: "Land", OpensAt: opens, ClosesAt: closes, VotingMode: "support", ProposalsEnabled: true, CommentsEnabled: true}
		if err := e.Participation.CreateConsultation(ctx, admin, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	open := mk("Welche Dienste zuerst online?", long, now.Add(-time.Hour), closes)
	mk("Offene Daten im Kreis", "Kurz gesagt.", now.Add(-time.Hour), now.Add(time.Hour))
	mk("Kommendes Verfahren", "Noch nicht offen.", now.Add(24*time.Hour), now.Add(48*time.Hour))
	mk("Abgeschlossenes Verfahren", "Schon vorbei.", now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	if err := e.Participation.CreateProposal(ctx, citizen, open.ID, &mitreden.Proposal{Title: "Wohngeld online beantragen",
		Body: "Der Antrag auf Wohngeld sollte vollständig online möglich sein, ohne Papier."}); err != nil {
		t.Fatal(err)
	}

	for _, lang := range []string{"de", "en"} {
		b := e.browser()
		b.Lang = lang
		_, doc := b.get("/")
		cards := doc.Find("main .home-open > li")
		if cards.Length() != 2 {
			t.Fatalf("%s: home lists %d consultations, want the 2 open ones: %s", lang, cards.Length(), mainText(doc))
		}
		// The one closing first comes first.
		if got := cards.First().Find("h3 a").Text(); got != "Offene Daten im Kreis" {
			t.Errorf("%s: first card %q, want the one closing first", lang, got)
		}
		card := cards.Eq(1)
		if href, _ := card.Find("h3 a").Attr("href"); href != "/consultations/"+open.ID {
			t.Errorf("%s: card links %q", lang, href)
		}
		ex := card.Find(".kern-card__body p").First().Text()
		if !strings.HasPrefix(ex, "Das Land will") || !strings.HasSuffix(ex, "…") || len([]rune(ex)) > 210 {
			t.Errorf("%s: excerpt %q is not a short excerpt of the summary", lang, ex)
		}
		until := map[string]string{"de": "15.01." + strconv.Itoa(closes.Year()) + ", 18:00 Uhr", "en": "15 Jan " + strconv.Itoa(closes.Year()) + ", 18:00"}[lang]
		if got := card.Find("time").Text(); got != until {
			t.Errorf("%s: closes %q, want %q (Europe/Berlin)", lang, got, until)
		}
		took := map[string]string{"de": "Bisher hat 1 Person mitgemacht: 1 Vorschlag, 0 Kommentare.", "en": "So far 1 person has taken part: 1 proposal, 0 comments."}[lang]
		if !strings.Contains(mainText(doc), took) {
			t.Errorf("%s: home does not say %q", lang, took)
		}
		for _, gone := range []string{"Kommendes Verfahren", "Abgeschlossenes Verfahren"} {
			if strings.Contains(mainText(doc), gone) {
				t.Errorf("%s: home lists %q, which is not open", lang, gone)
			}
		}
		if n := doc.Find("main ol.home-steps > li").Length(); n < 3 {
			t.Errorf("%s: home shows %d steps of how to take part", lang, n)
		}
	}
}

// TestRegister_LinksThePrivacyNotice checks that the registration form links
// the privacy notice.
func TestRegister_LinksThePrivacyNotice(t *testing.T) {
	_, doc := newEnv(t).browser().get("/register")
	if doc.Find(`main form[action="/register"] a[href="/datenschutz"]`).Length() != 1 {
		t.Error("the registration form does not link the privacy notice")
	}
}
