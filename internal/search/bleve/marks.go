package bleve

import (
	"strings"

	"github.com/mitreden/mitreden/internal/search/highlight"
)

// fuzzyPrefix is the number of leading runes a fuzzy match must share with
// the query word: typos in the first letter are rare, and fixing it lets the
// engine skip most of the dictionary.
const fuzzyPrefix = 1

// marks returns the byte spans of text that terms match, found the way the
// index matches them: text analyzed as for its field, and each token compared
// with the exact, prefix and fuzzy forms of the query words. Only the hits of
// one page are marked, so asking the engine for match locations of every hit
// is not worth it.
func (x *Index) marks(text string, english bool, terms []term) []highlight.Span {
	if text == "" || len(terms) == 0 {
		return nil
	}
	a := x.an.de
	if english {
		a = x.an.en
	}
	var out []highlight.Span
	for _, tok := range a.Analyze([]byte(text)) {
		for i := range terms {
			if terms[i].matches(string(tok.Term), english) {
				out = append(out, highlight.Span{Start: tok.Start, End: tok.End, Word: i})
				break
			}
		}
	}
	return out
}

// matches reports whether the query term matches the indexed token tok of a
// German or English text field, as textQuery asks the engine.
func (t *term) matches(tok string, english bool) bool {
	exact, pre, fuzz := t.de, t.dePre, t.fuzzDE
	if english {
		exact, pre, fuzz = t.en, t.enP, t.fuzzEN
	}
	switch {
	case tok == exact:
		return true
	case t.prefix && pre != "" && strings.HasPrefix(tok, pre):
		return true
	case fuzz > 0:
		return withinEdits(exact, tok, fuzz)
	}
	return false
}

// withinEdits reports whether b is at most n edits from a, sharing its first
// fuzzyPrefix runes. Edits are insertions, deletions, substitutions and
// transpositions of adjacent runes, as in Bleve's fuzzy automata.
func withinEdits(a, b string, n int) bool {
	ra, rb := []rune(a), []rune(b)
	if len(ra) < fuzzyPrefix || len(rb) < fuzzyPrefix || string(ra[:fuzzyPrefix]) != string(rb[:fuzzyPrefix]) {
		return false
	}
	if d := len(ra) - len(rb); d > n || -d > n {
		return false
	}
	return osaDistance(ra, rb) <= n
}

// osaDistance is the optimal string alignment distance of a and b:
// Levenshtein plus transpositions of adjacent runes.
func osaDistance(a, b []rune) int {
	pp, prev, cur := make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], pp[j-2]+1)
			}
		}
		pp, prev, cur = prev, cur, pp
	}
	return prev[len(b)]
}
