// Command ceiling is the bench's yardstick: a minimal Fiber app that renders
// an html/template page of a requested byte size from memory, with the
// template engine the server uses, so scripts/bench.sh can say what share
// of that ceiling a real page reaches on the same machine in the same run.
//
// GET /{bytes} answers a page of exactly that many bytes (at least the
// empty layout's size): a list of items padded to the size, rendered anew
// on every request. With -plain it executes html/template straight into
// the response instead: the engine holds a lock while it renders a page
// with a layout, so renders of one process do not run in parallel, and the
// plain ceiling shows what that lock costs.
package main

import (
	"bytes"
	"embed"
	"flag"
	"fmt"
	htmltemplate "html/template"
	"log"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/template/html/v2"
)

//go:embed templates
var templates embed.FS

type item struct {
	ID, Title, Author, Date, Text string
	Count                         int
}

type page struct {
	Title, Footer, Pad string
	Items              []item
}

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "listen address")
	plain := flag.Bool("plain", false, "execute html/template directly, without the engine's lock")
	flag.Parse()
	engine := html.NewFileSystem(http.FS(templates), ".html")
	engine.Directory = "templates"
	if err := engine.Load(); err != nil {
		log.Fatal(err)
	}
	direct := htmltemplate.Must(htmltemplate.New("layout").Funcs(htmltemplate.FuncMap{"embed": func() (htmltemplate.HTML, error) {
		return "", fmt.Errorf("embed is replaced at parse time")
	}}).ParseFS(templates, "templates/page.html"))
	layout, err := templates.ReadFile("templates/layout.html")
	if err != nil {
		log.Fatal(err)
	}
	direct = htmltemplate.Must(direct.New("plain").Parse(string(bytes.Replace(layout, []byte("{{embed}}"), []byte(`{{template "page.html" .}}`), 1))))
	app := fiber.New(fiber.Config{Views: engine, DisableStartupMessage: true})
	var pages sync.Map // byte size → *page
	app.Get("/:size", func(c *fiber.Ctx) error {
		size, err := strconv.Atoi(c.Params("size"))
		if err != nil || size < 1 || size > 16<<20 {
			return fiber.ErrBadRequest
		}
		p, ok := pages.Load(size)
		if !ok {
			np, err := pageOf(engine, size)
			if err != nil {
				return err
			}
			p, _ = pages.LoadOrStore(size, np)
		}
		if *plain {
			c.Type("html", "utf-8")
			return direct.ExecuteTemplate(c.Response().BodyWriter(), "plain", p)
		}
		return c.Render("page", p, "layout")
	})
	log.Fatal(app.Listen(*addr))
}

// pageOf builds the data whose rendering is size bytes long: as many items
// as fit, then padding. Items are alike, so each adds the same length.
func pageOf(engine *html.Engine, size int) (*page, error) {
	p := &page{Title: "Beteiligung: Radwege und Grünflächen", Footer: "Eine Seite aus dem Speicher, gerendert bei jeder Anfrage."}
	base, err := rendered(engine, p)
	if err != nil {
		return nil, err
	}
	p.Items = []item{newItem(0)}
	one, err := rendered(engine, p)
	if err != nil {
		return nil, err
	}
	n := 0
	if size > base {
		n = (size - base) / (one - base)
	}
	p.Items = make([]item, n)
	for i := range p.Items {
		p.Items[i] = newItem(i)
	}
	got, err := rendered(engine, p)
	if err != nil {
		return nil, err
	}
	if size > got {
		p.Pad = strings.Repeat("x", size-got)
	}
	if got, err = rendered(engine, p); err != nil {
		return nil, err
	}
	if got != size && size > base {
		return nil, fmt.Errorf("page of %d bytes asked, %d rendered", size, got)
	}
	return p, nil
}

// newItem returns item i; its rendered length does not depend on i.
func newItem(i int) item {
	return item{ID: fmt.Sprintf("%08x", i), Title: fmt.Sprintf("Vorschlag %06d: Sichere Radwege an Schulen", i),
		Author: "Anna B.", Date: "12.03.2026", Count: 10,
		Text: "Eltern & Kinder wünschen sich \"sichere\" Wege; die Stadt prüft Tempo 30 vor Schulen und mehr Grün."}
}

func rendered(engine *html.Engine, p *page) (int, error) {
	var b bytes.Buffer
	if err := engine.Render(&b, "page", p, "layout"); err != nil {
		return 0, err
	}
	return b.Len(), nil
}
