package mitreden

import (
	"slices"
	"unicode"
	"unicode/utf8"
)

// Languages a contribution is written in. Pages mark a text whose language
// differs from the interface's with a lang attribute (WCAG 3.1.2), so a
// screen reader reads an English proposal under the German interface in
// English.
const (
	LangGerman  = "de"
	LangEnglish = "en"
)

// ContentLangs lists the languages a contribution may be marked with; ""
// (automatic) is allowed on input as well and means: detect it.
var ContentLangs = []string{LangGerman, LangEnglish}

// CheckLang returns a field error for field unless lang is "" or one of
// ContentLangs.
func CheckLang(field, lang string) *FieldError {
	if lang == "" || slices.Contains(ContentLangs, lang) {
		return nil
	}
	return &FieldError{Field: field, Code: "oneof", Message: "validation.oneof"}
}

// ContentLang is the language a contribution is stored with: the writer's
// choice when there is one, else the language DetectLang finds in texts,
// else fallback (the writer's interface language) when it is one of
// ContentLangs, else German.
func ContentLang(chosen, fallback string, texts ...string) string {
	if chosen != "" && slices.Contains(ContentLangs, chosen) {
		return chosen
	}
	if l := DetectLang(texts...); l != "" {
		return l
	}
	if slices.Contains(ContentLangs, fallback) {
		return fallback
	}
	return LangGerman
}

// detectBytes bounds how much of each text DetectLang reads: the first
// lines tell the language as well as the whole, and reads of older data
// (which stored no language) detect it on every read.
const detectBytes = 4096

// functionWords are frequent words that occur in one of the two languages
// only. Words both use ("in", "so", "an", "am", "also", "was", "will",
// "war", "man") count for neither.
var functionWords = func() map[string]string {
	m := map[string]string{}
	for _, w := range []string{"der", "die", "das", "und", "ist", "nicht", "mit", "von", "zu", "den", "dem", "des",
		"ein", "eine", "einen", "einem", "einer", "auf", "im", "sich", "auch", "es", "wir", "ich", "werden", "wird",
		"sind", "bei", "nach", "wie", "oder", "aber", "dass", "noch", "nur", "kann", "soll", "sollte", "sollen",
		"mehr", "vor", "durch", "um", "zum", "zur", "aus", "wenn", "als", "hat", "haben", "alle", "diese", "dieser",
		"sehr", "schon", "gibt", "unsere", "unser", "bitte", "damit", "weil", "gegen", "bis", "ohne", "sowie",
		"keine", "kein", "ja", "nein", "hier", "jetzt", "immer", "viele", "neue", "neuen", "sollten", "wäre",
		"für", "über", "können", "müssen", "würde", "dafür", "endlich"} {
		m[w] = LangGerman
	}
	for _, w := range []string{"the", "and", "is", "are", "of", "to", "for", "with", "on", "that", "this", "it",
		"be", "we", "you", "not", "have", "has", "should", "would", "could", "can", "our", "from", "by", "at", "as",
		"or", "a", "more", "there", "which", "they", "their", "been", "all", "if", "but", "do", "does", "please",
		"what", "when", "how", "why", "into", "about", "i", "my", "its", "these", "those", "than", "just", "very",
		"many", "new", "no", "yes", "here", "now", "always", "without", "against", "until", "because", "agree",
		"need", "needs", "must", "who", "where", "only", "get", "make", "people"} {
		m[w] = LangEnglish
	}
	return m
}()

// DetectLang guesses whether texts are German or English from frequent
// function words of each language and, for German, words with an umlaut
// or ß. It returns LangGerman or LangEnglish when at least two signals
// were found and one language has more than twice the other's, else ""
// (undecidable: too short, mixed, or neither language). It reads at most
// the first 4 KiB of each text, so it is cheap enough for every read.
func DetectLang(texts ...string) string {
	var de, en int
	var buf [64]byte
	for _, t := range texts {
		if len(t) > detectBytes {
			t = t[:detectBytes]
		}
		// A word longer than buf is cut: no function word is that long.
		word, umlaut := buf[:0], false
		flush := func() {
			switch functionWords[string(word)] {
			case LangGerman:
				de++
			case LangEnglish:
				en++
			default:
				if umlaut {
					de++
				}
			}
			word, umlaut = buf[:0], false
		}
		for i := 0; i < len(t); {
			if c := t[i]; c < utf8.RuneSelf { // ASCII, most of either language
				i++
				switch {
				case 'a' <= c && c <= 'z':
				case 'A' <= c && c <= 'Z':
					c += 'a' - 'A'
				default:
					flush()
					continue
				}
				if len(word) < len(buf) {
					word = append(word, c)
				}
				continue
			}
			r, size := utf8.DecodeRuneInString(t[i:])
			i += size
			if !unicode.IsLetter(r) {
				flush()
				continue
			}
			r = unicode.ToLower(r)
			switch r {
			case 'ä', 'ö', 'ü', 'ß':
				umlaut = true
			}
			if len(word)+utf8.UTFMax <= len(buf) {
				word = utf8.AppendRune(word, r)
			}
		}
		flush()
	}
	switch {
	case de+en < 2:
		return ""
	case de > 2*en:
		return LangGerman
	case en > 2*de:
		return LangEnglish
	}
	return ""
}
