package textdiff

import (
	"html/template"
	"strings"
)

// HTML renders a diff as inline HTML for a page that shows one text with
// its changes marked. Inserted runs become <ins>, deleted ones <del>; as
// screen readers do not announce those elements by default, each run
// starts with a visually hidden label ("Eingefügt: ") and ends with a
// visually hidden end marker (" (Ende)"), using the KERN class
// kern-sr-only. Newlines become <br>. All text, the labels included, is
// escaped, so the result is safe to place in a template as is.
func HTML(segs []Segment, insLabel, delLabel, endLabel string) template.HTML {
	var sb strings.Builder
	end := `<span class="kern-sr-only"> (` + template.HTMLEscapeString(endLabel) + `)</span>`
	for _, s := range segs {
		switch s.Op {
		case Insert:
			sb.WriteString(`<ins><span class="kern-sr-only">` + template.HTMLEscapeString(insLabel) + `: </span>`)
			writeText(&sb, s.Text)
			sb.WriteString(end + `</ins>`)
		case Delete:
			sb.WriteString(`<del><span class="kern-sr-only">` + template.HTMLEscapeString(delLabel) + `: </span>`)
			writeText(&sb, s.Text)
			sb.WriteString(end + `</del>`)
		default:
			writeText(&sb, s.Text)
		}
	}
	return template.HTML(sb.String())
}

// writeText escapes text and turns each line break (\n or \r\n) into <br>.
func writeText(sb *strings.Builder, text string) {
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		if i < len(lines)-1 {
			line = strings.TrimSuffix(line, "\r")
		}
		if i > 0 {
			sb.WriteString("<br>\n")
		}
		sb.WriteString(template.HTMLEscapeString(line))
	}
}
