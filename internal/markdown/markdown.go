// Package markdown renders user Markdown to safe HTML: goldmark without raw
// HTML, then a bluemonday allowlist, so scripts, event attributes and
// javascript: links never reach a page.
package markdown

import (
	"bytes"
	"errors"
	"html"
	"html/template"
	"strings"
	"sync/atomic"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

var (
	md = goldmark.New(goldmark.WithExtensions(extension.Linkify, extension.Strikethrough, extension.Table))
	// mdNoTables renders input whose tables would be too large: every table
	// row is padded to the header's width, so 10 KB of pipes would become
	// two million cells, seconds of CPU and 20 MB of HTML on every view.
	mdNoTables = goldmark.New(goldmark.WithExtensions(extension.Linkify, extension.Strikethrough))

	policy = func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.AllowURLSchemes("http", "https", "mailto")
		p.RequireNoFollowOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(false)
		p.RequireNoReferrerOnLinks(true)
		return p
	}()
)

// Version names what Render produces. Pages show HTML rendered when the text
// was written, so raise it whenever the output for some input changes (a
// stricter policy, an upgraded goldmark or bluemonday, another extension):
// HTML of an older version then is shown as escaped source until the
// start-up backfill (service.BackfillHTML) has rendered it again.
const Version = 1

// conversions counts the Markdown conversions of this process.
var conversions atomic.Int64

// Conversions returns how many texts Render and PlainText have converted
// in this process so far, for tests that prove a read path converts none.
func Conversions() int64 { return conversions.Load() }

// errTooLarge stops a conversion whose output outgrows its input.
var errTooLarge = errors.New("markdown: rendered output too large")

// cappedBuffer refuses writes beyond max bytes, a second line of defence
// behind maxTableCells against input that renders out of proportion. Once a
// write fails, goldmark's buffered writer drops the rest cheaply. It has no
// method but Write, so no writer can go around the limit.
type cappedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > b.max {
		return 0, errTooLarge
	}
	return b.buf.Write(p)
}

// convert renders src with goldmark into at most 64 KiB plus 16 bytes per
// input byte; larger output is an error.
func convert(src string) (*bytes.Buffer, error) {
	conversions.Add(1)
	buf := &cappedBuffer{max: 64<<10 + 16*len(src)}
	conv := md
	if tableCells(src) > maxTableCells {
		conv = mdNoTables
	}
	if err := conv.Convert([]byte(src), buf); err != nil {
		return nil, err
	}
	return &buf.buf, nil
}

// maxTableCells bounds the cells a text's tables may have before it is
// rendered without tables (as plain paragraphs of pipes).
const maxTableCells = 20000

// tableCells overestimates the cells of src's tables: the widest delimiter
// row ("|---|:--|") times the number of lines.
func tableCells(src string) int {
	if !strings.Contains(src, "|") {
		return 0
	}
	width, lines := 0, strings.Count(src, "\n")+1
	for line := range strings.Lines(src) {
		line = strings.TrimSpace(line)
		if !strings.Contains(line, "-") || strings.Trim(line, "|-: \t") != "" {
			continue
		}
		width = max(width, strings.Count(line, "|")+1)
	}
	return width * lines
}

// Render turns Markdown into sanitized HTML. Input whose HTML would be out
// of proportion to its size is shown as escaped text instead.
func Render(src string) template.HTML {
	buf, err := convert(src)
	if err != nil {
		return template.HTML(template.HTMLEscapeString(src)) //nolint:gosec // escaped
	}
	return template.HTML(policy.SanitizeBytes(buf.Bytes())) //nolint:gosec // sanitized
}

// PlainText returns the text of Markdown without markup, for search and excerpts.
func PlainText(src string) string {
	buf, err := convert(src)
	if err != nil {
		return src
	}
	return TextOfHTML(buf.String())
}

// TextOfHTML returns the text of HTML without markup. Given what Render
// made of a text, it returns what PlainText returns for that text, without
// converting Markdown again: search documents take their text from the HTML
// stored with an item, so indexing it again (for a changed count, or a
// reindex) renders nothing.
//
// It scans rather than parses: a tag (quoted attribute values included)
// separates words, text between tags is unescaped, and runs of white space
// become one space. For the sanitized HTML it is given that is the text a
// parser finds, at a tenth of the cost (pages show excerpts of every card).
func TextOfHTML(h string) string {
	var b strings.Builder
	b.Grow(len(h))
	space := true // at the start, or after a space: drop further white space
	for len(h) > 0 {
		if h[0] == '<' {
			j, quote := 1, byte(0)
			for ; j < len(h); j++ {
				if c := h[j]; quote != 0 {
					if c == quote {
						quote = 0
					}
				} else if c == '"' || c == '\'' {
					quote = c
				} else if c == '>' {
					break
				}
			}
			h = h[min(j+1, len(h)):]
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		end := strings.IndexByte(h, '<')
		if end < 0 {
			end = len(h)
		}
		for _, r := range html.UnescapeString(h[:end]) {
			if r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r' {
				if !space {
					b.WriteByte(' ')
					space = true
				}
				continue
			}
			b.WriteRune(r)
			space = false
		}
		h = h[end:]
	}
	return strings.TrimRight(b.String(), " ")
}
