package http

import (
	"html/template"
	"strings"
	"time"
	"unicode"
)

// Operator is who runs an installation and how to reach them, as the
// imprint, the privacy notice, the accessibility statement and the home page
// state it. The operator fills it in through settings; an empty field is not
// configured, and the pages then say that it is missing or, where the field
// would make a promise (write to us, call us), leave the promise out.
type Operator struct {
	Name                  string   // the responsible body (verantwortliche Stelle)
	Address               []string // postal address, one entry per line
	Phone                 string
	Email                 string
	DataProtectionOfficer []string  // name and how to reach them, one entry per line
	SupervisoryAuthority  []string  // the data protection supervisory authority, per line
	AccessibilityReviewed time.Time // date of the last accessibility review; zero: not stated
	KnownBarriers         []string  // content that is not accessible, one entry each
	// NoKnownBarriers says the operator states, after the review, that no
	// content is known to be inaccessible (KnownBarriers is then empty).
	NoKnownBarriers bool
	// EnforcementBody is the conciliation body of the enforcement procedure
	// (in NRW the Ombudsstelle für barrierefreie Informationstechnik), per line.
	EnforcementBody []string
}

// PostalContact reports whether people can take part by letter or phone:
// only then may a page promise it.
func (o Operator) PostalContact() bool {
	return len(o.Address) > 0 || o.Phone != ""
}

// telHref turns a phone number as people write it ("0211 123-45") into a
// tel: link; "" when it holds no digits. It holds only "tel:", "+" and
// digits, so it is safe as a URL (html/template would refuse the scheme).
func telHref(phone string) template.URL {
	var b strings.Builder
	for i, r := range strings.TrimSpace(phone) {
		if r == '+' && i == 0 || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return template.URL("tel:" + b.String())
}

// textPart is a piece of a line of contact text; Href is set for an e-mail
// address or web address, which pages show as a link.
type textPart struct{ Text, Href string }

// linkParts splits a line of contact text into plain text and links, so an
// e-mail address or web address given in a setting becomes a link.
func linkParts(line string) []textPart {
	var out []textPart
	var plain strings.Builder
	flush := func() {
		if plain.Len() > 0 {
			out = append(out, textPart{Text: plain.String()})
			plain.Reset()
		}
	}
	for i, word := range strings.Fields(line) {
		if i > 0 {
			plain.WriteByte(' ')
		}
		core := strings.TrimRight(word, ".,;:)")
		tail := word[len(core):]
		href := ""
		switch {
		case strings.HasPrefix(core, "https://") || strings.HasPrefix(core, "http://"):
			href = core
		case strings.Count(core, "@") == 1 && strings.Contains(core[strings.Index(core, "@"):], ".") && !strings.ContainsAny(core, "<>\"'"):
			href = "mailto:" + core
		}
		if href == "" {
			plain.WriteString(word)
			continue
		}
		flush()
		out = append(out, textPart{Text: core, Href: href})
		plain.WriteString(tail)
	}
	flush()
	return out
}

// linkLines applies linkParts to every line.
func linkLines(lines []string) [][]textPart {
	out := make([][]textPart, 0, len(lines))
	for _, l := range lines {
		if p := linkParts(l); len(p) > 0 {
			out = append(out, p)
		}
	}
	return out
}
