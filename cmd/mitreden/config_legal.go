package main

import (
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode"

	mhttp "github.com/mitreden/mitreden/internal/http"
)

// DefaultEnforcementBody is the conciliation body of the enforcement
// procedure for public bodies in North Rhine-Westphalia (§§ 10d, 10e BGG
// NRW): the Ombudsstelle für barrierefreie Informationstechnik, lines
// separated by "|". An operator outside NRW sets MITREDEN_ENFORCEMENT_BODY.
const DefaultEnforcementBody = "Ombudsstelle für barrierefreie Informationstechnik des Landes Nordrhein-Westfalen" +
	" | E-Mail: ombudsstelle-barrierefreie-it@mags.nrw.de | https://www.lbbp.nrw.de/ombudsstelle"

// OperatorSettings are the facts the imprint, the privacy notice, the
// accessibility statement and the home page state about who runs the
// installation, as the operator gives them. Lists (address lines, known
// barriers, ...) are separated by "|", since environment files cannot hold
// line breaks.
type OperatorSettings struct {
	Name                  string // MITREDEN_OPERATOR_NAME: the responsible body
	Address               string // MITREDEN_OPERATOR_ADDRESS: postal address
	Phone                 string // MITREDEN_OPERATOR_PHONE
	Email                 string // MITREDEN_OPERATOR_EMAIL
	DataProtectionOfficer string // MITREDEN_DATA_PROTECTION_OFFICER: name and contact
	SupervisoryAuthority  string // MITREDEN_SUPERVISORY_AUTHORITY
	AccessibilityReviewed string // MITREDEN_ACCESSIBILITY_REVIEWED: YYYY-MM-DD
	// KnownBarriers (MITREDEN_ACCESSIBILITY_BARRIERS) lists content that is
	// not accessible; "none" states that none is known.
	KnownBarriers   string
	EnforcementBody string // MITREDEN_ENFORCEMENT_BODY
}

// operatorFields pairs each operator setting with its variable, in the order
// the warning lists the missing ones. The enforcement body has a default and
// so is never missing.
func (o *OperatorSettings) operatorFields() []struct {
	name string
	p    *string
} {
	return []struct {
		name string
		p    *string
	}{
		{"MITREDEN_OPERATOR_NAME", &o.Name},
		{"MITREDEN_OPERATOR_ADDRESS", &o.Address},
		{"MITREDEN_OPERATOR_PHONE", &o.Phone},
		{"MITREDEN_OPERATOR_EMAIL", &o.Email},
		{"MITREDEN_DATA_PROTECTION_OFFICER", &o.DataProtectionOfficer},
		{"MITREDEN_SUPERVISORY_AUTHORITY", &o.SupervisoryAuthority},
		{"MITREDEN_ACCESSIBILITY_REVIEWED", &o.AccessibilityReviewed},
		{"MITREDEN_ACCESSIBILITY_BARRIERS", &o.KnownBarriers},
		{"MITREDEN_ENFORCEMENT_BODY", &o.EnforcementBody},
	}
}

// Missing names the operator settings not given, so the start-up log and the
// admin pages can say what the legal pages still lack.
func (o OperatorSettings) Missing() []string {
	var out []string
	for _, f := range o.operatorFields() {
		if strings.TrimSpace(*f.p) == "" {
			out = append(out, f.name)
		}
	}
	return out
}

// validate checks the operator settings that have a form.
func (o OperatorSettings) validate() error {
	if o.Phone != "" {
		digits := 0
		for i, r := range o.Phone {
			switch {
			case unicode.IsDigit(r):
				digits++
			case r == '+' && i == 0, strings.ContainsRune(" -/()", r):
			default:
				return fmt.Errorf("setting MITREDEN_OPERATOR_PHONE=%q: only digits, spaces, a leading + and - / ( ) are allowed", o.Phone)
			}
		}
		if digits < 5 {
			return fmt.Errorf("setting MITREDEN_OPERATOR_PHONE=%q: too few digits for a phone number", o.Phone)
		}
	}
	if o.Email != "" {
		if err := checkEmail(o.Email); err != nil {
			return fmt.Errorf("setting MITREDEN_OPERATOR_EMAIL=%q: %v", o.Email, err)
		}
	}
	if o.AccessibilityReviewed != "" {
		if _, err := time.Parse(time.DateOnly, o.AccessibilityReviewed); err != nil {
			return fmt.Errorf("setting MITREDEN_ACCESSIBILITY_REVIEWED=%q: must be a date such as 2026-03-31", o.AccessibilityReviewed)
		}
	}
	return nil
}

// checkEmail accepts a bare address (no display name, no angle brackets).
func checkEmail(s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return fmt.Errorf("must be a plain email address such as kontakt@example.org")
	}
	return nil
}

// splitLines splits a "|"-separated setting into its trimmed, non-empty parts.
func splitLines(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// HTTP returns the settings as the pages use them. Validate has checked them.
func (o OperatorSettings) HTTP() mhttp.Operator {
	op := mhttp.Operator{
		Name:                  strings.TrimSpace(o.Name),
		Address:               splitLines(o.Address),
		Phone:                 strings.TrimSpace(o.Phone),
		Email:                 strings.TrimSpace(o.Email),
		DataProtectionOfficer: splitLines(o.DataProtectionOfficer),
		SupervisoryAuthority:  splitLines(o.SupervisoryAuthority),
		EnforcementBody:       splitLines(o.EnforcementBody),
	}
	if d, err := time.Parse(time.DateOnly, o.AccessibilityReviewed); err == nil {
		op.AccessibilityReviewed = d
	}
	if strings.EqualFold(strings.TrimSpace(o.KnownBarriers), "none") {
		op.NoKnownBarriers = true
	} else {
		op.KnownBarriers = splitLines(o.KnownBarriers)
	}
	return op
}

// warnMissingOperator logs, at start, which settings the legal pages lack;
// the admin pages show the same list.
func warnMissingOperator(log *slog.Logger, o OperatorSettings) {
	if m := o.Missing(); len(m) > 0 {
		log.Warn("imprint, privacy notice and accessibility statement lack facts; set these settings", "missing", m)
	}
}
