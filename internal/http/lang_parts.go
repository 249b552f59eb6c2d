package http

import (
	"html/template"
	"slices"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// LangAttr is the lang attribute of an element that holds text written in
// lang: ` lang="en"` on a page in German, nothing when lang is the page's
// language or unknown. Every contribution's title and text goes into an
// element of its own carrying it, so screen readers switch their voice for
// an English proposal on a German page (WCAG 3.1.2, language of parts).
func (p *Page) LangAttr(lang string) template.HTMLAttr {
	if lang == p.Lang || !slices.Contains(mitreden.ContentLangs, lang) {
		return ""
	}
	return template.HTMLAttr(` lang="` + lang + `"`) //nolint:gosec // one of ContentLangs
}

// TrTitle is the translation of key with its "title" argument marked as
// written in lang where that differs from the page's language: in
// "Zurück zu „Open data for all“" only the title is English.
func (p *Page) TrTitle(key, title, lang string) template.HTML {
	return phraseWithTitle(p, key, title, lang)
}
