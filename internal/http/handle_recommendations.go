package http

import (
	"html/template"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// The public side of the council's work: the published recommendations,
// each in its newest published version with the decision, the evidence the
// public can see and the changelog of its versions. Anything not published
// answers 404 here, to everyone.

// publishedPerPage is the length of the public list.
const publishedPerPage = 20

func (s *Server) handlePublishedList(c *fiber.Ctx) error {
	var q publishedQuery
	err := s.parseQuery(c, &q)
	p := s.page(c, "recommendations.title")
	var list []*mitreden.Recommendation
	var total int
	f, ferr := q.filter()
	if err == nil {
		err = ferr
	}
	if f.PerPage == 0 {
		f.PerPage = publishedPerPage
	}
	if err == nil {
		list, total, err = s.deps.Council.ReadPublished(c.UserContext(), f)
	}
	status := fiber.StatusOK
	if formFailed(err) {
		status = fiber.StatusUnprocessableEntity
		s.fillForm(p, nil, err, map[string]string{"from": "rec-from", "to": "rec-to", "topic": "rec-topic"})
	} else if err != nil {
		return err
	}
	p.Values["topic"], p.Values["from"], p.Values["to"] = q.Topic, q.From, q.To
	page, per := mitreden.NormalizePage(f.Page, f.PerPage)
	p.Data = fiber.Map{"Items": list, "Total": total, "Filtered": f.Topic != "" || q.From != "" || q.To != ""}
	p.Pager = newPager(c, page, per, total)
	return s.render(c, status, "recommendations/list", p)
}

// publishedView is a published recommendation as its public page shows it.
type publishedView struct {
	*service.PublishedRecommendation
	BodyHTML template.HTML
}

func (s *Server) handlePublished(c *fiber.Ctx) error {
	p, err := s.publishedPage(c, c.Params("id"))
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "recommendations/show", p)
}

// publishedPage is the public page of a published recommendation with the
// citizens' discussion of it, for the page and for a comment shown again.
func (s *Server) publishedPage(c *fiber.Ctx, id string) (*Page, error) {
	pr, err := s.deps.Council.ReadPublishedRecommendation(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	var q proposalListQuery
	_ = s.parseQuery(c, &q) // an unknown comment order falls back to the default
	p := s.page(c, "")
	d, err := s.deps.Participation.ReadDiscussionPage(c.UserContext(), p.User, mitreden.TargetRecommendation, pr.ID, *q.discussionQuery())
	if err != nil {
		return nil, err
	}
	p.Title, p.TitleLang = pr.Title, pr.Lang
	p.Data = fiber.Map{"R": &publishedView{PublishedRecommendation: pr,
		BodyHTML: template.HTML(pr.Version.BodyHTML)}, //nolint:gosec // sanitized when saved
		"CanComment": s.perm(p, d.CanComment), "Comments": s.commentViews(d.Comments), "CommentTotal": d.Visible,
		"CommentSort": d.Order, "CommentPager": newCommentPager(c, d)}
	return p, nil
}
