package http_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

func seedSearch(t *testing.T, e *testEnv) {
	t.Helper()
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	docs := []mitreden.SearchDoc{
		{ID: "proposal:p1", Type: "proposal", ItemID: "p1", Title: "Digitalisierung der Bürgerämter", Body: "Alle Anträge sollen online gestellt werden können, auch <script>alert(1)</script> barrierefrei.",
			Lang: "de", ConsultationID: "c1", ConsultationTitle: "Online-Dienste", Status: "submitted", Topics: []string{"Verwaltung"}, Region: "Land",
			Visibility: "public", URL: "/proposals/p1", CreatedAt: now, Supports: 12, Comments: 3},
		{ID: "comment:k1", Type: "comment", ItemID: "k1", Title: "Kommentar zu Digitalisierung der Bürgerämter", Body: "Die digitalisierte Terminvergabe hilft sehr.",
			Lang: "de", ConsultationID: "c1", ProposalID: "p1", Visibility: "public", URL: "/proposals/p1#comment-k1", CreatedAt: now.Add(time.Hour)},
		{ID: "comment:k2", Type: "comment", ItemID: "k2", Title: "Versteckter Kommentar", Body: "Digitalisierung ist beleidigend formuliert.",
			Lang: "de", ConsultationID: "c1", ProposalID: "p1", Visibility: "hidden", URL: "/proposals/p1#comment-k2", CreatedAt: now},
		{ID: "recommendation:r1", Type: "recommendation", ItemID: "r1", Title: "Entwurf Empfehlung Digitalisierung", Body: "Interner Entwurf des Digitalrats.",
			Lang: "de", Visibility: "council", URL: "/council/r1", CreatedAt: now},
	}
	if err := e.Searcher.Index(context.Background(), docs...); err != nil {
		t.Fatal(err)
	}
}

func TestSearchPage_TypoHighlightFilterAndContextLink(t *testing.T) {
	e := newEnv(t)
	seedSearch(t, e)
	b := e.browser()
	resp, doc := b.get("/search?q=" + url.QueryEscape("Digitalisirung"))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	checkPage(t, "/search", doc, "de")
	results := doc.Find("li.result")
	if results.Length() != 2 {
		t.Fatalf("results = %d, want 2 (public only): %s", results.Length(), doc.Find("main").Text())
	}
	if doc.Find("li.result mark").Length() == 0 {
		t.Error("no highlighted match")
	}
	html, _ := doc.Find("main").Html()
	if strings.Contains(html, "<script>alert") {
		t.Error("excerpt not escaped")
	}
	if doc.Find(`li.result a[href="/comments/k1"]`).Length() != 1 {
		t.Error("comment does not link to the page that holds it")
	}
	// Facet checkboxes with counts, and filtering by type without JavaScript.
	if doc.Find(`input[type="checkbox"][name="type"][value="comment"]`).Length() != 1 {
		t.Error("no type facet checkbox")
	}
	_, doc = b.get("/search?q=Digitalisierung&type=comment")
	if n := doc.Find("li.result").Length(); n != 1 {
		t.Errorf("filtered results = %d, want 1", n)
	}
	if _, ok := doc.Find(`input[name="type"][value="comment"]`).Attr("checked"); !ok {
		t.Error("chosen facet not kept checked")
	}
}

func TestSearch_VisibilityByAudience(t *testing.T) {
	e := newEnv(t)
	seedSearch(t, e)
	_, pw := e.createUser("mod@example.org", "Moderatorin", mitreden.RoleModerator)
	_, cpw := e.createUser("rat@example.org", "Ratsmitglied", mitreden.RoleCouncil)
	_, zpw := e.createUser("buerger@example.org", "Bürger")
	count := func(token string) map[string]bool {
		resp := e.api("GET", "/api/v1/search?q=Digitalisierung", token, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("search: %d %s", resp.StatusCode, readBody(resp))
		}
		var out struct {
			Items []struct{ ID string }
			Total int
		}
		decodeJSON(t, resp, &out)
		ids := map[string]bool{}
		for _, it := range out.Items {
			ids[it.ID] = true
		}
		return ids
	}
	for name, tc := range map[string]struct {
		token      string
		hidden     bool
		councilDoc bool
	}{
		"anonymous": {"", false, false},
		"citizen":   {e.login("buerger@example.org", zpw), false, false},
		"moderator": {e.login("mod@example.org", pw), true, false},
		"council":   {e.login("rat@example.org", cpw), false, true},
	} {
		ids := count(tc.token)
		if !ids["p1"] {
			t.Errorf("%s: public proposal missing", name)
		}
		if ids["k2"] != tc.hidden {
			t.Errorf("%s: hidden comment visible=%v", name, ids["k2"])
		}
		if ids["r1"] != tc.councilDoc {
			t.Errorf("%s: council draft visible=%v", name, ids["r1"])
		}
	}
}

// Every API hit says the language of its excerpt and of its title, so a
// client can mark them as the pages do (WCAG 3.1.2).
func TestSearchAPI_SaysLanguages(t *testing.T) {
	e := newEnv(t)
	seedSearch(t, e)
	resp := e.api("GET", "/api/v1/search?q=Digitalisierung", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("search: %d %s", resp.StatusCode, readBody(resp))
	}
	var out struct {
		Items []struct {
			ID        string
			Lang      string `json:"lang"`
			TitleLang string `json:"title_lang"`
		}
	}
	decodeJSON(t, resp, &out)
	if len(out.Items) == 0 {
		t.Fatal("no hits")
	}
	for _, it := range out.Items {
		if it.Lang != "de" || it.TitleLang != "de" {
			t.Errorf("%s: lang %q, title_lang %q; want de, de", it.ID, it.Lang, it.TitleLang)
		}
	}
}

func TestSearchAPI_BadQueries(t *testing.T) {
	e := newEnv(t)
	seedSearch(t, e)
	for _, q := range []string{"", "   ", strings.Repeat("a", 201)} {
		resp := e.api("GET", "/api/v1/search?q="+url.QueryEscape(q), "", nil)
		if resp.StatusCode != 422 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("q=%q: %d %s", q, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	resp := e.api("GET", "/api/v1/search?q=und+der+die", "", nil)
	var out struct{ Total int }
	decodeJSON(t, resp, &out)
	if resp.StatusCode != 200 || out.Total != 0 {
		t.Errorf("stop words: %d total=%d", resp.StatusCode, out.Total)
	}
	resp = e.api("GET", "/api/v1/search?q=x&type=%24where", "", nil)
	if resp.StatusCode != 422 {
		t.Errorf("bad type filter: %d", resp.StatusCode)
	}
	// The HTML page shows over-long queries as a linked form error.
	resp2, doc := e.browser().get("/search?q=" + strings.Repeat("b", 201))
	if resp2.StatusCode != 422 || doc.Find(`#error-summary a[href="#search-q"]`).Length() != 1 {
		t.Errorf("page over-long: %d", resp2.StatusCode)
	}
}

func TestSearchSuggest_ReturnsOptions(t *testing.T) {
	e := newEnv(t)
	seedSearch(t, e)
	_, doc := e.browser().get("/search/suggest?q=Digitali")
	if n := doc.Find(`li[role="option"]`).Length(); n == 0 {
		t.Fatalf("no suggestions: %s", doc.Text())
	}
}
