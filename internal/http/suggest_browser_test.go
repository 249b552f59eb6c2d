package http_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// waitFor polls cond in the tab until it holds or a few seconds pass.
func (b *browserSession) waitFor(what string, cond func() bool) {
	b.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	b.t.Fatalf("timed out waiting for %s on %s", what, b.url())
}

// landedOn tells whether the tab's location ends in suffix; while the tab is
// between two pages the question has no answer yet, which is a "no".
func (b *browserSession) landedOn(suffix string) bool {
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return false
	}
	return strings.HasSuffix(loc, suffix)
}

// TestSearchSuggest_ComboboxByKeyboard types into the search field with
// JavaScript on and uses the suggestions as the ARIA combobox pattern says:
// the list opens and its size is announced (as matches, "Treffer"), arrow keys move the active
// option, Escape closes it, Enter opens the active suggestion.
func TestSearchSuggest_ComboboxByKeyboard(t *testing.T) {
	e := newEnv(t)
	seedSearch(t, e)
	for _, lang := range []string{"de", "en"} {
		b := newBrowser(t, e, lang)
		b.visit("/search")
		options := `#search-suggestions [role="option"]`
		b.run(chromedp.Focus(chromedp.CSS("#search-q")), chromedp.SendKeys(chromedp.CSS("#search-q"), "Digitali"))
		b.waitFor("suggestions", func() bool { return b.count(options) > 0 && b.attr("#search-q", "aria-expanded") == "true" })
		// Counted as matches ("Treffer"): "Vorschläge" are proposals here.
		want := map[string]string{"de": " Treffer", "en": " results"}[lang]
		b.waitFor("announcement", func() bool { return strings.Contains(b.text("#search-suggest-status"), want) })
		b.screenshot("search-suggest-" + lang)
		if got := b.text("#search-suggest-status"); strings.Contains(got, "Vorschl") || strings.Contains(got, "suggestion") {
			t.Errorf("%s: the count is announced as %q", lang, got)
		}
		b.checkA11y()

		b.press(kb.ArrowDown)
		if got := b.attr("#search-q", "aria-activedescendant"); got != "suggestion-0" {
			t.Fatalf("%s: after ArrowDown aria-activedescendant = %q", lang, got)
		}
		if got := b.attr("#suggestion-0", "aria-selected"); got != "true" {
			t.Fatalf("%s: first option aria-selected = %q", lang, got)
		}
		if b.focused() != "#search-q" {
			t.Fatalf("%s: focus left the field: %s", lang, b.focused())
		}
		b.press(kb.Escape)
		if n := b.count(options); n != 0 || b.attr("#search-q", "aria-expanded") != "false" {
			t.Fatalf("%s: Escape left %d options open", lang, n)
		}
		if v := eval[string](b, `document.getElementById("search-q").value`); v != "Digitali" {
			t.Fatalf("%s: Escape on the open list changed the field to %q", lang, v)
		}

		b.run(chromedp.SendKeys(chromedp.CSS("#search-q"), "s"))
		// aria-expanded turns true once the script has taken the new list.
		b.waitFor("suggestions again", func() bool { return b.attr("#search-q", "aria-expanded") == "true" })
		b.press(kb.ArrowDown)
		href := b.attr("#suggestion-0", "data-href")
		b.press(kb.Enter)
		b.waitFor("the suggestion to open", func() bool { return b.landedOn(href) })

		// A click opens a suggestion as well.
		b.visit("/search")
		b.run(chromedp.Focus(chromedp.CSS("#search-q")), chromedp.SendKeys(chromedp.CSS("#search-q"), "Digitali"))
		b.waitFor("suggestions", func() bool { return b.count(options) > 1 && b.attr("#search-q", "aria-expanded") == "true" })
		href = b.attr("#suggestion-1", "data-href")
		b.run(chromedp.Click(chromedp.CSS("#suggestion-1")))
		b.waitFor("the clicked suggestion to open", func() bool { return b.landedOn(href) })
	}
}
