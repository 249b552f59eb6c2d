package service

import (
	"context"
	"sort"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// The read side of participation: one call per page or API read returns the
// item, its context, the viewer's own votes and what the viewer may do, with
// the reason when not. What a viewer may see is decided here, once: HTML and
// JSON handlers only render what they get.

// ConsultationItem is a consultation as a viewer sees it.
type ConsultationItem struct {
	*mitreden.Consultation
	Phase mitreden.Phase
	// CanPropose and CanComment say whether the viewer may write here now.
	CanPropose, CanComment mitreden.Permission
	// CanManage admits editing the consultation and publishing its results.
	CanManage mitreden.Permission
}

// ProposalItem is a proposal as a viewer sees it in a list or on its page.
type ProposalItem struct {
	*mitreden.Proposal
	// VotingMode is the consultation's, so a list item renders its tally alone.
	VotingMode string
	// MyVote is the viewer's vote ("" when none or anonymous).
	MyVote    string
	Qualified bool
}

// CommentItem is a comment as a viewer may see it: a copy, with the text and
// author of a hidden comment removed for everyone but moderators, and the
// author of a deleted one removed for everyone.
type CommentItem struct {
	*mitreden.Comment
	// Redacted is set when moderation hid the comment from this viewer.
	Redacted bool
	// MyVote is the viewer's vote on the comment: 1, -1 or 0.
	MyVote                                int
	CanEdit, CanDelete, CanReply, CanVote mitreden.Permission
	Replies                               []*CommentItem
}

// Discussion is the comment thread of a proposal or consultation.
type Discussion struct {
	// Comments are the top-level comments in the asked order, replies nested
	// oldest first.
	Comments []*CommentItem
	// Visible counts the comments that are not deleted.
	Visible int
	// Order is the order applied: oldest, newest or best.
	Order      string
	CanComment mitreden.Permission
}

// ConsultationPage is everything the consultation page and its API read need.
type ConsultationPage struct {
	ConsultationItem
	Proposals     []*ProposalItem
	ProposalTotal int
	// Sort is the proposal order applied (the default depends on the phase).
	Sort       string
	Discussion *Discussion
}

// ProposalPage is everything the proposal page and its API read need.
type ProposalPage struct {
	ProposalItem
	Consultation *mitreden.Consultation
	Phase        mitreden.Phase
	CanVote      mitreden.Permission
	CanUnvote    mitreden.Permission
	CanComment   mitreden.Permission
	CanEdit      mitreden.Permission
	CanWithdraw  mitreden.Permission
	CanAnswer    mitreden.Permission
	// Discussion is nil unless asked for.
	Discussion *Discussion
}

// CommentOrders lists the orders of a discussion; the first is the default.
var CommentOrders = []string{"oldest", "newest", "best"}

// CommentOrder returns v when it is a known order, else the default.
func CommentOrder(v string) string {
	for _, o := range CommentOrders {
		if o == v {
			return v
		}
	}
	return CommentOrders[0]
}

func (p *Participation) consultationItem(viewer *mitreden.User, c *mitreden.Consultation) ConsultationItem {
	now := p.now()
	return ConsultationItem{Consultation: c, Phase: c.Phase(now),
		CanPropose: canPropose(viewer, c, now), CanComment: canComment(viewer, c, now), CanManage: canManage(viewer)}
}

// CanCreateConsultation tells whether viewer may open a new consultation.
func (p *Participation) CanCreateConsultation(viewer *mitreden.User) mitreden.Permission {
	return canManage(viewer)
}

// ReadConsultations lists consultations for viewer.
func (p *Participation) ReadConsultations(ctx context.Context, viewer *mitreden.User, f mitreden.ConsultationFilter) ([]*ConsultationItem, int, error) {
	list, total, err := p.Consultations(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*ConsultationItem, len(list))
	for i, c := range list {
		it := p.consultationItem(viewer, c)
		out[i] = &it
	}
	return out, total, nil
}

// ReadConsultation returns one consultation for viewer. Returns ENOTFOUND.
func (p *Participation) ReadConsultation(ctx context.Context, viewer *mitreden.User, id string) (*ConsultationItem, error) {
	c, err := p.st.FindConsultation(ctx, id)
	if err != nil {
		return nil, err
	}
	it := p.consultationItem(viewer, c)
	return &it, nil
}

// DefaultProposalSort is the order of a consultation's proposals when none
// is asked: random while open (no head start for early proposals), most
// supported afterwards.
func DefaultProposalSort(ph mitreden.Phase) string {
	if ph == mitreden.PhaseOpen {
		return "random"
	}
	return "supported"
}

// ReadConsultationPage returns the consultation with a page of its proposals
// (f.ConsultationID is set from id; an empty f.Sort takes the phase's
// default) and, unless commentOrder is "", its discussion. Returns ENOTFOUND,
// EINVALID (sort, status).
func (p *Participation) ReadConsultationPage(ctx context.Context, viewer *mitreden.User, id string, f mitreden.ProposalFilter, commentOrder string) (*ConsultationPage, error) {
	c, err := p.st.FindConsultation(ctx, id)
	if err != nil {
		return nil, err
	}
	page := &ConsultationPage{ConsultationItem: p.consultationItem(viewer, c)}
	f.ConsultationID = c.ID
	if f.Sort == "" {
		f.Sort = DefaultProposalSort(page.Phase)
	}
	page.Sort = f.Sort
	if page.Proposals, page.ProposalTotal, err = p.proposalItems(ctx, viewer, c, f); err != nil {
		return nil, err
	}
	if commentOrder != "" {
		if page.Discussion, err = p.discussion(ctx, viewer, "consultation", c.ID, c, commentOrder); err != nil {
			return nil, err
		}
	}
	return page, nil
}

// ReadProposals lists a consultation's proposals with the viewer's votes.
// Returns ENOTFOUND (consultation), EINVALID (sort, status).
func (p *Participation) ReadProposals(ctx context.Context, viewer *mitreden.User, f mitreden.ProposalFilter) ([]*ProposalItem, int, error) {
	c, err := p.st.FindConsultation(ctx, f.ConsultationID)
	if err != nil {
		return nil, 0, err
	}
	return p.proposalItems(ctx, viewer, c, f)
}

func (p *Participation) proposalItems(ctx context.Context, viewer *mitreden.User, c *mitreden.Consultation, f mitreden.ProposalFilter) ([]*ProposalItem, int, error) {
	if f.Status == "" && f.Topic == "" {
		f.Total, f.TotalKnown = c.ProposalCount, true
	}
	list, total, err := p.Proposals(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	ids := make([]string, len(list))
	for i, pr := range list {
		ids[i] = pr.ID
	}
	votes, err := p.MyVotes(ctx, viewer, ids)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*ProposalItem, len(list))
	for i, pr := range list {
		out[i] = &ProposalItem{Proposal: pr, VotingMode: c.VotingMode, MyVote: votes[pr.ID], Qualified: pr.Qualified(c)}
	}
	return out, total, nil
}

// ReadProposal returns a proposal with its consultation, the viewer's vote
// and permissions and, unless commentOrder is "", its discussion. Returns
// ENOTFOUND.
func (p *Participation) ReadProposal(ctx context.Context, viewer *mitreden.User, id, commentOrder string) (*ProposalPage, error) {
	pr, c, err := p.Proposal(ctx, id)
	if err != nil {
		return nil, err
	}
	page, err := p.proposalPage(ctx, viewer, pr, c)
	if err != nil {
		return nil, err
	}
	if commentOrder != "" {
		if page.Discussion, err = p.discussion(ctx, viewer, "proposal", pr.ID, c, commentOrder); err != nil {
			return nil, err
		}
	}
	return page, nil
}

func (p *Participation) proposalPage(ctx context.Context, viewer *mitreden.User, pr *mitreden.Proposal, c *mitreden.Consultation) (*ProposalPage, error) {
	votes, err := p.MyVotes(ctx, viewer, []string{pr.ID})
	if err != nil {
		return nil, err
	}
	now := p.now()
	return &ProposalPage{
		ProposalItem: ProposalItem{Proposal: pr, VotingMode: c.VotingMode, MyVote: votes[pr.ID], Qualified: pr.Qualified(c)},
		Consultation: c, Phase: c.Phase(now),
		CanVote: canVote(viewer, pr, c, now), CanUnvote: canUnvote(viewer, c, now), CanComment: canComment(viewer, c, now),
		CanEdit: canEditProposal(viewer, pr, c, now), CanWithdraw: canWithdraw(viewer, pr, c, now), CanAnswer: canAnswer(viewer, pr),
	}, nil
}

// ReadDiscussion returns the comments of a proposal or consultation
// (targetType "proposal" or "consultation") as viewer may see them.
// Returns ENOTFOUND.
func (p *Participation) ReadDiscussion(ctx context.Context, viewer *mitreden.User, targetType, id, order string) (*Discussion, error) {
	c, err := p.consultationOfTarget(ctx, targetType, id)
	if err != nil {
		return nil, err
	}
	return p.discussion(ctx, viewer, targetType, id, c, order)
}

// consultationOfTarget finds the consultation a comment target belongs to.
func (p *Participation) consultationOfTarget(ctx context.Context, targetType, id string) (*mitreden.Consultation, error) {
	switch targetType {
	case "proposal":
		_, c, err := p.Proposal(ctx, id)
		return c, err
	case "consultation":
		return p.st.FindConsultation(ctx, id)
	}
	return nil, &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
}

func (p *Participation) discussion(ctx context.Context, viewer *mitreden.User, targetType, id string, c *mitreden.Consultation, order string) (*Discussion, error) {
	order = CommentOrder(order)
	list, err := p.st.ListComments(ctx, targetType, id)
	if err != nil {
		return nil, err
	}
	var votes map[string]int
	if viewer != nil && len(list) > 0 {
		ids := make([]string, len(list))
		for i, cm := range list {
			ids[i] = cm.ID
		}
		if votes, err = p.st.UserCommentVotes(ctx, viewer.ID, ids); err != nil {
			return nil, err
		}
	}
	now := p.now()
	d := &Discussion{Order: order, CanComment: canComment(viewer, c, now)}
	byID := make(map[string]*CommentItem, len(list))
	for _, cm := range list {
		byID[cm.ID] = p.commentItem(viewer, cm, c, votes[cm.ID], now)
		if !cm.Deleted {
			d.Visible++
		}
	}
	for _, cm := range list {
		it := byID[cm.ID]
		if parent, ok := byID[cm.ParentID]; ok && cm.ParentID != "" {
			parent.Replies = append(parent.Replies, it)
		} else {
			d.Comments = append(d.Comments, it)
		}
	}
	top := d.Comments
	switch order {
	case "newest":
		sort.SliceStable(top, func(i, j int) bool { return top[i].CreatedAt.After(top[j].CreatedAt) })
	case "best":
		sort.SliceStable(top, func(i, j int) bool { return top[i].Score() > top[j].Score() })
	}
	return d, nil
}

// commentItem applies what viewer may see of cm and may do with it.
func (p *Participation) commentItem(viewer *mitreden.User, cm *mitreden.Comment, c *mitreden.Consultation, myVote int, now time.Time) *CommentItem {
	cp := *cm
	it := &CommentItem{Comment: &cp, MyVote: myVote}
	switch {
	case cp.Deleted:
		cp.Body, cp.AuthorID, cp.AuthorName, cp.Alignment = "", "", "", ""
	case cp.Hidden && !isModerator(viewer):
		cp.Body, cp.AuthorID, cp.AuthorName, cp.Alignment = "", "", "", ""
		it.Redacted = true
	}
	it.CanEdit = canEditComment(viewer, cm, now)
	it.CanDelete = canDeleteComment(viewer, cm)
	it.CanReply = canReply(viewer, cm, c, now)
	it.CanVote = canVoteComment(viewer, cm, c, now)
	return it
}

// readComment returns one comment as viewer may see it, for the answer of a
// write on it.
func (p *Participation) readComment(ctx context.Context, viewer *mitreden.User, cm *mitreden.Comment) (*CommentItem, error) {
	c, err := p.st.FindConsultation(ctx, cm.ConsultationID)
	if err != nil {
		return nil, err
	}
	var myVote int
	if viewer != nil {
		votes, err := p.st.UserCommentVotes(ctx, viewer.ID, []string{cm.ID})
		if err != nil {
			return nil, err
		}
		myVote = votes[cm.ID]
	}
	return p.commentItem(viewer, cm, c, myVote, p.now()), nil
}

// ReadComment returns one comment as viewer may see it. Returns ENOTFOUND.
func (p *Participation) ReadComment(ctx context.Context, viewer *mitreden.User, id string) (*CommentItem, error) {
	cm, err := p.st.FindComment(ctx, id)
	if err != nil {
		return nil, err
	}
	return p.readComment(ctx, viewer, cm)
}
