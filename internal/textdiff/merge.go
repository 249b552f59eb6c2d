package textdiff

import (
	"cmp"
	"slices"
	"strings"
)

// ConflictMarks are the lines Merge writes around a conflict: Mine before
// the caller's own text, Theirs before the text saved in the meantime and
// End after it, for example "<<<<<<< Ihre Fassung", "======= Gespeicherte
// Fassung" and ">>>>>>> Ende des Konflikts". They come from the caller so
// they can be translated; an empty mark falls back to Git's
// "<<<<<<<", "=======" or ">>>>>>>", as a conflict must never be
// unmarked.
type ConflictMarks struct {
	Mine, Theirs, End string
}

// Merge combines two texts edited from the same base, line by line (a
// diff3 merge): the save of a member whose base revision went stale
// (mine) against the revision saved meanwhile (theirs). Changes to
// different lines are both kept; a change made on one side only is taken;
// the same change made on both sides is taken once. Where both sides
// changed the same lines differently, the merged text holds both versions
// between the marks and conflicts is true, so the member resolves it by
// editing; nothing either side wrote is lost. Lines that touch count as
// the same place, as in Git: changes to a paragraph and to the line right
// after it conflict, changes separated by an unchanged line (such as the
// blank line between Markdown paragraphs) do not.
//
// A missing newline at the end of a text does not make its last line
// differ from the same line followed by more (text areas rarely end in a
// newline); whether the result ends in one is merged like a change: a
// side that added or dropped the final newline wins. Lines are compared
// byte for byte, so normalize "\r\n" first.
//
// Where a side deleted a paragraph together with a blank line next to a
// paragraph the other side changed, the two changes touch and conflict,
// as they would in Git.
func Merge(base, mine, theirs string, mark ConflictMarks) (merged string, conflicts bool) {
	mark.Mine = cmp.Or(mark.Mine, "<<<<<<<")
	mark.Theirs = cmp.Or(mark.Theirs, "=======")
	mark.End = cmp.Or(mark.End, ">>>>>>>")

	o, a, b := splitLines(base), splitLines(mine), splitLines(theirs)
	finalNewline := strings.HasSuffix(mine, "\n")
	if finalNewline == strings.HasSuffix(base, "\n") {
		finalNewline = strings.HasSuffix(theirs, "\n")
	}
	in := make(interner, len(o))
	oi, ai, bi := in.ids(o), in.ids(a), in.ids(b)
	ma := matches(oi, ai)
	mb := matches(oi, bi)

	var sb strings.Builder
	i, j, k := 0, 0, 0
	for i < len(o) || j < len(a) || k < len(b) {
		// A stable run: base lines kept at the current place on both sides.
		n := 0
		for i+n < len(o) && ma[i+n] == j+n && mb[i+n] == k+n {
			n++
		}
		if n > 0 {
			writeLines(&sb, o[i:i+n])
			i, j, k = i+n, j+n, k+n
			continue
		}
		// An unstable chunk up to the next base line both sides kept.
		ni, nj, nk := len(o), len(a), len(b)
		for x := i; x < len(o); x++ {
			if ma[x] >= 0 && mb[x] >= 0 {
				ni, nj, nk = x, ma[x], mb[x]
				break
			}
		}
		oc, ac, bc := o[i:ni], a[j:nj], b[k:nk]
		switch {
		case slices.Equal(ac, oc):
			writeLines(&sb, bc)
		case slices.Equal(bc, oc), slices.Equal(ac, bc):
			writeLines(&sb, ac)
		default:
			conflicts = true
			writeBlock(&sb, mark.Mine, ac)
			writeBlock(&sb, mark.Theirs, bc)
			sb.WriteString(mark.End + "\n")
		}
		i, j, k = ni, nj, nk
	}
	merged = sb.String()
	if !finalNewline {
		merged = strings.TrimSuffix(merged, "\n")
	}
	return merged, conflicts
}

// splitLines splits s into lines that each end in a newline, adding one
// to the last line if it has none.
func splitLines(s string) []string {
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// matches maps each line of o to the line of x it is kept as in a shortest
// diff, or to -1 where x dropped or changed it.
func matches(o, x []int32) []int {
	delO, insX := diffTokens(o, x, tooExpensive)
	m := make([]int, len(o))
	j := 0
	for i := range o {
		m[i] = -1
		if delO[i] {
			continue
		}
		for insX[j] {
			j++
		}
		m[i] = j
		j++
	}
	return m
}

func writeLines(sb *strings.Builder, lines []string) {
	for _, l := range lines {
		sb.WriteString(l)
	}
}

// writeBlock writes one side of a conflict under its mark.
func writeBlock(sb *strings.Builder, mark string, lines []string) {
	sb.WriteString(mark + "\n")
	writeLines(sb, lines)
}
