package http_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	mhttp "github.com/mitreden/mitreden/internal/http"
	"github.com/mitreden/mitreden/web"
)

func TestCatalog_FillsPlaceholders(t *testing.T) {
	cat, err := mhttp.LoadCatalog(fstest.MapFS{
		"locales/de.json": {Data: []byte(`{"a": "Noch {n} von {max} {{n}}", "b": "{offen und {x}", "c": "bis {when}.", "d": "{unbekannt} bleibt"}`)},
		"locales/en.json": {Data: []byte(`{"a": "{n} of {max} left"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		lang, key string
		args      map[string]any
		want      string
	}{
		{"de", "a", map[string]any{"n": 2, "max": 5}, "Noch 2 von 5 {2}"},
		{"en", "a", map[string]any{"n": 2, "max": 5}, "2 of 5 left"},
		{"de", "b", map[string]any{"x": "y"}, "{offen und y"},
		{"de", "d", map[string]any{"x": "y"}, "{unbekannt} bleibt"},
		{"de", "a", nil, "Noch {n} von {max} {{n}}"},
		{"en", "b", map[string]any{"x": 1}, "{offen und 1"},
	} {
		if got := cat.T(tc.lang, tc.key, tc.args); got != tc.want {
			t.Errorf("T(%s, %s) = %q, want %q", tc.lang, tc.key, got, tc.want)
		}
	}
	if got, plain := cat.T("de", "c", map[string]any{"when": when}), "bis "+when.String()+"."; got == plain || got == "bis {when}." {
		t.Errorf("a time is formatted for people, got %q", got)
	}
}

// A message with a ".one" variant uses it when count is 1, in each
// language; other counts and a language without the variant use the plain
// message.
func TestCatalog_SingularVariant(t *testing.T) {
	cat, err := mhttp.LoadCatalog(fstest.MapFS{
		"locales/de.json": {Data: []byte(`{"n": "{count} Unterstützungen", "n.one": "1 Unterstützung", "m": "{count} Treffer"}`)},
		"locales/en.json": {Data: []byte(`{"n": "{count} supports"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang, key string
		count     any
		want      string
	}{
		{"de", "n", 1, "1 Unterstützung"},
		{"de", "n", int64(1), "1 Unterstützung"},
		{"de", "n", 0, "0 Unterstützungen"},
		{"de", "n", 21, "21 Unterstützungen"},
		{"en", "n", 1, "1 supports"},
		{"de", "m", 1, "1 Treffer"},
	} {
		if got := cat.T(tc.lang, tc.key, map[string]any{"count": tc.count}); got != tc.want {
			t.Errorf("T(%s, %s, count %v) = %q, want %q", tc.lang, tc.key, tc.count, got, tc.want)
		}
	}
	// The platform's own catalog: every singular has its plain message (or,
	// counted by the caller, an ".other") in both languages.
	real, err := mhttp.LoadCatalog(web.Locales)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"de", "en"} {
		for _, k := range real.Keys(lang) {
			if base, ok := strings.CutSuffix(k, ".one"); ok && !real.Has(lang, base) && !real.Has(lang, base+".other") {
				t.Errorf("%s: %s has no plain message %s", lang, k, base)
			}
		}
	}
	if got := real.T("de", "tally.support", map[string]any{"count": 1}); got != "1 Unterstützung" {
		t.Errorf("one support reads %q", got)
	}
}
