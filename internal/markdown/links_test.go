package markdown

import (
	"regexp"
	"strings"
	"testing"
)

// linkTexts are texts with links written every way Markdown allows, and
// look-alikes that are no links.
var linkTexts = map[string]int{
	"Kein Link hier.":                                  0,
	"http://a.de":                                      1,
	"Siehe https://a.de/x?y=1 und www.b.de.":           2,
	"<https://a.de>":                                   1,
	"[Text](https://a.de)":                             1,
	"[Text](HTTP://A.DE)":                              1,
	"[x](www.a.de)":                                    1,
	"[x](//a.de)":                                      1,
	"[x][1]\n\n[1]: http://r.de":                       1,
	"[![Bild](http://img.de/x.png)](http://l.de)":      1,
	"![Bild](http://img.de/x.png)":                     0,
	"`http://code.de`":                                 0,
	"```\nhttp://a.de\nhttp://b.de\n```":               0,
	"    http://indented.de":                           0,
	"a@b.de und <mailto:c@d.de>":                       0,
	"ftp://a.de":                                       0,
	"example.com":                                      0,
	"[relativ](/proposals/1)":                          0,
	"<a href=\"http://raw.de\">roh</a>":                0,
	"| a | b |\n|---|---|\n| http://a.de | www.b.de |": 2,
	"- http://a.de\n- http://b.de\n- http://c.de\n- http://d.de": 4,
	"> Zitat mit [Link](https://a.de)":                           1,
}

func TestLinks_CountsWhatMarkdownLinks(t *testing.T) {
	for src, want := range linkTexts {
		if got := Links(src); got != want {
			t.Errorf("Links(%q) = %d, want %d", src, got, want)
		}
	}
}

// webAnchor matches a link to a web address in Render's output.
var webAnchor = regexp.MustCompile(`<a href="(?i:https?://|//|www\.)`)

// TestLinks_AgreesWithRender checks the count against the stock renderer:
// as many links to web addresses as the rendered page holds.
func TestLinks_AgreesWithRender(t *testing.T) {
	texts := []string{strings.Repeat("www.a.de ", 30), strings.Repeat("[x](https://a.de) ", 10) + "\n\n" + strings.Repeat("|", 30000)}
	for src := range linkTexts {
		texts = append(texts, src)
	}
	for _, src := range texts {
		if got, want := Links(src), len(webAnchor.FindAllString(string(Render(src)), -1)); got != want {
			t.Errorf("Links(%.60q) = %d, Render shows %d", src, got, want)
		}
	}
}
