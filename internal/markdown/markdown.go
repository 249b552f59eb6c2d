// Package markdown renders user Markdown to safe HTML: goldmark without raw
// HTML, then a bluemonday allowlist, so scripts, event attributes and
// javascript: links never reach a page.
package markdown

import (
	"bytes"
	"html"
	"html/template"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

var (
	md = goldmark.New(goldmark.WithExtensions(extension.Linkify, extension.Strikethrough, extension.Table))

	policy = func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.AllowURLSchemes("http", "https", "mailto")
		p.RequireNoFollowOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(false)
		p.RequireNoReferrerOnLinks(true)
		return p
	}()

	strict = bluemonday.StrictPolicy()
	spaces = regexp.MustCompile(`\s+`)
)

// Render turns Markdown into sanitized HTML.
func Render(src string) template.HTML {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(src)) //nolint:gosec // escaped
	}
	return template.HTML(policy.SanitizeBytes(buf.Bytes())) //nolint:gosec // sanitized
}

// PlainText returns the text of Markdown without markup, for search and excerpts.
func PlainText(src string) string {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		return src
	}
	s := strict.Sanitize(strings.ReplaceAll(buf.String(), "<", " <"))
	return strings.TrimSpace(spaces.ReplaceAllString(html.UnescapeString(s), " "))
}
