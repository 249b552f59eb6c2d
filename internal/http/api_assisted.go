package http

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// provenanceJSON is what the public learns of how a contribution reached
// the platform: its channel ("online" for everything people wrote
// themselves), and for what staff entered the date of receipt, whether it
// was entered after the close and when it was corrected. Never who entered
// it, the file number or the person's record.
type provenanceJSON struct {
	Channel     string     `json:"channel"`
	ReceivedAt  *time.Time `json:"received_at,omitempty"`
	LateEntry   bool       `json:"late_entry,omitempty"`
	CorrectedAt *time.Time `json:"corrected_at,omitempty"`
}

func toProvenanceJSON(p *mitreden.Provenance) provenanceJSON {
	j := provenanceJSON{Channel: mitreden.ChannelOf(p)}
	if p != nil {
		at := p.ReceivedAt
		j.ReceivedAt, j.LateEntry = &at, p.Late
		if !p.CorrectedAt.IsZero() {
			ct := p.CorrectedAt
			j.CorrectedAt = &ct
		}
	}
	return j
}

// recordJSON is a participant record as staff see it.
type recordJSON struct {
	ID           string     `json:"id"`
	DisplayName  string     `json:"display_name"`
	PublicName   string     `json:"public_name"`
	Anonymous    bool       `json:"anonymous"`
	Locality     string     `json:"locality"`
	Address      string     `json:"address"`
	Phone        string     `json:"phone"`
	Email        string     `json:"email"`
	LinkedUserID string     `json:"linked_user_id,omitempty"`
	LinkedAt     *time.Time `json:"linked_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
}

func toRecordJSON(r *mitreden.ParticipantRecord) recordJSON {
	j := recordJSON{ID: r.ID, DisplayName: r.DisplayName, PublicName: r.PublicName(), Anonymous: r.Anonymous, Locality: r.Locality,
		Address: r.Address, Phone: r.Phone, Email: r.Email, LinkedUserID: r.LinkedUserID, CreatedAt: r.CreatedAt}
	if !r.LinkedAt.IsZero() {
		at := r.LinkedAt
		j.LinkedAt = &at
	}
	return j
}

func (s *Server) apiRecordCreate(c *fiber.Ctx) error {
	var req recordRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	r := req.record()
	if err := s.deps.Assisted.CreateRecord(c.UserContext(), userOf(c), r); err != nil {
		return err
	}
	c.Location("/api/v1/assisted/participants/" + r.ID)
	return sendJSON(c, fiber.StatusCreated, toRecordJSON(r))
}

// recordQuery searches records.
type recordQuery struct {
	Q string `query:"q" validate:"max=200"`
}

func (s *Server) apiRecords(c *fiber.Ctx) error {
	var q recordQuery
	if err := s.parseQuery(c, &q); err != nil {
		return err
	}
	recs, err := s.deps.Assisted.SearchRecords(c.UserContext(), userOf(c), q.Q)
	if err != nil {
		return err
	}
	out := listJSON[recordJSON]{Items: []recordJSON{}, Total: len(recs), Page: 1, PerPage: 50}
	for _, r := range recs {
		out.Items = append(out.Items, toRecordJSON(r))
	}
	return sendJSON(c, fiber.StatusOK, out)
}

// auditJSON is one audit entry.
type auditJSON struct {
	At         time.Time  `json:"at"`
	Staff      string     `json:"staff"`
	Action     string     `json:"action"`
	ItemType   string     `json:"item_type,omitempty"`
	ItemID     string     `json:"item_id,omitempty"`
	Value      string     `json:"value,omitempty"`
	Channel    string     `json:"channel,omitempty"`
	ReceivedAt *time.Time `json:"received_at,omitempty"`
	Reference  string     `json:"reference,omitempty"`
}

// recordReadJSON is a record with its audit.
type recordReadJSON struct {
	recordJSON
	Audit []auditJSON `json:"audit"`
}

func (s *Server) apiRecord(c *fiber.Ctx) error {
	rr, err := s.deps.Assisted.ReadRecord(c.UserContext(), userOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	out := recordReadJSON{recordJSON: toRecordJSON(rr.Record), Audit: []auditJSON{}}
	for _, a := range rr.Audit {
		j := auditJSON{At: a.At, Staff: a.Staff, Action: a.Action, ItemType: a.ItemType, ItemID: a.ItemID, Value: a.Value, Channel: a.Channel, Reference: a.Reference}
		if !a.ReceivedAt.IsZero() {
			at := a.ReceivedAt
			j.ReceivedAt = &at
		}
		out.Audit = append(out.Audit, j)
	}
	return sendJSON(c, fiber.StatusOK, out)
}

func (s *Server) apiAssistedProposal(c *fiber.Ctx) error {
	var req assistedProposalRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	e, err := req.entry()
	if err != nil {
		return err
	}
	pr := &mitreden.Proposal{Title: req.Title, Body: req.Body, Topics: topicsOf(req.Topics), Lang: req.Lang}
	if err := s.deps.Assisted.EnterProposal(c.UserContext(), userOf(c), c.Params("id"), req.ConsultationID, e, pr); err != nil {
		return err
	}
	if pr.Held != "" {
		return s.heldJSON(c, mitreden.ItemProposal, pr.ID, pr.Held)
	}
	return s.apiProposalAnswer(c, fiber.StatusCreated, pr.ID)
}

func (s *Server) apiAssistedComment(c *fiber.Ctx) error {
	var req assistedCommentRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	e, err := req.entry()
	if err != nil {
		return err
	}
	cm, err := s.deps.Assisted.EnterComment(c.UserContext(), userOf(c), c.Params("id"), req.ProposalID, e,
		mitreden.Comment{Body: req.Body, ParentID: req.ParentID, Alignment: req.Alignment, Lang: req.Lang})
	if err != nil {
		return err
	}
	if cm.Held != "" {
		return s.heldJSON(c, mitreden.ItemComment, cm.ID, cm.Held)
	}
	it, err := s.deps.Participation.ReadComment(c.UserContext(), userOf(c), cm.ID)
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusCreated, s.commentJSON(c, it))
}

func (s *Server) apiAssistedVote(c *fiber.Ctx) error {
	var req assistedVoteRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	e, err := req.entry()
	if err != nil {
		return err
	}
	return s.voteAnswer(c, func() (*mitreden.VoteResult, error) {
		return s.deps.Assisted.EnterVote(c.UserContext(), userOf(c), c.Params("id"), c.Params("proposal_id"), e, req.Value)
	})
}

// linkJSON says what a link did with the record's votes.
type linkJSON struct {
	Record     recordJSON `json:"record"`
	Moved      int        `json:"moved"`
	Duplicates int        `json:"duplicates"`
	OverLimit  int        `json:"over_limit"`
}

func (s *Server) apiRecordLink(c *fiber.Ctx) error {
	var req linkRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	res, err := s.deps.Assisted.Link(c.UserContext(), userOf(c), c.Params("id"), req.UserID)
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, linkJSON{Record: toRecordJSON(res.Record), Moved: res.Moved, Duplicates: res.Duplicates, OverLimit: res.OverLimit})
}

// letterJSON is an answer to send by post.
type letterJSON struct {
	ProposalID        string     `json:"proposal_id"`
	ProposalTitle     string     `json:"proposal_title"`
	ConsultationID    string     `json:"consultation_id"`
	ConsultationTitle string     `json:"consultation_title"`
	Status            string     `json:"status"`
	Answer            string     `json:"answer"`
	AnsweredAt        time.Time  `json:"answered_at"`
	Record            recordJSON `json:"record"`
	SentAt            *time.Time `json:"sent_at,omitempty"`
	// URL is the printable letter.
	URL string `json:"url"`
}

func toLetterJSON(l *service.Letter) letterJSON {
	j := letterJSON{ProposalID: l.Proposal.ID, ProposalTitle: l.Proposal.Title, ConsultationID: l.Consultation.ID,
		ConsultationTitle: l.Consultation.Title, Status: l.Proposal.Status, Answer: l.Proposal.Answer, AnsweredAt: l.Proposal.AnsweredAt,
		Record: toRecordJSON(l.Record), URL: "/assisted/letters/" + l.Proposal.ID}
	if !l.SentAt.IsZero() {
		at := l.SentAt
		j.SentAt = &at
	}
	return j
}

func (s *Server) apiLetters(c *fiber.Ctx) error {
	ls, err := s.deps.Assisted.Letters(c.UserContext(), userOf(c))
	if err != nil {
		return err
	}
	out := listJSON[letterJSON]{Items: []letterJSON{}, Total: len(ls), Page: 1, PerPage: max(len(ls), 1)}
	for _, l := range ls {
		out.Items = append(out.Items, toLetterJSON(l))
	}
	return sendJSON(c, fiber.StatusOK, out)
}

func (s *Server) apiLetterSent(c *fiber.Ctx) error {
	l, err := s.deps.Assisted.MarkLetterSent(c.UserContext(), userOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, toLetterJSON(l))
}

// channelRowJSON is one channel's counts.
type channelRowJSON struct {
	Channel   string `json:"channel"`
	Proposals int    `json:"proposals"`
	Comments  int    `json:"comments"`
	Votes     int    `json:"votes"`
}

// statisticsJSON is a consultation's contributions by channel.
type statisticsJSON struct {
	ConsultationID string           `json:"consultation_id"`
	Channels       []channelRowJSON `json:"channels"`
	Total          channelRowJSON   `json:"total"`
}

func (s *Server) apiStatistics(c *fiber.Ctx) error {
	st, err := s.deps.Assisted.ReadStats(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	out := statisticsJSON{ConsultationID: st.Consultation.ID, Channels: []channelRowJSON{},
		Total: channelRowJSON{Channel: "total", Proposals: st.Total.Proposals, Comments: st.Total.Comments, Votes: st.Total.Votes}}
	for _, r := range st.Rows {
		out.Channels = append(out.Channels, channelRowJSON{Channel: r.Channel, Proposals: r.Proposals, Comments: r.Comments, Votes: r.Votes})
	}
	return sendJSON(c, fiber.StatusOK, out)
}
