// Package textdiff compares revisions of a text for people: a word-level
// diff to read (Words, rendered by HTML, summed up by Stats) and a
// line-level three-way merge for a save on a stale base (Merge).
//
// It knows nothing of recommendations or revisions; the council workspace
// hands it two strings and renders what comes back.
package textdiff

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Op says whether a Segment's text is in both texts, only in the new one
// or only in the old one.
type Op int

const (
	// Equal text is in both the old and the new text.
	Equal Op = iota
	// Insert text is only in the new text.
	Insert
	// Delete text is only in the old text.
	Delete
)

// String names the op, for test failures and logs.
func (op Op) String() string {
	switch op {
	case Equal:
		return "Equal"
	case Insert:
		return "Insert"
	case Delete:
		return "Delete"
	}
	return "Op(?)"
}

// Segment is a run of text with one Op. A diff is a []Segment whose Equal
// and Delete texts, concatenated, give the old text and whose Equal and
// Insert texts give the new one.
type Segment struct {
	Op   Op
	Text string
}

// Words diffs a (the old text) against b (the new text) word by word.
// Tokens are words (letters, digits and combining marks), runs of
// whitespace (up to and including a newline) and single other characters
// such as punctuation or emoji (with their modifiers and joined parts, so
// 👩‍💻 and 🇩🇪 stay whole), so a change never splits a word and the
// segments reproduce a and b byte for byte, invalid UTF-8 included.
//
// The diff is minimal in tokens as long as no stretch between unchanged
// text needs more than a few hundred edits. Beyond that (revisions far
// apart, long texts rewritten) it diffs the lines first and the words
// within changed lines, each search again bounded, so the time stays
// near linear in the length of the texts however much they differ.
//
// Short unchanged bits between two changes (a space, "und") are folded
// into the change, as a reader wants "Katze schläft" → "Hund läuft"
// rather than four alternating fragments. Within a change the deleted text comes first.
// Adjacent segments never share an Op.
func Words(a, b string) []Segment {
	return words(a, b, tooExpensive, false)
}

// words is Words with the search bound and the line-first diff to choose,
// for tests.
func words(a, b string, limit int, byLines bool) []Segment {
	ta, tb := tokenize(a), tokenize(b)
	delA, insB := markTokens(ta, tb, limit, byLines)
	ra, rb := newRuler(a, ta), newRuler(b, tb)

	var blocks []block
	i, j := 0, 0
	for i < len(ta) || j < len(tb) {
		i0, j0 := i, j
		for i < len(ta) && delA[i] {
			i++
		}
		for j < len(tb) && insB[j] {
			j++
		}
		if i > i0 || j > j0 {
			blocks = push(blocks, block{change: true, a0: i0, a1: i, b0: j0, b1: j}, ra, rb)
			continue
		}
		for i < len(ta) && j < len(tb) && !delA[i] && !insB[j] {
			i++
			j++
		}
		if i == i0 {
			panic("textdiff: unmarked tokens out of step")
		}
		blocks = append(blocks, block{a0: i0, a1: i, b0: j0, b1: j})
	}

	var segs []Segment
	for _, bl := range blocks {
		if !bl.change {
			segs = appendSeg(segs, Equal, ra.text(bl.a0, bl.a1))
			continue
		}
		segs = appendSeg(segs, Delete, ra.text(bl.a0, bl.a1))
		segs = appendSeg(segs, Insert, rb.text(bl.b0, bl.b1))
	}
	return segs
}

// ruler measures runs of a text's tokens without copying them.
type ruler struct {
	s     string
	off   []int // byte offset of each token, and len(s)
	runes []int // runes before each token, and in all of s
}

func newRuler(s string, toks []string) ruler {
	r := ruler{s: s, off: make([]int, len(toks)+1), runes: make([]int, len(toks)+1)}
	for i, t := range toks {
		r.off[i+1] = r.off[i] + len(t)
		r.runes[i+1] = r.runes[i] + utf8.RuneCountInString(t)
	}
	return r
}

// text returns tokens [i, j) as a substring.
func (r ruler) text(i, j int) string { return r.s[r.off[i]:r.off[j]] }

// length returns the number of runes in tokens [i, j).
func (r ruler) length(i, j int) int { return r.runes[j] - r.runes[i] }

// markTokens diffs two token sequences. It tries for a minimal diff
// first; if that proves expensive (a stretch between unchanged text needs
// more than limit edits, as when revisions far apart are compared), a
// diff that settles for less may match common words ("die", ",") across
// unrelated sentences, so it starts over anchored on lines: a line diff
// first, which finds untouched paragraphs however far they moved, then a
// word diff within each block of changed lines. byLines forces the second
// way, for tests.
func markTokens(ta, tb []string, limit int, byLines bool) (delA, insB []bool) {
	in := make(interner, 64)
	d := newDiffer(in.ids(ta), in.ids(tb), limit)
	if !byLines {
		d.compare(0, len(ta), 0, len(tb))
		if !d.cutOff {
			return d.delA, d.insB
		}
		clear(d.delA)
		clear(d.insB)
	}

	sa, sb := lineStarts(ta), lineStarts(tb)
	lines := make(interner, len(sa)+len(sb))
	delL, insL := diffTokens(lines.ids(joinLines(ta, sa)), lines.ids(joinLines(tb, sb)), limit)
	i, j := 0, 0
	for i < len(delL) || j < len(insL) {
		if i < len(delL) && j < len(insL) && !delL[i] && !insL[j] {
			i++
			j++
			continue
		}
		i0, j0 := i, j
		for i < len(delL) && delL[i] {
			i++
		}
		for j < len(insL) && insL[j] {
			j++
		}
		if i == i0 && j == j0 {
			panic("textdiff: unmarked lines out of step")
		}
		d.compare(sa[i0], sa[i], sb[j0], sb[j])
	}
	return d.delA, d.insB
}

// lineStarts returns the index of the first token of each line and, last,
// len(toks). A line ends with the token that holds its newline.
func lineStarts(toks []string) []int {
	starts := []int{0}
	for i, t := range toks {
		if strings.HasSuffix(t, "\n") && i+1 < len(toks) {
			starts = append(starts, i+1)
		}
	}
	if len(toks) > 0 {
		starts = append(starts, len(toks))
	}
	return starts
}

// joinLines returns the text of each line given by starts.
func joinLines(toks []string, starts []int) []string {
	lines := make([]string, 0, len(starts))
	for k := 0; k+1 < len(starts); k++ {
		lines = append(lines, strings.Join(toks[starts[k]:starts[k+1]], ""))
	}
	return lines
}

// block is either unchanged text or one change (deleted and inserted
// text at the same place), given as the token ranges [a0, a1) of the old
// text and [b0, b1) of the new one.
type block struct {
	change         bool
	a0, a1, b0, b1 int
}

// push appends a change and folds the unchanged text before it into the
// changes around it while that text is no longer than the larger side of
// the change on either side of it (the rule of diff-match-patch's semantic
// cleanup). A fold makes a bigger change, which may swallow the unchanged
// text before it in turn. The ranges of a fold are contiguous in both
// texts, so it only widens them.
func push(blocks []block, c block, ra, rb ruler) []block {
	blocks = append(blocks, c)
	for n := len(blocks); n >= 3; n = len(blocks) {
		prev, eq, next := blocks[n-3], blocks[n-2], blocks[n-1]
		if !prev.change || eq.change || !next.change {
			break
		}
		l := ra.length(eq.a0, eq.a1)
		if l > max(ra.length(prev.a0, prev.a1), rb.length(prev.b0, prev.b1)) ||
			l > max(ra.length(next.a0, next.a1), rb.length(next.b0, next.b1)) {
			break
		}
		blocks = append(blocks[:n-3], block{change: true, a0: prev.a0, a1: next.a1, b0: prev.b0, b1: next.b1})
	}
	return blocks
}

// appendSeg appends a non-empty text, merging it into the last segment
// when that has the same op.
func appendSeg(segs []Segment, op Op, text string) []Segment {
	if text == "" {
		return segs
	}
	if n := len(segs); n > 0 && segs[n-1].Op == op {
		segs[n-1].Text += text
		return segs
	}
	return append(segs, Segment{Op: op, Text: text})
}

// Stats counts the words (tokens of letters and digits, not whitespace,
// punctuation or symbols) in the inserted and in the deleted segments, for
// a summary such as "12 Wörter eingefügt, 3 gelöscht".
func Stats(segs []Segment) (inserted, deleted int) {
	for _, s := range segs {
		switch s.Op {
		case Insert:
			inserted += countWords(s.Text)
		case Delete:
			deleted += countWords(s.Text)
		}
	}
	return inserted, deleted
}

func countWords(s string) int {
	n := 0
	for _, t := range tokenize(s) {
		if r, _ := utf8.DecodeRuneInString(t); isWordRune(r) {
			n++
		}
	}
	return n
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// tokenize splits s into words, whitespace runs and single other
// characters; the tokens concatenate to s. A whitespace run ends after a
// newline, so lines start and end on token boundaries. A byte that is not
// valid UTF-8 is a token of its own.
func tokenize(s string) []string {
	toks := make([]string, 0, len(s)/3+1)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		j := i + size
		switch {
		case r == utf8.RuneError && size <= 1:
		case isWordRune(r):
			j = scan(s, j, isWordRune)
		case r == '\n':
		case unicode.IsSpace(r):
			j = scan(s, j, func(r rune) bool { return r != '\n' && unicode.IsSpace(r) })
			if j < len(s) && s[j] == '\n' {
				j++
			}
		default:
			j = symbolEnd(s, r, j)
		}
		toks = append(toks, s[i:j])
		i = j
	}
	return toks
}

// symbolEnd returns the end of the symbol that starts with r and goes on
// at i: the modifiers, variation selectors and zero-width-joined runes of
// an emoji, and the second half of a flag.
func symbolEnd(s string, r rune, i int) int {
	if isRegionalIndicator(r) {
		if next, size := utf8.DecodeRuneInString(s[i:]); isRegionalIndicator(next) {
			return i + size
		}
	}
	for i < len(s) {
		next, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case next == utf8.RuneError && size <= 1:
			return i
		case unicode.IsMark(next), '\U0001F3FB' <= next && next <= '\U0001F3FF':
			i += size
		case next == '\u200d' && i+size < len(s):
			_, joined := utf8.DecodeRuneInString(s[i+size:])
			i += size + joined
		default:
			return i
		}
	}
	return i
}

func isRegionalIndicator(r rune) bool { return '\U0001F1E6' <= r && r <= '\U0001F1FF' }

// scan returns the end of the run of runes from i on that satisfy in.
func scan(s string, i int, in func(rune) bool) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || !in(r) {
			break
		}
		i += size
	}
	return i
}
