package markdown

import (
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// Links counts the links to other sites that Render makes of src: inline
// and reference links, <…> autolinks, and the addresses that stand bare in
// the text (http://, https://, www.), whose target is a web address
// (http://, https://, www. or protocol-relative //). Addresses in code and
// e-mail links are not counted, as they are no such links on the page. It
// parses without rendering, with the parser Render uses.
func Links(src string) int {
	conv := md
	if tableCells(src) > maxTableCells {
		conv = mdNoTables
	}
	source := []byte(src)
	doc := conv.Parser().Parse(text.NewReader(source))
	n := 0
	_ = ast.Walk(doc, func(node ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch l := node.(type) {
		case *ast.Link:
			if isWebAddress(string(l.Destination)) {
				n++
			}
		case *ast.AutoLink:
			if l.AutoLinkType == ast.AutoLinkURL && isWebAddress(string(l.URL(source))) {
				n++
			}
		}
		return ast.WalkContinue, nil
	})
	return n
}

// isWebAddress tells whether a link target leads to a web page elsewhere.
func isWebAddress(dest string) bool {
	d := strings.ToLower(strings.TrimSpace(dest))
	for _, p := range []string{"http://", "https://", "www.", "//"} {
		if strings.HasPrefix(d, p) {
			return true
		}
	}
	return false
}
