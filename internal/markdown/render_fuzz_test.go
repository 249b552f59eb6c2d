package markdown_test

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/mitreden/mitreden/internal/markdown"
)

// forbiddenElements may never appear in rendered user content.
var forbiddenElements = map[string]bool{"script": true, "iframe": true, "frame": true, "object": true, "embed": true,
	"style": true, "svg": true, "math": true, "form": true, "input": true, "button": true, "textarea": true, "select": true,
	"base": true, "meta": true, "link": true, "details": true, "video": true, "audio": true, "source": true}

// unsafeHTML parses rendered output the way a browser does and returns why it
// could run code or restyle the page, or "" when it is inert. Text that merely
// reads like markup ("onerror=" in a sentence) is fine.
func unsafeHTML(out string) string {
	nodes, err := html.ParseFragment(strings.NewReader(out), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return "unparsable: " + err.Error()
	}
	var walk func(n *html.Node) string
	walk = func(n *html.Node) string {
		if n.Type == html.ElementNode {
			if forbiddenElements[n.Data] {
				return "element " + n.Data
			}
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				switch {
				case strings.HasPrefix(key, "on"), key == "style", key == "srcdoc", key == "formaction":
					return "attribute " + key
				case key == "href" || key == "src" || key == "action" || key == "xlink:href":
					if why := unsafeURL(a.Val); why != "" {
						return key + " " + why
					}
				}
			}
			if n.Data == "a" && hasAttr(n, "href") && !strings.Contains(attr(n, "rel"), "nofollow") {
				return "link without rel=nofollow"
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if why := walk(c); why != "" {
				return why
			}
		}
		return ""
	}
	for _, n := range nodes {
		if why := walk(n); why != "" {
			return why
		}
	}
	return ""
}

func unsafeURL(v string) string {
	// Browsers drop ASCII tab and newlines anywhere in a URL and trim spaces
	// and control characters around it before they look at the scheme.
	clean := strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, v)
	clean = strings.TrimFunc(clean, func(r rune) bool { return r <= ' ' })
	u, err := url.Parse(clean)
	if err != nil {
		if strings.Contains(strings.ToLower(clean), "script:") {
			return "unparsable script url " + v
		}
		return ""
	}
	switch strings.ToLower(u.Scheme) {
	case "", "http", "https", "mailto":
		return ""
	}
	return "scheme " + u.Scheme
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

var hostile = []string{
	`<a href="jav&#x09;ascript:alert(1)">x</a>`,
	`<a href="&#106;avascript:alert(1)">x</a>`,
	`[x](&#106;avascript:alert(1))`,
	"[x](java\tscript:alert(1))",
	`[x]( javascript:alert(1))`,
	`[x](<javascript:alert(1)>)`,
	"[x][r]\n\n[r]: javascript:alert(1)",
	`<javascript:alert(1)>`,
	`![x](javascript:alert(1))`,
	`![x](x" onerror="alert(1))`,
	`[x](https://a.example/"onmouseover="alert(1))`,
	`<img src=x onerror=alert(1)>`,
	`<svg><script>alert(1)</script></svg>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`<iframe srcdoc="<script>alert(1)</script>"></iframe>`,
	`<form action="javascript:alert(1)"><button>x</button></form>`,
	`<p style="background:url(javascript:alert(1))">x</p>`,
	`<div onmouseover="alert(1)">x</div>`,
	"<scr<script>ipt>alert(1)</script>",
	"```html\n<script>alert(1)</script>\n```",
	"| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |",
	"www.example.org/<script>alert(1)</script>",
	"0 onerror= is only text",
}

func TestRender_HostileInputIsInertWhenParsed(t *testing.T) {
	for _, src := range append(xssCorpus, hostile...) {
		out := string(markdown.Render(src))
		if why := unsafeHTML(out); why != "" {
			t.Errorf("Render(%q) = %q: %s", src, out, why)
		}
	}
	// The oracle itself must catch what it is meant to catch.
	for _, bad := range []string{`<a href=" java&#x09;script:alert(1)">x</a>`, `<img src=x onerror=alert(1)>`, `<a href="/x">x</a>`, `<p style="color:red">x</p>`, `<svg></svg>`} {
		if unsafeHTML(bad) == "" {
			t.Errorf("oracle misses %q", bad)
		}
	}
}

func TestRender_LinksStayUsable(t *testing.T) {
	out := string(markdown.Render("[Portal](https://service.nrw.de/) und <https://www.land.nrw/> und [intern](/proposals/1)"))
	if strings.Count(out, `rel="nofollow`) != 3 || !strings.Contains(out, `href="/proposals/1"`) || !strings.Contains(out, `href="https://service.nrw.de/"`) {
		t.Fatalf("links: %s", out)
	}
	if got := markdown.PlainText("Hallo **Welt** <script>alert(1)</script>"); strings.Contains(got, "<") || !strings.Contains(got, "Hallo Welt") {
		t.Fatalf("PlainText = %q", got)
	}
}

// FuzzRenderStructure checks every rendered output the way a browser parses
// it: no script-capable element, event attribute, style or unsafe URL scheme.
func FuzzRenderStructure(f *testing.F) {
	for _, s := range append(xssCorpus, hostile...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out := string(markdown.Render(src))
		if why := unsafeHTML(out); why != "" {
			t.Fatalf("Render(%q) = %q: %s", src, out, why)
		}
	})
}

// tableBomb is a valid 10,000-character proposal body whose table, padded to
// its header's width, would have two million cells.
func tableBomb() string {
	return "|" + strings.Repeat("a|", 1250) + "\n|" + strings.Repeat("-|", 1250) + "\n" + strings.Repeat("|x\n", 1663)
}

func TestRender_OutputStaysInProportionToInput(t *testing.T) {
	bomb := tableBomb()
	if out := markdown.Render(bomb); len(out) > 4*len(bomb) {
		t.Fatalf("%d bytes of input rendered to %d bytes", len(bomb), len(out))
	}
	if pt := markdown.PlainText(bomb); len(pt) > len(bomb) {
		t.Fatalf("plain text of %d bytes has %d", len(bomb), len(pt))
	}
	// Ordinary tables still render.
	table := "| Dienst | Stand |\n|---|:-:|\n| Wohngeld | online |\n| Kfz | geplant |"
	if out := string(markdown.Render(table)); !strings.Contains(out, "<table>") || strings.Count(out, "<td") != 4 {
		t.Fatalf("table: %s", out)
	}
	wide := "|" + strings.Repeat("a|", 40) + "\n|" + strings.Repeat("-|", 40) + "\n" + strings.Repeat("|x\n", 100)
	if out := string(markdown.Render(wide)); strings.Count(out, "<td") != 4000 {
		t.Fatalf("a 40×100 table: %d cells", strings.Count(out, "<td"))
	}
}

func BenchmarkRender_TableBomb(b *testing.B) {
	src := tableBomb()
	for b.Loop() {
		markdown.Render(src)
	}
}

func BenchmarkRender_Proposal(b *testing.B) {
	src := strings.Repeat("Ein **Vorschlag** mit [Link](https://www.land.nrw/) und einer Liste:\n\n- eins\n- zwei\n\n", 40)
	for b.Loop() {
		markdown.Render(src)
	}
}
