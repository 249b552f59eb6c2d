package meili

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/search/highlight"
)

// lex splits a filter expression the way Meilisearch's parser does: a quoted
// string runs to the first quote not escaped by a backslash, and a backslash
// escapes whatever character follows it. It returns the structure (every
// token outside strings, with each string replaced by "$") and the strings'
// contents with escapes removed.
func lex(t *testing.T, expr string) (structure, values []string) {
	t.Helper()
	rs := []rune(expr)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == ' ':
		case r == '"' || r == '\'':
			var v strings.Builder
			closed := false
			for i++; i < len(rs); i++ {
				if rs[i] == '\\' {
					i++
					if i == len(rs) {
						t.Fatalf("%q: dangling backslash", expr)
					}
					v.WriteRune(rs[i])
					continue
				}
				if rs[i] == r {
					closed = true
					break
				}
				v.WriteRune(rs[i])
			}
			if !closed {
				t.Fatalf("%q: unterminated string", expr)
			}
			structure = append(structure, "$")
			values = append(values, v.String())
		case strings.ContainsRune("[],", r):
			structure = append(structure, string(r))
		default:
			j := i
			for j < len(rs) && !strings.ContainsRune(" []\"',", rs[j]) {
				j++
			}
			structure = append(structure, string(rs[i:j]))
			i = j - 1
		}
	}
	return structure, values
}

func TestFilterExprInjection(t *testing.T) {
	day := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	build := func(v string) string {
		return FilterExpr(&mitreden.SearchQuery{
			Types: []string{v}, ConsultationIDs: []string{v, "c1"}, Statuses: []string{v},
			Topics: []string{v}, Region: v, From: day, To: day.Add(time.Hour),
		})
	}
	wantStructure, _ := lex(t, build("x"))
	for _, v := range []string{
		`x" OR visibility = "council`,
		`x\" OR visibility = "council`,
		`x\\" OR visibility = "council`,
		`] OR visibility IN ["council`,
		`x' OR visibility = 'council`,
		`\`, `x\`, `"`, `""`, `\"`, `\\`, "a\nb\x00c",
		`Köln-Süd "Altstadt"`,
	} {
		expr := build(v)
		structure, values := lex(t, expr)
		if !slices.Equal(structure, wantStructure) {
			t.Errorf("value %q changed the filter:\n%s\nstructure %v\nwant      %v", v, expr, structure, wantStructure)
			continue
		}
		want := strings.Map(func(r rune) rune {
			if r < 0x20 {
				return -1
			}
			return r
		}, v)
		// values[0] is the audience's "public"; then types, consultations...
		if values[1] != want {
			t.Errorf("value %q arrives as %q, want %q", v, values[1], want)
		}
	}
}

func TestFilterExprAudience(t *testing.T) {
	tests := []struct {
		a    mitreden.SearchAudience
		want string
	}{
		{mitreden.SearchAudience{}, `visibility IN ["public"]`},
		{mitreden.SearchAudience{Moderator: true}, `visibility IN ["public", "pending", "hidden"]`},
		{mitreden.SearchAudience{Council: true}, `visibility IN ["public", "council"]`},
	}
	for _, tt := range tests {
		if got := FilterExpr(&mitreden.SearchQuery{Text: "x", Audience: tt.a}); got != tt.want {
			t.Errorf("FilterExpr(%+v) = %s, want %s", tt.a, got, tt.want)
		}
	}
	got := FilterExpr(&mitreden.SearchQuery{Types: []string{"proposal"}, Region: "nord",
		From: time.UnixMilli(1000), To: time.UnixMilli(2000)})
	want := `visibility IN ["public"] AND type IN ["proposal"] AND region IN ["nord"] AND created >= 1000 AND created < 2000`
	if got != want {
		t.Errorf("FilterExpr = %s, want %s", got, want)
	}
}

func TestQueryTexts(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		// The last word typed is a prefix; stop words are left out.
		{"die Kita", []string{"Kita"}},
		{"und die der the", nil},
		{`"Rad-spur"`, []string{"Rad spur", "Rad "}},
		// Words are dropped from the end; the remaining last word was not
		// typed last, so it is no prefix (trailing space).
		{"Genehmigungsverfahren schneller beschleunigen", []string{
			"Genehmigungsverfahren schneller beschleunigen", "Genehmigungsverfahren schneller ", "Genehmigungsverfahren "}},
	}
	for _, tt := range tests {
		if got := queryTexts(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("queryTexts(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

// FuzzFilterExpr checks that no value changes the structure of a filter: it
// lexes to the same tokens as harmless values do, and every quoted string
// holds exactly its value (control characters dropped).
func FuzzFilterExpr(f *testing.F) {
	for _, s := range []string{"x", `" OR visibility = "council`, `\`, `\"`, "a\x00b", "ä'ö", `\\" OR 1`} {
		f.Add(s, "Verwaltung")
	}
	build := func(a, b string) *mitreden.SearchQuery {
		return &mitreden.SearchQuery{Types: []string{a}, ConsultationIDs: []string{b, a}, Topics: []string{b}, Region: a}
	}
	want, _ := lex(&testing.T{}, FilterExpr(build("x", "y")))
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) || a == "" {
			t.Skip("requests carry valid UTF-8; an empty region sets no filter")
		}
		structure, values := lex(t, FilterExpr(build(a, b)))
		if !slices.Equal(structure, want) {
			t.Fatalf("values %q, %q changed the filter: %v", a, b, structure)
		}
		clean := func(s string) string {
			return strings.Map(func(r rune) rune {
				if r < 0x20 || r == 0x7f {
					return -1
				}
				return r
			}, s)
		}
		// visibility first, then type, consultation (two), topic, region.
		got := values[len(values)-5:]
		if exp := []string{clean(a), clean(b), clean(a), clean(b), clean(a)}; !slices.Equal(got, exp) {
			t.Fatalf("values %q, want %q", got, exp)
		}
	})
}

func TestSpansTellWordsApart(t *testing.T) {
	text := "Vorbehalte gegen digitale Prozesse"
	words := []string{"Vorbehalt", "digital", "Prozesse"}
	got := spans(text, []matchPosition{{0, 10}, {17, 8}, {26, 8}, {30, 100}}, words)
	want := []highlight.Span{{Start: 0, End: 10, Word: 0}, {Start: 17, End: 25, Word: 1}, {Start: 26, End: 34, Word: 2}, {Start: 30, End: 130}}
	if !slices.Equal(got, want) {
		t.Errorf("spans = %v, want %v", got, want)
	}
}
