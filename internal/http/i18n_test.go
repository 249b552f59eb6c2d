package http_test

import (
	"testing"
	"testing/fstest"
	"time"

	mhttp "github.com/mitreden/mitreden/internal/http"
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
