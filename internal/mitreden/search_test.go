package mitreden_test

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mitreden/mitreden/internal/mitreden"
)

func TestSearchQueryValidate(t *testing.T) {
	day := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		q     mitreden.SearchQuery
		field string // "" = valid
		msg   string
	}{
		{"text", mitreden.SearchQuery{Text: " Kita "}, "", ""},
		{"empty", mitreden.SearchQuery{}, "q", "search.query_empty"},
		{"blank", mitreden.SearchQuery{Text: " \t\n"}, "q", "search.query_empty"},
		{"blank filter values", mitreden.SearchQuery{Types: []string{" "}, Region: " "}, "q", "search.query_empty"},
		{"empty with filter", mitreden.SearchQuery{Types: []string{"proposal"}}, "", ""},
		{"empty with date", mitreden.SearchQuery{From: day}, "", ""},
		{"max length", mitreden.SearchQuery{Text: strings.Repeat("ü", 200)}, "", ""},
		{"too long", mitreden.SearchQuery{Text: strings.Repeat("ü", 201)}, "q", "search.query_too_long"},
		{"sort", mitreden.SearchQuery{Text: "x", Sort: "oldest"}, "sort", "search.sort_invalid"},
		{"type", mitreden.SearchQuery{Text: "x", Types: []string{"user"}}, "type", "search.type_invalid"},
		{"dates", mitreden.SearchQuery{Text: "x", From: day, To: day}, "to", "search.date_range_invalid"},
		{"deep page", mitreden.SearchQuery{Text: "x", Page: 1000, PerPage: 100}, "page", "search.page_too_deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.q.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var e *mitreden.Error
			if !errors.As(err, &e) || e.Code != mitreden.EINVALID || e.Message != tt.msg ||
				len(e.Fields) == 0 || e.Fields[0].Field != tt.field || e.Fields[0].Message != tt.msg {
				t.Fatalf("Validate() = %#v, want invalid %s on %s", err, tt.msg, tt.field)
			}
		})
	}
}

func TestSearchQueryValidateNormalises(t *testing.T) {
	q := mitreden.SearchQuery{Text: "  Kita ", PerPage: 500, Types: []string{" proposal", "proposal", ""}}
	if err := q.Validate(); err != nil {
		t.Fatal(err)
	}
	if q.Text != "Kita" || q.Page != 1 || q.PerPage != mitreden.SearchMaxPerPage || q.Sort != mitreden.SearchSortRelevance ||
		len(q.Types) != 1 || q.Types[0] != "proposal" {
		t.Errorf("normalised = %+v", q)
	}
	q = mitreden.SearchQuery{Topics: []string{"verkehr"}, Sort: mitreden.SearchSortRelevance}
	if err := q.Validate(); err != nil {
		t.Fatal(err)
	}
	if q.Sort != mitreden.SearchSortNewest || q.PerPage != mitreden.SearchDefaultPerPage {
		t.Errorf("listing normalised = %+v, want newest, %d per page", q, mitreden.SearchDefaultPerPage)
	}
}

func TestSearchAudience(t *testing.T) {
	tests := []struct {
		a    mitreden.SearchAudience
		want string
	}{
		{mitreden.SearchAudience{}, "public"},
		{mitreden.SearchAudience{Moderator: true}, "public pending hidden"},
		{mitreden.SearchAudience{Council: true}, "public council"},
		{mitreden.SearchAudience{Moderator: true, Council: true}, "public pending hidden council"},
	}
	for _, tt := range tests {
		if got := strings.Join(tt.a.Visibilities(), " "); got != tt.want {
			t.Errorf("%+v.Visibilities() = %q, want %q", tt.a, got, tt.want)
		}
	}
	if (mitreden.SearchAudience{}).CanSee(mitreden.VisibilityHidden) {
		t.Error("anonymous audience sees hidden documents")
	}
}

// FuzzSearchQueryValidate checks what an accepted query promises the engines:
// a bounded text, a known sort and a result window they can serve.
func FuzzSearchQueryValidate(f *testing.F) {
	f.Add("Radweg", "proposal", "", 1, 20)
	f.Add("", "", "newest", 0, 0)
	f.Add(strings.Repeat("ä", 201), "x", "relevance", -3, 1000)
	f.Add("a", "", "", 1<<61, 100)
	f.Fuzz(func(t *testing.T, text, typ, sort string, page, perPage int) {
		q := mitreden.SearchQuery{Text: text, Sort: sort, Page: page, PerPage: perPage, Topics: []string{"Verwaltung"}}
		if typ != "" {
			q.Types = []string{typ}
		}
		if q.Validate() != nil {
			return
		}
		if utf8.RuneCountInString(q.Text) > mitreden.SearchMaxQueryLength {
			t.Fatalf("text of %d runes accepted", utf8.RuneCountInString(q.Text))
		}
		if q.Sort != mitreden.SearchSortRelevance && q.Sort != mitreden.SearchSortNewest {
			t.Fatalf("sort %q accepted", q.Sort)
		}
		if q.Page < 1 || q.PerPage < 1 || q.PerPage > mitreden.SearchMaxPerPage || q.Page > mitreden.SearchMaxResultWindow/q.PerPage {
			t.Fatalf("page %d × %d accepted", q.Page, q.PerPage)
		}
	})
}
