package http

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// views holds the templates, each prepared to render on its own or inside
// the layout: one template set per template, cloned from the parsed whole
// before any ran, in which "content" is that template. Pages of any kind
// render concurrently (Fiber's html engine rebinds the layout's embed
// function per render and so renders one page with a layout at a time).
type views struct {
	base *template.Template
	sets map[string]*view
}

// view is one page's template set: the shared templates and the page as
// "content". It is built at the page's first render: html/template's
// Clone copies every parse tree, so building all sets at start cost
// time proportional to the square of the number of templates.
type view struct {
	src  string
	once sync.Once
	set  *template.Template
	err  error
}

// layoutName is the layout every page renders in; it places the page with
// {{template "content" .}}.
const layoutName = "layouts/main"

// loadViews parses every .html file of fsys, named by its path without the
// extension ("proposals/show"), with funcs. Every file is parsed here, so
// a syntax error stops the start.
func loadViews(fsys fs.FS, funcs template.FuncMap) (*views, error) {
	base := template.New("").Funcs(funcs)
	v := &views{base: base, sets: map[string]*view{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".html" {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(p, ".html")
		v.sets[name] = &view{src: string(b)}
		_, err = base.New(name).Parse(string(b))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	if base.Lookup(layoutName) == nil {
		return nil, fmt.Errorf("templates: no %s", layoutName)
	}
	return v, nil
}

// set returns page name's template set, building it at the first call.
func (v *views) set(name string) (*template.Template, error) {
	pv := v.sets[name]
	if pv == nil {
		return nil, fmt.Errorf("render: no template %s", name)
	}
	pv.once.Do(func() {
		set, err := v.base.Clone()
		if err == nil {
			_, err = set.New("content").Parse(pv.src)
		}
		if err != nil {
			pv.err = fmt.Errorf("templates: %s: %w", name, err)
			return
		}
		pv.set = set
	})
	return pv.set, pv.err
}

var viewBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render executes template name (inside the layout when layout is true)
// into c's body. Nothing is written when it fails.
func (v *views) render(c *fiber.Ctx, name string, data any, layout bool) error {
	set, err := v.set(name)
	if err != nil {
		return err
	}
	run := name
	if layout {
		run = layoutName
	}
	buf := viewBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<20 {
			buf.Reset()
			viewBuffers.Put(buf)
		}
	}()
	if err := set.ExecuteTemplate(buf, run, data); err != nil {
		return err
	}
	c.Response().SetBody(buf.Bytes())
	return nil
}
