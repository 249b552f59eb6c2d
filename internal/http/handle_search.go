package http

import (
	"cmp"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/microcosm-cc/bluemonday"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// searchRequest is the query string of the search page and API.
type searchRequest struct {
	Q            string   `query:"q" json:"q" validate:"max=1000"`
	Type         []string `query:"type" json:"type" validate:"max=10,dive,search_type"`
	Consultation []string `query:"consultation" json:"consultation" validate:"max=20,dive,max=64"`
	Status       []string `query:"status" json:"status" validate:"max=20,dive,max=40"`
	Topic        []string `query:"topic" json:"topic" validate:"max=20,dive,max=80"`
	Region       string   `query:"region" json:"region" validate:"max=120"`
	From         string   `query:"from" json:"from" validate:"omitempty,datetime=2006-01-02"`
	To           string   `query:"to" json:"to" validate:"omitempty,datetime=2006-01-02"`
	Sort         string   `query:"sort" json:"sort" validate:"omitempty,search_sort"`
	Page         int      `query:"page" json:"page" validate:"min=0,max=1000"`
	PerPage      int      `query:"per_page" json:"per_page" validate:"min=0,max=100"`
}

// query turns the request into a domain query; the service decides whose.
func (r *searchRequest) query() mitreden.SearchQuery {
	q := mitreden.SearchQuery{Text: r.Q, Types: r.Type, ConsultationIDs: r.Consultation, Statuses: r.Status,
		Topics: r.Topic, Region: strings.TrimSpace(r.Region), Sort: r.Sort, Page: r.Page, PerPage: r.PerPage}
	if t, err := time.ParseInLocation("2006-01-02", r.From, berlin); err == nil {
		q.From = t.UTC()
	}
	if t, err := time.ParseInLocation("2006-01-02", r.To, berlin); err == nil {
		q.To = t.AddDate(0, 0, 1).UTC() // inclusive end date
	}
	return q
}

func (r *searchRequest) hasFilter() bool { return r.activeFilters() > 0 }

// activeFilters counts the filters set, shown on the collapsed filters.
func (r *searchRequest) activeFilters() int {
	n := len(r.Type) + len(r.Consultation) + len(r.Status) + len(r.Topic)
	for _, v := range []string{r.Region, r.From, r.To} {
		if strings.TrimSpace(v) != "" {
			n++
		}
	}
	return n
}

// highlightPolicy lets only <mark> through: the searcher escapes everything
// else already, this is the second line of defence.
var highlightPolicy = bluemonday.NewPolicy().AllowElements("mark")

func safeHighlight(s string) template.HTML {
	return template.HTML(highlightPolicy.Sanitize(s)) //nolint:gosec // sanitized to <mark> only
}

// searchHitView is one result on the page.
type searchHitView struct {
	mitreden.SearchHit
	// TitleSafe is the heading: the highlighted title, or for a comment
	// "Kommentar zu „…“" with the title of what it belongs to.
	TitleSafe   template.HTML
	ExcerptSafe template.HTML
	// HeadingLang is the language of TitleSafe as a whole; empty when a
	// heading in the page's words marks its title itself.
	HeadingLang string
	TypeLabel   string
	// Counts are the translated counts the result shows: supports and
	// comments of a proposal, how often a comment was found helpful.
	Counts []string
}

// facetView is one checkbox of a facet.
type facetView struct {
	Name, Value, Label, ID string
	Count                  int
	Checked                bool
}

// facetGroup is one facet's fieldset, in the order the page shows them.
type facetGroup struct {
	Name   string
	Values []facetView
}

// searchFacetOrder is the order of the facet fieldsets: what kind of
// contribution first.
var searchFacetOrder = []string{mitreden.FacetType, mitreden.FacetStatus, mitreden.FacetTopic}

// searchTitleQueryMax bounds how much of the query a page title repeats.
const searchTitleQueryMax = 60

// searchTitle is the <title> of a search page: the query, so the browser's
// tabs and history tell searches apart, and the page number past the first.
func searchTitle(p *Page, q string, page int) string {
	q = strings.Join(strings.Fields(q), " ")
	if q == "" {
		return p.Tr("search.title")
	}
	if r := []rune(q); len(r) > searchTitleQueryMax {
		q = string(r[:searchTitleQueryMax-1]) + "…"
	}
	if page > 1 {
		return p.Tr("search.title_query_page", "query", q, "page", page)
	}
	return p.Tr("search.title_query", "query", q)
}

// countLabel translates a count with the key's ".one" or ".other" form.
func countLabel(p *Page, key string, n int) string {
	if n == 1 {
		return p.Tr(key + ".one")
	}
	return p.Tr(key+".other", "count", n)
}

func (s *Server) parseSearch(c *fiber.Ctx) (*searchRequest, error) {
	var req searchRequest
	if err := c.QueryParser(&req); err != nil {
		return nil, badRequest("error.bad_request", "")
	}
	if err := s.check(&req); err != nil {
		return &req, err
	}
	return &req, nil
}

func (s *Server) handleSearch(c *fiber.Ctx) error {
	p := s.page(c, "search.title")
	req, err := s.parseSearch(c)
	if req == nil {
		return err
	}
	p.SearchQuery = req.Q
	p.Title = searchTitle(p, req.Q, req.Page)
	// Once something is searched, the results come first and the filters
	// fold away into their disclosure.
	collapsed := strings.TrimSpace(req.Q) != "" || req.hasFilter()
	data := fiber.Map{"Req": req, "Searched": false, "Collapsed": collapsed, "ActiveFilters": req.activeFilters()}
	p.Data = data
	if err == nil && (strings.TrimSpace(req.Q) != "" || req.hasFilter()) {
		var res *mitreden.SearchResult
		res, err = s.deps.Searching.Search(c.UserContext(), p.User, req.query())
		if err == nil {
			data["Searched"] = true
			data["Result"] = res
			data["Hits"] = s.hitViews(p, res)
			data["Facets"] = s.facetViews(p, req, res)
			p.Pager = newPager(c, res.Page, res.PerPage, res.Total)
		}
	}
	status := fiber.StatusOK
	if err != nil {
		switch mitreden.ErrorCode(err) {
		case mitreden.EINVALID, ebadRequest:
			status = fiber.StatusUnprocessableEntity
		case mitreden.EUNAVAILABLE:
			status = fiber.StatusServiceUnavailable
			c.Set(fiber.HeaderRetryAfter, "5")
		default:
			return err
		}
		p.Errors = s.formErrors(p.Lang, err)
		for i := range p.Errors {
			if p.Errors[i].Field == "q" || p.Errors[i].Field == "" && status == fiber.StatusUnprocessableEntity {
				p.Errors[i].Field = "search-q"
			}
		}
	}
	return s.render(c, status, "pages/search", p)
}

func (s *Server) hitViews(p *Page, res *mitreden.SearchResult) []searchHitView {
	out := make([]searchHitView, 0, len(res.Items))
	for _, h := range res.Items {
		title := h.TitleHTML
		var heading template.HTML
		headingLang := cmp.Or(h.TitleLang, h.Lang)
		switch {
		case h.Type == mitreden.SearchTypeComment && h.ContextTitle != "":
			// A comment has no title of its own: its heading names it a
			// comment on the proposal or consultation it belongs to.
			heading, headingLang = phraseWithTitle(p, "search.comment_on", h.ContextTitle, headingLang), ""
		case h.Title == "":
			title = template.HTMLEscapeString(h.ContextTitle)
		case title == "":
			title = template.HTMLEscapeString(h.Title)
		}
		var counts []string
		if h.Type == mitreden.SearchTypeComment {
			// The page that holds the comment depends on the thread's
			// length now: the link resolves it (handleCommentLink).
			h.URL = "/comments/" + url.PathEscape(h.ItemID)
			// A comment's Supports are its "hilfreich" votes.
			if h.Supports > 0 {
				counts = append(counts, p.Tr("search.helpful", "count", h.Supports))
			}
		} else {
			if h.Supports > 0 {
				counts = append(counts, countLabel(p, "search.count.supports", h.Supports))
			}
			if h.Comments > 0 {
				counts = append(counts, countLabel(p, "search.count.comments", h.Comments))
			}
		}
		if heading == "" {
			heading = safeHighlight(title)
		}
		out = append(out, searchHitView{SearchHit: h, TitleSafe: heading, ExcerptSafe: safeHighlight(h.Excerpt),
			HeadingLang: headingLang, TypeLabel: p.Tr("search.type." + h.Type), Counts: counts})
	}
	return out
}

// phraseWithTitle is the translation of key with its "title" argument
// marked as written in lang where that is not the page's language: in
// "Kommentar zu „Open data for all“" only the title is English.
func phraseWithTitle(p *Page, key, title, lang string) template.HTML {
	const slot = "\x00"
	inner := template.HTMLEscapeString(title)
	if attr := p.LangAttr(lang); attr != "" {
		inner = "<span" + string(attr) + ">" + inner + "</span>"
	}
	before, after, ok := strings.Cut(p.Tr(key, "title", slot), slot)
	if !ok {
		return template.HTML(template.HTMLEscapeString(p.Tr(key, "title", title))) //nolint:gosec // escaped
	}
	return template.HTML(template.HTMLEscapeString(before) + inner + template.HTMLEscapeString(after)) //nolint:gosec // escaped
}

func (s *Server) facetViews(p *Page, req *searchRequest, res *mitreden.SearchResult) []facetGroup {
	chosen := map[string][]string{mitreden.FacetType: req.Type, mitreden.FacetStatus: req.Status, mitreden.FacetTopic: req.Topic}
	var out []facetGroup
	for _, name := range searchFacetOrder {
		var values []facetView
		for i, f := range res.Facets[name] {
			label := f.Value
			if name != mitreden.FacetTopic {
				if k := "search." + name + "." + f.Value; s.cat.Has("de", k) {
					label = p.Tr(k)
				}
			}
			checked := false
			for _, v := range chosen[name] {
				checked = checked || v == f.Value
			}
			values = append(values, facetView{Name: name, Value: f.Value, Label: label, Count: f.Count, Checked: checked,
				ID: "facet-" + name + "-" + itoa(i)})
		}
		// Keep chosen values visible even when the result has none of them.
		for _, v := range chosen[name] {
			found := false
			for _, f := range values {
				found = found || f.Value == v
			}
			if !found {
				values = append(values, facetView{Name: name, Value: v, Label: v, Checked: true, ID: "facet-" + name + "-x" + itoa(len(values))})
			}
		}
		if len(values) > 0 {
			out = append(out, facetGroup{Name: name, Values: values})
		}
	}
	return out
}

// handleSearchSuggest answers the as-you-type request with a short list (htmx).
func (s *Server) handleSearchSuggest(c *fiber.Ctx) error {
	p := s.page(c, "")
	req, err := s.parseSearch(c)
	var hits []searchHitView
	if err == nil && len([]rune(strings.TrimSpace(req.Q))) >= 2 {
		q := req.query()
		q.PerPage, q.Page = 6, 1
		if res, serr := s.deps.Searching.Search(c.UserContext(), p.User, q); serr == nil {
			hits = s.hitViews(p, res)
		}
	}
	p.Data = fiber.Map{"Hits": hits, "Q": c.Query("q")}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return s.views.render(c, "partials/suggest", p, false)
}

// searchItemJSON is one API result.
type searchItemJSON struct {
	Type              string    `json:"type"`
	ID                string    `json:"id"`
	Title             string    `json:"title"`
	Excerpt           string    `json:"excerpt"`
	URL               string    `json:"url"`
	ConsultationID    string    `json:"consultation_id,omitempty"`
	ConsultationTitle string    `json:"consultation_title,omitempty"`
	Status            string    `json:"status,omitempty"`
	Topics            []string  `json:"topics"`
	Region            string    `json:"region,omitempty"`
	CreatedAt         time.Time `json:"created_at"`
	Supports          int       `json:"supports"`
	Comments          int       `json:"comments"`
	// Lang is the language of the excerpt, TitleLang of the title and
	// ConsultationLang of the consultation's title ("de" or "en").
	Lang             string `json:"lang"`
	TitleLang        string `json:"title_lang"`
	ConsultationLang string `json:"consultation_lang,omitempty"`
}

// facetJSON is a value with its count.
type facetJSON struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// searchJSON is the API answer.
type searchJSON struct {
	Items      []searchItemJSON       `json:"items"`
	Total      int                    `json:"total"`
	Page       int                    `json:"page"`
	PerPage    int                    `json:"per_page"`
	Facets     map[string][]facetJSON `json:"facets"`
	Suggestion string                 `json:"suggestion,omitempty"`
}

func (s *Server) apiSearch(c *fiber.Ctx) error {
	req, err := s.parseSearch(c)
	if err != nil {
		return err
	}
	res, err := s.deps.Searching.Search(c.UserContext(), userOf(c), req.query())
	if err != nil {
		return err
	}
	out := searchJSON{Items: []searchItemJSON{}, Total: res.Total, Page: res.Page, PerPage: res.PerPage,
		Facets: map[string][]facetJSON{"type": {}, "status": {}, "topic": {}}, Suggestion: res.Suggestion}
	for _, h := range res.Items {
		topics := h.Topics
		if topics == nil {
			topics = []string{}
		}
		out.Items = append(out.Items, searchItemJSON{Type: h.Type, ID: h.ItemID, Title: cmp.Or(h.Title, h.ContextTitle),
			Excerpt: string(safeHighlight(h.Excerpt)), URL: h.URL, ConsultationID: h.ConsultationID,
			ConsultationTitle: h.ConsultationTitle, Status: h.Status, Topics: topics, Region: h.Region,
			CreatedAt: h.CreatedAt, Supports: h.Supports, Comments: h.Comments,
			Lang: h.Lang, TitleLang: cmp.Or(h.TitleLang, h.Lang), ConsultationLang: h.ConsultationLang})
	}
	for name, fs := range res.Facets {
		for _, f := range fs {
			out.Facets[name] = append(out.Facets[name], facetJSON{Value: f.Value, Count: f.Count})
		}
	}
	return sendJSON(c, fiber.StatusOK, out)
}
