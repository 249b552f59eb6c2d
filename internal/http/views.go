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
	sets map[string]*template.Template
}

// layoutName is the layout every page renders in; it places the page with
// {{template "content" .}}.
const layoutName = "layouts/main"

// loadViews parses every .html file of fsys, named by its path without the
// extension ("proposals/show"), with funcs.
func loadViews(fsys fs.FS, funcs template.FuncMap) (*views, error) {
	base := template.New("").Funcs(funcs)
	sources := map[string]string{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".html" {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(p, ".html")
		sources[name] = string(b)
		_, err = base.New(name).Parse(string(b))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	if base.Lookup(layoutName) == nil {
		return nil, fmt.Errorf("templates: no %s", layoutName)
	}
	v := &views{sets: make(map[string]*template.Template, len(sources))}
	for name, src := range sources {
		set, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("templates: %s: %w", name, err)
		}
		if _, err := set.New("content").Parse(src); err != nil {
			return nil, fmt.Errorf("templates: %s: %w", name, err)
		}
		v.sets[name] = set
	}
	return v, nil
}

var viewBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render executes template name (inside the layout when layout is true)
// into c's body. Nothing is written when it fails.
func (v *views) render(c *fiber.Ctx, name string, data any, layout bool) error {
	set := v.sets[name]
	if set == nil {
		return fmt.Errorf("render: no template %s", name)
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
