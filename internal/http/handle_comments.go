package http

import (
	"bytes"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
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
	if s.flashAnchorOf(c) == "comment-"+id {
		// After a write: at its confirmation, which takes the focus.
		return c.Redirect(to+"#confirmation", fiber.StatusSeeOther)
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
	p.ErrorsAt = "reply"
	p.Data = fiber.Map{"C": s.commentViews([]*service.CommentItem{it})[0], "CanReply": s.perm(p, it.CanReply),
		"Action": "/" + it.TargetType + "s/" + it.TargetID + "/comments", "Back": commentURL(it.Comment)}
	return s.render(c, status, "comments/reply", p)
}

// Nothing typed into a comment form is lost: a text that is empty or too
// long comes back with its error at the field and in a summary at the form;
// a text sent after the session ended or with a stale form token comes back
// on a page of its own (renderDraft), where a login sends it. The proposal
// forms (new and edit) come back there too, with title and topics.

// commentLimit is the limit of a comment as the page's language writes
// numbers: "5.000" in German, "5,000" in English.
func (p *Page) CommentLimit() string { return groupDigits(p.Lang, mitreden.CommentBodyMax) }

// CommentMax is the limit of a comment, for the counter forms.js shows.
func (p *Page) CommentMax() int { return mitreden.CommentBodyMax }

// groupDigits writes n with thousands separators.
func groupDigits(lang string, n int) string {
	s := strconv.Itoa(n)
	sep := "."
	if lang == "en" {
		sep = ","
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + sep + s[i:]
	}
	return s
}

// ErrorsFor returns the page for the error summary of the form id when
// the page's errors belong to that form (ErrorsAt), else nil.
func (p *Page) ErrorsFor(id string) *Page {
	if len(p.Errors) == 0 || p.ErrorsAt != id {
		return nil
	}
	q := *p
	q.ErrorsAt = ""
	return &q
}

// ValidUntil says until when a form on this page stays valid: the end of
// the session unless a request comes first, as a time of day in
// Europe/Berlin. Empty when logged out.
func (p *Page) ValidUntil() string {
	if p.SessionEnds.IsZero() {
		return ""
	}
	return clockTime(p.Lang, p.SessionEnds)
}

// clockTime writes the time of day of t in Europe/Berlin. Minutes are cut,
// not rounded, so the time said is never later than the real one.
func clockTime(lang string, t time.Time) string {
	if lang == "en" {
		return t.In(berlin).Format("15:04")
	}
	return t.In(berlin).Format("15:04") + " Uhr"
}

// SessionSeconds is how many seconds the session has left, and
// SessionWarnSeconds how many before its end the page warns (five minutes,
// or a third of what is left when that is shorter): what the script that
// offers to extend the session counts with.
func (p *Page) SessionSeconds() int { return int(p.SessionLeft / time.Second) }

// SessionWarnSeconds: see SessionSeconds.
func (p *Page) SessionWarnSeconds() int {
	return int(min(5*time.Minute, p.SessionLeft/3) / time.Second)
}

// normalizeNewlines makes the line breaks of a form's text field LF before
// the form is read: browsers send CRLF, and a text must count as many
// characters as the person sees (and the counter shows).
func normalizeNewlines(c *fiber.Ctx, key string) {
	args := c.Request().PostArgs()
	if v := args.Peek(key); bytes.Contains(v, []byte("\r\n")) {
		args.Set(key, strings.ReplaceAll(string(v), "\r\n", "\n"))
	}
}

// commentBodyErrors words the length errors of a comment's text for the
// person who typed it: an empty text asks for one, a long one says by how
// much it is over the limit, whether the request shape or the domain
// found it, with numbers as lang writes them.
func commentBodyErrors(err error, body, lang string) error {
	var de *mitreden.Error
	if !errors.As(err, &de) || len(de.Fields) == 0 {
		return err
	}
	out := *de
	out.Fields = append([]mitreden.FieldError(nil), de.Fields...)
	n := utf8.RuneCountInString(strings.TrimSpace(body))
	for i, f := range out.Fields {
		if f.Field != "body" {
			continue
		}
		switch {
		case n == 0:
			out.Fields[i].Message, out.Fields[i].Args = "comments.body_empty", nil
		case n > mitreden.CommentBodyMax:
			out.Fields[i].Message = "comments.body_too_long"
			out.Fields[i].Args = map[string]any{"over": groupDigits(lang, n-mitreden.CommentBodyMax), "max": groupDigits(lang, mitreden.CommentBodyMax)}
		}
	}
	return &out
}

// refusedWhileTyping tells whether err refuses a comment for a reason the
// person could not see while writing it: the consultation closed, comments
// were switched off, the comment answered was deleted, the account was
// blocked, or what it discusses is gone.
func refusedWhileTyping(err error) bool {
	switch mitreden.ErrorCode(err) {
	case mitreden.ECONFLICT, mitreden.EFORBIDDEN, mitreden.ENOTFOUND, mitreden.ERATELIMITED:
		return true
	}
	return false
}

// retryLater sets Retry-After on a form shown again because a posting limit
// refused it (429), and tells whether it did.
func retryLater(c *fiber.Ctx, err error) bool {
	var de *mitreden.Error
	if !errors.As(err, &de) || de.Code != mitreden.ERATELIMITED {
		return false
	}
	if de.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(de.RetryAfter))
	}
	return true
}

// renderCommentFailed shows the page a comment or reply was written on
// again, with the text kept: a text that was too long or empty in its form
// with the error at the field (422); a refusal (refusedWhileTyping) in the
// summary, which takes the focus, with the text in the form where writing
// is still possible, else in a read-only field to copy. Where the page
// itself is gone the text comes back on a page of its own.
func (s *Server) renderCommentFailed(c *fiber.Ctx, targetType, id string, req *commentRequest, err error) error {
	status := fiber.StatusUnprocessableEntity
	if !formFailed(err) {
		status = statusOf[mitreden.ErrorCode(err)]
	}
	retryLater(c, err)
	values := map[string]string{"body": req.Body, "alignment": req.Alignment, "lang": req.Lang}
	var rerr error
	if req.ParentID != "" {
		rerr = s.renderCommentReply(c, status, req.ParentID, values, err)
	} else {
		var p *Page
		name := "proposals/show"
		switch targetType {
		case mitreden.TargetProposal:
			p, rerr = s.proposalPage(c, id)
		case mitreden.TargetRecommendation:
			p, rerr = s.publishedPage(c, id)
			name = "recommendations/show"
		default:
			p, rerr = s.consultationPage(c, id)
			name = "consultations/show"
		}
		if rerr == nil {
			s.fillForm(p, values, err, commentFormIDs)
			p.ErrorsAt = "new-comment"
			return s.render(c, status, name, p)
		}
	}
	if mitreden.ErrorCode(rerr) != mitreden.ENOTFOUND {
		return rerr
	}
	p := s.page(c, "draft.title")
	p.Values["body"] = req.Body
	p.Errors = []ViewError{{Message: p.Tr("comments.target_gone")}}
	p.ErrorsAt = "refused"
	p.Data = fiber.Map{"Back": "/consultations"}
	return s.render(c, fiber.StatusNotFound, "comments/refused", p)
}

// editFormIDs maps the fields of the edit page's form to its inputs.
var editFormIDs = map[string]string{"body": "edit-body"}

// handleCommentEditForm shows a comment's edit form on a page of its own:
// where a failed edit comes back to, and the address of the inline form's
// errors.
func (s *Server) handleCommentEditForm(c *fiber.Ctx) error {
	return s.renderCommentEdit(c, fiber.StatusOK, c.Params("id"), nil, nil)
}

// renderCommentEdit renders the edit page of comment id, with the text and
// the error of a failed edit when err is set. A refusal that is no field
// error (the edit window has passed) is shown in the summary with the text
// kept, so the person can copy it.
func (s *Server) renderCommentEdit(c *fiber.Ctx, status int, id string, body *string, err error) error {
	p := s.page(c, "comments.edit_title")
	it, rerr := s.deps.Participation.ReadComment(c.UserContext(), p.User, id)
	if rerr != nil {
		return rerr
	}
	if it.CanEdit.Denied != nil && it.CanEdit.Denied.Code != mitreden.ECONFLICT {
		return it.CanEdit.Err()
	}
	values := map[string]string{"body": it.Body}
	if body != nil {
		values["body"] = *body
	}
	if err == nil && !it.CanEdit.Allowed() && body != nil {
		err = it.CanEdit.Err()
	}
	s.fillForm(p, values, err, editFormIDs)
	p.ErrorsAt = "edit"
	p.Data = fiber.Map{"C": s.commentViews([]*service.CommentItem{it})[0], "CanEdit": s.perm(p, it.CanEdit),
		"Back": commentURL(it.Comment)}
	return s.render(c, status, "comments/edit", p)
}

// draftForm is what a comment or proposal form sent: the text and the
// fields that go with it, read without judging them, so that any of it
// comes back.
type draftForm struct {
	Body      string   `form:"body"`
	ParentID  string   `form:"parent_id"`
	Alignment string   `form:"alignment"`
	Title     string   `form:"title"`
	Topics    []string `form:"topics"`
	Lang      string   `form:"lang"`
	Email     string   `form:"email"`
	// Status and AnswerText are an official answer's, DisplayName and
	// Language the profile's.
	Status      string `form:"status"`
	AnswerText  string `form:"answer_text"`
	DisplayName string `form:"display_name"`
	Language    string `form:"language"`
}

// draftKind tells whether a POST to path is a form whose text an ended
// session or a stale token must not lose: "comment" (a new comment or
// reply), "edit" (a comment's), "proposal" (a new one), "proposal-edit",
// "answer" (an official answer to a proposal), "consultation" (a new
// one), "consultation-edit", "profile", the workspace's forms
// (councilDraftKind), or "".
func draftKind(path string) string {
	parts := strings.Split(path, "/")
	if len(parts) >= 3 && parts[0] == "" && parts[1] == "council" {
		if kind := recDraftKind(parts); kind != "" {
			return kind
		}
		return councilDraftKind(parts)
	}
	if len(parts) == 2 && parts[0] == "" {
		switch parts[1] {
		case "consultations":
			return "consultation"
		case "profile":
			return "profile"
		}
		return ""
	}
	if len(parts) == 3 && parts[0] == "" && parts[1] == "moderation" && parts[2] == "items" {
		return "moderate"
	}
	if len(parts) == 5 && parts[0] == "" && parts[1] == "moderation" && parts[3] != "" {
		switch {
		case parts[2] == "users" && (parts[4] == "block" || parts[4] == "unblock"):
			return parts[4]
		case parts[2] == "appeal" && parts[4] != "":
			return "appeal"
		}
		return ""
	}
	if len(parts) == 3 && parts[0] == "" && parts[2] != "" {
		switch parts[1] {
		case "proposals":
			return "proposal-edit"
		case "consultations":
			return "consultation-edit"
		}
		return ""
	}
	if len(parts) != 4 || parts[0] != "" || parts[2] == "" {
		return ""
	}
	switch {
	case (parts[1] == "proposals" || parts[1] == "consultations" || parts[1] == "recommendations") && parts[3] == "comments":
		return "comment"
	case parts[1] == "comments" && parts[3] == "edit":
		return "edit"
	case parts[1] == "consultations" && parts[3] == "proposals":
		return "proposal"
	case parts[1] == "proposals" && parts[3] == "answer":
		return "answer"
	case (parts[1] == "proposals" || parts[1] == "comments") && parts[3] == "report":
		return "report"
	case parts[1] == "consultations" && parts[3] == "results":
		return "results"
	}
	return ""
}

// draftText is a text field of a form kept as a draft, shown again to copy
// or send; draftHidden carries the form's other choices along.
type draftText struct{ Name, Label, Value string }

type draftHidden struct{ Name, Value string }

// draftTexts are the text fields (name, label) of the forms kept whole on
// the draft page, by kind; their other fields go along hidden.
var draftTexts = map[string][][2]string{
	"report":   {{"note", "moderation.report_note"}},
	"appeal":   {{"note", "moderation.appeal_note"}},
	"moderate": {{"reason", "moderation.reason_label"}},
	"block":    {{"reason", "moderation.reason_label"}},
	"unblock":  {{"unblock_reason", "moderation.reason_label"}},
	"results":  {{"results", "field.results"}},
	// The council's recommendation forms (recDraftKind).
	"council-rec":      {{"title", "field.title"}, {"summary", "field.summary"}, {"body", "field.body"}, {"topics", "field.topics"}, {"note", "council.note_label"}},
	"council-rec-edit": {{"title", "field.title"}, {"summary", "field.summary"}, {"body", "field.body"}, {"topics", "field.topics"}, {"note", "council.note_label"}},
	"council-comment":  {{"body", "council.comment_label"}},
	"council-publish":  {{"note", "council.changelog_label"}},
	"council-evidence": {{"note", "council.evidence_note"}},
}

// draftBack is where a kept form's page links back to.
func draftBack(kind string, parts []string) string {
	switch kind {
	case "report":
		return "/" + parts[1] + "/" + url.PathEscape(parts[2])
	case "appeal":
		return itemURL(parts[3], url.PathEscape(parts[4]), "", "")
	case "moderate":
		return "/moderation"
	case "block", "unblock":
		return "/moderation/users/" + url.PathEscape(parts[3])
	case "results":
		return "/consultations/" + url.PathEscape(parts[2]) + "#results"
	case "council-rec":
		return "/council"
	case "council-rec-edit", "council-comment", "council-publish", "council-evidence":
		return recURL(parts[3])
	}
	return "/"
}

// renderKeptForm shows a form of draftTexts' kinds again with all it sent.
func (s *Server) renderKeptForm(c *fiber.Ctx, p *Page, kind string, status int) error {
	sent, _ := url.ParseQuery(string(c.Body()))
	var texts []draftText
	isText := map[string]bool{}
	for _, t := range draftTexts[kind] {
		texts = append(texts, draftText{Name: t[0], Label: t[1], Value: strings.ReplaceAll(sent.Get(t[0]), "\r\n", "\n")})
		isText[t[0]] = true
	}
	var hidden []draftHidden
	for name, vs := range sent {
		if isText[name] || name == "_csrf" || name == "email" || name == "password" {
			continue
		}
		for _, v := range vs {
			hidden = append(hidden, draftHidden{Name: name, Value: v})
		}
	}
	slices.SortFunc(hidden, func(a, b draftHidden) int { return strings.Compare(a.Name+"\x00"+a.Value, b.Name+"\x00"+b.Value) })
	p.Values["email"] = sent.Get("email")
	p.Data = fiber.Map{"Action": c.Path(), "Back": draftBack(kind, strings.Split(c.Path(), "/")), "Login": p.User == nil, "Kind": kind,
		"Texts": texts, "Hidden": hidden}
	return s.render(c, status, "comments/draft", p)
}

// draftFormIDs maps the login fields of the draft page to its inputs.
var draftFormIDs = map[string]string{"email": "draft-email", "password": "draft-password"}

// renderDraft shows what a form sent when it could not be taken: the
// session has ended (401: the page asks for a login in the same form, which
// then sends it) or the form's token is stale (403: it is sent again with a
// fresh one). loginErr is the refusal of a login tried from this page. A
// comment's, proposal's, answer's or profile's fields come back on a page of
// their own; a consultation's many fields come back in the consultation
// form itself. The page only shows what was sent and changes nothing.
func (s *Server) renderDraft(c *fiber.Ctx, kind string, loginErr error) error {
	if (isCouncilDraft(kind) || isRecDraft(kind)) && !s.mayKeepCouncilDraft(c) {
		// The council's workspace does not exist for anyone else.
		return &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
	}
	var f draftForm
	_ = c.BodyParser(&f) // whatever could be read comes back
	f.Body = strings.ReplaceAll(f.Body, "\r\n", "\n")
	f.AnswerText = strings.ReplaceAll(f.AnswerText, "\r\n", "\n")
	p := s.page(c, "draft.title")
	status := s.draftErrors(c, p, loginErr)
	s.log.Info("form kept as draft", "request_id", requestID(c), "path", c.Path(), "status", status)
	parts := strings.Split(c.Path(), "/") // as draftKind checked: "", kind[, id[, action]]
	if _, ok := draftTexts[kind]; ok {
		return s.renderKeptForm(c, p, kind, status)
	}
	if isCouncilDraft(kind) {
		return s.renderMeetingDraft(c, p, kind, status)
	}
	if kind == "consultation" || kind == "consultation-edit" {
		var req consultationRequest
		_ = c.BodyParser(&req)
		req.uncheckedAreFalse()
		id, back := "", "/consultations"
		if kind == "consultation-edit" {
			id, back = parts[2], "/consultations/"+url.PathEscape(parts[2])
		}
		s.consultationForm(p, id, req.values())
		data := p.Data.(fiber.Map)
		data["Draft"], data["Login"], data["Back"] = true, p.User == nil, back
		return s.render(c, status, "consultations/form", p)
	}
	p.Values = map[string]string{"body": f.Body, "email": f.Email, "title": f.Title,
		"topics": strings.Join(f.Topics, ", "), "lang": f.Lang, "status": f.Status, "answer_text": f.AnswerText,
		"display_name": f.DisplayName, "language": f.Language}
	var label, back string
	proposal := kind == "proposal" || kind == "proposal-edit"
	switch {
	case kind == "profile":
		back = "/profile"
	case kind == "answer":
		label, back = "field.answer", "/proposals/"+url.PathEscape(parts[2])+"#answer"
	case proposal:
		label, back = "field.body", "/"+parts[1]+"/"+url.PathEscape(parts[2])
	case kind == "edit":
		label, back = "field.comment", "/comments/"+url.PathEscape(parts[2])
	case f.ParentID != "":
		label, back = "comments.reply_label", "/comments/"+url.PathEscape(f.ParentID)+"/reply"
	default:
		label, back = "field.comment", "/"+parts[1]+"/"+url.PathEscape(parts[2])+"#comments"
	}
	p.Data = fiber.Map{"Action": c.Path(), "Label": label, "Back": back, "ParentID": f.ParentID,
		"Alignment": f.Alignment, "Login": p.User == nil, "Kind": kind, "Proposal": proposal,
		"AnswerStatuses": mitreden.AnswerStatuses}
	return s.render(c, status, "comments/draft", p)
}

// consultationForm makes p the form that creates a consultation (id "")
// or changes consultation id, adding values to what p holds.
func (s *Server) consultationForm(p *Page, id string, values map[string]string) {
	title, action, submit := "consultations.new_title", "/consultations", "consultations.submit_new"
	if id != "" {
		title, action, submit = "consultations.edit_title", "/consultations/"+id, "consultations.save"
	}
	p.Title = p.Tr(title)
	for k, v := range values {
		p.Values[k] = v
	}
	p.Data = fiber.Map{"Action": action, "Submit": p.Tr(submit), "VotingModes": mitreden.VotingModes}
}

// draftErrors puts on p why a form was kept as a draft, and the refusal of
// a login tried from the draft (loginErr), and returns the page's status.
func (s *Server) draftErrors(c *fiber.Ctx, p *Page, loginErr error) int {
	status, reason := fiber.StatusForbidden, "draft.form_stale"
	if p.User == nil {
		status, reason = fiber.StatusUnauthorized, "draft.session_ended"
	}
	p.Errors = []ViewError{{Message: p.Tr(reason)}}
	if loginErr == nil {
		return status
	}
	switch mitreden.ErrorCode(loginErr) {
	case mitreden.EUNAUTHORIZED:
		p.Errors = append(p.Errors, ViewError{Field: "draft-password", Message: p.Tr("account.login_failed")})
	case mitreden.ERATELIMITED:
		status = fiber.StatusTooManyRequests
		var de *mitreden.Error
		if errors.As(loginErr, &de) && de.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(de.RetryAfter))
		}
		p.Errors = append(p.Errors, s.formErrors(p.Lang, loginErr)...)
	default:
		for _, e := range s.formErrors(p.Lang, loginErr) {
			if id, ok := draftFormIDs[e.Field]; ok {
				e.Field = id
			}
			p.Errors = append(p.Errors, e)
		}
	}
	return status
}

// requireUserKeepDraft admits a logged-in person to the action of a form
// draftKind names (an admin's too: the role is checked after it). Anyone
// else sent a form whose session has ended: the text comes back on the
// draft page, and the email and password typed there log the person in
// (with the throttling of the login form) and send the text.
func (s *Server) requireUserKeepDraft(c *fiber.Ctx) error {
	if userOf(c) != nil {
		return c.Next()
	}
	kind := draftKind(c.Path())
	email, pw := formBodyValue(c, "email"), formBodyValue(c, "password")
	if kind == "" {
		return s.requireUser(c)
	}
	if email == "" && pw == "" {
		return s.renderDraft(c, kind, nil)
	}
	l, err := s.deps.Accounts.Login(c.UserContext(), service.LoginInput{Email: email, Password: pw,
		IP: c.IP(), UserAgent: c.Get(fiber.HeaderUserAgent)})
	switch mitreden.ErrorCode(err) {
	case "":
	case mitreden.EUNAUTHORIZED, mitreden.EINVALID, mitreden.ERATELIMITED, ebadRequest:
		return s.renderDraft(c, kind, err)
	default:
		return err
	}
	s.setSessionCookie(c, l)
	c.Locals(localUser, l.User)
	c.Locals(localSession, l.Session)
	return c.Next()
}

// sessionExtension is the answer of /session/extend.
type sessionExtension struct {
	ValidUntil time.Time `json:"valid_until"`
	ExpiresIn  int       `json:"expires_in"`
	// Until is ValidUntil as the page writes it ("14:30 Uhr").
	Until string `json:"until"`
}

// handleSessionExtend answers the warning a page shows before the session
// ends (WCAG 2.2.1): the request itself is the activity that keeps the
// session (Authenticate records it, at most every TouchEvery, and a session
// touched less long ago already lasts the full idle timeout from now), so
// it only says until when the session now lasts.
func (s *Server) handleSessionExtend(c *fiber.Ctx) error {
	p := s.page(c, "")
	return c.JSON(sessionExtension{ValidUntil: p.SessionEnds.UTC(), ExpiresIn: p.SessionSeconds(), Until: p.ValidUntil()})
}
