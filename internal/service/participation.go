package service

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mitreden/mitreden/internal/markdown"
	"github.com/mitreden/mitreden/internal/mitreden"
)

// Participation is the use case layer for consultations, proposals, votes and
// comments. Every write keeps the search index in step; a failed index call
// is logged and never fails the write (the index catches up by reindex).
type Participation struct {
	st     mitreden.ParticipationStore
	search mitreden.Searcher
	now    Clock
	log    *slog.Logger
}

// NewParticipation wires the service; searcher may be nil.
func NewParticipation(st mitreden.ParticipationStore, searcher mitreden.Searcher, now Clock, log *slog.Logger) *Participation {
	if now == nil {
		now = SystemClock
	}
	if log == nil {
		log = slog.Default()
	}
	return &Participation{st: st, search: searcher, now: now, log: log}
}

// Now returns the service clock (pages show phases with it).
func (p *Participation) Now() time.Time { return p.now() }

func requireParticipant(actor *mitreden.User) error {
	if actor == nil {
		return &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
	}
	if actor.Blocked {
		return &mitreden.Error{Code: mitreden.EFORBIDDEN, Message: "participation.blocked"}
	}
	return nil
}

// --- consultations ---

// CreateConsultation validates and stores c. Admins only.
// Returns EUNAUTHORIZED, EFORBIDDEN, EINVALID.
func (p *Participation) CreateConsultation(ctx context.Context, actor *mitreden.User, c *mitreden.Consultation) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	c.CreatedBy = actor.ID
	c.CreatedAt = p.now()
	if err := p.st.CreateConsultation(ctx, c); err != nil {
		return err
	}
	p.index(ctx, p.consultationDoc(c))
	return nil
}

// UpdateConsultation replaces the editable fields of the consultation c.ID. Admins only.
func (p *Participation) UpdateConsultation(ctx context.Context, actor *mitreden.User, c *mitreden.Consultation) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	old, err := p.st.FindConsultation(ctx, c.ID)
	if err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	c.Results, c.EvaluatedAt = old.Results, old.EvaluatedAt
	c.ProposalCount, c.CommentCount, c.CreatedBy, c.CreatedAt = old.ProposalCount, old.CommentCount, old.CreatedBy, old.CreatedAt
	if err := p.st.UpdateConsultation(ctx, c); err != nil {
		return err
	}
	p.index(ctx, p.consultationDoc(c))
	return nil
}

// PublishResults moves a closed consultation to evaluated with a results text.
// Returns ECONFLICT before the consultation closed.
func (p *Participation) PublishResults(ctx context.Context, actor *mitreden.User, id, results string) (*mitreden.Consultation, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	c, err := p.st.FindConsultation(ctx, id)
	if err != nil {
		return nil, err
	}
	if ph := c.Phase(p.now()); ph == mitreden.PhaseUpcoming || ph == mitreden.PhaseOpen {
		return nil, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "consultation.results_too_early", Args: map[string]any{"date": c.ClosesAt}}
	}
	results = strings.TrimSpace(results)
	if results == "" || len([]rune(results)) > 50000 {
		return nil, mitreden.Invalid(mitreden.FieldError{Field: "results", Code: "required", Message: "validation.required"})
	}
	c.Results = results
	if c.EvaluatedAt.IsZero() {
		c.EvaluatedAt = p.now()
	}
	if err := p.st.UpdateConsultation(ctx, c); err != nil {
		return nil, err
	}
	p.index(ctx, p.consultationDoc(c))
	return c, nil
}

// Consultation returns one consultation. Returns ENOTFOUND.
func (p *Participation) Consultation(ctx context.Context, id string) (*mitreden.Consultation, error) {
	return p.st.FindConsultation(ctx, id)
}

// Consultations lists consultations.
func (p *Participation) Consultations(ctx context.Context, f mitreden.ConsultationFilter) ([]*mitreden.Consultation, int, error) {
	f.Now = p.now()
	return p.st.ListConsultations(ctx, f)
}

// --- proposals ---

// CreateProposal stores a citizen's proposal in an open consultation.
// Returns EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, ECONFLICT (not open, proposals off), EINVALID.
func (p *Participation) CreateProposal(ctx context.Context, actor *mitreden.User, consultationID string, pr *mitreden.Proposal) error {
	if err := requireParticipant(actor); err != nil {
		return err
	}
	c, err := p.st.FindConsultation(ctx, consultationID)
	if err != nil {
		return err
	}
	if err := c.NotOpenError(p.now()); err != nil {
		return err
	}
	if !c.ProposalsEnabled {
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "proposal.disabled"}
	}
	if err := pr.Validate(); err != nil {
		return err
	}
	pr.ConsultationID, pr.AuthorID, pr.AuthorName = c.ID, actor.ID, actor.DisplayName
	pr.Status, pr.Tally, pr.CommentCount = mitreden.StatusSubmitted, mitreden.Tally{}, 0
	pr.Rand = rand.Int64N(1 << 62)
	pr.CreatedAt = p.now()
	if err := p.st.CreateProposal(ctx, pr); err != nil {
		return err
	}
	if err := p.st.IncConsultationCounts(ctx, c.ID, 1, 0); err != nil {
		p.log.Warn("consultation counter", "err", err)
	}
	p.index(ctx, p.proposalDocs(pr, c)...)
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

// CanEditProposal tells whether actor may still edit pr (author, no votes or comments yet).
func CanEditProposal(actor *mitreden.User, pr *mitreden.Proposal, c *mitreden.Consultation, now time.Time) bool {
	return actor != nil && actor.ID == pr.AuthorID && pr.Status == mitreden.StatusSubmitted &&
		pr.Tally.Total() == 0 && pr.CommentCount == 0 && c.Phase(now) == mitreden.PhaseOpen
}

// EditProposal changes title, body and topics while nobody supported or
// commented yet. Returns EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, ECONFLICT, EINVALID.
func (p *Participation) EditProposal(ctx context.Context, actor *mitreden.User, id string, upd mitreden.Proposal) (*mitreden.Proposal, error) {
	if err := requireParticipant(actor); err != nil {
		return nil, err
	}
	pr, c, err := p.Proposal(ctx, id)
	if err != nil {
		return nil, err
	}
	if pr.AuthorID != actor.ID {
		return nil, &mitreden.Error{Code: mitreden.EFORBIDDEN, Message: "proposal.not_author"}
	}
	if err := c.NotOpenError(p.now()); err != nil {
		return nil, err
	}
	if pr.Tally.Total() > 0 || pr.CommentCount > 0 || pr.Status != mitreden.StatusSubmitted {
		return nil, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "proposal.edit_locked"}
	}
	pr.Title, pr.Body, pr.Topics = upd.Title, upd.Body, upd.Topics
	if err := pr.Validate(); err != nil {
		return nil, err
	}
	if err := p.st.UpdateProposalContent(ctx, pr); err != nil {
		return nil, err
	}
	p.index(ctx, p.proposalDocs(pr, c)...)
	return pr, nil
}

// WithdrawProposal marks the author's proposal withdrawn; it stays readable and takes no more votes.
func (p *Participation) WithdrawProposal(ctx context.Context, actor *mitreden.User, id string) (*mitreden.Proposal, error) {
	if err := requireParticipant(actor); err != nil {
		return nil, err
	}
	pr, c, err := p.Proposal(ctx, id)
	if err != nil {
		return nil, err
	}
	if pr.AuthorID != actor.ID {
		return nil, &mitreden.Error{Code: mitreden.EFORBIDDEN, Message: "proposal.not_author"}
	}
	if pr.Status != mitreden.StatusSubmitted && pr.Status != mitreden.StatusInReview {
		return nil, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "proposal.cannot_withdraw"}
	}
	pr.Status = mitreden.StatusWithdrawn
	if err := p.st.SetProposalStatus(ctx, pr); err != nil {
		return nil, err
	}
	p.index(ctx, p.proposalDocs(pr, c)...)
	return pr, nil
}

// AnswerProposal sets the official status and answer. Admins only; a
// rejection needs an answer text. Returns EINVALID, ECONFLICT (withdrawn).
func (p *Participation) AnswerProposal(ctx context.Context, actor *mitreden.User, id, status, answer string) (*mitreden.Proposal, error) {
	if err := requireAdmin(actor); err != nil {
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
	}
	if len(fs) > 0 {
		return nil, mitreden.Invalid(fs...)
	}
	if pr.Status == mitreden.StatusWithdrawn {
		return nil, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "proposal.withdrawn"}
	}
	now := p.now()
	if pr.AnsweredAt.IsZero() {
		pr.ResponseSeconds = int64(now.Sub(pr.CreatedAt).Seconds())
	}
	pr.Status, pr.Answer, pr.AnsweredByID, pr.AnsweredBy, pr.AnsweredAt = status, answer, actor.ID, actor.DisplayName, now
	if err := p.st.SetProposalStatus(ctx, pr); err != nil {
		return nil, err
	}
	p.index(ctx, p.proposalDocs(pr, c)...)
	return pr, nil
}

// --- votes ---

func tallyOf(value string, n int) mitreden.Tally {
	switch value {
	case "support":
		return mitreden.Tally{Support: n}
	case "yes":
		return mitreden.Tally{Yes: n}
	case "no":
		return mitreden.Tally{No: n}
	case "abstain":
		return mitreden.Tally{Abstain: n}
	}
	return mitreden.Tally{}
}

func (p *Participation) votable(ctx context.Context, actor *mitreden.User, proposalID string) (*mitreden.Proposal, *mitreden.Consultation, error) {
	if err := requireParticipant(actor); err != nil {
		return nil, nil, err
	}
	pr, c, err := p.Proposal(ctx, proposalID)
	if err != nil {
		return nil, nil, err
	}
	if err := c.NotOpenError(p.now()); err != nil {
		return nil, nil, err
	}
	if pr.Status == mitreden.StatusWithdrawn {
		return nil, nil, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "proposal.withdrawn"}
	}
	return pr, c, nil
}

// Vote records actor's vote. The store's deterministic key allows one vote
// per user and proposal; the same value again changes nothing. The support
// limit of the consultation holds under concurrency through a conditional
// per-user quota. Returns EINVALID (value), ECONFLICT (closed, withdrawn, limit).
func (p *Participation) Vote(ctx context.Context, actor *mitreden.User, proposalID, value string) (*mitreden.VoteResult, error) {
	pr, c, err := p.votable(ctx, actor, proposalID)
	if err != nil {
		return nil, err
	}
	allowed := []string{"support"}
	if c.VotingMode == mitreden.VotingRating {
		allowed = []string{"yes", "no", "abstain"}
	}
	if !slices.Contains(allowed, value) {
		return nil, mitreden.Invalid(mitreden.FieldError{Field: "value", Code: "oneof", Message: "validation.vote_value",
			Args: map[string]any{"values": strings.Join(allowed, ", ")}})
	}
	limited := c.MaxSupports > 0 && value == "support"
	if limited {
		if old, err := p.st.FindVote(ctx, pr.ID, actor.ID); err == nil && old == value {
			return &mitreden.VoteResult{Changed: false, Value: value, Tally: pr.Tally}, nil
		}
		if err := p.st.ReserveSupport(ctx, c.ID, actor.ID, c.MaxSupports); err != nil {
			// A concurrent duplicate of this request may hold the last support.
			if old, ferr := p.st.FindVote(ctx, pr.ID, actor.ID); ferr == nil && old == value {
				return p.voteResult(ctx, pr.ID, false, value)
			}
			return nil, err
		}
	}
	err = p.st.InsertVote(ctx, pr.ID, actor.ID, c.ID, value)
	switch mitreden.ErrorCode(err) {
	case "":
		if err := p.st.IncProposalCounts(ctx, pr.ID, tallyOf(value, 1), 0, ""); err != nil {
			return nil, err
		}
		return p.voteResult(ctx, pr.ID, true, value)
	case mitreden.ECONFLICT:
		if limited {
			_ = p.st.ReleaseSupport(ctx, c.ID, actor.ID)
		}
	default:
		if limited {
			_ = p.st.ReleaseSupport(ctx, c.ID, actor.ID)
		}
		return nil, err
	}
	// The user voted before: same value changes nothing, another swaps.
	old, err := p.st.FindVote(ctx, pr.ID, actor.ID)
	if err != nil {
		return nil, err
	}
	if old == value {
		return p.voteResult(ctx, pr.ID, false, value)
	}
	if err := p.st.ChangeVote(ctx, pr.ID, actor.ID, old, value); err != nil {
		return nil, err
	}
	delta := tallyOf(value, 1)
	o := tallyOf(old, -1)
	delta.Support += o.Support
	delta.Yes += o.Yes
	delta.No += o.No
	delta.Abstain += o.Abstain
	if err := p.st.IncProposalCounts(ctx, pr.ID, delta, 0, ""); err != nil {
		return nil, err
	}
	return p.voteResult(ctx, pr.ID, true, value)
}

func (p *Participation) voteResult(ctx context.Context, proposalID string, changed bool, value string) (*mitreden.VoteResult, error) {
	pr, err := p.st.FindProposal(ctx, proposalID)
	if err != nil {
		return nil, err
	}
	if changed {
		c, err := p.st.FindConsultation(ctx, pr.ConsultationID)
		if err == nil {
			p.index(ctx, p.proposalDocs(pr, c)[0])
		}
	}
	return &mitreden.VoteResult{Changed: changed, Value: value, Tally: pr.Tally}, nil
}

// Unvote withdraws actor's vote while the consultation is open. Withdrawing
// nothing is not an error (Changed is false).
func (p *Participation) Unvote(ctx context.Context, actor *mitreden.User, proposalID string) (*mitreden.VoteResult, error) {
	pr, c, err := p.votable(ctx, actor, proposalID)
	if err != nil && mitreden.ErrorMessage(err) != "proposal.withdrawn" {
		return nil, err
	}
	if pr == nil {
		if pr, c, err = p.Proposal(ctx, proposalID); err != nil {
			return nil, err
		}
	}
	old, err := p.st.DeleteVote(ctx, pr.ID, actor.ID)
	if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
		return &mitreden.VoteResult{Changed: false, Tally: pr.Tally}, nil
	} else if err != nil {
		return nil, err
	}
	if err := p.st.IncProposalCounts(ctx, pr.ID, tallyOf(old, -1), 0, ""); err != nil {
		return nil, err
	}
	if c.MaxSupports > 0 && old == "support" {
		if err := p.st.ReleaseSupport(ctx, c.ID, actor.ID); err != nil {
			p.log.Warn("release support", "err", err)
		}
	}
	return p.voteResult(ctx, pr.ID, true, "")
}

// MyVotes returns actor's votes on the proposals.
func (p *Participation) MyVotes(ctx context.Context, actor *mitreden.User, ids []string) (map[string]string, error) {
	if actor == nil {
		return map[string]string{}, nil
	}
	return p.st.UserVotes(ctx, actor.ID, ids)
}

// --- comments ---

// AddComment adds a comment to a proposal or consultation (replies nest up to
// three levels). Returns EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, ECONFLICT, EINVALID.
func (p *Participation) AddComment(ctx context.Context, actor *mitreden.User, targetType, targetID string, in mitreden.Comment) (*mitreden.Comment, error) {
	if err := requireParticipant(actor); err != nil {
		return nil, err
	}
	var c *mitreden.Consultation
	var pr *mitreden.Proposal
	var err error
	switch targetType {
	case "proposal":
		if pr, c, err = p.Proposal(ctx, targetID); err != nil {
			return nil, err
		}
	case "consultation":
		if c, err = p.st.FindConsultation(ctx, targetID); err != nil {
			return nil, err
		}
	default:
		return nil, &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
	}
	if err := c.NotOpenError(p.now()); err != nil {
		return nil, err
	}
	if !c.CommentsEnabled {
		return nil, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "comment.disabled"}
	}
	var fs []mitreden.FieldError
	if err := mitreden.ValidateCommentBody(in.Body); err != nil {
		fs = append(fs, err.(*mitreden.Error).Fields...)
	}
	if in.Alignment != "" && !slices.Contains(mitreden.Alignments, in.Alignment) {
		fs = append(fs, mitreden.FieldError{Field: "alignment", Code: "oneof", Message: "validation.oneof"})
	}
	depth := 0
	if in.ParentID != "" {
		parent, err := p.st.FindComment(ctx, in.ParentID)
		if err != nil || parent.TargetID != targetID || parent.TargetType != targetType {
			fs = append(fs, mitreden.FieldError{Field: "parent_id", Code: "exists", Message: "validation.parent"})
		} else if parent.Depth >= mitreden.CommentMaxDepth {
			fs = append(fs, mitreden.FieldError{Field: "parent_id", Code: "depth", Message: "validation.reply_depth", Args: map[string]any{"max": mitreden.CommentMaxDepth + 1}})
		} else {
			depth = parent.Depth + 1
		}
	}
	if len(fs) > 0 {
		return nil, mitreden.Invalid(fs...)
	}
	cm := &mitreden.Comment{TargetType: targetType, TargetID: targetID, ConsultationID: c.ID, ParentID: in.ParentID, Depth: depth,
		AuthorID: actor.ID, AuthorName: actor.DisplayName, Body: strings.TrimSpace(in.Body), Alignment: in.Alignment, CreatedAt: p.now()}
	if err := p.st.CreateComment(ctx, cm); err != nil {
		return nil, err
	}
	if pr != nil {
		if err := p.st.IncProposalCounts(ctx, pr.ID, mitreden.Tally{}, 1, cm.Alignment); err != nil {
			return nil, err
		}
		pr.CommentCount++
		p.index(ctx, p.proposalDocs(pr, c)[0])
	}
	if err := p.st.IncConsultationCounts(ctx, c.ID, 0, 1); err != nil {
		p.log.Warn("consultation counter", "err", err)
	}
	p.index(ctx, p.commentDoc(cm, c, pr))
	return cm, nil
}

// EditComment changes the author's comment within 15 minutes.
func (p *Participation) EditComment(ctx context.Context, actor *mitreden.User, id, body string) (*mitreden.Comment, error) {
	if err := requireParticipant(actor); err != nil {
		return nil, err
	}
	cm, err := p.st.FindComment(ctx, id)
	if err != nil {
		return nil, err
	}
	if cm.AuthorID != actor.ID {
		return nil, &mitreden.Error{Code: mitreden.EFORBIDDEN, Message: "comment.not_author"}
	}
	if cm.Deleted || p.now().Sub(cm.CreatedAt) > mitreden.CommentEditFor {
		return nil, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "comment.edit_window", Args: map[string]any{"minutes": 15}}
	}
	if err := mitreden.ValidateCommentBody(body); err != nil {
		return nil, err
	}
	body = strings.TrimSpace(body)
	if err := p.st.UpdateCommentBody(ctx, id, actor.ID, body, p.now()); err != nil {
		return nil, err
	}
	cm.Body, cm.Edited, cm.EditedAt = body, true, p.now()
	p.reindexComment(ctx, cm)
	return cm, nil
}

// DeleteComment replaces the author's comment by a placeholder so replies keep their context.
func (p *Participation) DeleteComment(ctx context.Context, actor *mitreden.User, id string) error {
	if err := requireParticipant(actor); err != nil {
		return err
	}
	cm, err := p.st.FindComment(ctx, id)
	if err != nil {
		return err
	}
	if cm.AuthorID != actor.ID {
		return &mitreden.Error{Code: mitreden.EFORBIDDEN, Message: "comment.not_author"}
	}
	if cm.Deleted {
		return nil
	}
	if err := p.st.MarkCommentDeleted(ctx, id, actor.ID); err != nil {
		return err
	}
	if cm.TargetType == "proposal" {
		if err := p.st.IncProposalCounts(ctx, cm.TargetID, mitreden.Tally{}, -1, cm.Alignment); err != nil {
			return err
		}
	}
	if err := p.st.IncConsultationCounts(ctx, cm.ConsultationID, 0, -1); err != nil {
		p.log.Warn("consultation counter", "err", err)
	}
	if p.search != nil {
		if err := p.search.Delete(ctx, mitreden.SearchDocID(mitreden.SearchTypeComment, id)); err != nil {
			p.log.Warn("search delete failed; will retry", "err", err)
			p.retryLater(ctx, mitreden.SearchDocID(mitreden.SearchTypeComment, id))
		}
	}
	return nil
}

// HideComment hides (or shows again) a comment for the public; moderators and
// admins only. The search index follows at once: a hidden comment is found
// only by moderators. Returns EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (p *Participation) HideComment(ctx context.Context, actor *mitreden.User, id string, hidden bool) (*mitreden.Comment, error) {
	if actor == nil {
		return nil, &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
	}
	if !actor.HasRole(mitreden.RoleModerator) && !actor.HasRole(mitreden.RoleAdmin) {
		return nil, &mitreden.Error{Code: mitreden.EFORBIDDEN, Message: "error.forbidden"}
	}
	cm, err := p.st.FindComment(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := p.st.SetCommentHidden(ctx, id, hidden); err != nil {
		return nil, err
	}
	cm.Hidden = hidden
	p.log.Info("comment visibility changed", "actor", actor.ID, "comment_id", id, "hidden", hidden)
	if !cm.Deleted {
		p.reindexComment(ctx, cm)
	}
	return cm, nil
}

// VoteComment stores actor's up (+1) or down (-1) vote on a comment; 0 withdraws.
func (p *Participation) VoteComment(ctx context.Context, actor *mitreden.User, id string, value int) (*mitreden.Comment, error) {
	if err := requireParticipant(actor); err != nil {
		return nil, err
	}
	if value < -1 || value > 1 {
		return nil, mitreden.Invalid(mitreden.FieldError{Field: "value", Code: "oneof", Message: "validation.comment_vote"})
	}
	cm, err := p.st.FindComment(ctx, id)
	if err != nil {
		return nil, err
	}
	if cm.Deleted {
		return nil, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "comment.deleted"}
	}
	old, err := p.st.PutCommentVote(ctx, id, actor.ID, value)
	if err != nil {
		return nil, err
	}
	up, down := 0, 0
	switch old {
	case 1:
		up--
	case -1:
		down--
	}
	switch value {
	case 1:
		up++
	case -1:
		down++
	}
	if up != 0 || down != 0 {
		if err := p.st.IncCommentVotes(ctx, id, up, down); err != nil {
			return nil, err
		}
	}
	cm.Up += up
	cm.Down += down
	return cm, nil
}

// CommentVotes returns actor's votes on comments.
func (p *Participation) CommentVotes(ctx context.Context, actor *mitreden.User, ids []string) (map[string]int, error) {
	if actor == nil {
		return map[string]int{}, nil
	}
	return p.st.UserCommentVotes(ctx, actor.ID, ids)
}

// CommentThread is a comment with its replies.
type CommentThread struct {
	*mitreden.Comment
	Replies []*CommentThread
}

// Comments returns the discussion of a target as threads, top level sorted by
// oldest, newest or best; replies oldest first.
func (p *Participation) Comments(ctx context.Context, targetType, targetID, order string) ([]*CommentThread, int, error) {
	list, err := p.st.ListComments(ctx, targetType, targetID)
	if err != nil {
		return nil, 0, err
	}
	byID := map[string]*CommentThread{}
	var top []*CommentThread
	visible := 0
	for _, c := range list {
		byID[c.ID] = &CommentThread{Comment: c}
		if !c.Deleted {
			visible++
		}
	}
	for _, c := range list {
		t := byID[c.ID]
		if parent, ok := byID[c.ParentID]; ok && c.ParentID != "" {
			parent.Replies = append(parent.Replies, t)
		} else {
			top = append(top, t)
		}
	}
	switch order {
	case "newest":
		sort.SliceStable(top, func(i, j int) bool { return top[i].CreatedAt.After(top[j].CreatedAt) })
	case "best":
		sort.SliceStable(top, func(i, j int) bool { return top[i].Score() > top[j].Score() })
	}
	return top, visible, nil
}

// --- search documents ---

func (p *Participation) index(ctx context.Context, docs ...mitreden.SearchDoc) {
	if p.search == nil || len(docs) == 0 {
		return
	}
	if err := p.search.Index(ctx, docs...); err != nil {
		ids := make([]string, len(docs))
		for i, d := range docs {
			ids[i] = d.ID
		}
		p.log.Warn("search index failed; will retry", "err", err, "docs", len(docs))
		p.retryLater(ctx, ids...)
	}
}

// retryLater records search documents whose indexing failed; RetryIndexing
// indexes them again from the store. Should even that fail, a reindex repairs
// the index.
func (p *Participation) retryLater(ctx context.Context, docIDs ...string) {
	if err := p.st.AddSearchRetries(context.WithoutCancel(ctx), docIDs...); err != nil {
		p.log.Error("search retry not recorded; a reindex will repair the index", "err", err, "docs", docIDs)
	}
}

// retryBatch is how many recorded documents RetryIndexing takes at once.
const retryBatch = 200

// RetryIndexing indexes again, from the current state in the store, the
// search documents whose indexing failed, and returns how many it handled.
// A document whose item is gone or deleted is removed from the index. The
// records stay when the index still fails, for the next call.
func (p *Participation) RetryIndexing(ctx context.Context) (int, error) {
	if p.search == nil {
		return 0, nil
	}
	retries, err := p.st.SearchRetries(ctx, retryBatch)
	if err != nil || len(retries) == 0 {
		return 0, err
	}
	var docs []mitreden.SearchDoc
	var gone []string
	for _, r := range retries {
		typ, id, _ := strings.Cut(r.DocID, ":")
		found, err := p.currentDocs(ctx, typ, id)
		switch {
		case mitreden.ErrorCode(err) == mitreden.ENOTFOUND:
			gone = append(gone, r.DocID)
		case err != nil:
			return 0, err
		case !slices.ContainsFunc(found, func(d mitreden.SearchDoc) bool { return d.ID == r.DocID }):
			gone = append(gone, r.DocID)
		}
		docs = append(docs, found...)
	}
	if len(gone) > 0 {
		if err := p.search.Delete(ctx, gone...); err != nil {
			return 0, err
		}
	}
	if len(docs) > 0 {
		if err := p.search.Index(ctx, docs...); err != nil {
			return 0, err
		}
	}
	if err := p.st.DeleteSearchRetries(ctx, retries...); err != nil {
		return 0, err
	}
	p.log.Info("search retries indexed", "docs", len(retries))
	return len(retries), nil
}

// currentDocs builds the search documents of an item from the store: none
// for a deleted comment, ENOTFOUND when the item is gone.
func (p *Participation) currentDocs(ctx context.Context, typ, id string) ([]mitreden.SearchDoc, error) {
	switch typ {
	case mitreden.SearchTypeConsultation:
		c, err := p.st.FindConsultation(ctx, id)
		if err != nil {
			return nil, err
		}
		return []mitreden.SearchDoc{p.consultationDoc(c)}, nil
	case mitreden.SearchTypeProposal, mitreden.SearchTypeAnswer:
		pr, c, err := p.Proposal(ctx, id)
		if err != nil {
			return nil, err
		}
		return p.proposalDocs(pr, c), nil
	case mitreden.SearchTypeComment:
		cm, err := p.st.FindComment(ctx, id)
		if err != nil || cm.Deleted {
			return nil, err
		}
		d, err := p.commentDocOf(ctx, cm)
		if err != nil {
			return nil, err
		}
		return []mitreden.SearchDoc{d}, nil
	}
	return nil, &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
}

func (p *Participation) reindexComment(ctx context.Context, cm *mitreden.Comment) {
	d, err := p.commentDocOf(ctx, cm)
	if err != nil {
		p.log.Warn("search document of a comment not built; will retry", "err", err)
		p.retryLater(ctx, mitreden.SearchDocID(mitreden.SearchTypeComment, cm.ID))
		return
	}
	p.index(ctx, d)
}

// commentDocOf builds the search document of cm with its consultation and
// proposal from the store.
func (p *Participation) commentDocOf(ctx context.Context, cm *mitreden.Comment) (mitreden.SearchDoc, error) {
	c, err := p.st.FindConsultation(ctx, cm.ConsultationID)
	if err != nil {
		return mitreden.SearchDoc{}, err
	}
	var pr *mitreden.Proposal
	if cm.TargetType == "proposal" {
		if pr, err = p.st.FindProposal(ctx, cm.TargetID); err != nil {
			return mitreden.SearchDoc{}, err
		}
	}
	return p.commentDoc(cm, c, pr), nil
}

func (p *Participation) consultationDoc(c *mitreden.Consultation) mitreden.SearchDoc {
	body := markdown.PlainText(c.Summary + "\n\n" + c.Body)
	if c.Results != "" {
		body += " " + markdown.PlainText(c.Results)
	}
	return mitreden.SearchDoc{ID: mitreden.SearchDocID(mitreden.SearchTypeConsultation, c.ID), Type: mitreden.SearchTypeConsultation,
		ItemID: c.ID, Title: c.Title, Body: body, Lang: "de", ConsultationID: c.ID, ConsultationTitle: c.Title,
		Status: string(c.Phase(p.now())), Topics: c.Topics, Region: c.Region, Visibility: mitreden.VisibilityPublic,
		URL: "/consultations/" + c.ID, CreatedAt: c.CreatedAt, Comments: c.CommentCount}
}

func (p *Participation) proposalDocs(pr *mitreden.Proposal, c *mitreden.Consultation) []mitreden.SearchDoc {
	docs := []mitreden.SearchDoc{{ID: mitreden.SearchDocID(mitreden.SearchTypeProposal, pr.ID), Type: mitreden.SearchTypeProposal,
		ItemID: pr.ID, Title: pr.Title, Body: markdown.PlainText(pr.Body), Lang: "de", ConsultationID: c.ID, ConsultationTitle: c.Title,
		Status: pr.Status, Topics: pr.Topics, Region: c.Region, Visibility: mitreden.VisibilityPublic, URL: "/proposals/" + pr.ID,
		CreatedAt: pr.CreatedAt, Supports: pr.Tally.Support + pr.Tally.Yes, Comments: pr.CommentCount}}
	if pr.Answer != "" {
		docs = append(docs, mitreden.SearchDoc{ID: mitreden.SearchDocID(mitreden.SearchTypeAnswer, pr.ID), Type: mitreden.SearchTypeAnswer,
			ItemID: pr.ID, Title: pr.Title, Body: markdown.PlainText(pr.Answer), Lang: "de", ConsultationID: c.ID,
			ConsultationTitle: c.Title, ProposalID: pr.ID, Status: pr.Status, Topics: pr.Topics, Region: c.Region,
			Visibility: mitreden.VisibilityPublic, URL: "/proposals/" + pr.ID + "#answer", CreatedAt: pr.AnsweredAt})
	}
	return docs
}

func (p *Participation) commentDoc(cm *mitreden.Comment, c *mitreden.Consultation, pr *mitreden.Proposal) mitreden.SearchDoc {
	title, url := c.Title, "/consultations/"+c.ID+"#comment-"+cm.ID
	proposalID := ""
	if pr != nil {
		title, url, proposalID = pr.Title, "/proposals/"+pr.ID+"#comment-"+cm.ID, pr.ID
	}
	return mitreden.SearchDoc{ID: mitreden.SearchDocID(mitreden.SearchTypeComment, cm.ID), Type: mitreden.SearchTypeComment,
		ItemID: cm.ID, Title: title, Body: markdown.PlainText(cm.Body), Lang: "de", ConsultationID: c.ID, ConsultationTitle: c.Title,
		ProposalID: proposalID, Topics: c.Topics, Region: c.Region, URL: url,
		CreatedAt: cm.CreatedAt, Supports: cm.Up, Visibility: visibilityOf(cm)}
}

func visibilityOf(cm *mitreden.Comment) string {
	if cm.Hidden {
		return mitreden.VisibilityHidden
	}
	return mitreden.VisibilityPublic
}

// CountSearchDocs counts what AllSearchDocs yields (items of a missing
// consultation or proposal aside), without reading it.
func (p *Participation) CountSearchDocs(ctx context.Context) (int, error) {
	return p.st.CountSearchable(ctx)
}

// AllSearchDocs streams every searchable document from the store (reindex).
func (p *Participation) AllSearchDocs(ctx context.Context, yield func(mitreden.SearchDoc) error) error {
	cons := map[string]*mitreden.Consultation{}
	if err := p.st.AllConsultations(ctx, func(c *mitreden.Consultation) error {
		cons[c.ID] = c
		return yield(p.consultationDoc(c))
	}); err != nil {
		return err
	}
	props := map[string]*mitreden.Proposal{}
	if err := p.st.AllProposals(ctx, func(pr *mitreden.Proposal) error {
		c, ok := cons[pr.ConsultationID]
		if !ok {
			return nil
		}
		props[pr.ID] = &mitreden.Proposal{ID: pr.ID, Title: pr.Title}
		for _, d := range p.proposalDocs(pr, c) {
			if err := yield(d); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	return p.st.AllComments(ctx, func(cm *mitreden.Comment) error {
		c, ok := cons[cm.ConsultationID]
		if !ok || cm.Deleted {
			return nil
		}
		var pr *mitreden.Proposal
		if cm.TargetType == "proposal" {
			pr = props[cm.TargetID]
			if pr == nil {
				return nil
			}
		}
		return yield(p.commentDoc(cm, c, pr))
	})
}

// RecountChange is one counter that recount repaired.
type RecountChange struct {
	ProposalID string
	Field      string
	From, To   int
}

// Recount recomputes every proposal's tally and comment counters from the
// vote and comment records and repairs drift; it returns what it changed.
func (p *Participation) Recount(ctx context.Context) ([]RecountChange, error) {
	var changes []RecountChange
	var props []*mitreden.Proposal
	if err := p.st.AllProposals(ctx, func(pr *mitreden.Proposal) error { props = append(props, pr); return nil }); err != nil {
		return nil, err
	}
	for _, pr := range props {
		t, err := p.st.CountVotes(ctx, pr.ID)
		if err != nil {
			return nil, err
		}
		total, forN, against, neutral, err := p.st.CountComments(ctx, pr.ID)
		if err != nil {
			return nil, err
		}
		var ch []RecountChange
		for _, f := range []struct {
			name     string
			from, to int
		}{{"tally.support", pr.Tally.Support, t.Support}, {"tally.yes", pr.Tally.Yes, t.Yes}, {"tally.no", pr.Tally.No, t.No},
			{"tally.abstain", pr.Tally.Abstain, t.Abstain}, {"comment_count", pr.CommentCount, total},
			{"for", pr.For, forN}, {"against", pr.Against, against}, {"neutral", pr.Neutral, neutral}} {
			if f.from != f.to {
				ch = append(ch, RecountChange{ProposalID: pr.ID, Field: f.name, From: f.from, To: f.to})
			}
		}
		if len(ch) > 0 {
			if err := p.st.SetProposalCounts(ctx, pr.ID, t, total, forN, against, neutral); err != nil {
				return nil, err
			}
			changes = append(changes, ch...)
		}
	}
	return changes, nil
}

// Comment returns one comment. Returns ENOTFOUND.
func (p *Participation) Comment(ctx context.Context, id string) (*mitreden.Comment, error) {
	return p.st.FindComment(ctx, id)
}
