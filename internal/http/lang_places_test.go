package http_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// The places the language of parts reached last (WCAG 3.1.2): the
// consultation's name inside a proposal's "Zurück zu …" link and the
// new-proposal form's "Im Beteiligungsverfahren …", every title and
// excerpt of "Meine Beiträge", and the search suggestions. Text in the
// interface's language carries no lang; text in the other one does, and
// only the title is marked, not the words around it.
func TestLangOfParts_BackLinkContributionsSuggestions(t *testing.T) {
	e := newEnv(t)
	f := seedLangParts(t, e)
	ctx := context.Background()
	pg, err := e.Participation.ReadProposal(ctx, nil, f.enProposal, "")
	if err != nil {
		t.Fatal(err)
	}
	erika, err := e.Accounts.User(ctx, pg.AuthorID)
	if err != nil {
		t.Fatal(err)
	}
	// Erika writes in English on the German consultation and in German
	// on the English proposal, and supports both proposals.
	for _, cm := range []struct{ typ, target, body string }{
		{"consultation", f.consultation, "I would like the bus data first, please, and in a format apps can read."},
		{"proposal", f.enProposal, "Bitte auch die Zahlen der letzten Jahre veröffentlichen, damit man vergleichen kann."},
	} {
		if _, err := e.Participation.AddComment(ctx, erika, cm.typ, cm.target, mitreden.Comment{Body: cm.body}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{f.enProposal, f.deProposal} {
		if _, err := e.Participation.Vote(ctx, erika, id, mitreden.VoteSupport); err != nil {
			t.Fatal(err)
		}
	}
	e.Participation.FlushIndexQueue(ctx)

	// langOf is the lang of the element sel names, "" when it has none.
	langOf := func(doc *goquery.Document, sel string) string {
		t.Helper()
		s := doc.Find(sel)
		if s.Length() != 1 {
			t.Fatalf("%d elements match %s", s.Length(), sel)
		}
		l, _ := s.Attr("lang")
		return l
	}
	for _, ui := range []struct{ lang, de, en string }{
		// What German and English text carry under each interface.
		{"de", "", "en"},
		{"en", "de", ""},
	} {
		b := e.browser()
		b.Lang = ui.lang
		b.loginForm("erika@example.org", "correct horse battery staple 42")
		// A logged-in person's interface speaks the language of the profile.
		if resp, _ := b.post("/language", url.Values{"_csrf": {b.csrf("/")}, "lang": {ui.lang}, "return": {"/"}}); resp.StatusCode != 303 {
			t.Fatalf("language switch: status %d", resp.StatusCode)
		}

		// The consultation (German) in the back link and the form's line.
		consLink := `main p.meta a[href="/consultations/` + f.consultation + `"]`
		for _, page := range []string{"/proposals/" + f.enProposal, "/consultations/" + f.consultation + "/proposals/new"} {
			_, doc := b.get(page)
			sel := consLink
			if strings.HasSuffix(page, "/new") {
				sel = "main p.meta"
			}
			el := doc.Find(sel)
			marked := el.Find(`span[lang]`)
			if el.Length() != 1 || !strings.Contains(el.Text(), "Offene Daten in der Stadt") {
				t.Fatalf("%s interface, %s: no line naming the consultation (%s): %q", ui.lang, page, sel, el.Text())
			}
			got, _ := marked.Attr("lang")
			if got != ui.de || ui.de != "" && marked.Text() != "Offene Daten in der Stadt" {
				t.Errorf("%s interface, %s: the consultation's name is marked %q (%q), want %q on the name alone", ui.lang, page, got, marked.Text(), ui.de)
			}
			if _, ok := el.Attr("lang"); ok {
				t.Errorf("%s interface, %s: the whole line is marked, not the name", ui.lang, page)
			}
		}

		// Meine Beiträge.
		_, doc := b.get("/my-contributions")
		enCard := `#proposals .kern-card:has(a[href="/proposals/` + f.enProposal + `"])`
		deCard := `#proposals .kern-card:has(a[href="/proposals/` + f.deProposal + `"])`
		for _, c := range []struct{ what, sel, want string }{
			{"the English proposal's title", enCard + " h3", ui.en},
			{"the English proposal's excerpt", enCard + " .card-excerpt", ui.en},
			{"the German proposal's title", deCard + " h3", ui.de},
			{"the consultation named at a proposal", enCard + ` a[href="/consultations/` + f.consultation + `"]`, ui.de},
			{"the English comment's excerpt", `#comments li:has(a[href="/consultations/` + f.consultation + `"]) a[href^="/comments/"] span`, ui.en},
			{"the consultation it discusses", `#comments a[href="/consultations/` + f.consultation + `"]`, ui.de},
			{"the German comment's excerpt", `#comments li:has(a[href="/proposals/` + f.enProposal + `"]) a[href^="/comments/"] span`, ui.de},
			{"the English proposal it discusses", `#comments a[href="/proposals/` + f.enProposal + `"]`, ui.en},
			{"the consultation of the supports", `#supports-` + f.consultation, ui.de},
			{"the English proposal supported", `#supports a[href="/proposals/` + f.enProposal + `"]`, ui.en},
			{"the German proposal supported", `#supports a[href="/proposals/` + f.deProposal + `"]`, ui.de},
		} {
			if got := langOf(doc, c.sel); got != c.want {
				t.Errorf("%s interface, Meine Beiträge: %s has lang %q, want %q", ui.lang, c.what, got, c.want)
			}
		}

		// The search suggestions: each option's title in its language.
		for _, q := range []struct{ q, id, want string }{{"budget", f.enProposal, ui.en}, {"Fahrpläne", f.deProposal, ui.de}} {
			_, doc := b.get("/search/suggest?q=" + url.QueryEscape(q.q))
			opt := doc.Find(`li[role="option"][data-href="/proposals/` + q.id + `"]`)
			if opt.Length() != 1 {
				t.Fatalf("%s interface: no suggestion for %q: %q", ui.lang, q.q, doc.Text())
			}
			title := opt.Children().First()
			if got, _ := title.Attr("lang"); got != q.want || title.HasClass("meta") {
				t.Errorf("%s interface: the suggestion for %q has its title marked %q, want %q", ui.lang, q.q, got, q.want)
			}
			if _, ok := opt.Find(".meta").Attr("lang"); ok {
				t.Errorf("%s interface: the suggestion's type, in the interface's words, is marked", ui.lang)
			}
		}
	}
}
