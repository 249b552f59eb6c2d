package service

import (
	"context"
	"slices"
	"strings"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// AddComment adds a comment to a proposal or consultation (replies nest up to
// three levels). Returns EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, ECONFLICT, EINVALID.
func (p *Participation) AddComment(ctx context.Context, actor *mitreden.User, targetType, targetID string, in mitreden.Comment) (*mitreden.Comment, error) {
	var c *mitreden.Consultation
	var err error
	switch targetType {
	case "proposal":
		if _, c, err = p.Proposal(ctx, targetID); err != nil {
			return nil, err
		}
	case "consultation":
		if c, err = p.st.FindConsultation(ctx, targetID); err != nil {
			return nil, err
		}
	default:
		resolve := p.targets[targetType]
		if resolve == nil {
			return nil, &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
		}
		if c, err = resolve(ctx, targetID); err != nil {
			return nil, err
		}
	}
	if err := canComment(actor, c, p.now()).Err(); err != nil {
		return nil, err
	}
	return p.addComment(ctx, actor, c, targetType, targetID, in)
}

// addComment validates, holds or publishes a comment of actor on a target
// of c once the rules admitted it; shared by the online path and staff
// entries (assisted.go) as createProposal is.
func (p *Participation) addComment(ctx context.Context, actor *mitreden.User, c *mitreden.Consultation, targetType, targetID string, in mitreden.Comment) (*mitreden.Comment, error) {
	var fs []mitreden.FieldError
	if err := mitreden.ValidateCommentBody(in.Body); err != nil {
		fs = append(fs, err.(*mitreden.Error).Fields...)
	}
	if in.Alignment != "" && !slices.Contains(mitreden.Alignments, in.Alignment) {
		fs = append(fs, mitreden.FieldError{Field: "alignment", Code: "oneof", Message: "validation.oneof"})
	}
	if fe := mitreden.CheckLang("lang", in.Lang); fe != nil {
		fs = append(fs, *fe)
	}
	depth := 0
	if in.ParentID != "" {
		parent, err := p.st.FindComment(ctx, in.ParentID)
		if err != nil || parent.TargetID != targetID || parent.TargetType != targetType {
			fs = append(fs, mitreden.FieldError{Field: "parent_id", Code: "exists", Message: "validation.parent"})
		} else if parent.Deleted || parent.Hidden && !isModerator(actor) {
			// Deleted or hidden while the reply was written: the reply
			// page's reason (ECONFLICT).
			return nil, canReply(actor, parent, c, p.now()).Err()
		} else if parent.Depth >= mitreden.CommentMaxDepth {
			fs = append(fs, mitreden.FieldError{Field: "parent_id", Code: "depth", Message: "validation.reply_depth", Args: map[string]any{"max": mitreden.CommentMaxDepth + 1}})
		} else {
			depth = parent.Depth + 1
		}
	}
	if len(fs) > 0 {
		return nil, mitreden.Invalid(fs...)
	}
	if err := p.Guards.Comment(ctx, actor, in.Body); err != nil {
		return nil, err
	}
	cm := &mitreden.Comment{TargetType: targetType, TargetID: targetID, ConsultationID: c.ID, ParentID: in.ParentID, Depth: depth,
		AuthorID: actor.ID, AuthorName: actor.DisplayName, Body: strings.TrimSpace(in.Body), Alignment: in.Alignment, CreatedAt: p.now(),
		Prov: in.Prov}
	cm.Lang = mitreden.ContentLang(in.Lang, actor.Language, cm.Body)
	RenderComment(cm)
	if why, words := p.holdReason(actor, c, cm.Body); why != "" {
		// Published when a moderator releases it, under the id it gets now.
		cm.ID, cm.Held = p.st.NewItemID(), why
		return cm, p.hold(ctx, &mitreden.QueueEntry{ItemType: mitreden.ItemComment, ItemID: cm.ID, ConsultationID: c.ID,
			TargetType: targetType, TargetID: targetID, AuthorID: actor.ID, Held: &mitreden.HeldContribution{Why: why, Words: words, Comment: cm}})
	}
	return cm, p.publishComment(ctx, cm)
}

// publishComment stores a new comment in its thread, counts it and makes it
// findable.
func (p *Participation) publishComment(ctx context.Context, cm *mitreden.Comment) error {
	if err := p.st.CreateComment(ctx, cm); err != nil {
		return err
	}
	if cm.TargetType == mitreden.TargetProposal {
		if err := p.st.IncProposalCounts(ctx, cm.TargetID, mitreden.Tally{}, 1, cm.Alignment); err != nil {
			return err
		}
		p.indexCounts(ctx, mitreden.SearchDocID(mitreden.SearchTypeProposal, cm.TargetID))
	}
	if cm.ConsultationID != "" { // a recommendation's comments count nowhere
		if err := p.st.IncConsultationCounts(ctx, cm.ConsultationID, 0, 1); err != nil {
			p.log.Warn("consultation counter", "err", err)
		}
		p.addParticipant(ctx, cm.ConsultationID, cm.AuthorID)
		p.indexCounts(ctx, mitreden.SearchDocID(mitreden.SearchTypeConsultation, cm.ConsultationID))
	}
	// With the queue running, the comment is findable within about its
	// interval: waiting for the search engine to persist it took most of a
	// comment's time (Bleve syncs every batch to disk).
	p.indexCounts(ctx, mitreden.SearchDocID(mitreden.SearchTypeComment, cm.ID))
	p.commentPublished(ctx, cm)
	return nil
}

// EditComment changes the author's comment within 15 minutes and returns it
// as the author now sees it. Returns EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND,
// ECONFLICT (edit window over), EINVALID.
func (p *Participation) EditComment(ctx context.Context, actor *mitreden.User, id, body string) (*CommentItem, error) {
	cm, err := p.st.FindComment(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := canEditComment(actor, cm, p.now()).Err(); err != nil {
		return nil, err
	}
	if err := mitreden.ValidateCommentBody(body); err != nil {
		return nil, err
	}
	if err := p.Guards.Links(actor, body); err != nil {
		return nil, err
	}
	cm.Body, cm.AuthorID, cm.Edited, cm.EditedAt = strings.TrimSpace(body), actor.ID, true, p.now()
	// An edit offers no choice of language: detected again, and when the
	// new text does not tell, it stays what it was.
	cm.Lang = mitreden.ContentLang("", cm.Lang, cm.Body)
	RenderComment(cm)
	if err := p.st.UpdateCommentBody(ctx, cm); err != nil {
		return nil, err
	}
	p.reindexComment(ctx, cm)
	c, err := p.consultationOf(ctx, cm)
	if err != nil {
		return nil, err
	}
	if err := p.reviewEdit(ctx, actor, c, &modItem{cm: cm}, cm.Body); err != nil {
		return nil, err
	}
	return p.readComment(ctx, actor, cm)
}

// DeleteComment replaces the author's comment by a placeholder so replies keep their context.
func (p *Participation) DeleteComment(ctx context.Context, actor *mitreden.User, id string) error {
	cm, err := p.st.FindComment(ctx, id)
	if err != nil {
		return err
	}
	if err := canDeleteComment(actor, cm).Err(); err != nil {
		return err
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
	if cm.ConsultationID != "" {
		if err := p.st.IncConsultationCounts(ctx, cm.ConsultationID, 0, -1); err != nil {
			p.log.Warn("consultation counter", "err", err)
		}
		p.indexCounts(ctx, mitreden.SearchDocID(mitreden.SearchTypeConsultation, cm.ConsultationID))
	}
	if cm.TargetType == "proposal" {
		p.indexCounts(ctx, mitreden.SearchDocID(mitreden.SearchTypeProposal, cm.TargetID))
	}
	if p.search != nil {
		docID := mitreden.SearchDocID(mitreden.SearchTypeComment, id)
		if err := p.search.Delete(ctx, docID); err != nil {
			p.log.Warn("search delete failed; will retry", "err", err)
			p.retryLater(ctx, docID)
		}
		p.queue.touched([]string{docID})
	}
	return nil
}

// VoteComment stores actor's up (+1) or down (-1) vote on a comment; 0
// withdraws. Like every write it ends with the participation phase. The
// comment comes back as actor may see it. Returns EUNAUTHORIZED, EFORBIDDEN,
// ENOTFOUND, ECONFLICT (closed, deleted), EINVALID.
func (p *Participation) VoteComment(ctx context.Context, actor *mitreden.User, id string, value int) (*CommentItem, error) {
	if !slices.Contains(mitreden.CommentVoteValues, value) {
		return nil, mitreden.Invalid(mitreden.FieldError{Field: "value", Code: "oneof", Message: "validation.comment_vote"})
	}
	cm, err := p.st.FindComment(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err := p.consultationOf(ctx, cm)
	if err != nil {
		return nil, err
	}
	now := p.now()
	if err := canVoteComment(actor, cm, c, now).Err(); err != nil {
		return nil, err
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
	if up != 0 {
		p.indexCounts(ctx, mitreden.SearchDocID(mitreden.SearchTypeComment, cm.ID)) // Supports counts the up votes
	}
	return p.commentItem(actor, cm, c, value, now), nil
}
