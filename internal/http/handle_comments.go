package http

import (
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/service"
)

// A discussion shows one page of top-level comments with their replies at
// a time (service.CommentsPerPage); these are the links between its pages
// and to one comment, plain links that work without JavaScript.

// commentPager links the pages of a discussion: the parameter cpage next to
// whatever else the page's address holds (the proposal list's page and
// filters on a consultation), landing at the discussion.
type commentPager struct {
	Page, Pages int
	// InPlace is set when htmx asked for the page to append it below the
	// one shown: its list then takes the focus the link had.
	InPlace bool
	base    string
	query   url.Values
}

func newCommentPager(c *fiber.Ctx, d *service.Discussion) *commentPager {
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	c.Vary("HX-Request") // the list of a page asked in place takes the focus
	return &commentPager{Page: d.Page, Pages: d.Pages(), InPlace: c.Get("HX-Request") == "true", base: c.Path(), query: q}
}

// Href links to page n of the discussion.
func (p *commentPager) Href(n int) string {
	q := url.Values{}
	for k, v := range p.query {
		q[k] = v
	}
	q.Del("cpage")
	if n > 1 {
		q.Set("cpage", strconv.Itoa(n))
	}
	if len(q) == 0 {
		return p.base + "#comments"
	}
	return p.base + "?" + q.Encode() + "#comments"
}

// discussionQuery is the discussion page a proposal or consultation page
// asks for.
func (q *proposalListQuery) discussionQuery() *service.DiscussionQuery {
	return &service.DiscussionQuery{Order: service.CommentOrder(q.CommentOrder), Page: q.CommentPage}
}

// handleCommentLink opens the page of the discussion that shows a comment,
// at the comment: the address search results and redirects after a write
// link one comment with, since the fragment of /proposals/{id}#comment-{cid}
// alone cannot tell the server which page holds it.
func (s *Server) handleCommentLink(c *fiber.Ctx) error {
	id := c.Params("id")
	loc, err := s.deps.Participation.LocateComment(c.UserContext(), id)
	if err != nil {
		return err
	}
	to := "/" + loc.TargetType + "s/" + url.PathEscape(loc.TargetID)
	if loc.Page > 1 {
		to += "?cpage=" + strconv.Itoa(loc.Page)
	}
	return c.Redirect(to+"#comment-"+url.PathEscape(id), fiber.StatusSeeOther)
}

// replyFormIDs maps the fields of the reply form to its inputs.
var replyFormIDs = map[string]string{"body": "reply-body"}

// handleCommentReply shows one comment with the form that answers it: a page
// of its own, so that a page of a discussion carries no reply form per
// comment (three quarters of its HTML for a logged-in reader).
func (s *Server) handleCommentReply(c *fiber.Ctx) error {
	return s.renderCommentReply(c, fiber.StatusOK, c.Params("id"), nil, nil)
}

// renderCommentReply renders the reply page of comment id, with the values
// and field errors of a failed reply when err is set.
func (s *Server) renderCommentReply(c *fiber.Ctx, status int, id string, values map[string]string, err error) error {
	p := s.page(c, "comments.reply_title")
	it, rerr := s.deps.Participation.ReadComment(c.UserContext(), p.User, id)
	if rerr != nil {
		return rerr
	}
	s.fillForm(p, values, err, replyFormIDs)
	p.Data = fiber.Map{"C": s.commentViews([]*service.CommentItem{it})[0], "CanReply": s.perm(p, it.CanReply),
		"Action": "/" + it.TargetType + "s/" + it.TargetID + "/comments", "Back": commentURL(it.Comment)}
	return s.render(c, status, "comments/reply", p)
}
