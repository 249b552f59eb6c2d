package http

import (
	"html/template"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// homeOpenLimit is how many open consultations the home page lists; more
// are a link to the filtered list away.
const homeOpenLimit = 10

// homeExcerptRunes is the length of a consultation's summary on the home page.
const homeExcerptRunes = 200

// homeView is the home page's model: what is open now, and whether people
// can take part by letter or phone.
type homeView struct {
	Consultations []homeConsultation
	More          bool
	Offline       *offlineContact // nil: no postal contact is configured, so no promise
}

// homeConsultation is an open consultation as a first-time visitor needs it.
type homeConsultation struct {
	ID, Title, Excerpt string
	Lang               string // of title and excerpt
	ClosesAt           time.Time
	ClosesISO          string
	Took               string // how many took part, as a sentence
}

// offlineContact is where letters and calls go.
type offlineContact struct {
	Name      string
	Address   []string
	Phone     string
	PhoneHref template.URL
}

func (s *Server) offlineContact() *offlineContact {
	op := s.cfg.Operator
	if !op.PostalContact() {
		return nil
	}
	return &offlineContact{Name: op.Name, Address: op.Address, Phone: op.Phone, PhoneHref: telHref(op.Phone)}
}

func (s *Server) handleHome(c *fiber.Ctx) error {
	p := s.page(c, "home.title")
	v := homeView{Offline: s.offlineContact()}
	if s.deps.Participation != nil {
		home, err := s.deps.Participation.ReadHome(c.UserContext(), p.User, homeOpenLimit)
		if err != nil {
			return err
		}
		list := home.Consultations
		// The one closing first is the one a visitor must not miss.
		sort.SliceStable(list, func(i, j int) bool { return list[i].ClosesAt.Before(list[j].ClosesAt) })
		for _, it := range list {
			v.Consultations = append(v.Consultations, homeConsultation{ID: it.ID, Title: it.Title, Lang: it.Lang,
				Excerpt: excerpt(it.Summary, homeExcerptRunes), ClosesAt: it.ClosesAt,
				ClosesISO: it.ClosesAt.UTC().Format(time.RFC3339), Took: tookPart(p, home.Participants[it.ID], it.ProposalCount, it.CommentCount)})
		}
		v.More = home.Total > len(list)
	}
	p.Data = v
	return s.render(c, fiber.StatusOK, "pages/home", p)
}

// tookPart says how many people took part in a consultation and how many
// proposals and comments it has, in words.
func tookPart(p *Page, people, proposals, comments int) string {
	if people == 0 && proposals == 0 && comments == 0 {
		return p.Tr("home.took_part.none")
	}
	tk, pk, ck := "home.took_part.other", "home.proposals.other", "home.comments.other"
	if people == 1 {
		tk = "home.took_part.one"
	}
	if proposals == 1 {
		pk = "home.proposals.one"
	}
	if comments == 1 {
		ck = "home.comments.one"
	}
	return p.Tr(tk, "count", people, "proposals", p.Tr(pk, "count", proposals), "comments", p.Tr(ck, "count", comments))
}

// excerpt shortens s to at most n characters at a word boundary.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := string([]rune(s)[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:.–-") + " …"
}

// staticPages are the legal and accessibility pages linked from the footer.
var staticPages = []string{"impressum", "datenschutz", "barrierefreiheit", "leichte-sprache"}

// section is a heading with its paragraphs.
type section struct {
	Heading    string
	Paragraphs []string
}

// legalView is the model of the imprint, privacy notice and accessibility
// statement: the operator's facts, ready to show.
type legalView struct {
	Op          Operator
	Site        string // the installation's public address
	PhoneHref   template.URL
	Officer     [][]textPart
	Authority   [][]textPart
	Enforcement [][]textPart
	Feedback    string // e-mail for feedback on accessibility
	Reviewed    string // date of the last review, in the page's language
	// DataParagraphs explain the processing in the privacy notice.
	DataParagraphs []string
	Compliance     string // full, partial or unknown
	Offline        *offlineContact
}

func (s *Server) handleStaticPage(name string) fiber.Handler {
	switch name {
	case "impressum", "datenschutz", "barrierefreiheit":
		return s.handleLegalPage(name)
	}
	key := "page." + strings.ReplaceAll(name, "-", "_")
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
		p.Data = fiber.Map{"Sections": sections, "Offline": s.offlineContact()}
		return s.render(c, fiber.StatusOK, "pages/static", p)
	}
}

// handleLegalPage renders the imprint, the privacy notice or the
// accessibility statement from the operator's settings.
func (s *Server) handleLegalPage(name string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := s.page(c, "page."+name+".title")
		op := s.cfg.Operator
		v := legalView{Op: op, PhoneHref: telHref(op.Phone), Officer: linkLines(op.DataProtectionOfficer),
			Authority: linkLines(op.SupervisoryAuthority), Enforcement: linkLines(op.EnforcementBody),
			Feedback: s.cfg.ContactEmail, Offline: s.offlineContact(), Site: s.cfg.BaseURL}
		if name == "datenschutz" {
			v.DataParagraphs = paragraphs(p.Tr("page.datenschutz.data"))
		}
		if v.Feedback == "" {
			v.Feedback = op.Email
		}
		if !op.AccessibilityReviewed.IsZero() {
			v.Reviewed = p.FormatDate(op.AccessibilityReviewed)
		}
		switch {
		case op.AccessibilityReviewed.IsZero() || (len(op.KnownBarriers) == 0 && !op.NoKnownBarriers):
			v.Compliance = "unknown"
		case len(op.KnownBarriers) > 0:
			v.Compliance = "partial"
		default:
			v.Compliance = "full"
		}
		p.Data = v
		return s.render(c, fiber.StatusOK, "pages/"+name, p)
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
