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
		{[]Span{{Start: i, End: i + len("Lärm")}}, `a&lt;b&gt; &amp; &#34;<mark>Lärm</mark>&#34; z`},
		// Overlapping spans merge; spans off rune boundaries or out of range drop.
		{[]Span{{Start: i, End: i + 3}, {Start: i + 1, End: i + len("Lärm")}}, `a&lt;b&gt; &amp; &#34;<mark>Lärm</mark>&#34; z`},
		{[]Span{{Start: i + 2, End: i + 3}, {Start: -1, End: 2}, {Start: 5, End: 500}}, `a&lt;b&gt; &amp; &#34;Lärm&#34; z`},
		{[]Span{{Start: 0, End: 3}}, `<mark>a&lt;b</mark>&gt; &amp; &#34;Lärm&#34; z`},
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
	got := Excerpt(text, []Span{{Start: i, End: i + len("Treffer")}}, 200)
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

func TestExcerptWhereMostWordsMeet(t *testing.T) {
	opening := "Die digitale Verwaltung ist seit Jahren ein Thema im Rat, und viele Anträge liegen noch auf Papier vor. "
	filler := strings.Repeat("Es gibt dazu viele Meinungen und noch mehr Sitzungen. ", 6)
	meet := "Viele Menschen haben Vorbehalte gegen digitale Prozesse im Bürgeramt."
	text := opening + filler + meet + " " + filler
	var spans []Span
	for w, word := range []string{"Vorbehalte", "digitale", "Prozesse"} {
		for i := 0; ; {
			j := strings.Index(text[i:], word)
			if j < 0 {
				break
			}
			spans = append(spans, Span{Start: i + j, End: i + j + len(word), Word: w})
			i += j + len(word)
		}
	}
	got := Excerpt(text, spans, 200)
	for _, want := range []string{"<mark>Vorbehalte</mark>", "<mark>digitale</mark> <mark>Prozesse</mark>"} {
		if !strings.Contains(got, want) {
			t.Errorf("Excerpt = %q, want the sentence where all words meet (%s)", got, want)
		}
	}
	if !strings.HasPrefix(got, Ellipsis+"Viele Menschen") {
		t.Errorf("Excerpt = %q, want it to start at the sentence", got)
	}
	// Spans of one word only: the first match, as before.
	for i := range spans {
		spans[i].Word = 0
	}
	if got := Excerpt(text, spans, 200); !strings.HasPrefix(got, "Die <mark>digitale</mark>") {
		t.Errorf("Excerpt with one word = %q, want the first match", got)
	}
}
