package service

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/mitreden/mitreden/internal/mitreden"
)

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
		p.index(ctx, p.docs.Proposal(pr, c)[0])
	}
	if err := p.st.IncConsultationCounts(ctx, c.ID, 0, 1); err != nil {
		p.log.Warn("consultation counter", "err", err)
	}
	p.index(ctx, p.docs.Comment(cm, c, pr))
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

// Comment returns one comment. Returns ENOTFOUND.
func (p *Participation) Comment(ctx context.Context, id string) (*mitreden.Comment, error) {
	return p.st.FindComment(ctx, id)
}
