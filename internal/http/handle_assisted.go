package http

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// Assisted participation pages: the citizens' service finds and creates
// participant records, enters what people sent by letter, phone, visit or
// e-mail, links a record to an account, corrects a misread text, and sends
// official answers by post. Every page works without JavaScript; the
// service decides who may use them (service staff and admins).

func (s *Server) assistedRoutes() {
	s.add("GET", "/assisted", s.requireUser, s.handleAssisted)
	s.add("GET", "/assisted/participants/new", s.requireUser, s.handleRecordForm)
	s.add("POST", "/assisted/participants", s.requireUser, s.handleRecordCreate)
	s.add("GET", "/assisted/participants/:id", s.requireUser, s.handleRecord)
	s.add("GET", "/assisted/participants/:id/:kind/new", s.requireUser, s.handleEntryForm)
	s.add("POST", "/assisted/participants/:id/link", s.requireUser, s.handleRecordLink)
	s.add("POST", "/assisted/participants/:id/:kind", s.requireUser, s.handleEntry)
	s.add("GET", "/assisted/letters", s.requireUser, s.handleLetters)
	s.add("GET", "/assisted/letters/:id", s.requireUser, s.handleLetter)
	s.add("POST", "/assisted/letters/:id/sent", s.requireUser, s.handleLetterSent)
	s.add("GET", "/assisted/correct/:type/:id", s.requireUser, s.handleCorrectForm)
	s.add("POST", "/assisted/correct/:type/:id", s.requireUser, s.handleCorrect)
	s.add("GET", "/consultations/:id/statistics", s.handleStatistics)

	s.add("POST", "/api/v1/assisted/participants", s.apiRequireUser, s.apiRecordCreate)
	s.add("GET", "/api/v1/assisted/participants", s.apiRequireUser, s.apiRecords)
	s.add("GET", "/api/v1/assisted/participants/:id", s.apiRequireUser, s.apiRecord)
	s.add("POST", "/api/v1/assisted/participants/:id/proposals", s.apiRequireUser, s.apiAssistedProposal)
	s.add("POST", "/api/v1/assisted/participants/:id/comments", s.apiRequireUser, s.apiAssistedComment)
	s.add("PUT", "/api/v1/assisted/participants/:id/votes/:proposal_id", s.apiRequireUser, s.apiAssistedVote)
	s.add("POST", "/api/v1/assisted/participants/:id/link", s.apiRequireUser, s.apiRecordLink)
	s.add("GET", "/api/v1/assisted/letters", s.apiRequireUser, s.apiLetters)
	s.add("POST", "/api/v1/assisted/letters/:id/sent", s.apiRequireUser, s.apiLetterSent)
	s.add("GET", "/api/v1/consultations/:id/statistics", s.apiStatistics)
}

// recordRequest is a new participant record.
type recordRequest struct {
	DisplayName string `form:"display_name" json:"display_name" validate:"max=400"`
	Anonymous   bool   `form:"anonymous" json:"anonymous"`
	Locality    string `form:"locality" json:"locality" validate:"max=400"`
	Address     string `form:"address" json:"address" validate:"max=2000"`
	Phone       string `form:"phone" json:"phone" validate:"max=200"`
	Email       string `form:"email" json:"email" validate:"max=400"`
}

func (r *recordRequest) record() *mitreden.ParticipantRecord {
	return &mitreden.ParticipantRecord{DisplayName: r.DisplayName, Anonymous: r.Anonymous, Locality: r.Locality, Address: r.Address,
		Phone: r.Phone, Email: r.Email}
}

func (r *recordRequest) values() map[string]string {
	v := map[string]string{"display_name": r.DisplayName, "locality": r.Locality, "address": r.Address, "phone": r.Phone, "email": r.Email}
	if r.Anonymous {
		v["anonymous"] = "true"
	}
	return v
}

// EntryRequest (exported so that the strict JSON decoder sees its
// members in the requests that embed it) is how and when what staff enter reached the office.
type EntryRequest struct {
	Channel    string `form:"channel" json:"channel" validate:"max=20"`
	ReceivedAt string `form:"received_at" json:"received_at" validate:"max=40"`
	Reference  string `form:"reference" json:"reference" validate:"max=400"`
}

// entry parses the date of receipt: a day or an RFC 3339 time; anything
// else is EINVALID on received_at.
func (r *EntryRequest) entry() (mitreden.AssistedEntry, error) {
	e := mitreden.AssistedEntry{Channel: r.Channel, Reference: r.Reference}
	if strings.TrimSpace(r.ReceivedAt) == "" {
		return e, nil // Validate names the missing date
	}
	t, ok := mitreden.ParseReceived(r.ReceivedAt)
	if !ok {
		return e, mitreden.Invalid(mitreden.FieldError{Field: "received_at", Code: "date", Message: "validation.received_date"})
	}
	e.ReceivedAt = t
	return e, nil
}

func (r *EntryRequest) values() map[string]string {
	return map[string]string{"channel": r.Channel, "received_at": r.ReceivedAt, "reference": r.Reference}
}

// assistedProposalRequest is a proposal staff enter: the proposal fields,
// the consultation and the entry.
type assistedProposalRequest struct {
	ConsultationID string   `form:"consultation_id" json:"consultation_id" validate:"max=64"`
	Title          string   `form:"title" json:"title" validate:"max=300"`
	Body           string   `form:"body" json:"body" validate:"max=20000"`
	Topics         []string `form:"topics" json:"topics" validate:"max=20,dive,max=500"`
	Lang           string   `form:"lang" json:"lang" validate:"omitempty,content_lang"`
	EntryRequest
}

// assistedCommentRequest is a comment staff enter on a proposal.
type assistedCommentRequest struct {
	ProposalID string `form:"proposal_id" json:"proposal_id" validate:"max=200"`
	Body       string `form:"body" json:"body" validate:"max=6000"`
	ParentID   string `form:"parent_id" json:"parent_id" validate:"max=64"`
	Alignment  string `form:"alignment" json:"alignment" validate:"omitempty,alignment"`
	Lang       string `form:"lang" json:"lang" validate:"omitempty,content_lang"`
	EntryRequest
}

// assistedVoteRequest is a vote staff enter; on the page the proposal is a
// field, in the API a path segment.
type assistedVoteRequest struct {
	ProposalID string `form:"proposal_id" json:"-" validate:"max=200"`
	Value      string `form:"value" json:"value" validate:"max=20"`
	EntryRequest
}

// linkRequest names the account a record is linked to: its id (API) or
// its e-mail address (page).
type linkRequest struct {
	UserID string `form:"-" json:"user_id" validate:"max=64"`
	Email  string `form:"account_email" json:"-" validate:"max=400"`
}

// correctRequest is a corrected text.
type correctRequest struct {
	Title string `form:"title" json:"title" validate:"max=300"`
	Body  string `form:"body" json:"body" validate:"max=20000"`
}

// proposalIDOf accepts a proposal's id or its address (/proposals/ID,
// absolute or not), as staff copy it from the page.
func proposalIDOf(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "/proposals/"); i >= 0 {
		s = s[i+len("/proposals/"):]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	return s
}

func (s *Server) handleAssisted(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("q"))
	recs, err := s.deps.Assisted.SearchRecords(c.UserContext(), userOf(c), q)
	if err != nil {
		return err
	}
	p := s.page(c, "assisted.title")
	p.Values["q"] = q
	p.Data = fiber.Map{"Records": recs, "Q": q}
	return s.render(c, fiber.StatusOK, "assisted/index", p)
}

func (s *Server) handleRecordForm(c *fiber.Ctx) error {
	if err := service.CheckStaff(userOf(c)); err != nil {
		return err
	}
	return s.renderRecordForm(c, fiber.StatusOK, nil, nil)
}

func (s *Server) renderRecordForm(c *fiber.Ctx, status int, values map[string]string, err error) error {
	p := s.page(c, "assisted.record_new")
	s.fillForm(p, values, err, nil)
	return s.render(c, status, "assisted/record_form", p)
}

func (s *Server) handleRecordCreate(c *fiber.Ctx) error {
	var req recordRequest
	err := s.parseForm(c, &req)
	r := req.record()
	if err == nil {
		err = s.deps.Assisted.CreateRecord(c.UserContext(), userOf(c), r)
	}
	if formFailed(err) {
		return s.renderRecordForm(c, formStatus(err), req.values(), err)
	} else if err != nil {
		return err
	}
	s.flash(c, "assisted.record_created")
	return c.Redirect("/assisted/participants/"+r.ID, fiber.StatusSeeOther)
}

func (s *Server) handleRecord(c *fiber.Ctx) error {
	return s.renderRecord(c, fiber.StatusOK, nil, nil)
}

func (s *Server) renderRecord(c *fiber.Ctx, status int, values map[string]string, err error) error {
	rr, rerr := s.deps.Assisted.ReadRecord(c.UserContext(), userOf(c), c.Params("id"))
	if rerr != nil {
		return rerr
	}
	p := s.page(c, "")
	p.Title = rr.Record.DisplayName
	s.fillForm(p, values, err, map[string]string{"email": "account_email"})
	p.Data = fiber.Map{"R": rr.Record, "LinkedName": rr.LinkedName, "Audit": rr.Audit}
	return s.render(c, status, "assisted/record", p)
}

func (s *Server) handleRecordLink(c *fiber.Ctx) error {
	var req linkRequest
	err := s.parseForm(c, &req)
	var res *service.LinkResult
	if err == nil {
		res, err = s.deps.Assisted.LinkEmail(c.UserContext(), userOf(c), c.Params("id"), strings.TrimSpace(req.Email))
	}
	if formFailed(err) || mitreden.ErrorCode(err) == mitreden.ECONFLICT {
		return s.renderRecord(c, formStatus(err), map[string]string{"account_email": req.Email}, fieldlessConflict(err))
	} else if err != nil {
		return err
	}
	s.flash(c, "assisted.linked")
	return c.Redirect("/assisted/participants/"+res.Record.ID, fiber.StatusSeeOther)
}

// entryKinds are what staff enter, as the path names them.
var entryKinds = map[string]bool{"proposals": true, "comments": true, "votes": true}

func (s *Server) handleEntryForm(c *fiber.Ctx) error {
	if !entryKinds[c.Params("kind")] {
		return fiber.ErrNotFound
	}
	values := map[string]string{"received_at": time.Now().In(berlin).Format("2006-01-02")}
	if pr := c.Query("proposal"); pr != "" && len(pr) <= 200 {
		values["proposal_id"] = pr
	}
	return s.renderEntryForm(c, fiber.StatusOK, values, nil)
}

func (s *Server) renderEntryForm(c *fiber.Ctx, status int, values map[string]string, err error) error {
	kind := c.Params("kind")
	rr, rerr := s.deps.Assisted.ReadRecord(c.UserContext(), userOf(c), c.Params("id"))
	if rerr != nil {
		return rerr
	}
	p := s.page(c, "assisted.enter_"+kind)
	s.fillForm(p, values, err, map[string]string{"channel": "channel-letter", "value": "value-support"})
	data := fiber.Map{"R": rr.Record, "Kind": kind, "Channels": mitreden.AssistedChannels,
		"LateDays": int(s.deps.Assisted.LateEntry() / (24 * time.Hour))}
	if kind == "proposals" {
		cons, cerr := s.deps.Assisted.EntryConsultations(c.UserContext(), userOf(c))
		if cerr != nil {
			return cerr
		}
		data["Consultations"] = cons
	}
	p.Data = data
	return s.render(c, status, "assisted/entry", p)
}

func (s *Server) handleEntry(c *fiber.Ctx) error {
	kind := c.Params("kind")
	if !entryKinds[kind] {
		return fiber.ErrNotFound
	}
	ctx, actor, id := c.UserContext(), userOf(c), c.Params("id")
	var values map[string]string
	var err error
	back := "/assisted/participants/" + id
	switch kind {
	case "proposals":
		var req assistedProposalRequest
		if err = s.parseForm(c, &req); err == nil {
			var e mitreden.AssistedEntry
			if e, err = req.entry(); err == nil {
				pr := &mitreden.Proposal{Title: req.Title, Body: req.Body, Topics: topicsOf(req.Topics), Lang: req.Lang}
				if err = s.deps.Assisted.EnterProposal(ctx, actor, id, req.ConsultationID, e, pr); err == nil && pr.Held == "" {
					back = "/proposals/" + pr.ID
				}
			}
		}
		values = req.EntryRequest.values()
		values["consultation_id"], values["title"], values["body"], values["topics"] = req.ConsultationID, req.Title, req.Body, strings.Join(req.Topics, ", ")
	case "comments":
		var req assistedCommentRequest
		if err = s.parseForm(c, &req); err == nil {
			var e mitreden.AssistedEntry
			if e, err = req.entry(); err == nil {
				var cm *mitreden.Comment
				cm, err = s.deps.Assisted.EnterComment(ctx, actor, id, proposalIDOf(req.ProposalID), e,
					mitreden.Comment{Body: req.Body, ParentID: req.ParentID, Alignment: req.Alignment, Lang: req.Lang})
				if err == nil && cm.Held == "" {
					back = "/comments/" + cm.ID
				}
			}
		}
		values = req.EntryRequest.values()
		values["proposal_id"], values["body"], values["alignment"] = req.ProposalID, req.Body, req.Alignment
	case "votes":
		var req assistedVoteRequest
		if err = s.parseForm(c, &req); err == nil {
			var e mitreden.AssistedEntry
			if e, err = req.entry(); err == nil {
				_, err = s.deps.Assisted.EnterVote(ctx, actor, id, proposalIDOf(req.ProposalID), e, req.Value)
				if err == nil {
					back = "/proposals/" + proposalIDOf(req.ProposalID)
				} else if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
					// The record is the page's: its absence is the page's
					// 404; a missing proposal is the field's mistake.
					if _, rerr := s.deps.Assisted.ReadRecord(ctx, actor, id); rerr != nil {
						return rerr
					}
					err = mitreden.Invalid(mitreden.FieldError{Field: "proposal_id", Code: "exists", Message: "validation.proposal"})
				}
			}
		}
		values = req.EntryRequest.values()
		values["proposal_id"], values["value"] = req.ProposalID, req.Value
	}
	code := mitreden.ErrorCode(err)
	if limited := retryLater(c, err); formFailed(err) || limited || code == mitreden.ECONFLICT {
		status := formStatus(err)
		if limited {
			status = fiber.StatusTooManyRequests
		}
		return s.renderEntryForm(c, status, values, fieldlessConflict(err))
	} else if err != nil {
		return err
	}
	s.flash(c, "assisted.entered")
	return c.Redirect(back, fiber.StatusSeeOther)
}

func (s *Server) handleLetters(c *fiber.Ctx) error {
	ls, err := s.deps.Assisted.Letters(c.UserContext(), userOf(c))
	if err != nil {
		return err
	}
	p := s.page(c, "assisted.letters_title")
	p.Data = fiber.Map{"Letters": ls}
	return s.render(c, fiber.StatusOK, "assisted/letters", p)
}

func (s *Server) handleLetter(c *fiber.Ctx) error {
	l, err := s.deps.Assisted.ReadLetter(c.UserContext(), userOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	p := s.page(c, "assisted.letter_title")
	pr := l.Proposal
	p.Data = fiber.Map{"L": l, "Operator": s.cfg.Operator, "Body": storedHTML(pr.BodyHTML, pr.Body, pr.HTMLVersion),
		"Answer": storedHTML(pr.AnswerHTML, pr.Answer, pr.HTMLVersion), "URL": strings.TrimRight(s.cfg.BaseURL, "/") + "/proposals/" + pr.ID}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	// A page of its own, without the site's header and navigation: it is
	// the letter.
	return s.views.render(c.Status(fiber.StatusOK), "assisted/letter", p, false)
}

func (s *Server) handleLetterSent(c *fiber.Ctx) error {
	if _, err := s.deps.Assisted.MarkLetterSent(c.UserContext(), userOf(c), c.Params("id")); err != nil {
		return err
	}
	s.flash(c, "assisted.letter_marked")
	return c.Redirect("/assisted/letters", fiber.StatusSeeOther)
}

func (s *Server) handleCorrectForm(c *fiber.Ctx) error {
	return s.renderCorrect(c, fiber.StatusOK, nil, nil)
}

func (s *Server) renderCorrect(c *fiber.Ctx, status int, values map[string]string, err error) error {
	typ := c.Params("type")
	pr, cm, rerr := s.deps.Assisted.ReadCorrection(c.UserContext(), userOf(c), typ, c.Params("id"))
	if rerr != nil {
		return rerr
	}
	p := s.page(c, "assisted.correct_title")
	v := map[string]string{}
	var prov *mitreden.Provenance
	back := ""
	if pr != nil {
		v["title"], v["body"], prov, back = pr.Title, pr.Body, pr.Prov, "/proposals/"+pr.ID
	} else {
		v["body"], prov, back = cm.Body, cm.Prov, "/comments/"+cm.ID
	}
	if values != nil {
		v = values
	}
	s.fillForm(p, v, err, nil)
	p.Data = fiber.Map{"Type": typ, "Prov": prov, "Back": back, "Action": c.Path()}
	return s.render(c, status, "assisted/correct", p)
}

func (s *Server) handleCorrect(c *fiber.Ctx) error {
	var req correctRequest
	err := s.parseForm(c, &req)
	back := ""
	if err == nil {
		switch c.Params("type") {
		case mitreden.ItemProposal:
			var pr *mitreden.Proposal
			if pr, err = s.deps.Assisted.CorrectProposal(c.UserContext(), userOf(c), c.Params("id"), req.Title, req.Body); err == nil {
				back = "/proposals/" + pr.ID
			}
		case mitreden.ItemComment:
			var cm *mitreden.Comment
			if cm, err = s.deps.Assisted.CorrectComment(c.UserContext(), userOf(c), c.Params("id"), req.Body); err == nil {
				back = "/comments/" + cm.ID
			}
		default:
			return fiber.ErrNotFound
		}
	}
	if formFailed(err) || mitreden.ErrorCode(err) == mitreden.ECONFLICT {
		return s.renderCorrect(c, formStatus(err), map[string]string{"title": req.Title, "body": req.Body}, fieldlessConflict(err))
	} else if err != nil {
		return err
	}
	s.flash(c, "assisted.corrected_done")
	return c.Redirect(back, fiber.StatusSeeOther)
}

func (s *Server) handleStatistics(c *fiber.Ctx) error {
	st, err := s.deps.Assisted.ReadStats(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	p := s.page(c, "assisted.stats_title")
	p.Data = fiber.Map{"S": st, "C": st.Consultation}
	return s.render(c, fiber.StatusOK, "consultations/statistics", p)
}
