package mitreden_test

import (
	"strings"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
)

func TestProposal_ValidateBoundsCountRunes(t *testing.T) {
	ok := func(title, body string, topics ...string) *mitreden.Proposal {
		return &mitreden.Proposal{Title: title, Body: body, Topics: topics}
	}
	body := strings.Repeat("ü", 20)
	for _, p := range []*mitreden.Proposal{
		ok("Öäüß!", body), // five runes, ten bytes
		ok(strings.Repeat("ö", 150), strings.Repeat("x", 10000)), // upper bounds
		ok("  Glasfaser  ", "  "+body+"  ", "a", "b", "c", "d", "e", "a"),
	} {
		if err := p.Validate(); err != nil {
			t.Errorf("Validate(%q) = %v", p.Title, err)
		}
	}
	for _, tc := range []struct {
		p           *mitreden.Proposal
		field, code string
	}{
		{ok("Vier", body), "title", "min"},
		{ok("", body), "title", "required"},
		{ok(strings.Repeat("x", 151), body), "title", "max"},
		{ok("Glasfaser", strings.Repeat("ü", 19)), "body", "min"},
		{ok("Glasfaser", strings.Repeat("x", 10001)), "body", "max"},
		{ok("Glasfaser", "   "), "body", "required"},
		{ok("Glasfaser", body, "a", "b", "c", "d", "e", "f"), "topics", "max"},
		{ok("Glasfaser", body, strings.Repeat("t", 41)), "topics", "max"},
	} {
		fs := fieldErrors(t, tc.p.Validate())
		if fs[tc.field].Code != tc.code || fs[tc.field].Message == "" {
			t.Errorf("%q/%d runes: %s = %+v, want code %s", tc.p.Title, len([]rune(tc.p.Body)), tc.field, fs[tc.field], tc.code)
		}
	}
}

func TestProposal_QualifiedByThreshold(t *testing.T) {
	c := &mitreden.Consultation{SupportThreshold: 3}
	p := &mitreden.Proposal{Tally: mitreden.Tally{Support: 2}}
	if p.Qualified(c) {
		t.Fatal("2 of 3 qualified")
	}
	p.Tally.Support = 3
	if !p.Qualified(c) {
		t.Fatal("3 of 3 not qualified")
	}
	if p.Qualified(&mitreden.Consultation{}) {
		t.Fatal("no threshold qualifies everything")
	}
	rating := &mitreden.Proposal{Tally: mitreden.Tally{Yes: 3, No: 9}}
	if !rating.Qualified(c) || rating.Tally.Total() != 12 {
		t.Fatal("yes votes count towards the threshold")
	}
}
