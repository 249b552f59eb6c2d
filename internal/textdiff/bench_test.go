package textdiff

import (
	"math/rand/v2"
	"strings"
	"testing"
)

var vocabulary = strings.Fields(`der die das und in zu den von mit sich des auf für ist im dem nicht
ein eine als auch es an werden aus er hat dass sie nach wird bei einer um am sind noch wie einem über
einen so zum war haben nur oder aber vor zur bis mehr durch man sein wurde sei Bürgerinnen Bürger
Beteiligung Verwaltung digitale Dienste Empfehlung Digitalrat Kommune Länder Bund Daten Schutz offene
Schnittstellen Barrierefreiheit Förderung Vergabe Quellcode Souveränität Plattform Verfahren Anträge
Anhörung Öffentlichkeit Maßnahmen Überprüfung Zuständigkeit Haushalt Mittel jährlich künftig zügig`)

// prose writes Markdown-like German text of about n bytes: sentences in
// paragraphs separated by blank lines.
func prose(r *rand.Rand, n int) string {
	var sb strings.Builder
	for sb.Len() < n {
		for s := 3 + r.IntN(4); s > 0; s-- {
			for w := 6 + r.IntN(12); w > 0; w-- {
				sb.WriteString(vocabulary[r.IntN(len(vocabulary))])
				switch {
				case w == 1:
					sb.WriteString(". ")
				case r.IntN(10) == 0:
					sb.WriteString(", ")
				default:
					sb.WriteString(" ")
				}
			}
		}
		sb.WriteString("\n\n")
	}
	return sb.String()[:n]
}

// edit changes about one word in every perWords: replaced, dropped or a
// word added after it.
func edit(r *rand.Rand, s string, perWords int) string {
	var sb strings.Builder
	for _, t := range tokenize(s) {
		if r, _ := firstRune(t); !isWordRune(r) {
			sb.WriteString(t)
			continue
		}
		switch r.IntN(perWords * 3) {
		case 0:
			sb.WriteString(vocabulary[r.IntN(len(vocabulary))])
		case 1:
		case 2:
			sb.WriteString(t + " " + vocabulary[r.IntN(len(vocabulary))])
		default:
			sb.WriteString(t)
		}
	}
	return sb.String()
}

func firstRune(s string) (rune, bool) {
	for _, r := range s {
		return r, true
	}
	return 0, false
}

func benchmarkWords(b *testing.B, a, c string) {
	b.SetBytes(int64(len(a) + len(c)))
	b.ReportAllocs()
	for b.Loop() {
		Words(a, c)
	}
}

// BenchmarkWords compares two 50,000-character texts with scattered edits
// (about one word in 80 changed, so some 90 places).
func BenchmarkWords(b *testing.B) {
	r := rand.New(rand.NewPCG(11, 12))
	a := prose(r, 50000)
	benchmarkWords(b, a, edit(r, a, 80))
}

// BenchmarkWordsManyEdits has one word in 10 changed: the minimal search
// gives up and the line-first diff takes over.
func BenchmarkWordsManyEdits(b *testing.B) {
	r := rand.New(rand.NewPCG(13, 14))
	a := prose(r, 50000)
	benchmarkWords(b, a, edit(r, a, 10))
}

// BenchmarkWordsUnrelated is the worst case: two different 50,000-character
// texts.
func BenchmarkWordsUnrelated(b *testing.B) {
	r := rand.New(rand.NewPCG(15, 16))
	benchmarkWords(b, prose(r, 50000), prose(r, 50000))
}

// BenchmarkMerge merges two revisions of a 50,000-character text edited
// from the same base.
func BenchmarkMerge(b *testing.B) {
	r := rand.New(rand.NewPCG(17, 18))
	base := prose(r, 50000)
	mine, theirs := edit(r, base, 200), edit(r, base, 200)
	b.ReportAllocs()
	for b.Loop() {
		Merge(base, mine, theirs, ConflictMarks{})
	}
}
