package http_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// langFixture is a German consultation with an English and a German
// proposal, each with a comment in the other language.
type langFixture struct {
	consultation, enProposal, deProposal string
}

func seedLangParts(t *testing.T, e *testEnv) langFixture {
	t.Helper()
	ctx := context.Background()
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	erika, _ := e.createUser("erika@example.org", "Erika")
	now := time.Now().UTC()
	c := &mitreden.Consultation{Title: "Offene Daten in der Stadt", Summary: "Welche Daten soll die Stadt als Erstes veröffentlichen?",
		Body: "Die Stadt will ihre Daten offen und für alle nutzbar machen.", Region: "Stadt",
		OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(48 * time.Hour),
		VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.Participation.CreateConsultation(ctx, admin, c); err != nil {
		t.Fatal(err)
	}
	en := &mitreden.Proposal{Title: "Publish the city budget as open data",
		Body: "The council should publish its budget every year, so that everyone can see how the money is spent."}
	de := &mitreden.Proposal{Title: "Fahrpläne als offene Daten",
		Body: "Die Verkehrsbetriebe sollen ihre Fahrpläne als offene Daten veröffentlichen, damit Apps sie nutzen können."}
	for _, pr := range []*mitreden.Proposal{en, de} {
		if err := e.Participation.CreateProposal(ctx, erika, c.ID, pr); err != nil {
			t.Fatal(err)
		}
	}
	for _, cm := range []struct{ target, body string }{
		{en.ID, "Das ist eine gute Idee, der Haushalt muss für alle lesbar sein."},
		{de.ID, "I agree, and the timetables should be updated every day."},
	} {
		if _, err := e.Participation.AddComment(ctx, admin, "proposal", cm.target, mitreden.Comment{Body: cm.body}); err != nil {
			t.Fatal(err)
		}
	}
	e.Participation.FlushIndexQueue(ctx)
	return langFixture{consultation: c.ID, enProposal: en.ID, deProposal: de.ID}
}

// TestBrowser_LangOfParts checks WCAG 3.1.2 (language of parts) as a
// screen reader meets it: under the German interface an English proposal's
// title and text carry lang="en" on its page, in the consultation's list
// and in search results, and so does an English comment; under the English
// interface German ones carry lang="de"; text in the page's language
// carries none. Both at 1280 and 320 pixels, checked by axe and
// HTML_CodeSniffer on every page.
func TestBrowser_LangOfParts(t *testing.T) {
	e := newEnv(t)
	f := seedLangParts(t, e)
	for _, ui := range []struct {
		lang, other     string
		foreign, native string // proposals written in the other language and in the interface's
	}{
		{"de", "en", f.enProposal, f.deProposal},
		{"en", "de", f.deProposal, f.enProposal},
	} {
		b := newBrowser(t, e, ui.lang)
		for _, width := range []int64{1280, 320} {
			b.viewport(width, 900)
			if b.visit("/proposals/"+ui.foreign) != 200 {
				t.Fatalf("%s: proposal page not found", ui.lang)
			}
			if got := b.attr("html", "lang"); got != ui.lang {
				t.Fatalf("interface %s: html lang %q", ui.lang, got)
			}
			b.screenshot("lang-proposal-" + ui.lang + "-" + strconv.FormatInt(width, 10))
			if got := b.attr("main h1", "lang"); got != ui.other {
				t.Errorf("%s interface, %d px: the %s proposal's title has lang %q, want %q", ui.lang, width, ui.other, got, ui.other)
			}
			if got := b.attr("main .prose", "lang"); got != ui.other {
				t.Errorf("%s interface: the %s proposal's text has lang %q, want %q", ui.lang, ui.other, got, ui.other)
			}
			if got := b.attr("title", "lang"); got != ui.other {
				t.Errorf("%s interface: the page title naming the %s proposal has lang %q, want %q", ui.lang, ui.other, got, ui.other)
			}
			// Its comment is in the interface's language: no lang.
			if n := b.count(".comment .prose[lang]"); n != 0 {
				t.Errorf("%s interface: a comment in the page's language carries lang (%d)", ui.lang, n)
			}

			b.visit("/proposals/" + ui.native)
			if h, body, title := b.attr("main h1", "lang"), b.attr("main .prose", "lang"), b.attr("title", "lang"); h != "" || body != "" || title != "" {
				t.Errorf("%s interface: the proposal in the page's language carries lang %q on its heading, %q on its text, %q on the page title", ui.lang, h, body, title)
			}
			if got := b.attr(".comment .prose", "lang"); got != ui.other {
				t.Errorf("%s interface: the %s comment has lang %q, want %q", ui.lang, ui.other, got, ui.other)
			}

			b.visit("/consultations/" + f.consultation)
			b.screenshot("lang-consultation-" + ui.lang + "-" + strconv.FormatInt(width, 10))
			foreignCard := `.kern-card:has(a[href="/proposals/` + ui.foreign + `"])`
			nativeCard := `.kern-card:has(a[href="/proposals/` + ui.native + `"])`
			if got := b.attr(foreignCard+" h3", "lang"); got != ui.other {
				t.Errorf("%s interface: the %s proposal's card title has lang %q, want %q", ui.lang, ui.other, got, ui.other)
			}
			if got := b.attr(foreignCard+" .card-excerpt", "lang"); got != ui.other {
				t.Errorf("%s interface: the %s proposal's card excerpt has lang %q, want %q", ui.lang, ui.other, got, ui.other)
			}
			if n := b.count(nativeCard + " [lang]"); n != 0 {
				t.Errorf("%s interface: the card in the page's language carries lang (%d)", ui.lang, n)
			}
			// The consultation is German.
			wantCons := ""
			if ui.lang == "en" {
				wantCons = "de"
			}
			if got := b.attr("main h1", "lang"); got != wantCons {
				t.Errorf("%s interface: the German consultation's title has lang %q, want %q", ui.lang, got, wantCons)
			}

			for _, page := range []string{"/", "/consultations"} {
				b.visit(page)
				sel := `.kern-card:has(a[href="/consultations/` + f.consultation + `"]) :is(h2, h3)`
				if got := b.attr(sel, "lang"); got != wantCons {
					t.Errorf("%s interface, %s: the German consultation's card title has lang %q, want %q", ui.lang, page, got, wantCons)
				}
			}

			b.visit("/search?q=budget")
			b.screenshot("lang-search-" + ui.lang + "-" + strconv.FormatInt(width, 10))
			hit := `li.result:has(a[href="/proposals/` + f.enProposal + `"])`
			wantEN := ""
			if ui.lang == "de" {
				wantEN = "en"
			}
			if got := b.attr(hit+" h3 a > span", "lang"); got != wantEN {
				t.Errorf("%s interface: the English proposal's search heading has lang %q, want %q", ui.lang, got, wantEN)
			}
			if got := b.attr(hit+" .result__excerpt", "lang"); got != wantEN {
				t.Errorf("%s interface: the English proposal's search excerpt has lang %q, want %q", ui.lang, got, wantEN)
			}
			b.visit("/search?q=" + url.QueryEscape("Fahrpläne"))
			hit = `li.result:has(a[href="/proposals/` + f.deProposal + `"])`
			if got := b.attr(hit+" h3 a > span", "lang"); got != wantCons {
				t.Errorf("%s interface: the German proposal's search heading has lang %q, want %q", ui.lang, got, wantCons)
			}
			if got := b.attr(hit+" .result__excerpt", "lang"); got != wantCons {
				t.Errorf("%s interface: the German proposal's search excerpt has lang %q, want %q", ui.lang, got, wantCons)
			}
			// A comment's heading is in the page's words around its
			// proposal's title; only the title is marked.
			b.visit("/search?q=timetables")
			if got := b.attr("li.result--comment h3 a > span span", "lang"); got != wantCons {
				t.Errorf("%s interface: the German title in an English comment's heading has lang %q, want %q", ui.lang, got, wantCons)
			}
			if got := b.attr("li.result--comment .result__excerpt", "lang"); got != wantEN {
				t.Errorf("%s interface: the English comment's excerpt has lang %q, want %q", ui.lang, got, wantEN)
			}
			if b.overflowsHorizontally() {
				t.Errorf("%s interface: the search page scrolls sideways at %d px", ui.lang, width)
			}
		}
	}
}
