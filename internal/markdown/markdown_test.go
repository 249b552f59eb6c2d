package markdown_test

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/microcosm-cc/bluemonday"

	"github.com/mitreden/mitreden/internal/markdown"
)

// xssCorpus are payloads that must come out inert.
var xssCorpus = []string{
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(1)>`,
	`[klick](javascript:alert(1))`,
	`[klick](JaVaScRiPt:alert(1))`,
	`<a href="jav&#x09;ascript:alert(1)">x</a>`,
	`<svg onload=alert(1)>`,
	`<iframe src="https://evil.example"></iframe>`,
	`<p style="background:url(javascript:alert(1))">x</p>`,
	`![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
	"<details open ontoggle=alert(1)>",
	`[x](vbscript:msgbox(1))`,
	"`<script>` in code is fine",
}

func TestRender_XSSCorpusIsInert(t *testing.T) {
	for _, src := range xssCorpus {
		out := strings.ToLower(string(markdown.Render(src)))
		for _, bad := range []string{"<script", "onerror", "onload", "ontoggle", "javascript:", "vbscript:", "<iframe", "style=", "data:text"} {
			if strings.Contains(out, bad) {
				t.Errorf("Render(%q) = %q contains %q", src, out, bad)
			}
		}
	}
}

func TestRender_KeepsMarkdown(t *testing.T) {
	out := string(markdown.Render("**fett** und [Link](https://www.land.nrw/)\n\n- eins\n- zwei"))
	for _, want := range []string{"<strong>fett</strong>", `href="https://www.land.nrw/"`, `rel="nofollow noreferrer"`, "<li>eins</li>"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in %q", want, out)
		}
	}
	if got := markdown.PlainText("# Titel\n\n**fett** & <b>mehr</b>"); got != "Titel fett & mehr" {
		t.Errorf("PlainText = %q", got)
	}
}

func TestConversions_CountsEveryConversion(t *testing.T) {
	before := markdown.Conversions()
	markdown.Render("*eins*")
	markdown.PlainText("*zwei*")
	if got := markdown.Conversions() - before; got != 2 {
		t.Errorf("Conversions moved by %d for one Render and one PlainText, want 2", got)
	}
}

// Search documents take their text from the stored HTML: it is the text
// PlainText takes from the Markdown, for ordinary, hostile and oversized
// input alike (whitespace aside, which search ignores).
func TestTextOfHTML_IsPlainTextOfTheRenderedHTML(t *testing.T) {
	corpus := append([]string{
		"# Titel\n\n**fett** & <b>mehr</b>",
		"Ein Vorschlag mit [Link](https://www.land.nrw/), `Code`, ~~alt~~ und\n\n- einer\n- Liste\n\n> Zitat\n\n| a | b |\n|---|---|\n| 1 | 2 |",
		"![Bild](https://example.org/x.png) www.land.nrw und <https://example.org>",
		"Umlaute äöü ß, Zeichen < > & \" ' und &amp; &lt;",
		strings.Repeat("- ", 400) + "x",
		"|" + strings.Repeat("a|", 1250) + "\n|" + strings.Repeat("-|", 1250) + "\n" + strings.Repeat("|x\n", 1663),
	}, xssCorpus...)
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	for _, src := range corpus {
		if got, want := norm(markdown.TextOfHTML(string(markdown.Render(src)))), norm(markdown.PlainText(src)); got != want {
			t.Errorf("text of the HTML of %.60q:\n got %.200q\nwant %.200q", src, got, want)
		}
	}
}

// TextOfHTML scans the stored HTML instead of parsing it: for everything
// Render makes, the text equals what an HTML parser (a strict sanitizer)
// leaves of it.
func TestTextOfHTML_AsAParserReadsIt(t *testing.T) {
	strict := bluemonday.StrictPolicy()
	spaces := regexp.MustCompile(`\s+`)
	parsed := func(h string) string {
		return strings.TrimSpace(spaces.ReplaceAllString(html.UnescapeString(strict.Sanitize(strings.ReplaceAll(h, "<", " <"))), " "))
	}
	corpus := append([]string{
		"# Titel\n\n**fett** & <b>mehr</b>",
		"Ein Vorschlag mit [Link](https://www.land.nrw/ \"Titel mit > und <\"), `Code <x>`, ~~alt~~ und\n\n- einer\n- Liste\n\n> Zitat",
		"Umlaute äöü ß, Zeichen < > & \" ' und &amp; &lt; &nbsp;x\u00a0y &#x41;",
		"Zeilen\r\nmit\tTabs\f und   Leerzeichen  ",
		"| a | b |\n|---|---|\n| 1 | 2 |",
	}, xssCorpus...)
	for _, src := range corpus {
		h := string(markdown.Render(src))
		if got, want := markdown.TextOfHTML(h), parsed(h); got != want {
			t.Errorf("text of %.80q:\n got %q\nwant %q", h, got, want)
		}
	}
}

func BenchmarkPlainText_Proposal(b *testing.B) {
	src := strings.Repeat("Ein **Vorschlag** mit [Link](https://www.land.nrw/) und einer Liste:\n\n- eins\n- zwei\n\n", 40)
	for b.Loop() {
		markdown.PlainText(src)
	}
}

func BenchmarkTextOfHTML_Proposal(b *testing.B) {
	h := string(markdown.Render(strings.Repeat("Ein **Vorschlag** mit [Link](https://www.land.nrw/) und einer Liste:\n\n- eins\n- zwei\n\n", 40)))
	for b.Loop() {
		markdown.TextOfHTML(h)
	}
}
