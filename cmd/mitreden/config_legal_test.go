package main

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	mhttp "github.com/mitreden/mitreden/internal/http"
)

// TestOperator_SettingsReachThePages checks that every operator setting is
// read from its variable and handed to the pages in the form they show.
func TestOperator_SettingsReachThePages(t *testing.T) {
	c := DefaultConfig()
	err := c.LoadEnv(envFunc(map[string]string{
		"MITREDEN_OPERATOR_NAME":           "Stadt Musterhausen",
		"MITREDEN_OPERATOR_ADDRESS":        "Rathausplatz 1 | 12345 Musterhausen",
		"MITREDEN_OPERATOR_PHONE":          "+49 211 123-45",
		"MITREDEN_OPERATOR_EMAIL":          "beteiligung@musterhausen.example",
		"MITREDEN_DATA_PROTECTION_OFFICER": "Erika Schutz | datenschutz@musterhausen.example",
		"MITREDEN_SUPERVISORY_AUTHORITY":   "LDI NRW | https://www.ldi.nrw.de",
		"MITREDEN_ACCESSIBILITY_REVIEWED":  "2026-03-01",
		"MITREDEN_ACCESSIBILITY_BARRIERS":  "PDF-Anhänge | Videos ohne Untertitel",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if m := c.Operator.Missing(); len(m) != 0 {
		t.Errorf("missing %v although every setting is given", m)
	}
	want := mhttp.Operator{
		Name: "Stadt Musterhausen", Address: []string{"Rathausplatz 1", "12345 Musterhausen"},
		Phone: "+49 211 123-45", Email: "beteiligung@musterhausen.example",
		DataProtectionOfficer: []string{"Erika Schutz", "datenschutz@musterhausen.example"},
		SupervisoryAuthority:  []string{"LDI NRW", "https://www.ldi.nrw.de"},
		AccessibilityReviewed: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		KnownBarriers:         []string{"PDF-Anhänge", "Videos ohne Untertitel"},
		EnforcementBody: []string{"Ombudsstelle für barrierefreie Informationstechnik des Landes Nordrhein-Westfalen",
			"E-Mail: ombudsstelle-barrierefreie-it@mags.nrw.de", "https://www.lbbp.nrw.de/ombudsstelle"},
	}
	if got := c.Operator.HTTP(); !reflect.DeepEqual(got, want) {
		t.Errorf("pages get\n%+v\nwant\n%+v", got, want)
	}

	// "none" states that no barrier is known; the default enforcement body
	// can be replaced.
	c = DefaultConfig()
	if err := c.LoadEnv(envFunc(map[string]string{"MITREDEN_ACCESSIBILITY_BARRIERS": "None",
		"MITREDEN_ENFORCEMENT_BODY": "Schlichtungsstelle BGG | info@schlichtungsstelle-bgg.de"})); err != nil {
		t.Fatal(err)
	}
	op := c.Operator.HTTP()
	if !op.NoKnownBarriers || op.KnownBarriers != nil || !reflect.DeepEqual(op.EnforcementBody, []string{"Schlichtungsstelle BGG", "info@schlichtungsstelle-bgg.de"}) {
		t.Errorf("none / enforcement body override: %+v", op)
	}
}

// TestOperator_MissingSettingsAreListedAndLogged checks the list of missing
// settings (the enforcement body has a default) and the start-up warning.
func TestOperator_MissingSettingsAreListedAndLogged(t *testing.T) {
	c := DefaultConfig()
	if err := c.LoadEnv(envFunc(map[string]string{"MITREDEN_OPERATOR_NAME": "Stadt Musterhausen"})); err != nil {
		t.Fatal(err)
	}
	want := []string{"MITREDEN_OPERATOR_ADDRESS", "MITREDEN_OPERATOR_PHONE", "MITREDEN_OPERATOR_EMAIL",
		"MITREDEN_DATA_PROTECTION_OFFICER", "MITREDEN_SUPERVISORY_AUTHORITY", "MITREDEN_ACCESSIBILITY_REVIEWED",
		"MITREDEN_ACCESSIBILITY_BARRIERS"}
	if got := c.Operator.Missing(); !reflect.DeepEqual(got, want) {
		t.Errorf("missing %v, want %v", got, want)
	}
	var buf bytes.Buffer
	warnMissingOperator(slog.New(slog.NewJSONHandler(&buf, nil)), c.Operator)
	for _, name := range want {
		if !strings.Contains(buf.String(), name) {
			t.Errorf("the start-up warning does not name %s: %s", name, buf.String())
		}
	}
	if !strings.Contains(buf.String(), `"level":"WARN"`) {
		t.Errorf("not a warning: %s", buf.String())
	}
	buf.Reset()
	full := OperatorSettings{Name: "a", Address: "b", Phone: "0211 1234", Email: "a@b.example", DataProtectionOfficer: "c",
		SupervisoryAuthority: "d", AccessibilityReviewed: "2026-01-01", KnownBarriers: "none", EnforcementBody: DefaultEnforcementBody}
	warnMissingOperator(slog.New(slog.NewJSONHandler(&buf, nil)), full)
	if buf.Len() != 0 {
		t.Errorf("warning although nothing is missing: %s", buf.String())
	}
}

// TestOperator_ServeWarnsAtStart checks that serve itself logs the warning.
func TestOperator_ServeWarnsAtStart(t *testing.T) {
	env := map[string]string{"MITREDEN_DATA_DIR": filepath.Join(t.TempDir(), "data")}
	_, _, stderr := runCLIContext(t, cancelled(), env, "", "serve")
	if !strings.Contains(stderr, "MITREDEN_OPERATOR_NAME") || !strings.Contains(stderr, "WARN") {
		t.Errorf("serve without operator settings logs no warning naming them: %s", stderr)
	}
}

// TestOperator_BadValuesAreRefused checks that malformed operator settings
// stop the start with a message naming the setting.
func TestOperator_BadValuesAreRefused(t *testing.T) {
	for name, value := range map[string]string{
		"MITREDEN_OPERATOR_PHONE":         "call us",
		"MITREDEN_OPERATOR_EMAIL":         "Stadt <info@example.org>",
		"MITREDEN_CONTACT_EMAIL":          "barrierefreiheit",
		"MITREDEN_ACCESSIBILITY_REVIEWED": "01.03.2026",
	} {
		c := DefaultConfig()
		if err := c.LoadEnv(envFunc(map[string]string{name: value})); err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: err %v, want one naming the setting", name, value, err)
		}
	}
	if err := (OperatorSettings{Phone: "1234"}).validate(); err == nil {
		t.Error("a phone number of 4 digits passes")
	}
}
