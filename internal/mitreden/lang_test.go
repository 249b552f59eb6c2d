package mitreden

import (
	"strings"
	"testing"
)

func TestDetectLang(t *testing.T) {
	for _, tc := range []struct {
		name  string
		texts []string
		want  string
	}{
		{"german proposal", []string{"Radweg entlang der Hauptstraße", "Wir brauchen einen sicheren Radweg, damit die Kinder mit dem Rad zur Schule fahren können."}, LangGerman},
		{"english proposal", []string{"Open data for the city", "The council should publish its budget as open data, so that everyone can check how the money is spent."}, LangEnglish},
		{"english comment", []string{"I agree with this."}, LangEnglish},
		{"german comment", []string{"Das ist eine gute Idee."}, LangGerman},
		{"umlauts alone", []string{"Schöne Grüße"}, LangGerman},
		{"capitals", []string{"THE BUDGET IS NOT PUBLIC AND THAT IS A PROBLEM"}, LangEnglish},
		{"too short", []string{"Gute Idee!"}, ""},
		{"no words", []string{"+1 👍 100 %"}, ""},
		{"empty", nil, ""},
		{"mixed evenly", []string{"The Radweg ist für the city and die Stadt"}, ""},
		{"german quoting english", []string{"Der Antrag „Open Data for all“ ist gut und sollte von der Stadt umgesetzt werden, weil es nicht schadet."}, LangGerman},
	} {
		if got := DetectLang(tc.texts...); got != tc.want {
			t.Errorf("%s: DetectLang = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestDetectLangReadsTheStart checks that a long text is judged by its
// start, which keeps a read of data without a stored language cheap.
func TestDetectLangReadsTheStart(t *testing.T) {
	text := strings.Repeat("Die Stadt und der Kreis sind nicht einig. ", 200) + strings.Repeat("the and of to is ", 2000)
	if got := DetectLang(text); got != LangGerman {
		t.Errorf("DetectLang = %q, want de from the first 4 KiB", got)
	}
}

func TestContentLang(t *testing.T) {
	for _, tc := range []struct {
		chosen, fallback string
		texts            []string
		want             string
	}{
		{"en", "de", []string{"Der Radweg ist nicht sicher und die Stadt muss handeln."}, "en"}, // the writer's choice wins
		{"", "de", []string{"The bike lane is not safe and the city has to act."}, "en"},
		{"", "en", []string{"Gute Idee!"}, "en"}, // undecidable: the writer's interface
		{"", "de", []string{"Good idea!"}, "de"},
		{"", "", []string{"Gute Idee!"}, "de"},
		{"", "fr", []string{"Bonne idée !"}, "de"},
	} {
		if got := ContentLang(tc.chosen, tc.fallback, tc.texts...); got != tc.want {
			t.Errorf("ContentLang(%q, %q, %q) = %q, want %q", tc.chosen, tc.fallback, tc.texts, got, tc.want)
		}
	}
}

func TestLangValidation(t *testing.T) {
	for _, l := range []string{"", "de", "en"} {
		if fe := CheckLang("lang", l); fe != nil {
			t.Errorf("CheckLang(%q) = %v", l, fe)
		}
	}
	for _, l := range []string{"fr", "DE", "de-DE", "x"} {
		if fe := CheckLang("lang", l); fe == nil || fe.Field != "lang" {
			t.Errorf("CheckLang(%q) = %v, want a field error on lang", l, fe)
		}
	}
	hasLangError := func(err error) bool {
		e, ok := err.(*Error)
		if !ok {
			return false
		}
		for _, f := range e.Fields {
			if f.Field == "lang" {
				return true
			}
		}
		return false
	}
	p := Proposal{Title: "Mehr Radwege", Body: "Die Stadt braucht mehr sichere Radwege.", Lang: "fr"}
	if err := p.Validate(); !hasLangError(err) {
		t.Errorf("Proposal with lang fr: Validate = %v, want a field error on lang", err)
	}
	p.Lang = "en"
	if err := p.Validate(); err != nil {
		t.Errorf("Proposal with lang en: Validate = %v", err)
	}
	c := Consultation{Lang: "fr"}
	if err := c.Validate(); !hasLangError(err) {
		t.Errorf("Consultation with lang fr: Validate = %v, want a field error on lang", err)
	}
}

func BenchmarkDetectLang(b *testing.B) {
	text := strings.Repeat("Die Stadt soll mehr Radwege bauen, damit Kinder sicher zur Schule kommen. ", 150)
	b.SetBytes(detectBytes)
	for b.Loop() {
		DetectLang("Mehr Radwege für die Stadt", text)
	}
}
