package textdiff

import (
	"html"
	"html/template"
	"regexp"
	"strings"
	"testing"
)

func TestHTML(t *testing.T) {
	segs := []Segment{
		{Equal, "Die "},
		{Delete, "Katze"},
		{Insert, "Hund"},
		{Equal, " schläft.\n\n"},
		{Insert, "Neu:\r\nZeile"},
	}
	got := HTML(segs, "Eingefügt", "Gelöscht", "Ende")
	want := template.HTML(`Die ` +
		`<del><span class="kern-sr-only">Gelöscht: </span>Katze<span class="kern-sr-only"> (Ende)</span></del>` +
		`<ins><span class="kern-sr-only">Eingefügt: </span>Hund<span class="kern-sr-only"> (Ende)</span></ins>` +
		" schläft.<br>\n<br>\n" +
		`<ins><span class="kern-sr-only">Eingefügt: </span>Neu:<br>` + "\n" + `Zeile<span class="kern-sr-only"> (Ende)</span></ins>`)
	if got != want {
		t.Errorf("HTML\n got %s\nwant %s", got, want)
	}
	if got := HTML(nil, "a", "b", "c"); got != "" {
		t.Errorf("HTML(nil) = %q", got)
	}
}

// ownMarkup is everything HTML itself writes.
var ownMarkup = regexp.MustCompile(`<(/?(ins|del|span)|br)>|<span class="kern-sr-only">`)

func TestHTMLEscapesEverything(t *testing.T) {
	hostile := []string{
		`<script>alert(1)</script>`,
		`" onmouseover="alert(1)`,
		`' onfocus='alert(1)`,
		`</ins><img src=x onerror=alert(1)>`,
		`&lt;b&gt; &amp;`,
		"\x00<\x00script>",
	}
	for _, h := range hostile {
		old := "Text " + h + " Ende"
		segs := Words(old, "Text <em>neu</em> "+h+" und "+h+" Ende")
		for _, s := range [][]Segment{segs, {{Insert, h}, {Delete, h}, {Equal, h}}} {
			out := string(HTML(s, h, h, h))
			rest := ownMarkup.ReplaceAllString(out, "")
			if strings.ContainsAny(rest, `<>"'`) || strings.Contains(rest, "\x00") {
				t.Fatalf("unescaped input in %s", out)
			}
			if !strings.Contains(html.UnescapeString(rest), strings.ReplaceAll(h, "\x00", "\uFFFD")) {
				t.Fatalf("input %q lost, not escaped, in %s", h, out)
			}
		}
	}
}

// The result goes into pages through html/template; it must come out as
// written there, not escaped a second time, and labels must still be
// escaped.
func TestHTMLInTemplate(t *testing.T) {
	tmpl := template.Must(template.New("").Parse(`<p>{{.}}</p>`))
	var sb strings.Builder
	if err := tmpl.Execute(&sb, HTML([]Segment{{Insert, "<b>"}}, "<i>", "x", "y")); err != nil {
		t.Fatal(err)
	}
	want := `<p><ins><span class="kern-sr-only">&lt;i&gt;: </span>&lt;b&gt;<span class="kern-sr-only"> (y)</span></ins></p>`
	if sb.String() != want {
		t.Errorf("template output\n got %s\nwant %s", sb.String(), want)
	}
}
