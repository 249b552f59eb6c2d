package http_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// searchFixture is a consultation with topics, a proposal whose title holds
// "Grundschule" and comments that merely mention it, one found helpful.
type searchFixture struct {
	consultation, proposal, helpful string
}

func seedSearchPage(t *testing.T, e *testEnv) searchFixture {
	t.Helper()
	ctx := context.Background()
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	erika, _ := e.createUser("erika@example.org", "Erika")
	now := time.Now().UTC()
	c := &mitreden.Consultation{Title: "Sichere Wege in der Stadt", Summary: "Wo fühlen Sie sich unterwegs unsicher?",
		Body: "Die Stadt sammelt Vorschläge für sichere Wege zu Fuß und mit dem Rad.", Region: "Stadt",
		Topics: []string{"Verkehrssicherheit", "Schulwege"}, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(48 * time.Hour),
		VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.Participation.CreateConsultation(ctx, admin, c); err != nil {
		t.Fatal(err)
	}
	pr := &mitreden.Proposal{Title: "Tempo 30 vor jeder Grundschule",
		Body: "Morgens fahren viele Eltern ihre Kinder mit dem Auto, und es wird eng vor dem Eingang. Langsamer fahren schützt alle."}
	if err := e.Participation.CreateProposal(ctx, erika, c.ID, pr); err != nil {
		t.Fatal(err)
	}
	var helpful string
	for i, body := range []string{"Grundschule, Grundschule: endlich!", "Meine Tochter geht auf diese Grundschule, der Nachbar auch.",
		"Grundschule"} {
		author := erika
		if i == 1 {
			author = admin
		}
		cm, err := e.Participation.AddComment(ctx, author, "proposal", pr.ID, mitreden.Comment{Body: body})
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			helpful = cm.ID
			if _, err := e.Participation.VoteComment(ctx, erika, cm.ID, 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.Participation.FlushIndexQueue(ctx)
	return searchFixture{consultation: c.ID, proposal: pr.ID, helpful: helpful}
}

// searchLayout is what the results-first checks read from a search page.
type searchLayout struct {
	FiltersOpen bool
	// FirstResultTop is the first result's distance from the top of the
	// page, -1 without results; ViewportHeight is the window's height.
	FirstResultTop, ViewportHeight float64
	// ControlsAbove counts visible filter controls above the first result.
	ControlsAbove int
}

func (b *browserSession) searchLayout() searchLayout {
	b.t.Helper()
	return eval[searchLayout](b, `(function(){
		const d = document.getElementById("search-filters");
		const first = document.querySelector("li.result");
		const top = first ? first.getBoundingClientRect().top + window.scrollY : -1;
		const above = Array.from(document.querySelectorAll("#search-filters input, #search-filters select"))
			.filter(el => el.type !== "hidden" && el.checkVisibility() && (top < 0 || el.getBoundingClientRect().top + window.scrollY < top)).length;
		return {filtersOpen: !!(d && d.open), firstResultTop: top, viewportHeight: window.innerHeight, controlsAbove: above};
	})()`)
}

// TestBrowser_SearchResultsComeFirst checks the search page as a person
// sees it at 1280 and 320 pixels, with and without JavaScript: once a query
// is given the filters are folded into their disclosure and the results
// follow the search field (the first one within the first screen at 1280
// pixels), on small screens the filters fold away from the start (with
// JavaScript), the page does not scroll sideways, and by keyboard the
// results come right after the search button and the filters' summary.
func TestBrowser_SearchResultsComeFirst(t *testing.T) {
	e := newEnv(t)
	f := seedSearchPage(t, e)
	b := newBrowser(t, e, "de")
	b.viewport(1280, 900)
	b.visit("/search")
	if l := b.searchLayout(); !l.FiltersOpen {
		t.Error("1280 px, no query: the filters are folded, want them open to browse")
	}
	b.visit("/search?q=Grundschule")
	b.screenshot("search-1280")
	l := b.searchLayout()
	if l.FiltersOpen || l.ControlsAbove > 0 {
		t.Errorf("1280 px with a query: filters open %v, %d filter controls above the results; want them folded", l.FiltersOpen, l.ControlsAbove)
	}
	if l.FirstResultTop < 0 || l.FirstResultTop > l.ViewportHeight {
		t.Errorf("1280 px: the first result starts at %.0f px, below the first screen (%.0f px)", l.FirstResultTop, l.ViewportHeight)
	}
	if href := b.attr("li.result h3 a", "href"); href != "/proposals/"+f.proposal {
		t.Errorf("first result links to %q, want the proposal titled with the word, /proposals/%s", href, f.proposal)
	}

	// Keyboard: field, search button, the filters' summary, then the results.
	b.run(chromedp.Focus(chromedp.CSS("#search-q")))
	b.press("\t")
	b.press("\t")
	if !eval[bool](b, `document.activeElement.matches("#search-filters > summary")`) {
		t.Errorf("two Tabs after the field focus %s, want the filters' summary", b.focused())
	}
	b.press("\t")
	if !eval[bool](b, `document.activeElement.matches("li.result a")`) {
		t.Errorf("the Tab after the folded filters focuses %s, want the first result", b.focused())
	}
	b.run(chromedp.Focus(chromedp.CSS("#search-filters > summary")))
	b.press("\r")
	if !b.searchLayout().FiltersOpen {
		t.Error("Enter on the summary does not open the filters")
	}

	b.viewport(320, 640)
	b.visit("/search")
	if b.searchLayout().FiltersOpen {
		t.Error("320 px, no query: the filters are open, want them folded on a small screen")
	}
	b.visit("/search?q=Grundschule")
	b.screenshot("search-320")
	if l := b.searchLayout(); l.FiltersOpen || l.ControlsAbove > 0 {
		t.Errorf("320 px with a query: filters open %v, %d filter controls above the results", l.FiltersOpen, l.ControlsAbove)
	}
	if b.overflowsHorizontally() {
		t.Error("the search page scrolls sideways at 320 px")
	}

	noJS := newBrowser(t, e, "de", withoutJS())
	noJS.visit("/search?q=Grundschule&type=proposal")
	if l := noJS.searchLayout(); l.FiltersOpen || l.FirstResultTop < 0 {
		t.Errorf("without JavaScript, with a query: filters open %v, first result at %.0f", l.FiltersOpen, l.FirstResultTop)
	}
	if got := noJS.text("#search-filters > summary"); !strings.Contains(got, "1 aktiv") {
		t.Errorf("the folded filters' summary reads %q, want it to say one filter is active", got)
	}
	noJS.run(chromedp.Click(chromedp.CSS("#search-filters > summary")))
	if n := noJS.count(`#search-filters input[name="type"][value="proposal"]:checked`); n != 1 {
		t.Errorf("without JavaScript the unfolded filters show %d checked type filters, want 1", n)
	}
}

// TestBrowser_SearchResultsSayWhatTheyAre checks the wording of the search
// page: the title names the query (every page of it, in both languages), a
// comment reads "Kommentar zu „…“" with its own excerpt and how often it was
// found helpful (never "Unterstützungen"), and the topic words a
// consultation shows find it.
func TestBrowser_SearchResultsSayWhatTheyAre(t *testing.T) {
	e := newEnv(t)
	f := seedSearchPage(t, e)
	b := newBrowser(t, e, "de")
	b.visit("/search?q=Grundschule")
	if title := eval[string](b, `document.title`); !strings.Contains(title, "„Grundschule“") {
		t.Errorf("<title> %q does not name the query", title)
	}
	b.visit("/search?q=Grundschule&page=2")
	if title := eval[string](b, `document.title`); !strings.Contains(title, "„Grundschule“") || !strings.Contains(title, "Seite 2") {
		t.Errorf("page 2: <title> %q does not name the query and page", title)
	}

	b.visit("/search?q=Grundschule")
	comment := `li.result:has(a[href="/comments/` + f.helpful + `"])`
	if b.count(comment) != 1 {
		t.Fatalf("the helpful comment is not among the results: %s", b.text("main"))
	}
	if got := strings.TrimSpace(b.text(comment + " h3")); got != "Kommentar zu „Tempo 30 vor jeder Grundschule“" {
		t.Errorf("comment result heading %q, want Kommentar zu „Tempo 30 vor jeder Grundschule“", got)
	}
	if got := b.text(comment + " .result__excerpt"); !strings.Contains(got, "Meine Tochter") || strings.Contains(got, "Eltern") {
		t.Errorf("comment excerpt %q, want the comment's own text", got)
	}
	if got := b.text(comment + " .meta"); !strings.Contains(got, "1 hilfreich") || strings.Contains(got, "Unterstützung") {
		t.Errorf("comment meta %q, want its helpful count and no supports", got)
	}
	for _, sel := range []string{`li.result--comment .meta`} {
		for _, text := range eval[[]string](b, `Array.from(document.querySelectorAll(`+jsString(sel)+`)).map(e => e.innerText)`) {
			if strings.Contains(text, "Unterstützung") {
				t.Errorf("a comment result counts supports: %q", text)
			}
		}
	}

	b.visit("/search?q=Verkehrssicherheit")
	if b.count(`li.result a[href="/consultations/`+f.consultation+`"]`) != 1 {
		t.Errorf("the consultation's topic Verkehrssicherheit does not find it: %s", b.text("main"))
	}

	en := newBrowser(t, e, "en")
	en.visit("/search?q=Grundschule")
	if title := eval[string](en, `document.title`); !strings.Contains(title, "“Grundschule”") {
		t.Errorf("English <title> %q does not name the query", title)
	}
	if got := en.text(comment + " h3"); !strings.Contains(got, "Comment on “Tempo 30 vor jeder Grundschule”") {
		t.Errorf("English comment heading %q", got)
	}
	if got := en.text(comment + " .meta"); !strings.Contains(got, "1 helpful") {
		t.Errorf("English comment meta %q, want its helpful count", got)
	}
}

// TestBrowser_SearchComboboxIsValidHTML checks the search field against the
// rules of the W3C Nu checker for an ARIA 1.2 combobox: role=combobox is
// allowed on an input of type text (not search), which names its listbox
// popup in aria-controls and says whether it is open and how it completes;
// htmx's attributes carry the data- prefix, the only custom attributes HTML
// allows.
func TestBrowser_SearchComboboxIsValidHTML(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, e, "de")
	b.visit("/search?q=Grundschule")
	got := eval[map[string]string](b, `(function(){
		const el = document.querySelector("[role=combobox]");
		if (!el) return {};
		const popup = document.getElementById(el.getAttribute("aria-controls") || "");
		const bad = Array.from(document.querySelectorAll("*")).flatMap(n => Array.from(n.attributes).map(a => a.name))
			.filter(a => a.startsWith("hx-"));
		return {tag: el.localName, type: el.getAttribute("type") || "", expanded: el.getAttribute("aria-expanded") || "",
			autocomplete: el.getAttribute("aria-autocomplete") || "", popup: popup ? popup.getAttribute("role") : "",
			custom: bad.join(" ")};
	})()`)
	want := map[string]string{"tag": "input", "type": "text", "expanded": "false", "autocomplete": "list", "popup": "listbox", "custom": ""}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("combobox %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}
