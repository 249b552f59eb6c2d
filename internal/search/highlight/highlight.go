// Package highlight turns a stored text and the byte spans an engine reports
// as matches into safe HTML: everything escaped, matches wrapped in
// <mark>…</mark>. Both search engines use it, so their excerpts look alike and
// neither trusts an engine's own formatter with user-written text.
package highlight

import (
	"html"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Span is the byte range [Start, End) of one match in a text.
type Span struct {
	Start, End int
	// Word is the query word the span matches (its index, or any number
	// the caller uses per word): an excerpt shows the passage where the
	// most different words meet.
	Word int
}

// Ellipsis marks where an excerpt cuts the text.
const Ellipsis = "…"

// HTML returns text escaped, with every span wrapped in <mark>…</mark>.
func HTML(text string, spans []Span) string {
	return format(text, 0, len(text), normalize(text, spans))
}

// Excerpt returns about size runes of text around the passage where spans
// of the most different words meet (the first such passage), starting at
// its sentence when that is near, cut at word boundaries and marked with
// Ellipsis where cut, formatted like HTML. Without spans it returns the
// start of text.
func Excerpt(text string, spans []Span, size int) string {
	spans = normalize(text, spans)
	if utf8.RuneCountInString(text) <= size {
		return format(text, 0, len(text), spans)
	}
	start := 0
	var anchor Span
	if len(spans) > 0 {
		anchor = spans[densest(text, spans, size-size/4)]
		// Show some context before the passage: up to a quarter of the
		// window, from the start of its sentence when that lies within.
		start = backRunes(text, anchor.Start, size/4)
		if start > 0 {
			if s, ok := sentenceStart(text, start, anchor.Start); ok {
				start = s
			} else {
				start = wordStart(text, start, anchor.Start)
			}
		}
	}
	end, floor := forwardRunes(text, start, size), start
	if len(spans) > 0 {
		floor = anchor.End
		end = max(end, floor)
	}
	if end < len(text) {
		end = wordEnd(text, floor, end)
	}
	var b strings.Builder
	if start > 0 {
		b.WriteString(Ellipsis)
	}
	b.WriteString(strings.TrimSpace(format(text, start, end, spans)))
	if end < len(text) {
		b.WriteString(Ellipsis)
	}
	return b.String()
}

// densest returns the index of the first span from which a stretch of reach
// runes holds spans of the most different words.
func densest(text string, spans []Span, reach int) int {
	best, bestWords := 0, 0
	seen := map[int]bool{}
	for i, s := range spans {
		limit := forwardRunes(text, s.Start, reach)
		clear(seen)
		for _, o := range spans[i:] {
			if o.End > limit {
				break
			}
			seen[o.Word] = true
		}
		if len(seen) > bestWords {
			best, bestWords = i, len(seen)
		}
	}
	return best
}

// sentenceStart returns the start of the sentence holding limit when it lies
// at or after from: the first letter after the last ".", "!", "?" or line
// break before limit.
func sentenceStart(text string, from, limit int) (int, bool) {
	for j := limit; j > from; {
		r, w := utf8.DecodeLastRuneInString(text[:j])
		if r == '.' || r == '!' || r == '?' || r == '\n' {
			k := j
			for k < limit {
				r, w := utf8.DecodeRuneInString(text[k:])
				if !unicode.IsSpace(r) {
					break
				}
				k += w
			}
			return k, true
		}
		j -= w
	}
	return 0, false
}

// normalize sorts spans, drops those out of range or off rune boundaries and
// merges overlapping ones.
func normalize(text string, spans []Span) []Span {
	out := make([]Span, 0, len(spans))
	for _, s := range spans {
		if s.Start < 0 || s.End > len(text) || s.Start >= s.End ||
			!boundary(text, s.Start) || !boundary(text, s.End) {
			continue
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Span) int { return a.Start - b.Start })
	merged := out[:0]
	for _, s := range out {
		if n := len(merged); n > 0 && s.Start <= merged[n-1].End {
			merged[n-1].End = max(merged[n-1].End, s.End)
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

func boundary(text string, i int) bool {
	return i == len(text) || utf8.RuneStart(text[i])
}

// format escapes text[start:end] and marks the parts of spans inside it.
func format(text string, start, end int, spans []Span) string {
	var b strings.Builder
	b.Grow(end - start + 32)
	cur := start
	for _, s := range spans {
		if s.End <= cur || s.Start >= end {
			continue
		}
		ms, me := max(s.Start, cur), min(s.End, end)
		b.WriteString(html.EscapeString(text[cur:ms]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(text[ms:me]))
		b.WriteString("</mark>")
		cur = me
	}
	b.WriteString(html.EscapeString(text[cur:end]))
	return b.String()
}

// backRunes returns the offset n runes before i.
func backRunes(text string, i, n int) int {
	for ; n > 0 && i > 0; n-- {
		_, w := utf8.DecodeLastRuneInString(text[:i])
		i -= w
	}
	return i
}

// forwardRunes returns the offset n runes after i.
func forwardRunes(text string, i, n int) int {
	for ; n > 0 && i < len(text); n-- {
		_, w := utf8.DecodeRuneInString(text[i:])
		i += w
	}
	return i
}

// wordStart moves i forward past a partial word, but not beyond limit.
func wordStart(text string, i, limit int) int {
	for j := i; j < limit; {
		r, w := utf8.DecodeRuneInString(text[j:])
		if unicode.IsSpace(r) {
			return j + w
		}
		j += w
	}
	return i
}

// wordEnd moves end back to the last space after floor, so no word is cut.
func wordEnd(text string, floor, end int) int {
	for j := end; j > floor; {
		r, w := utf8.DecodeLastRuneInString(text[:j])
		if unicode.IsSpace(r) {
			return j - w
		}
		j -= w
	}
	return end
}
