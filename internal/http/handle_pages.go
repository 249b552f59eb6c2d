package http

import (
	"github.com/gofiber/fiber/v2"
)

func (s *Server) handleHome(c *fiber.Ctx) error {
	p := s.page(c, "home.title")
	return s.render(c, fiber.StatusOK, "pages/home", p)
}

// staticPages are the legal and accessibility pages linked from the footer.
var staticPages = []string{"impressum", "datenschutz", "barrierefreiheit", "leichte-sprache"}

// section is a heading with its paragraphs.
type section struct {
	Heading    string
	Paragraphs []string
}

func (s *Server) handleStaticPage(name string) fiber.Handler {
	key := "page." + map[string]string{"leichte-sprache": "leichte_sprache"}[name]
	if key == "page." {
		key += name
	}
	return func(c *fiber.Ctx) error {
		p := s.page(c, key+".title")
		if name == "leichte-sprache" {
			// Easy Language is German by definition.
			p.Lang = "de"
			p.Title = p.Tr(key + ".title")
		}
		var sections []section
		for i := 1; ; i++ {
			hk, bk := key+".h"+itoa(i), key+".p"+itoa(i)
			if !s.cat.Has("de", bk) {
				break
			}
			sec := section{Paragraphs: paragraphs(p.Tr(bk))}
			if s.cat.Has("de", hk) {
				sec.Heading = p.Tr(hk)
			}
			sections = append(sections, sec)
		}
		data := fiber.Map{"Sections": sections}
		if name == "barrierefreiheit" || name == "impressum" {
			data["Contact"] = s.cfg.ContactEmail
		}
		p.Data = data
		return s.render(c, fiber.StatusOK, "pages/static", p)
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
