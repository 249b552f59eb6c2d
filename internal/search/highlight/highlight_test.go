package highlight

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHTML(t *testing.T) {
	text := `a<b> & "Lärm" z`
	i := strings.Index(text, "Lärm")
	tests := []struct {
		spans []Span
		want  string
	}{
		{nil, `a&lt;b&gt; &amp; &#34;Lärm&#34; z`},
		{[]Span{{i, i + len("Lärm")}}, `a&lt;b&gt; &amp; &#34;<mark>Lärm</mark>&#34; z`},
		// Overlapping spans merge; spans off rune boundaries or out of range drop.
		{[]Span{{i, i + 3}, {i + 1, i + len("Lärm")}}, `a&lt;b&gt; &amp; &#34;<mark>Lärm</mark>&#34; z`},
		{[]Span{{i + 2, i + 3}, {-1, 2}, {5, 500}}, `a&lt;b&gt; &amp; &#34;Lärm&#34; z`},
		{[]Span{{0, 3}}, `<mark>a&lt;b</mark>&gt; &amp; &#34;Lärm&#34; z`},
	}
	for _, tt := range tests {
		if got := HTML(text, tt.spans); got != tt.want {
			t.Errorf("HTML(%v) = %q, want %q", tt.spans, got, tt.want)
		}
	}
}

func TestExcerpt(t *testing.T) {
	filler := strings.Repeat("wort ", 100)
	text := filler + "<Treffer> " + filler
	i := strings.Index(text, "Treffer")
	got := Excerpt(text, []Span{{i, i + len("Treffer")}}, 200)
	if !strings.Contains(got, "&lt;<mark>Treffer</mark>&gt;") {
		t.Errorf("Excerpt = %q, want the match marked and escaped", got)
	}
	if !strings.HasPrefix(got, Ellipsis+"wort ") || !strings.HasSuffix(got, "wort"+Ellipsis) {
		t.Errorf("Excerpt = %q, want cut at whole words with ellipses", got)
	}
	if n := utf8.RuneCountInString(got); n < 180 || n > 230 {
		t.Errorf("Excerpt has %d runes, want about 200", n)
	}
	if got := Excerpt(text, nil, 20); got != "wort wort wort wort"+Ellipsis {
		t.Errorf("Excerpt without match = %q, want the start", got)
	}
	if got := Excerpt("kurz & gut", nil, 200); got != "kurz &amp; gut" {
		t.Errorf("short Excerpt = %q", got)
	}
}
