package mitreden_test

import (
	"strings"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
)

func TestCheckText(t *testing.T) {
	ok := []string{"", "Radweg an der Hauptstraße", "Zeile 1\nZeile 2\r\n\tEingerückt", "Emoji 👩‍👩‍👧 mit ZWJ", "Trennung\u00ADweich",
		"עברית mit Rechts-nach-links", "\u200Fmarkiert"}
	for _, s := range ok {
		if fe := mitreden.CheckText("body", s); fe != nil {
			t.Errorf("CheckText(%q) = %+v, want nil", s, fe)
		}
	}
	bad := []string{"a\x00b", "a\x1bb", "a\x7fb", "a\u0085b", "Preis\u202E05.3€", "\u202Aa", "\u202Bb", "\u202Cc", "\u202Dd",
		"\u2066isoliert", "\u2067x", "\u2068x", "\u2069x", "kaputt\xff"}
	for _, s := range bad {
		fe := mitreden.CheckText("title", s)
		if fe == nil {
			t.Errorf("CheckText(%q) = nil, want a field error", s)
			continue
		}
		if fe.Field != "title" || fe.Code != "chars" || fe.Message != "validation.text_chars" {
			t.Errorf("CheckText(%q) = %+v", s, fe)
		}
	}
}

func TestValidateTextInParticipation(t *testing.T) {
	p := &mitreden.Proposal{Title: "Ein Titel mit \u202Eumgedreht", Body: strings.Repeat("Ein Text. ", 10) + "\x00"}
	fields := map[string]bool{}
	for _, f := range invalidFields(t, p.Validate()) {
		fields[f.Field+":"+f.Code] = true
	}
	if !fields["title:chars"] || !fields["body:chars"] {
		t.Errorf("proposal fields = %v, want title:chars and body:chars", fields)
	}
	fs := invalidFields(t, mitreden.ValidateCommentBody("Gute Idee\u2066"))
	if len(fs) != 1 || fs[0].Code != "chars" {
		t.Errorf("comment = %+v", fs)
	}
	if err := mitreden.ValidateCommentBody("Gute Idee\n\tmit Absatz"); err != nil {
		t.Errorf("comment with tab and newline: %v", err)
	}
}

func invalidFields(t *testing.T, err error) []mitreden.FieldError {
	t.Helper()
	e, ok := err.(*mitreden.Error)
	if !ok || e.Code != mitreden.EINVALID {
		t.Fatalf("got %v, want an invalid error", err)
	}
	return e.Fields
}

func TestValidateDisplayName(t *testing.T) {
	for _, name := range []string{"Anna", "Lena Wörth", "李明", "José", "O'Brien", "Ana-María", "Zoë 🌻", "ab"} {
		if fe := mitreden.ValidateDisplayName(name); fe != nil {
			t.Errorf("ValidateDisplayName(%q) = %+v, want nil", name, fe)
		}
	}
	cases := []struct{ name, code string }{
		{"", "required"},
		{"A", "length"},
		{strings.Repeat("x", 51), "length"},
		{"Anna\u202Enimda", "chars"},
		{"Ad\u200Bmin", "chars"},
		{"Anna\nBerg", "chars"},
		{"\u3164\u3164\u3164", "chars"},
		{"Demo-Administration\u3164", "chars"},
		{"\u115F\u1160", "chars"},
		{"\uFFA0\uFFA0", "chars"},
		{"\u2800\u2800\u2800", "chars"},
		{"Ann\u034Fa", "chars"},
		{"\u0301\u0308\u0327", "blank"},
		{"\u00A0\u2003\u3000", "blank"},
		{"kaputt\xff", "chars"},
	}
	for _, c := range cases {
		fe := mitreden.ValidateDisplayName(c.name)
		if fe == nil || fe.Code != c.code || fe.Field != "display_name" {
			t.Errorf("ValidateDisplayName(%q) = %+v, want code %s", c.name, fe, c.code)
		}
	}
}

func TestDisplayNameKey(t *testing.T) {
	same := [][]string{
		{"Demo-Administration", "demo-administration", "DEMO-ADMINISTRATION", "Demo-\u0410dministration",
			"Dem\u043E-Administration", "Dem0-Administration", "Ｄｅｍｏ-Administration", "Demo-Administration\uFE0F"},
		{"Lena Wörth", "Lena Wo\u0308rth", "lena  wörth", "Lena\u3000Wörth"},
		{"Straße", "STRASSE"},
	}
	for _, group := range same {
		want := mitreden.DisplayNameKey(group[0])
		for _, n := range group[1:] {
			if got := mitreden.DisplayNameKey(n); got != want {
				t.Errorf("DisplayNameKey(%q) = %q, want %q as for %q", n, got, want, group[0])
			}
		}
	}
	differ := [][2]string{{"Anna", "Anne"}, {"Demo-Administration", "Demo-Administrator"}, {"Lena Wörth", "Lena Worth"}, {"Kim", "Tim"}}
	for _, d := range differ {
		if mitreden.DisplayNameKey(d[0]) == mitreden.DisplayNameKey(d[1]) {
			t.Errorf("DisplayNameKey(%q) = DisplayNameKey(%q) = %q", d[0], d[1], mitreden.DisplayNameKey(d[0]))
		}
	}
}
