package mitreden_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

func validConsultation() *mitreden.Consultation {
	opens := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	return &mitreden.Consultation{Title: "Welche Dienste zuerst online?", Summary: "Welche Verwaltungsleistungen sollen zuerst digital werden?",
		Body: "Das Land NRW bringt Verwaltungsleistungen online.", Topics: []string{" Verwaltung ", "Verwaltung", ""}, Region: " Land ",
		OpensAt: opens, ClosesAt: opens.Add(30 * 24 * time.Hour), VotingMode: mitreden.VotingSupport}
}

func fieldErrors(t *testing.T, err error) map[string]mitreden.FieldError {
	t.Helper()
	var e *mitreden.Error
	if !errors.As(err, &e) || e.Code != mitreden.EINVALID {
		t.Fatalf("want EINVALID, got %v", err)
	}
	out := map[string]mitreden.FieldError{}
	for _, f := range e.Fields {
		out[f.Field] = f
	}
	return out
}

func TestConsultation_PhaseFollowsTheClock(t *testing.T) {
	c := validConsultation()
	for _, tc := range []struct {
		at   time.Time
		want mitreden.Phase
	}{
		{c.OpensAt.Add(-time.Nanosecond), mitreden.PhaseUpcoming},
		{c.OpensAt, mitreden.PhaseOpen},
		{c.ClosesAt.Add(-time.Nanosecond), mitreden.PhaseOpen},
		{c.ClosesAt, mitreden.PhaseClosed},
		{c.ClosesAt.AddDate(1, 0, 0), mitreden.PhaseClosed},
	} {
		if got := c.Phase(tc.at); got != tc.want {
			t.Errorf("Phase(%s) = %s, want %s", tc.at, got, tc.want)
		}
	}
	c.EvaluatedAt = c.ClosesAt.Add(time.Hour)
	if got := c.Phase(c.ClosesAt.Add(2 * time.Hour)); got != mitreden.PhaseEvaluated {
		t.Errorf("published results: phase %s", got)
	}
}

func TestConsultation_NotOpenErrorSaysWhyAndWhen(t *testing.T) {
	c := validConsultation()
	check := func(at time.Time, key string, date time.Time) {
		t.Helper()
		err := c.NotOpenError(at)
		var e *mitreden.Error
		if !errors.As(err, &e) || e.Code != mitreden.ECONFLICT || e.Message != key || e.Args["date"] != date {
			t.Fatalf("NotOpenError(%s) = %#v, want %s with date %s", at, err, key, date)
		}
	}
	check(c.OpensAt.Add(-time.Hour), "participation.not_open_yet", c.OpensAt)
	check(c.ClosesAt, "participation.closed", c.ClosesAt)
	c.EvaluatedAt = c.ClosesAt
	check(c.ClosesAt.Add(time.Hour), "participation.closed", c.ClosesAt)
	c.EvaluatedAt = time.Time{}
	if err := c.NotOpenError(c.OpensAt); err != nil {
		t.Fatalf("open: %v", err)
	}
}

func TestConsultation_ValidateNormalizesAndRejects(t *testing.T) {
	c := validConsultation()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Region != "Land" || len(c.Topics) != 1 || c.Topics[0] != "Verwaltung" {
		t.Fatalf("not normalized: %q %q", c.Region, c.Topics)
	}
	bad := &mitreden.Consultation{Title: "Kurz", Summary: strings.Repeat("ä", 501), OpensAt: c.ClosesAt, ClosesAt: c.OpensAt,
		VotingMode: "ranking", MaxSupports: -1, SupportThreshold: -5, Topics: []string{"a", "b", "c", "d", "e", "f"}}
	fs := fieldErrors(t, bad.Validate())
	for field, code := range map[string]string{"title": "min", "summary": "max", "body": "required", "closes_at": "after",
		"voting_mode": "oneof", "max_supports": "range", "support_threshold": "range", "topics": "max"} {
		if fs[field].Code != code {
			t.Errorf("%s: code %q, want %q (%+v)", field, fs[field].Code, code, fs[field])
		}
	}
	if fs["title"].Message != "validation.title_length" || fs["title"].Args["min"] != 5 || fs["title"].Args["max"] != 150 {
		t.Errorf("title error lacks key and bounds: %+v", fs["title"])
	}
	fs = fieldErrors(t, (&mitreden.Consultation{}).Validate())
	if fs["opens_at"].Code != "required" || fs["closes_at"].Code != "required" {
		t.Errorf("dates: %+v", fs)
	}
}
