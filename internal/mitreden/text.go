package mitreden

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"go.mau.fi/util/confusable"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// CheckText refuses characters in a title or body that could hide or
// reorder what readers see: NUL and every other control character except
// tab, line feed and carriage return, the bidirectional embeddings,
// overrides and isolates (U+202A–U+202E, U+2066–U+2069, which can make a
// text read differently from what it says, "Trojan Source"), and bytes that
// are not UTF-8. It returns nil for an acceptable text, else a field error
// for field with the message key validation.text_chars.
func CheckText(field, s string) *FieldError {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return textCharsError(field)
			}
		}
		if r == '\t' || r == '\n' || r == '\r' {
			continue
		}
		if unicode.IsControl(r) || isBidiControl(r) {
			return textCharsError(field)
		}
	}
	return nil
}

func textCharsError(field string) *FieldError {
	return &FieldError{Field: field, Code: "chars", Message: "validation.text_chars"}
}

// isBidiControl reports the explicit directional embeddings, overrides and
// isolates.
func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// Display name limits, in characters.
const (
	DisplayNameMin = 2
	DisplayNameMax = 50
)

// ValidateDisplayName checks a trimmed display name: 2 to 50 characters;
// no control or format character (a bidirectional override or a zero-width
// space could disguise a public name), no character that is invisible by
// definition (Unicode's default-ignorable code points such as the Hangul
// fillers U+115F, U+1160, U+3164 and U+FFA0, and the blank braille pattern
// U+2800); and at least one character that shows on its own, so a name of
// only spaces or combining marks is refused. Uniqueness is the store's
// business (DisplayNameKey).
func ValidateDisplayName(name string) *FieldError {
	if name == "" {
		return &FieldError{Field: "display_name", Code: "required", Message: "validation.required"}
	}
	if n := utf8.RuneCountInString(name); n < DisplayNameMin || n > DisplayNameMax {
		return &FieldError{Field: "display_name", Code: "length", Message: "validation.display_name_length",
			Args: map[string]any{"min": DisplayNameMin, "max": DisplayNameMax}}
	}
	visible := false
	for i, r := range name {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(name[i:]); size <= 1 {
				return displayNameCharsError()
			}
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || invisible(r) {
			return displayNameCharsError()
		}
		if unicode.In(r, unicode.L, unicode.N, unicode.P, unicode.S) {
			visible = true
		}
	}
	if !visible {
		return &FieldError{Field: "display_name", Code: "blank", Message: "validation.display_name_blank"}
	}
	return nil
}

func displayNameCharsError() *FieldError {
	return &FieldError{Field: "display_name", Code: "chars", Message: "validation.display_name_chars"}
}

// invisible reports characters that render as nothing although they are
// not format characters: the other default-ignorable code points (Hangul
// fillers, the combining grapheme joiner, Khmer inherent vowels …) and the
// blank braille pattern, which fonts draw as an empty cell.
func invisible(r rune) bool {
	return r == 0x2800 || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}

// DisplayNameKey is the key under which a display name is unique: names
// whose keys are equal look alike to a reader. It is the UTS #39 confusable
// skeleton of the name's NFKC case folding (so full-width and upper-case
// letters count as their plain lower-case selves), folded and skeletonized
// again until it no longer changes (the skeleton maps "0" to "O", folding
// "O" to "o"), with variation selectors dropped and every run of white
// space as one space, as browsers show it. Folding comes first so that
// case never matters; the price is that an upper-case "I" counts as "i",
// not as the "l" it resembles. So "demo-administration",
// "DEMO-ADMINISTRATION" and "Demo-Аdministration" with a Cyrillic "А" share
// the key of "Demo-Administration". The key is for comparison only, never
// for display.
func DisplayNameKey(name string) string {
	k := strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Variation_Selector, r) {
			return -1
		}
		return r
	}, name)
	fold := cases.Fold()
	k = fold.String(norm.NFKC.String(k))
	for range 4 {
		next := fold.String(norm.NFKC.String(confusable.Skeleton(k)))
		if next == k {
			break
		}
		k = next
	}
	return strings.Join(strings.Fields(k), " ")
}
