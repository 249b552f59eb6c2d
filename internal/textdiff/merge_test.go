package textdiff

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

var marks = ConflictMarks{
	Mine:   "<<<<<<< Ihre Fassung",
	Theirs: "======= Gespeicherte Fassung",
	End:    ">>>>>>> Ende",
}

const base = "# Empfehlung\n\nErster Absatz über Daten.\n\nZweiter Absatz über Vergabe.\n\nDritter Absatz über Quellcode.\n"

func TestMergeDifferentParagraphs(t *testing.T) {
	mine := strings.Replace(base, "Erster Absatz über Daten.", "Erster Absatz über offene Daten.", 1)
	theirs := strings.Replace(base, "Dritter Absatz über Quellcode.", "Dritter Absatz über freien Quellcode.\nMit zweiter Zeile.", 1)
	got, conflicts := Merge(base, mine, theirs, marks)
	want := "# Empfehlung\n\nErster Absatz über offene Daten.\n\nZweiter Absatz über Vergabe.\n\nDritter Absatz über freien Quellcode.\nMit zweiter Zeile.\n"
	if conflicts || got != want {
		t.Errorf("Merge = %v\n%s\nwant no conflict and\n%s", conflicts, got, want)
	}
	// Either side may be "mine".
	if got, conflicts := Merge(base, theirs, mine, marks); conflicts || got != want {
		t.Errorf("Merge with sides swapped = %v\n%s", conflicts, got)
	}
}

func TestMergeAddedAndDeletedParagraphs(t *testing.T) {
	mine := strings.Replace(base, "# Empfehlung\n\n", "# Empfehlung\n\nEinleitung.\n\n", 1)
	theirs := strings.Replace(base, "Zweiter Absatz über Vergabe.\n\n", "", 1)
	got, conflicts := Merge(base, mine, theirs, marks)
	want := "# Empfehlung\n\nEinleitung.\n\nErster Absatz über Daten.\n\nDritter Absatz über Quellcode.\n"
	if conflicts || got != want {
		t.Errorf("Merge = %v\n%s\nwant no conflict and\n%s", conflicts, got, want)
	}
}

func TestMergeSameParagraphConflicts(t *testing.T) {
	mine := strings.Replace(base, "Zweiter Absatz über Vergabe.", "Zweiter Absatz über die Vergabe von Aufträgen.", 1)
	theirs := strings.Replace(base, "Zweiter Absatz über Vergabe.", "Zweiter Absatz über Vergabe und Förderung.", 1)
	theirs = strings.Replace(theirs, "Dritter Absatz über Quellcode.", "Dritter Absatz über offenen Quellcode.", 1)
	got, conflicts := Merge(base, mine, theirs, marks)
	want := "# Empfehlung\n\nErster Absatz über Daten.\n\n" +
		"<<<<<<< Ihre Fassung\nZweiter Absatz über die Vergabe von Aufträgen.\n" +
		"======= Gespeicherte Fassung\nZweiter Absatz über Vergabe und Förderung.\n" +
		">>>>>>> Ende\n" +
		"\nDritter Absatz über offenen Quellcode.\n"
	if !conflicts || got != want {
		t.Errorf("Merge = %v\n%s\nwant a conflict and\n%s", conflicts, got, want)
	}
}

func TestMergeOneSideUnchanged(t *testing.T) {
	changed := "Ganz neuer Text.\n\nNur noch ein Absatz"
	for _, c := range []struct{ mine, theirs string }{{base, changed}, {changed, base}} {
		got, conflicts := Merge(base, c.mine, c.theirs, marks)
		if conflicts || got != changed {
			t.Errorf("Merge(base, %q, %q) = %v %q, want %q", c.mine, c.theirs, conflicts, got, changed)
		}
	}
	if got, conflicts := Merge(base, base, base, marks); conflicts || got != base {
		t.Errorf("Merge of nothing changed = %v %q", conflicts, got)
	}
	if got, conflicts := Merge(base, "", base, marks); conflicts || got != "" {
		t.Errorf("Merge with mine emptied = %v %q", conflicts, got)
	}
}

func TestMergeIdenticalChanges(t *testing.T) {
	changed := strings.Replace(base, "Zweiter Absatz über Vergabe.", "Zweiter Absatz, geändert.", 1)
	got, conflicts := Merge(base, changed, changed, marks)
	if conflicts || got != changed {
		t.Errorf("Merge of the same change = %v\n%s", conflicts, got)
	}
}

// A text area rarely sends a final newline; the last line with and
// without one is the same line, and the result keeps the sides' ending.
func TestMergeFinalNewline(t *testing.T) {
	got, conflicts := Merge("a\n\nb", "a2\n\nb", "a\n\nb\n\nc", marks)
	if want := "a2\n\nb\n\nc"; conflicts || got != want {
		t.Errorf("Merge = %v %q, want %q", conflicts, got, want)
	}
	got, conflicts = Merge("a\n\nb", "a\n\nX", "a\n\nY", ConflictMarks{})
	if want := "a\n\n<<<<<<<\nX\n=======\nY\n>>>>>>>"; !conflicts || got != want {
		t.Errorf("Merge with default marks = %v %q, want %q", conflicts, got, want)
	}
}

// Random paragraphs, each left alone, changed by one side, changed the
// same way by both or changed differently by both: the merge must apply
// every one-sided and shared change and mark exactly the rest.
func TestMergeRandomParagraphs(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for n := range 1000 {
		c := randomMergeCase(r, false)
		got, conflicts := Merge(c.base, c.mine, c.theirs, marks)
		if conflicts != c.conflict || got != c.want {
			t.Fatalf("case %d: Merge(%q, %q, %q)\n= %v %q\nwant %v %q", n, c.base, c.mine, c.theirs, conflicts, got, c.conflict, c.want)
		}
	}
}

// With paragraphs deleted as well, which blank line went with a deleted
// paragraph is a guess, so a deletion next to the other side's change may
// conflict. Still every conflict is marked, no text either side wrote is
// lost, and a merge without conflict is the expected one.
func TestMergeRandomParagraphsWithDeletions(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for n := range 1000 {
		c := randomMergeCase(r, true)
		got, conflicts := Merge(c.base, c.mine, c.theirs, marks)
		if c.conflict && !conflicts {
			t.Fatalf("case %d: conflict not found in %q", n, got)
		}
		if !conflicts && got != c.want {
			t.Fatalf("case %d: Merge(%q, %q, %q)\n= %q\nwant %q", n, c.base, c.mine, c.theirs, got, c.want)
		}
		for _, line := range c.written {
			if !strings.Contains(got, line) {
				t.Fatalf("case %d: %q lost in %q", n, line, got)
			}
		}
	}
}

type mergeCase struct {
	base, mine, theirs, want string
	conflict                 bool
	written                  []string // lines only mine or theirs has
}

func randomMergeCase(r *rand.Rand, deletions bool) mergeCase {
	var o, a, b, want []string
	var c mergeCase
	kinds := 6
	if deletions {
		kinds = 8
	}
	for p := range 1 + r.IntN(12) {
		para := fmt.Sprintf("Absatz %d, Fassung 0.\n", p)
		ca := fmt.Sprintf("Absatz %d, Fassung A.\nmit Zusatz.\n", p)
		cb := fmt.Sprintf("Absatz %d, Fassung B.\n", p)
		o = append(o, para)
		switch r.IntN(kinds) {
		case 0: // mine changes it
			a, b, want = append(a, ca), append(b, para), append(want, ca)
			c.written = append(c.written, ca)
		case 1: // theirs changes it
			a, b, want = append(a, para), append(b, cb), append(want, cb)
			c.written = append(c.written, cb)
		case 2: // both, the same way
			a, b, want = append(a, ca), append(b, ca), append(want, ca)
			c.written = append(c.written, ca)
		case 3: // both, differently
			c.conflict = true
			a, b = append(a, ca), append(b, cb)
			want = append(want, marks.Mine+"\n"+ca+marks.Theirs+"\n"+cb+marks.End+"\n")
			c.written = append(c.written, ca, cb)
		case 6: // mine deletes it
			a, b, want = append(a, ""), append(b, para), append(want, "")
		case 7: // theirs deletes it
			a, b, want = append(a, para), append(b, ""), append(want, "")
		default:
			a, b, want = append(a, para), append(b, para), append(want, para)
		}
	}
	join := func(ps []string) string {
		var kept []string
		for _, p := range ps {
			if p != "" {
				kept = append(kept, p)
			}
		}
		return strings.Join(kept, "\n")
	}
	c.base, c.mine, c.theirs, c.want = join(o), join(a), join(b), join(want)
	return c
}
