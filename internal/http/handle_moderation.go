package http

import (
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// Moderation pages: reporting a contribution, the queue with its bulk
// actions, an account's block, the author's appeal and the public log. Each
// works without JavaScript; the service decides who may do what.

func (s *Server) moderationRoutes() {
	s.add("GET", "/proposals/:id/report", s.requireUser, s.handleReportForm(mitreden.ItemProposal))
	s.add("POST", "/proposals/:id/report", s.requireUserKeepDraft, s.handleReport(mitreden.ItemProposal))
	s.add("GET", "/comments/:id/report", s.requireUser, s.handleReportForm(mitreden.ItemComment))
	s.add("POST", "/comments/:id/report", s.requireUserKeepDraft, s.handleReport(mitreden.ItemComment))
	s.add("GET", "/moderation", s.requireUser, s.handleQueue)
	s.add("POST", "/moderation/items", s.requireUserKeepDraft, s.handleModerate)
	s.add("GET", "/moderation/users/:id", s.requireUser, s.handleModUser)
	s.add("POST", "/moderation/users/:id/block", s.requireUserKeepDraft, s.handleBlock)
	s.add("POST", "/moderation/users/:id/unblock", s.requireUserKeepDraft, s.handleUnblock)
	s.add("GET", "/moderation/appeal/:type/:id", s.requireUser, s.handleAppealForm)
	s.add("POST", "/moderation/appeal/:type/:id", s.requireUserKeepDraft, s.handleAppeal)
	s.add("GET", "/moderation/log", s.handleModLog)

	s.add("POST", "/api/v1/proposals/:id/reports", s.apiRequireUser, s.apiReport(mitreden.ItemProposal))
	s.add("POST", "/api/v1/comments/:id/reports", s.apiRequireUser, s.apiReport(mitreden.ItemComment))
	s.add("GET", "/api/v1/moderation/queue", s.apiRequireUser, s.apiQueue)
	s.add("POST", "/api/v1/moderation/bulk", s.apiRequireUser, s.apiModerateAll)
	s.add("POST", "/api/v1/moderation/items/:type/:id/appeal", s.apiRequireUser, s.apiAppeal)
	s.add("POST", "/api/v1/moderation/items/:type/:id/:action", s.apiRequireUser, s.apiModerate)
	s.add("POST", "/api/v1/moderation/users/:id/block", s.apiRequireUser, s.apiBlock)
	s.add("POST", "/api/v1/moderation/users/:id/unblock", s.apiRequireUser, s.apiUnblock)
	s.add("GET", "/api/v1/moderation/log", s.apiModLog)
}

// reportRequest is a report of a proposal or comment.
type reportRequest struct {
	Reason string `form:"reason" json:"reason" validate:"max=40"`
	Note   string `form:"note" json:"note" validate:"max=4000"`
}

// reasonRequest is the reason every moderator action needs.
type reasonRequest struct {
	Reason string `form:"reason" json:"reason" validate:"max=4000"`
}

// blockRequest blocks an account: until a time (JSON), for a number of days
// (form), or for good when neither is given.
type blockRequest struct {
	Reason string     `form:"reason" json:"reason" validate:"max=4000"`
	Until  *time.Time `form:"-" json:"until"`
	Days   int        `form:"days" json:"-" validate:"min=0,max=3650"`
}

func (r *blockRequest) until(now time.Time) time.Time {
	switch {
	case r.Until != nil:
		return r.Until.UTC()
	case r.Days > 0:
		return now.Add(time.Duration(r.Days) * 24 * time.Hour)
	}
	return time.Time{}
}

// appealRequest asks for a review with a note.
type appealRequest struct {
	Note string `form:"note" json:"note" validate:"max=4000"`
}

// moderateRequest is one action with one reason on the items selected in
// the queue (values "type:id").
type moderateRequest struct {
	Action string   `form:"action" validate:"max=20"`
	Reason string   `form:"reason" validate:"max=4000"`
	Items  []string `form:"item" validate:"max=100"`
}

// BlockDays are the block durations the form offers; 0 is for good.
var BlockDays = []int{1, 7, 30, 90, 0}

func itemURL(itemType, id, targetType, targetID string) string {
	switch itemType {
	case mitreden.ItemProposal:
		return "/proposals/" + id
	case mitreden.ItemComment:
		return "/comments/" + id
	}
	return ""
}

// reportTarget reads what is reported, for the form's heading and link.
func (s *Server) reportTarget(c *fiber.Ctx, itemType, id string) (fiber.Map, error) {
	ctx, viewer := c.UserContext(), userOf(c)
	if itemType == mitreden.ItemProposal {
		pg, err := s.deps.Participation.ReadProposal(ctx, viewer, id, "")
		if err != nil {
			return nil, err
		}
		return fiber.Map{"Type": itemType, "ID": id, "Title": pg.Title, "Lang": pg.Lang, "Back": "/proposals/" + id,
			"Action": "/proposals/" + id + "/report", "Can": s.perm(s.page(c, ""), pg.CanReport)}, nil
	}
	it, err := s.deps.Participation.ReadComment(ctx, viewer, id)
	if err != nil {
		return nil, err
	}
	return fiber.Map{"Type": itemType, "ID": id, "Excerpt": excerpt(it.Body, 160), "Lang": it.Lang, "Author": it.AuthorName,
		"Back": commentURL(it.Comment), "Action": "/comments/" + id + "/report", "Can": s.perm(s.page(c, ""), it.CanReport)}, nil
}

func (s *Server) handleReportForm(itemType string) fiber.Handler {
	return func(c *fiber.Ctx) error { return s.renderReport(c, fiber.StatusOK, itemType, nil, nil) }
}

func (s *Server) renderReport(c *fiber.Ctx, status int, itemType string, values map[string]string, err error) error {
	data, rerr := s.reportTarget(c, itemType, c.Params("id"))
	if rerr != nil {
		return rerr
	}
	p := s.page(c, "moderation.report_title_"+itemType)
	s.fillForm(p, values, err, map[string]string{"reason": "reason-" + mitreden.ReportReasons[0]})
	data["Reasons"] = mitreden.ReportReasons
	p.Data = data
	return s.render(c, status, "moderation/report", p)
}

func (s *Server) handleReport(itemType string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req reportRequest
		err := s.parseForm(c, &req)
		if err == nil {
			err = s.deps.Participation.Report(c.UserContext(), userOf(c), itemType, c.Params("id"), mitreden.Report{Reason: req.Reason, Note: req.Note})
		}
		if formFailed(err) || mitreden.ErrorCode(err) == mitreden.ECONFLICT {
			if mitreden.ErrorCode(err) == mitreden.ECONFLICT {
				err = fieldless(err)
			}
			return s.renderReport(c, formStatus(err), itemType, map[string]string{"reason": req.Reason, "note": req.Note}, err)
		} else if err != nil {
			return err
		}
		back := "/proposals/" + c.Params("id")
		at := "proposal"
		if itemType == mitreden.ItemComment {
			if it, err := s.deps.Participation.ReadComment(c.UserContext(), userOf(c), c.Params("id")); err == nil {
				back, at = commentURL(it.Comment), "comment-"+it.ID
			}
		}
		s.confirmAt(c, "moderation.reported", at)
		return c.Redirect(back+"#confirmation", fiber.StatusSeeOther)
	}
}

// fieldless shows a refusal of the whole form (reported before, one's own
// item) in the summary.
func fieldless(err error) error {
	if de, ok := err.(*mitreden.Error); ok {
		cp := *de
		cp.Fields = nil
		return &cp
	}
	return err
}

// queueView is a queue item as the queue page shows it.
type queueView struct {
	*service.QueueItem
	Key, URL             string
	Title, Excerpt, Lang string
	HeldWhy              string
	ReportCounts         map[string]int
	AuthorName           string
	// AuthorURL is where the author link leads (authorURL); empty: no link.
	AuthorURL string
	// AuthorRecord tells an author held as a participant record by the
	// citizens' service.
	AuthorRecord            bool
	AuthorBlocked           bool
	AuthorBlockedUntil      time.Time
	ParentExcerpt           string
	BeforeExcerpt, AfterExc string
}

func (s *Server) queueViews(items []*service.QueueItem) []*queueView {
	out := make([]*queueView, 0, len(items))
	for _, it := range items {
		v := &queueView{QueueItem: it, Key: it.ItemType + ":" + it.ItemID, ReportCounts: map[string]int{}}
		if it.Held != nil {
			v.HeldWhy = it.Held.Why
		}
		if it.ItemType == mitreden.ItemProposal && it.Proposal != nil {
			v.Title, v.Excerpt, v.Lang, v.AuthorName = it.Proposal.Title, excerpt(it.Proposal.Body, 400), it.Proposal.Lang, it.Proposal.AuthorName
		} else if it.Comment != nil {
			v.Excerpt, v.Lang, v.AuthorName = excerpt(it.Comment.Body, 400), it.Comment.Lang, it.Comment.AuthorName
		}
		if it.Held == nil {
			v.URL = itemURL(it.ItemType, it.ItemID, it.TargetType, it.TargetID)
		}
		for _, r := range it.ReportList {
			v.ReportCounts[r.Reason]++
		}
		if it.Author != nil {
			v.AuthorBlocked = it.Author.BlockedAt(time.Now())
			v.AuthorBlockedUntil = it.Author.BlockedUntil
		}
		if it.Parent != nil && !it.Parent.Deleted {
			v.ParentExcerpt = excerpt(it.Parent.Body, 200)
		}
		if it.Before != nil {
			v.BeforeExcerpt = excerpt(it.Before.Body, 200)
		}
		if it.After != nil {
			v.AfterExc = excerpt(it.After.Body, 200)
		}
		out = append(out, v)
	}
	return out
}

// authorURL is where the queue links an author: an account to its page of
// moderation and blocks; a participant record of the citizens' service has
// no account to block, so it links to the record for staff (who may open
// it) and nowhere for anyone else.
func authorURL(authorID string, staff bool) (string, bool) {
	recID, ok := strings.CutPrefix(authorID, mitreden.RecordVoterPrefix)
	switch {
	case authorID == "":
		return "", false
	case !ok:
		return "/moderation/users/" + url.PathEscape(authorID), false
	case staff:
		return "/assisted/participants/" + url.PathEscape(recID), true
	}
	return "", true
}

func (s *Server) handleQueue(c *fiber.Ctx) error { return s.renderQueue(c, fiber.StatusOK, nil, nil) }

func (s *Server) renderQueue(c *fiber.Ctx, status int, values map[string]string, err error) error {
	var q struct {
		Page int `query:"page" validate:"min=0"`
	}
	_ = s.parseQuery(c, &q)
	page, _ := mitreden.NormalizePage(q.Page, service.QueuePerPage)
	p := s.page(c, "moderation.queue_title")
	p.Path = "/moderation"
	items, total, qerr := s.deps.Participation.ReadQueue(c.UserContext(), p.User, page)
	if qerr != nil {
		return qerr
	}
	s.fillForm(p, values, err, map[string]string{"items": "queue-items", "action": "action-" + mitreden.ActionApprove})
	views := s.queueViews(items)
	staff := service.CheckStaff(p.User) == nil
	for _, v := range views {
		v.AuthorURL, v.AuthorRecord = authorURL(v.AuthorID, staff)
	}
	nameFailedItems(p, views, err)
	p.Data = fiber.Map{"Items": views, "Total": total, "Actions": mitreden.ItemActions, "Reasons": mitreden.ReportReasons}
	p.Pager = newPager(c, page, service.QueuePerPage, total)
	return s.render(c, status, "moderation/queue", p)
}

// failedField names the field error of an item a decision failed for
// after the item's checkbox, so the summary links to it.
func failedField(ref service.ItemRef) string { return "item-" + ref.Type + "-" + ref.ID }

// nameFailedItems says in the error summary which selected items a
// decision failed for: each message starts with the item's name and links
// to its checkbox (checked again), or to the queue when the item left it;
// the sentence that not all went through comes first.
func nameFailedItems(p *Page, views []*queueView, err error) {
	names := map[string]string{}
	for _, v := range views {
		name := p.Tr("moderation.comment_by", "name", v.AuthorName)
		if v.ItemType == mitreden.ItemProposal {
			name = p.Tr("moderation.item.proposal")
			if v.Title != "" {
				name += " „" + v.Title + "“"
			}
		}
		names[failedField(service.ItemRef{Type: v.ItemType, ID: v.ItemID})] = name
	}
	for i, e := range p.Errors {
		if !strings.HasPrefix(e.Field, "item-") {
			continue
		}
		if name, ok := names[e.Field]; ok {
			p.Errors[i].Message = name + ": " + e.Message
			p.Values["checked:"+e.Field] = "true"
		} else if len(views) > 0 {
			p.Errors[i].Field = "queue-items"
		} else {
			p.Errors[i].Field = ""
		}
	}
	if de, ok := err.(*mitreden.Error); ok && de.Message == "moderation.some_failed" {
		p.Errors = append([]ViewError{{Message: p.Tr(de.Message)}}, p.Errors...)
	}
}

func refsOf(items []string) []service.ItemRef {
	var out []service.ItemRef
	for _, it := range items {
		if t, id, ok := strings.Cut(it, ":"); ok {
			out = append(out, service.ItemRef{Type: t, ID: id})
		}
	}
	return out
}

func (s *Server) handleModerate(c *fiber.Ctx) error {
	var req moderateRequest
	err := s.parseForm(c, &req)
	var failed map[service.ItemRef]error
	if err == nil {
		failed, err = s.deps.Participation.ModerateAll(c.UserContext(), userOf(c), req.Action, refsOf(req.Items), req.Reason)
	}
	if formFailed(err) {
		return s.renderQueue(c, fiber.StatusUnprocessableEntity, map[string]string{"reason": req.Reason, "action": req.Action}, err)
	} else if err != nil {
		return err
	}
	if len(failed) > 0 {
		// The others went through; say which did not and why, in the
		// order they were selected.
		var fs []mitreden.FieldError
		for _, ref := range refsOf(req.Items) {
			ferr, ok := failed[ref]
			if !ok {
				continue
			}
			delete(failed, ref)
			fe := mitreden.FieldError{Field: failedField(ref), Code: "failed", Message: "error.internal"}
			if de, ok := ferr.(*mitreden.Error); ok {
				fe.Message, fe.Args = de.Message, de.Args
			}
			fs = append(fs, fe)
		}
		return s.renderQueue(c, fiber.StatusConflict, map[string]string{"reason": req.Reason}, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "moderation.some_failed", Fields: fs})
	}
	s.flash(c, "moderation.done_"+req.Action)
	return c.Redirect("/moderation", fiber.StatusSeeOther)
}

func (s *Server) handleModUser(c *fiber.Ctx) error {
	return s.renderModUser(c, fiber.StatusOK, nil, nil)
}

func (s *Server) renderModUser(c *fiber.Ctx, status int, values map[string]string, err error) error {
	p := s.page(c, "moderation.user_title")
	u, uerr := s.deps.Participation.ReadModeratedUser(c.UserContext(), p.User, c.Params("id"))
	if uerr != nil {
		return uerr
	}
	s.fillForm(p, values, err, map[string]string{"days": "days-1"})
	p.Data = fiber.Map{"U": u, "Days": BlockDays}
	return s.render(c, status, "moderation/user", p)
}

func (s *Server) handleBlock(c *fiber.Ctx) error {
	var req blockRequest
	err := s.parseForm(c, &req)
	if err == nil {
		_, err = s.deps.Participation.Block(c.UserContext(), userOf(c), c.Params("id"), req.Reason, req.until(time.Now()))
	}
	if formFailed(err) || mitreden.ErrorCode(err) == mitreden.ECONFLICT {
		return s.renderModUser(c, formStatus(err), map[string]string{"reason": req.Reason}, err)
	} else if err != nil {
		return err
	}
	s.flash(c, "moderation.blocked")
	return c.Redirect("/moderation/users/"+c.Params("id"), fiber.StatusSeeOther)
}

// unblockRequest is the unblock form, whose reason field is named apart
// from the block form's on the same page.
type unblockRequest struct {
	Reason string `form:"unblock_reason" validate:"max=4000"`
}

func (s *Server) handleUnblock(c *fiber.Ctx) error {
	var req unblockRequest
	err := s.parseForm(c, &req)
	if err == nil {
		_, err = s.deps.Participation.Unblock(c.UserContext(), userOf(c), c.Params("id"), req.Reason)
	}
	if formFailed(err) || mitreden.ErrorCode(err) == mitreden.ECONFLICT {
		return s.renderModUser(c, formStatus(err), map[string]string{"unblock_reason": req.Reason}, renameField(err, "reason", "unblock_reason"))
	} else if err != nil {
		return err
	}
	s.flash(c, "moderation.unblocked")
	return c.Redirect("/moderation/users/"+c.Params("id"), fiber.StatusSeeOther)
}

// renameField names a field error after the input that shows it.
func renameField(err error, from, to string) error {
	de, ok := err.(*mitreden.Error)
	if !ok {
		return err
	}
	cp := *de
	cp.Fields = append([]mitreden.FieldError(nil), de.Fields...)
	for i := range cp.Fields {
		if cp.Fields[i].Field == from {
			cp.Fields[i].Field = to
		}
	}
	return &cp
}

func (s *Server) handleAppealForm(c *fiber.Ctx) error {
	return s.renderAppeal(c, fiber.StatusOK, nil, nil)
}

func (s *Server) renderAppeal(c *fiber.Ctx, status int, values map[string]string, err error) error {
	itemType, id := c.Params("type"), c.Params("id")
	p := s.page(c, "moderation.appeal_title")
	back := itemURL(itemType, id, "", "")
	if back == "" {
		return &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
	}
	can, perr := s.deps.Participation.AppealPermission(c.UserContext(), p.User, service.ItemRef{Type: itemType, ID: id})
	if perr != nil {
		return perr
	}
	s.fillForm(p, values, err, nil)
	p.Data = fiber.Map{"Type": itemType, "ID": id, "Back": back, "Action": "/moderation/appeal/" + itemType + "/" + id, "Can": s.perm(p, can)}
	return s.render(c, status, "moderation/appeal", p)
}

func (s *Server) handleAppeal(c *fiber.Ctx) error {
	var req appealRequest
	err := s.parseForm(c, &req)
	ref := service.ItemRef{Type: c.Params("type"), ID: c.Params("id")}
	if err == nil {
		err = s.deps.Participation.Appeal(c.UserContext(), userOf(c), ref, req.Note)
	}
	if formFailed(err) || mitreden.ErrorCode(err) == mitreden.ECONFLICT {
		return s.renderAppeal(c, formStatus(err), map[string]string{"note": req.Note}, fieldlessConflict(err))
	} else if err != nil {
		return err
	}
	s.flash(c, "moderation.appealed_done")
	return c.Redirect(itemURL(ref.Type, ref.ID, "", ""), fiber.StatusSeeOther)
}

func fieldlessConflict(err error) error {
	if mitreden.ErrorCode(err) == mitreden.ECONFLICT {
		return fieldless(err)
	}
	return err
}

// modLogQuery filters the public log; dates are days in Europe/Berlin.
type modLogQuery struct {
	Action  string `query:"action" validate:"max=20"`
	From    string `query:"from" validate:"max=10"`
	To      string `query:"to" validate:"max=10"`
	Page    int    `query:"page" validate:"min=0"`
	PerPage int    `query:"per_page" validate:"min=0,max=100"`
}

// filter turns the query into the service's filter; a day that is no date
// is a field error.
func (q *modLogQuery) filter() (mitreden.ModerationLogFilter, error) {
	f := mitreden.ModerationLogFilter{Action: q.Action, Page: q.Page, PerPage: q.PerPage}
	var fs []mitreden.FieldError
	for _, d := range []struct {
		name string
		raw  string
		dst  *time.Time
		add  int
	}{{"from", q.From, &f.From, 0}, {"to", q.To, &f.To, 1}} {
		if d.raw == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", d.raw, berlin)
		if err != nil {
			fs = append(fs, mitreden.FieldError{Field: d.name, Code: "date", Message: "validation.date"})
			continue
		}
		*d.dst = t.AddDate(0, 0, d.add).UTC()
	}
	if len(fs) > 0 {
		return f, mitreden.Invalid(fs...)
	}
	return f, nil
}

// logView is a public log entry as the page shows it.
type logView struct {
	*service.LogEntry
	URL string
}

func (s *Server) handleModLog(c *fiber.Ctx) error {
	var q modLogQuery
	err := s.parseQuery(c, &q)
	p := s.page(c, "moderation.log_title")
	var list []*service.LogEntry
	var total int
	f, ferr := q.filter()
	if err == nil {
		err = ferr
	}
	if err == nil {
		list, total, err = s.deps.Participation.ReadModerationLog(c.UserContext(), f)
	}
	status := fiber.StatusOK
	if formFailed(err) {
		status = fiber.StatusUnprocessableEntity
		s.fillForm(p, nil, err, nil)
	} else if err != nil {
		return err
	}
	p.Values["action"], p.Values["from"], p.Values["to"] = q.Action, q.From, q.To
	views := make([]*logView, len(list))
	for i, e := range list {
		views[i] = &logView{LogEntry: e, URL: itemURL(e.ItemType, e.ItemID, e.TargetType, e.TargetID)}
	}
	page, per := mitreden.NormalizePage(q.Page, q.PerPage)
	p.Data = fiber.Map{"Entries": views, "Total": total, "Actions": mitreden.ModerationActions}
	p.Pager = newPager(c, page, per, total)
	return s.render(c, status, "moderation/log", p)
}
