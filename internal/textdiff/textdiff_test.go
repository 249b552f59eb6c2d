package textdiff

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// pieces are what the random texts are made of: German words with
// umlauts and ß, emoji (one with a joiner and a skin tone), punctuation,
// Markdown, whitespace of every kind and a byte that is not UTF-8.
var pieces = []string{
	"Bürger", "beteiligen", "sich", "an", "der", "Empfehlung", "Straße",
	"Größe", "über", "ÄÖÜ", "äöü", "ß", "und", "die", "Katze", "3,5", "2025",
	"👍", "👩‍💻", "👋🏽", "🇩🇪", ".", ",", "!", "?", "„", "“", "–", "-", "(", ")",
	"**", "#", "* ", "[Link](https://example.org)", "e\u0301", // e + combining acute
	" ", " ", "  ", "\n", "\n\n", "\t", "\r\n", "\u00a0", "\xff",
}

func randomText(r *rand.Rand, n int) string {
	var sb strings.Builder
	for range n {
		sb.WriteString(pieces[r.IntN(len(pieces))])
	}
	return sb.String()
}

// mutate makes a revision of s: some tokens replaced, dropped or added.
func mutate(r *rand.Rand, s string) string {
	toks := tokenize(s)
	var sb strings.Builder
	for _, t := range toks {
		switch r.IntN(12) {
		case 0:
		case 1:
			sb.WriteString(pieces[r.IntN(len(pieces))])
		case 2:
			sb.WriteString(t)
			sb.WriteString(pieces[r.IntN(len(pieces))])
		default:
			sb.WriteString(t)
		}
	}
	return sb.String()
}

// checkDiff fails unless segs is a well-formed diff of a and b.
func checkDiff(t *testing.T, a, b string, segs []Segment) {
	t.Helper()
	var old, new strings.Builder
	for i, s := range segs {
		if s.Text == "" {
			t.Fatalf("segment %d is empty: %q", i, segs)
		}
		if i > 0 && segs[i-1].Op == s.Op {
			t.Fatalf("segments %d and %d share op %v", i-1, i, s.Op)
		}
		switch s.Op {
		case Equal:
			old.WriteString(s.Text)
			new.WriteString(s.Text)
		case Delete:
			old.WriteString(s.Text)
		case Insert:
			new.WriteString(s.Text)
		default:
			t.Fatalf("segment %d has op %v", i, s.Op)
		}
	}
	if old.String() != a {
		t.Fatalf("Equal+Delete give\n%q\nwant\n%q", old.String(), a)
	}
	if new.String() != b {
		t.Fatalf("Equal+Insert give\n%q\nwant\n%q", new.String(), b)
	}
	checkWholeWords(t, segs, Delete)
	checkWholeWords(t, segs, Insert)
}

// checkWholeWords fails when a segment boundary falls inside a word of the
// old text (skip Insert) or of the new one (skip Delete).
func checkWholeWords(t *testing.T, segs []Segment, skip Op) {
	t.Helper()
	var prev string
	for _, s := range segs {
		if s.Op == skip {
			continue
		}
		if prev != "" {
			last, _ := utf8.DecodeLastRuneInString(prev)
			first, _ := utf8.DecodeRuneInString(s.Text)
			if isWordRune(last) && isWordRune(first) && last != utf8.RuneError {
				t.Fatalf("boundary splits a word: %q | %q in %q", prev, s.Text, segs)
			}
		}
		prev = s.Text
	}
}

func TestWordsReproducesBothTexts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		a := randomText(r, r.IntN(40))
		var b string
		if i%4 == 0 {
			b = randomText(r, r.IntN(40))
		} else {
			b = mutate(r, a)
		}
		checkDiff(t, a, b, Words(a, b))
		checkDiff(t, b, a, Words(b, a))
		// The line-first diff, forced and after a search cut off early.
		checkDiff(t, a, b, words(a, b, tooExpensive, true))
		checkDiff(t, a, b, words(a, b, 2, false))
	}
}

// Unrelated long texts need far more edits than the search allows before
// it settles for a non-minimal path; the result must still be exact.
func TestWordsReproducesLongUnrelatedTexts(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 5 {
		a, b := randomText(r, 4000), randomText(r, 3000)
		checkDiff(t, a, b, Words(a, b))
		c := mutate(r, mutate(r, a))
		checkDiff(t, a, c, Words(a, c))
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want []Segment
	}{
		{"both empty", "", "", nil},
		{"unchanged", "Bürger beteiligen sich.", "Bürger beteiligen sich.",
			[]Segment{{Equal, "Bürger beteiligen sich."}}},
		{"all new", "", "Neu.", []Segment{{Insert, "Neu."}}},
		{"all gone", "Alt.", "", []Segment{{Delete, "Alt."}}},
		{"one word replaced, whole", "Die Straße ist breit.", "Die Straße ist schmal.",
			[]Segment{{Equal, "Die Straße ist "}, {Delete, "breit"}, {Insert, "schmal"}, {Equal, "."}}},
		{"word changed by an umlaut is replaced whole", "Er zahlt.", "Er zählt.",
			[]Segment{{Equal, "Er "}, {Delete, "zahlt"}, {Insert, "zählt"}, {Equal, "."}}},
		{"word inserted", "Die Empfehlung gilt.", "Die neue Empfehlung gilt.",
			[]Segment{{Equal, "Die "}, {Insert, "neue "}, {Equal, "Empfehlung gilt."}}},
		{"punctuation alone", "Gut.", "Gut!",
			[]Segment{{Equal, "Gut"}, {Delete, "."}, {Insert, "!"}}},
		{"emoji", "Danke 👍", "Danke 👋🏽",
			[]Segment{{Equal, "Danke "}, {Delete, "👍"}, {Insert, "👋🏽"}}},
		{"emoji stay whole", "Team 👩‍💻 🇩🇪", "Team 👩‍🔬 🇫🇷",
			[]Segment{{Equal, "Team "}, {Delete, "👩‍💻 🇩🇪"}, {Insert, "👩‍🔬 🇫🇷"}}},
		{"space between two changes folds into one change", "Die Katze schläft.", "Der Hund schläft.",
			[]Segment{{Delete, "Die Katze"}, {Insert, "Der Hund"}, {Equal, " schläft."}}},
		{"a long unchanged word between changes stays", "A Bürgerbeteiligung B", "X Bürgerbeteiligung Y",
			[]Segment{{Delete, "A"}, {Insert, "X"}, {Equal, " Bürgerbeteiligung "}, {Delete, "B"}, {Insert, "Y"}}},
		{"paragraph added", "Erster Absatz.\n\nZweiter.", "Erster Absatz.\n\nNeuer Absatz.\n\nZweiter.",
			[]Segment{{Equal, "Erster Absatz.\n\n"}, {Insert, "Neuer Absatz.\n\n"}, {Equal, "Zweiter."}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Words(tt.a, tt.b)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Words(%q, %q)\n got %q\nwant %q", tt.a, tt.b, got, tt.want)
			}
			checkDiff(t, tt.a, tt.b, got)
		})
	}
}

func TestTokenize(t *testing.T) {
	got := tokenize("Größe:  3,5 👩‍💻\n\ne\u0301t\xffé \t\r\n  x👋🏽🇩🇪🇫🇷🇮❤️.\u200d")
	want := []string{"Größe", ":", "  ", "3", ",", "5", " ", "👩‍💻", "\n", "\n", "e\u0301t", "\xff", "é",
		" \t\r\n", "  ", "x", "👋🏽", "🇩🇪", "🇫🇷", "🇮", "❤️", ".", "\u200d"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tokenize\n got %q\nwant %q", got, want)
	}
}

func TestStats(t *testing.T) {
	segs := Words("Die Katze schläft, 3 Tage. 👍", "Der kleine Hund schläft! 3 Tage. 👋🏽")
	ins, del := Stats(segs)
	// Der kleine Hund in, Die Katze out; punctuation and emoji are no words.
	if ins != 3 || del != 2 {
		t.Errorf("Stats(%q) = %d inserted, %d deleted; want 3, 2", segs, ins, del)
	}
	if ins, del := Stats(Words("gleich", "gleich")); ins != 0 || del != 0 {
		t.Errorf("Stats of no change = %d, %d", ins, del)
	}
}

// Revisions far apart: the first and last thirds rewritten, the middle
// paragraphs untouched. The minimal search gives up on this; the diff must
// still show the middle as unchanged rather than match common words of
// the rewritten parts across it.
func TestWordsFarApartRevisionsKeepUntouchedParagraphs(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	middle := prose(r, 3000) + "\n\n"
	a := prose(r, 6000) + "\n\n" + middle + prose(r, 6000)
	b := prose(r, 4000) + "\n\n" + middle + prose(r, 8000)

	in := make(interner)
	d := newDiffer(in.ids(tokenize(a)), in.ids(tokenize(b)), tooExpensive)
	d.compare(0, len(d.a), 0, len(d.b))
	if !d.cutOff {
		t.Fatal("the minimal search did not give up; the test no longer covers the line-first diff")
	}

	segs := Words(a, b)
	checkDiff(t, a, b, segs)
	for _, s := range segs {
		if s.Op == Equal && strings.Contains(s.Text, middle) {
			return
		}
	}
	t.Errorf("the untouched middle is not one unchanged segment")
}

// The line-first diff must not cost precision where edits stay within
// lines: it marks as many tokens as the minimal diff.
func TestWordsByLinesMatchesMinimalForScatteredEdits(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	count := func(delA, insB []bool) (n int) {
		for _, m := range append(delA, insB...) {
			if m {
				n++
			}
		}
		return n
	}
	for range 5 {
		a := prose(r, 20000)
		b := edit(r, a, 40)
		ta, tb := tokenize(a), tokenize(b)
		minimal := count(markTokens(ta, tb, 1<<30, false))
		byLines := count(markTokens(ta, tb, 1<<30, true))
		if byLines != minimal {
			t.Errorf("line-first diff marks %d tokens, the minimal one %d", byLines, minimal)
		}
		checkDiff(t, a, b, words(a, b, 1<<30, true))
	}
}
