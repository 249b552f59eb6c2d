package http

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// reportJSON confirms a report.
type reportJSON struct {
	ItemType string `json:"item_type"`
	ItemID   string `json:"item_id"`
	Reason   string `json:"reason"`
}

func (s *Server) apiReport(itemType string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req reportRequest
		if err := s.decodeJSON(c, &req); err != nil {
			return err
		}
		if err := s.deps.Participation.Report(c.UserContext(), userOf(c), itemType, c.Params("id"), mitreden.Report{Reason: req.Reason, Note: req.Note}); err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(reportJSON{ItemType: itemType, ItemID: c.Params("id"), Reason: req.Reason})
	}
}

// queueItemJSON is a queue entry with its context for moderators.
type queueItemJSON struct {
	ItemType       string             `json:"item_type"`
	ItemID         string             `json:"item_id"`
	URL            string             `json:"url,omitempty"`
	ConsultationID string             `json:"consultation_id"`
	AuthorID       string             `json:"author_id"`
	AuthorName     string             `json:"author_name"`
	Title          string             `json:"title,omitempty"`
	Body           string             `json:"body"`
	ContextTitle   string             `json:"context_title"`
	Reports        int                `json:"reports"`
	ReportReasons  map[string]int     `json:"report_reasons"`
	Hidden         bool               `json:"hidden"`
	Held           string             `json:"held,omitempty"`
	HeldWords      []string           `json:"held_words,omitempty"`
	EditReview     string             `json:"edit_review,omitempty"`
	Appeal         bool               `json:"appeal"`
	AppealNote     string             `json:"appeal_note,omitempty"`
	Since          time.Time          `json:"since"`
	Actions        []moderationAction `json:"actions"`
	AuthorActions  []moderationAction `json:"author_actions"`
}

// moderationAction is an entry of the record as moderators see it.
type moderationAction struct {
	At       time.Time  `json:"at"`
	Action   string     `json:"action"`
	ItemType string     `json:"item_type"`
	ItemID   string     `json:"item_id"`
	Actor    string     `json:"actor,omitempty"`
	Reason   string     `json:"reason"`
	Until    *time.Time `json:"until,omitempty"`
}

func actionsJSON(list []*mitreden.ModerationAction) []moderationAction {
	out := make([]moderationAction, 0, len(list))
	for _, a := range list {
		j := moderationAction{At: a.At, Action: a.Action, ItemType: a.ItemType, ItemID: a.ItemID, Actor: a.ActorName, Reason: a.Reason}
		if !a.Until.IsZero() {
			u := a.Until
			j.Until = &u
		}
		out = append(out, j)
	}
	return out
}

func (s *Server) apiQueue(c *fiber.Ctx) error {
	var q struct {
		Page int `query:"page" validate:"min=0"`
	}
	if err := s.parseQuery(c, &q); err != nil {
		return err
	}
	page, _ := mitreden.NormalizePage(q.Page, service.QueuePerPage)
	items, total, err := s.deps.Participation.ReadQueue(c.UserContext(), userOf(c), page)
	if err != nil {
		return err
	}
	out := listJSON[queueItemJSON]{Items: []queueItemJSON{}, Total: total, Page: page, PerPage: service.QueuePerPage}
	for _, v := range s.queueViews(items) {
		j := queueItemJSON{ItemType: v.ItemType, ItemID: v.ItemID, URL: v.URL, ConsultationID: v.ConsultationID, AuthorID: v.AuthorID,
			AuthorName: v.AuthorName, Title: v.Title, ContextTitle: v.ContextTitle, Reports: v.QueueEntry.Reports, ReportReasons: v.ReportCounts,
			Hidden: v.Hidden, Held: v.HeldWhy, Appeal: v.Appeal, AppealNote: v.AppealNote, Since: v.Since,
			Actions: actionsJSON(v.ItemActions), AuthorActions: actionsJSON(v.AuthorActions)}
		if j.EditReview = v.EditWhy; v.EditWhy != "" {
			j.HeldWords = v.QueueEntry.Words
		}
		if v.QueueEntry.Held != nil {
			j.HeldWords = v.QueueEntry.Held.Words
		}
		if v.Proposal != nil && v.ItemType == mitreden.ItemProposal {
			j.Body = v.Proposal.Body
		} else if v.Comment != nil {
			j.Body = v.Comment.Body
		}
		out.Items = append(out.Items, j)
	}
	return c.JSON(out)
}

// moderatedJSON is an item after a moderator's action.
type moderatedJSON struct {
	ItemType string `json:"item_type"`
	ItemID   string `json:"item_id"`
	Action   string `json:"action"`
}

func (s *Server) apiModerate(c *fiber.Ctx) error {
	action := c.Params("action")
	if action != mitreden.ActionApprove && action != mitreden.ActionHide && action != mitreden.ActionUnhide {
		return &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
	}
	var req reasonRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	ref := service.ItemRef{Type: c.Params("type"), ID: c.Params("id")}
	if err := s.deps.Participation.Moderate(c.UserContext(), userOf(c), action, ref, req.Reason); err != nil {
		return err
	}
	return c.JSON(moderatedJSON{ItemType: ref.Type, ItemID: ref.ID, Action: action})
}

// bulkJSON is one action with one reason on several items.
type bulkJSON struct {
	Action string `json:"action" validate:"max=20"`
	Reason string `json:"reason" validate:"max=4000"`
	Items  []struct {
		Type string `json:"type" validate:"max=20"`
		ID   string `json:"id" validate:"max=100"`
	} `json:"items" validate:"max=100,dive"`
}

// bulkResultJSON says which items failed and why.
type bulkResultJSON struct {
	Done   int              `json:"done"`
	Failed []bulkFailedJSON `json:"failed"`
}

type bulkFailedJSON struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

func (s *Server) apiModerateAll(c *fiber.Ctx) error {
	var req bulkJSON
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	refs := make([]service.ItemRef, len(req.Items))
	for i, it := range req.Items {
		refs[i] = service.ItemRef{Type: it.Type, ID: it.ID}
	}
	failed, err := s.deps.Participation.ModerateAll(c.UserContext(), userOf(c), req.Action, refs, req.Reason)
	if err != nil {
		return err
	}
	out := bulkResultJSON{Done: len(refs) - len(failed), Failed: []bulkFailedJSON{}}
	for ref, ferr := range failed {
		f := bulkFailedJSON{Type: ref.Type, ID: ref.ID, Reason: mitreden.ErrorMessage(ferr)}
		if de, ok := ferr.(*mitreden.Error); ok {
			f.Message = s.cat.T(langOf(c), de.Message, de.Args)
		}
		out.Failed = append(out.Failed, f)
	}
	return c.JSON(out)
}

func (s *Server) apiAppeal(c *fiber.Ctx) error {
	var req appealRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	ref := service.ItemRef{Type: c.Params("type"), ID: c.Params("id")}
	if err := s.deps.Participation.Appeal(c.UserContext(), userOf(c), ref, req.Note); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(moderatedJSON{ItemType: ref.Type, ItemID: ref.ID, Action: mitreden.ActionAppeal})
}

// blockJSON is an account's block state.
type blockJSON struct {
	UserID  string     `json:"user_id"`
	Blocked bool       `json:"blocked"`
	Reason  string     `json:"reason,omitempty"`
	Until   *time.Time `json:"until,omitempty"`
}

func blockOf(u *mitreden.User) blockJSON {
	j := blockJSON{UserID: u.ID, Blocked: u.BlockedAt(time.Now()), Reason: u.BlockReason}
	if j.Blocked && !u.BlockedUntil.IsZero() {
		t := u.BlockedUntil
		j.Until = &t
	}
	return j
}

func (s *Server) apiBlock(c *fiber.Ctx) error {
	var req blockRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.deps.Participation.Block(c.UserContext(), userOf(c), c.Params("id"), req.Reason, req.until(time.Now()))
	if err != nil {
		return err
	}
	return c.JSON(blockOf(u))
}

func (s *Server) apiUnblock(c *fiber.Ctx) error {
	var req reasonRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.deps.Participation.Unblock(c.UserContext(), userOf(c), c.Params("id"), req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(blockOf(u))
}

// logEntryJSON is a public entry of the moderation record: never the hidden
// text, the reporter or the moderator.
type logEntryJSON struct {
	At       time.Time  `json:"at"`
	Action   string     `json:"action"`
	ItemType string     `json:"item_type"`
	ItemID   string     `json:"item_id,omitempty"`
	URL      string     `json:"url,omitempty"`
	Reason   string     `json:"reason"`
	Until    *time.Time `json:"until,omitempty"`
}

func (s *Server) apiModLog(c *fiber.Ctx) error {
	var q modLogQuery
	if err := s.parseQuery(c, &q); err != nil {
		return err
	}
	f, err := q.filter()
	if err != nil {
		return err
	}
	list, total, err := s.deps.Participation.ReadModerationLog(c.UserContext(), f)
	if err != nil {
		return err
	}
	page, per := mitreden.NormalizePage(q.Page, q.PerPage)
	out := listJSON[logEntryJSON]{Items: []logEntryJSON{}, Total: total, Page: page, PerPage: per}
	for _, e := range list {
		j := logEntryJSON{At: e.At, Action: e.Action, ItemType: e.ItemType, ItemID: e.ItemID, URL: itemURL(e.ItemType, e.ItemID, e.TargetType, e.TargetID), Reason: e.Reason}
		if !e.Until.IsZero() {
			u := e.Until
			j.Until = &u
		}
		out.Items = append(out.Items, j)
	}
	return c.JSON(out)
}
