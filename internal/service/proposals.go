package service

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// CreateProposal stores a citizen's proposal in an open consultation.
// Returns EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, ECONFLICT (not open, proposals off), EINVALID.
func (p *Participation) CreateProposal(ctx context.Context, actor *mitreden.User, consultationID string, pr *mitreden.Proposal) error {
	c, err := p.st.FindConsultation(ctx, consultationID)
	if err != nil {
		return err
	}
	if err := canPropose(actor, c, p.now()).Err(); err != nil {
		return err
	}
	return p.createProposal(ctx, actor, c, pr)
}

// createProposal validates, holds or publishes a proposal of author in c
// once the rules admitted it: the online path and staff entries on behalf
// of a person (assisted.go) share it, so both are validated, held,
// counted and indexed alike.
func (p *Participation) createProposal(ctx context.Context, actor *mitreden.User, c *mitreden.Consultation, pr *mitreden.Proposal) error {
	if err := pr.Validate(); err != nil {
		return err
	}
	if err := p.Guards.Proposal(ctx, actor, pr.Body); err != nil {
		return err
	}
	pr.ConsultationID, pr.AuthorID, pr.AuthorName = c.ID, actor.ID, actor.DisplayName
	pr.Status, pr.Tally, pr.CommentCount = mitreden.StatusSubmitted, mitreden.Tally{}, 0
	pr.Rand = rand.Int64N(1 << 62)
	pr.CreatedAt = p.now()
	pr.Lang = mitreden.ContentLang(pr.Lang, actor.Language, pr.Title, pr.Body)
	RenderProposal(pr)
	if why, words := p.holdReason(actor, c, pr.Title, pr.Body); why != "" {
		// Published when a moderator releases it, under the id it gets now.
		pr.ID, pr.Held = p.st.NewItemID(), why
		return p.hold(ctx, &mitreden.QueueEntry{ItemType: mitreden.ItemProposal, ItemID: pr.ID, ConsultationID: c.ID,
			TargetType: "consultation", TargetID: c.ID, AuthorID: actor.ID, Held: &mitreden.HeldContribution{Why: why, Words: words, Proposal: pr}})
	}
	return p.publishProposal(ctx, pr, c)
}

// publishProposal stores a new proposal, counts it and makes it findable.
func (p *Participation) publishProposal(ctx context.Context, pr *mitreden.Proposal, c *mitreden.Consultation) error {
	if err := p.st.CreateProposal(ctx, pr); err != nil {
		return err
	}
	if err := p.st.IncConsultationCounts(ctx, c.ID, 1, 0); err != nil {
		p.log.Warn("consultation counter", "err", err)
	}
	p.addParticipant(ctx, c.ID, pr.AuthorID)
	p.index(ctx, p.docs.Proposal(pr, c)...)
	p.proposalPublished(ctx, pr)
	return nil
}

// Proposal returns a proposal with its consultation. Returns ENOTFOUND.
func (p *Participation) Proposal(ctx context.Context, id string) (*mitreden.Proposal, *mitreden.Consultation, error) {
	pr, err := p.st.FindProposal(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	c, err := p.st.FindConsultation(ctx, pr.ConsultationID)
	if err != nil {
		return nil, nil, err
	}
	return pr, c, nil
}

// Proposals lists the proposals of a consultation.
func (p *Participation) Proposals(ctx context.Context, f mitreden.ProposalFilter) ([]*mitreden.Proposal, int, error) {
	if f.Sort != "" && !slices.Contains(mitreden.ProposalSorts, f.Sort) {
		return nil, 0, mitreden.Invalid(mitreden.FieldError{Field: "sort", Code: "oneof", Message: "validation.oneof"})
	}
	if f.Status != "" && !slices.Contains(mitreden.ProposalStatuses, f.Status) {
		return nil, 0, mitreden.Invalid(mitreden.FieldError{Field: "status", Code: "oneof", Message: "validation.oneof"})
	}
	if f.Status == "" && f.Topic == "" {
		if c, err := p.st.FindConsultation(ctx, f.ConsultationID); err == nil {
			f.Total, f.TotalKnown = c.ProposalCount, true
		}
	}
	return p.st.ListProposals(ctx, f)
}

// EditProposal changes title, body and topics while nobody supported or
// commented yet. Returns EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, ECONFLICT, EINVALID.
func (p *Participation) EditProposal(ctx context.Context, actor *mitreden.User, id string, upd mitreden.Proposal) (*mitreden.Proposal, error) {
	pr, c, err := p.Proposal(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := canEditProposal(actor, pr, c, p.now()).Err(); err != nil {
		return nil, err
	}
	if pr.Hidden {
		return nil, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "moderation.item_hidden"}
	}
	pr.Title, pr.Body, pr.Topics, pr.Lang = upd.Title, upd.Body, upd.Topics, upd.Lang
	if err := pr.Validate(); err != nil {
		return nil, err
	}
	if err := p.Guards.Links(actor, pr.Body); err != nil {
		return nil, err
	}
	pr.Lang = mitreden.ContentLang(pr.Lang, actor.Language, pr.Title, pr.Body)
	pr.BodyHTML = renderText(pr.Body)
	if err := p.st.UpdateProposalContent(ctx, pr); err != nil {
		return nil, err
	}
	p.index(ctx, p.docs.Proposal(pr, c)...)
	if err := p.reviewEdit(ctx, actor, c, &modItem{pr: pr}, pr.Title, pr.Body); err != nil {
		return nil, err
	}
	return pr, nil
}

// WithdrawProposal marks the author's proposal withdrawn; it stays readable
// and takes no more votes. Withdrawing ends with the participation phase, so
// that every proposal submitted by the close can be answered. Returns
// EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, ECONFLICT (decided, closed).
func (p *Participation) WithdrawProposal(ctx context.Context, actor *mitreden.User, id string) (*mitreden.Proposal, error) {
	pr, c, err := p.Proposal(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := canWithdraw(actor, pr, c, p.now()).Err(); err != nil {
		return nil, err
	}
	pr.Status = mitreden.StatusWithdrawn
	pr.AnswerHTML = renderText(pr.Answer) // stored with the answer
	if err := p.st.SetProposalStatus(ctx, pr); err != nil {
		return nil, err
	}
	p.index(ctx, p.docs.Proposal(pr, c)...)
	p.proposalAnswered(ctx, actor, pr)
	return pr, nil
}

// AnswerProposal sets the official status and answer. Admins only; a
// rejection needs an answer text. Returns EINVALID, ECONFLICT (withdrawn).
func (p *Participation) AnswerProposal(ctx context.Context, actor *mitreden.User, id, status, answer string) (*mitreden.Proposal, error) {
	if err := canManage(actor).Err(); err != nil {
		return nil, err
	}
	pr, c, err := p.Proposal(ctx, id)
	if err != nil {
		return nil, err
	}
	answer = strings.TrimSpace(answer)
	var fs []mitreden.FieldError
	if !slices.Contains(mitreden.AnswerStatuses, status) {
		fs = append(fs, mitreden.FieldError{Field: "status", Code: "oneof", Message: "validation.oneof"})
	}
	if status == mitreden.StatusRejected && answer == "" {
		fs = append(fs, mitreden.FieldError{Field: "answer", Code: "required", Message: "validation.answer_required"})
	}
	if len([]rune(answer)) > 20000 {
		fs = append(fs, mitreden.FieldError{Field: "answer", Code: "max", Message: "validation.max", Args: map[string]any{"param": 20000}})
	} else if fe := mitreden.CheckText("answer", answer); fe != nil {
		fs = append(fs, *fe)
	}
	if len(fs) > 0 {
		return nil, mitreden.Invalid(fs...)
	}
	if err := canAnswer(actor, pr).Err(); err != nil {
		return nil, err
	}
	now := p.now()
	if pr.AnsweredAt.IsZero() {
		pr.ResponseSeconds = int64(now.Sub(pr.CreatedAt).Seconds())
	}
	pr.Status, pr.Answer, pr.AnsweredByID, pr.AnsweredBy, pr.AnsweredAt = status, answer, actor.ID, actor.DisplayName, now
	pr.AnswerHTML = renderText(answer)
	// The answer is written by staff, perhaps in another language than the
	// proposal: detected from its own text.
	pr.AnswerLang = mitreden.ContentLang("", actor.Language, answer)
	if err := p.st.SetProposalStatus(ctx, pr); err != nil {
		return nil, err
	}
	p.index(ctx, p.docs.Proposal(pr, c)...)
	p.proposalAnswered(ctx, actor, pr)
	return pr, nil
}
