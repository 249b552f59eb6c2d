package textdiff

import (
	"math/rand/v2"
	"testing"
)

// lcsLen is the textbook dynamic programme the Myers search replaces.
func lcsLen(a, b []int32) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			switch {
			case a[i] == b[j]:
				cur[j+1] = prev[j] + 1
			default:
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// checkScript fails unless the unmarked elements of a and b, in order,
// are equal, and returns the number of edits.
func checkScript(t *testing.T, a, b []int32, delA, insB []bool) int {
	t.Helper()
	var keptA, keptB []int32
	edits := 0
	for i, d := range delA {
		if d {
			edits++
		} else {
			keptA = append(keptA, a[i])
		}
	}
	for j, in := range insB {
		if in {
			edits++
		} else {
			keptB = append(keptB, b[j])
		}
	}
	if len(keptA) != len(keptB) {
		t.Fatalf("a keeps %d elements, b %d: %v / %v", len(keptA), len(keptB), a, b)
	}
	for i := range keptA {
		if keptA[i] != keptB[i] {
			t.Fatalf("kept elements differ at %d: %v / %v", i, a, b)
		}
	}
	return edits
}

func randomSeq(r *rand.Rand, n, alphabet int) []int32 {
	s := make([]int32, n)
	for i := range s {
		s[i] = int32(r.IntN(alphabet))
	}
	return s
}

func TestDiffTokensIsMinimal(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 5000 {
		a := randomSeq(r, r.IntN(30), 1+r.IntN(6))
		b := randomSeq(r, r.IntN(30), 1+r.IntN(6))
		delA, insB := diffTokens(a, b, 1<<30)
		edits := checkScript(t, a, b, delA, insB)
		if want := len(a) + len(b) - 2*lcsLen(a, b); edits != want {
			t.Fatalf("diff of %v and %v takes %d edits, the shortest %d", a, b, edits, want)
		}
	}
}

// With the search cut off after a few steps the script is no longer
// minimal but must still be a valid one.
func TestDiffTokensCutOffStaysValid(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 3000 {
		a := randomSeq(r, r.IntN(60), 1+r.IntN(8))
		b := randomSeq(r, r.IntN(60), 1+r.IntN(8))
		for _, limit := range []int{1, 2, 5} {
			delA, insB := diffTokens(a, b, limit)
			checkScript(t, a, b, delA, insB)
		}
	}
}
