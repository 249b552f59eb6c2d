package service

import (
	"context"
	"slices"
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
	// Threshold is the consultation's support threshold (0: none), which
	// the proposal's ThresholdVotes count towards.
	Threshold int
	// Redacted is set when moderation hid the proposal from this viewer:
	// title, text and author are left out, Mod.Reason tells why.
	Redacted bool
}

// SupportQuota is how many of a consultation's limited supports the viewer
// used; Max is 0 where nothing is to be shown (no limit, not logged in, not
// open).
type SupportQuota struct {
	Used, Max int
}

// Left is how many supports the viewer may still give.
func (q SupportQuota) Left() int { return max(0, q.Max-q.Used) }

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
	// CanReport and CanAppeal: reporting it, asking for a review of its
	// hiding (the author, once).
	CanReport, CanAppeal mitreden.Permission
	// History is the moderation record of the comment, for its author.
	History []*mitreden.ModerationAction
	Replies []*CommentItem
}

// Discussion is one page of the comment thread of a proposal or
// consultation: a page of top-level comments with all their replies, so a
// thread of thousands reads and renders in bounded time.
type Discussion struct {
	// Comments are the page's top-level comments in the asked order,
	// replies nested oldest first.
	Comments []*CommentItem
	// Visible counts the comments of the whole thread that are not deleted.
	Visible int
	// TopTotal counts the thread's top-level comments (pages are made of
	// them), deleted ones included.
	TopTotal int
	// Page (from 1) and PerPage are the page applied.
	Page, PerPage int
	// Order is the order applied: oldest, newest or best.
	Order      string
	CanComment mitreden.Permission
}

// Pages is the number of pages of the thread (at least 1).
func (d *Discussion) Pages() int { return max(1, (d.TopTotal+d.PerPage-1)/d.PerPage) }

// CommentsPerPage is how many top-level comments a discussion page shows
// unless asked otherwise: enough to read on, few enough for a phone on a
// slow line.
const CommentsPerPage = 50

// DiscussionQuery asks for one page of a discussion. Zero values take the
// defaults: the first page, CommentsPerPage, the default order.
type DiscussionQuery struct {
	Order         string
	Page, PerPage int
}

// CommentLocation is where a comment shows: the page of its discussion, in
// the default order and page size, that holds its top-level comment.
type CommentLocation struct {
	TargetType, TargetID string
	Page                 int
}

// ConsultationPage is everything the consultation page and its API read need.
type ConsultationPage struct {
	ConsultationItem
	Proposals     []*ProposalItem
	ProposalTotal int
	// Sort is the proposal order applied (the default depends on the phase).
	Sort       string
	Discussion *Discussion
	// Quota is the viewer's use of the support limit; zero unless
	// quotaShown.
	Quota SupportQuota
	// Held are the viewer's own proposals and comments here that wait for
	// moderation.
	Held []*mitreden.QueueEntry
	// Following is whether the viewer follows the consultation, read with
	// the page (a read with its discussion; reads for forms and the API
	// skip the lookup); nil for visitors, without notifications, or when
	// the lookup failed (the page then shows no follow button).
	Following *bool
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
	// Quota is the viewer's use of the consultation's support limit; zero
	// unless quotaShown.
	Quota SupportQuota
	// CanReport and CanAppeal as in CommentItem; History is the
	// moderation record of the proposal, for its author.
	CanReport, CanAppeal mitreden.Permission
	History              []*mitreden.ModerationAction
	// Held are the viewer's own comments here that wait for moderation.
	Held []*mitreden.QueueEntry
	// Following is whether the viewer follows the proposal; nil as in
	// ConsultationPage.
	Following *bool
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
	return p.ReadConsultationPageWith(ctx, viewer, id, f, discussionOf(commentOrder))
}

// discussionOf asks for the first page of a discussion in order, or for
// none when order is "".
func discussionOf(order string) *DiscussionQuery {
	if order == "" {
		return nil
	}
	return &DiscussionQuery{Order: order}
}

// ReadConsultationPageWith is ReadConsultationPage with the page of the
// discussion dq asks for (none when dq is nil).
func (p *Participation) ReadConsultationPageWith(ctx context.Context, viewer *mitreden.User, id string, f mitreden.ProposalFilter, dq *DiscussionQuery) (*ConsultationPage, error) {
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
	if page.Quota, err = p.supportQuota(ctx, viewer, c); err != nil {
		return nil, err
	}
	if page.Held, err = p.heldHere(ctx, viewer, c.ID, func(e *mitreden.QueueEntry) bool {
		return e.ItemType == mitreden.ItemProposal || e.TargetType == "consultation"
	}); err != nil {
		return nil, err
	}
	if dq != nil {
		if page.Discussion, err = p.discussion(ctx, viewer, "consultation", c.ID, c, *dq); err != nil {
			return nil, err
		}
		page.Following = p.following(ctx, viewer, mitreden.FollowConsultation, c.ID)
	}
	return page, nil
}

// following reads the viewer's follow state of a target as part of the
// page's read: one lookup by _id for a person, none for visitors. The
// state is secondary to the page, so a failed lookup leaves it nil (no
// button) rather than failing the page.
func (p *Participation) following(ctx context.Context, viewer *mitreden.User, targetType, id string) *bool {
	if viewer == nil || p.notes == nil {
		return nil
	}
	f, err := p.notes.Following(ctx, viewer, targetType, id)
	if err != nil {
		p.log.Warn("follow state", "target_type", targetType, "target_id", id, "err", err)
		return nil
	}
	return &f
}

// heldHere returns the viewer's contributions to consultation c that wait
// for moderation and keep: what only they (and moderators) see. The queue
// is small, so this costs little even where the engine scans.
func (p *Participation) heldHere(ctx context.Context, viewer *mitreden.User, consultationID string, keep func(*mitreden.QueueEntry) bool) ([]*mitreden.QueueEntry, error) {
	if viewer == nil {
		return nil, nil
	}
	all, err := p.st.HeldOf(ctx, viewer.ID, consultationID)
	if err != nil {
		return nil, err
	}
	var out []*mitreden.QueueEntry
	for _, e := range all {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out, nil
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
		out[i] = proposalItem(viewer, pr, c, votes[pr.ID])
	}
	return out, total, nil
}

// proposalItem is pr as viewer may see it; c may be nil where only the
// redaction matters.
func proposalItem(viewer *mitreden.User, pr *mitreden.Proposal, c *mitreden.Consultation, myVote string) *ProposalItem {
	it := &ProposalItem{Proposal: pr, MyVote: myVote}
	if c != nil {
		it.VotingMode, it.Qualified, it.Threshold = c.VotingMode, pr.Qualified(c), c.SupportThreshold
	}
	if pr.Hidden && !isModerator(viewer) {
		// Moderation hid it: it keeps its place as a placeholder with the
		// reason; nothing of its words or its author shows.
		cp := *pr
		cp.Title, cp.Body, cp.BodyHTML, cp.AuthorID, cp.AuthorName, cp.Topics = "", "", "", "", "", nil
		cp.Answer, cp.AnswerHTML = "", ""
		it.Proposal, it.Redacted = &cp, true
	}
	return it
}

// supportQuota reads the viewer's use of c's support limit when quotaShown,
// by the quota's _id: a page everyone reads must not scan.
func (p *Participation) supportQuota(ctx context.Context, viewer *mitreden.User, c *mitreden.Consultation) (SupportQuota, error) {
	if !quotaShown(viewer, c, p.now()) {
		return SupportQuota{}, nil
	}
	used, err := p.st.SupportsUsed(ctx, c.ID, viewer.ID)
	return SupportQuota{Used: used, Max: c.MaxSupports}, err
}

// ReadProposal returns a proposal with its consultation, the viewer's vote
// and permissions and, unless commentOrder is "", its discussion. Returns
// ENOTFOUND.
func (p *Participation) ReadProposal(ctx context.Context, viewer *mitreden.User, id, commentOrder string) (*ProposalPage, error) {
	return p.ReadProposalWith(ctx, viewer, id, discussionOf(commentOrder))
}

// ReadProposalWith is ReadProposal with the page of the discussion dq asks
// for (none when dq is nil).
func (p *Participation) ReadProposalWith(ctx context.Context, viewer *mitreden.User, id string, dq *DiscussionQuery) (*ProposalPage, error) {
	pr, c, err := p.Proposal(ctx, id)
	if err != nil {
		return nil, err
	}
	page, err := p.proposalPage(ctx, viewer, pr, c)
	if err != nil {
		return nil, err
	}
	if dq != nil {
		if page.Discussion, err = p.discussion(ctx, viewer, "proposal", pr.ID, c, *dq); err != nil {
			return nil, err
		}
		page.Following = p.following(ctx, viewer, mitreden.FollowProposal, pr.ID)
	}
	return page, nil
}

func (p *Participation) proposalPage(ctx context.Context, viewer *mitreden.User, pr *mitreden.Proposal, c *mitreden.Consultation) (*ProposalPage, error) {
	votes, err := p.MyVotes(ctx, viewer, []string{pr.ID})
	if err != nil {
		return nil, err
	}
	quota, err := p.supportQuota(ctx, viewer, c)
	if err != nil {
		return nil, err
	}
	now := p.now()
	page := &ProposalPage{
		ProposalItem: *proposalItem(viewer, pr, c, votes[pr.ID]), Quota: quota,
		Consultation: c, Phase: c.Phase(now),
		CanVote: canVote(viewer, pr, c, now), CanUnvote: canUnvote(viewer, c, now), CanComment: canComment(viewer, c, now),
		CanEdit: canEditProposal(viewer, pr, c, now), CanWithdraw: canWithdraw(viewer, pr, c, now), CanAnswer: canAnswer(viewer, pr),
		CanReport: canReport(viewer, pr.AuthorID, false, pr.Hidden), CanAppeal: canAppeal(viewer, &modItem{pr: pr}),
	}
	if pr.Hidden {
		// Nobody votes on, edits or answers what moderation hid.
		hidden := mitreden.Deny(mitreden.ECONFLICT, "moderation.item_hidden", nil)
		page.CanVote, page.CanEdit, page.CanAnswer = hidden, hidden, hidden
	}
	if viewer != nil && viewer.ID == pr.AuthorID {
		if page.History, err = p.itemHistory(ctx, mitreden.ItemProposal, pr.ID, pr.Mod); err != nil {
			return nil, err
		}
	}
	if page.Held, err = p.heldHere(ctx, viewer, c.ID, func(e *mitreden.QueueEntry) bool {
		return e.ItemType == mitreden.ItemComment && e.TargetType == mitreden.TargetProposal && e.TargetID == pr.ID
	}); err != nil {
		return nil, err
	}
	return page, nil
}

// ReadDiscussion returns the first page of the comments of a proposal or
// consultation (targetType "proposal" or "consultation") as viewer may see
// them. Returns ENOTFOUND.
func (p *Participation) ReadDiscussion(ctx context.Context, viewer *mitreden.User, targetType, id, order string) (*Discussion, error) {
	return p.ReadDiscussionPage(ctx, viewer, targetType, id, DiscussionQuery{Order: order})
}

// ReadDiscussionPage returns the page q asks for of the comments of a
// proposal or consultation as viewer may see them. Returns ENOTFOUND.
func (p *Participation) ReadDiscussionPage(ctx context.Context, viewer *mitreden.User, targetType, id string, q DiscussionQuery) (*Discussion, error) {
	c, err := p.consultationOfTarget(ctx, targetType, id)
	if err != nil {
		return nil, err
	}
	return p.discussion(ctx, viewer, targetType, id, c, q)
}

// LocateComment tells which page of its discussion shows comment id, so a
// link to one comment opens that page. Returns ENOTFOUND.
func (p *Participation) LocateComment(ctx context.Context, id string) (*CommentLocation, error) {
	root, err := p.st.FindComment(ctx, id)
	// A reply shows on the page of its top-level comment; replies nest at
	// most CommentMaxDepth deep, so this takes a bounded number of reads.
	for i := 0; err == nil && root.ParentID != "" && i <= mitreden.CommentMaxDepth; i++ {
		root, err = p.st.FindComment(ctx, root.ParentID)
	}
	if err != nil {
		return nil, err
	}
	if root.ParentID != "" {
		return nil, &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
	}
	rank, err := p.st.TopLevelRank(ctx, root)
	if err != nil {
		return nil, err
	}
	return &CommentLocation{TargetType: root.TargetType, TargetID: root.TargetID, Page: rank/CommentsPerPage + 1}, nil
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
	if resolve := p.targets[targetType]; resolve != nil {
		return resolve(ctx, id)
	}
	return nil, &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
}

func (p *Participation) discussion(ctx context.Context, viewer *mitreden.User, targetType, id string, c *mitreden.Consultation, q DiscussionQuery) (*Discussion, error) {
	order := CommentOrder(q.Order)
	if q.PerPage == 0 {
		q.PerPage = CommentsPerPage
	}
	page, per := mitreden.NormalizePage(q.Page, q.PerPage)
	tp, err := p.st.ListThread(ctx, mitreden.ThreadQuery{TargetType: targetType, TargetID: id, Order: order, Page: page, PerPage: per})
	if err != nil {
		return nil, err
	}
	list := append(slices.Clip(tp.Top), tp.Replies...)
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
	d := &Discussion{Order: order, CanComment: canComment(viewer, c, now), Visible: tp.Visible, TopTotal: tp.TopTotal,
		Page: page, PerPage: per, Comments: make([]*CommentItem, 0, len(tp.Top))}
	byID := make(map[string]*CommentItem, len(list))
	for _, cm := range tp.Top {
		it := p.commentItem(viewer, cm, c, votes[cm.ID], now)
		byID[cm.ID] = it
		d.Comments = append(d.Comments, it)
	}
	// Replies come oldest first, each after its parent.
	for _, cm := range tp.Replies {
		if parent := byID[cm.ParentID]; parent != nil {
			it := p.commentItem(viewer, cm, c, votes[cm.ID], now)
			byID[cm.ID] = it
			parent.Replies = append(parent.Replies, it)
		}
	}
	// The author reads what moderation decided about their comments; only
	// comments with decisions are looked up.
	if viewer != nil {
		for _, cm := range list {
			if it := byID[cm.ID]; it != nil && cm.AuthorID == viewer.ID && cm.Mod.Decisions > 0 {
				if it.History, err = p.itemHistory(ctx, mitreden.ItemComment, cm.ID, cm.Mod); err != nil {
					return nil, err
				}
			}
		}
	}
	return d, nil
}

// commentItem applies what viewer may see of cm and may do with it.
func (p *Participation) commentItem(viewer *mitreden.User, cm *mitreden.Comment, c *mitreden.Consultation, myVote int, now time.Time) *CommentItem {
	cp := *cm
	it := &CommentItem{Comment: &cp, MyVote: myVote}
	switch {
	case cp.Deleted:
		cp.Body, cp.BodyHTML, cp.AuthorID, cp.AuthorName, cp.Alignment = "", "", "", "", ""
	case cp.Hidden && !isModerator(viewer):
		// Its author too sees the placeholder with the reason (and may ask
		// for a review): hidden words are shown to moderators only.
		cp.Body, cp.BodyHTML, cp.AuthorID, cp.AuthorName, cp.Alignment = "", "", "", "", ""
		it.Redacted = true
	}
	it.CanEdit = canEditComment(viewer, cm, now)
	it.CanDelete = canDeleteComment(viewer, cm)
	it.CanReply = canReply(viewer, cm, c, now)
	it.CanVote = canVoteComment(viewer, cm, c, now)
	it.CanReport = canReport(viewer, cm.AuthorID, cm.Deleted, cm.Hidden)
	it.CanAppeal = canAppeal(viewer, &modItem{cm: cm})
	return it
}

// readComment returns one comment as viewer may see it, for the answer of a
// write on it.
func (p *Participation) readComment(ctx context.Context, viewer *mitreden.User, cm *mitreden.Comment) (*CommentItem, error) {
	c, err := p.consultationOf(ctx, cm)
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

// NewCommentItem is a comment AddComment just returned, as its author sees
// it: nobody can have voted on it yet, so unlike ReadComment it looks up
// no vote.
func (p *Participation) NewCommentItem(ctx context.Context, viewer *mitreden.User, cm *mitreden.Comment) (*CommentItem, error) {
	c, err := p.consultationOf(ctx, cm)
	if err != nil {
		return nil, err
	}
	// Its times as the store keeps them, to the millisecond, so the answer
	// equals what any later read shows.
	stored := *cm
	stored.CreatedAt, stored.EditedAt = stored.CreatedAt.Truncate(time.Millisecond), stored.EditedAt.Truncate(time.Millisecond)
	return p.commentItem(viewer, &stored, c, 0, p.now()), nil
}

// ReadComment returns one comment as viewer may see it. Returns ENOTFOUND.
func (p *Participation) ReadComment(ctx context.Context, viewer *mitreden.User, id string) (*CommentItem, error) {
	cm, err := p.st.FindComment(ctx, id)
	if err != nil {
		return nil, err
	}
	return p.readComment(ctx, viewer, cm)
}

// ContributionsShown is how many of each kind "Meine Beiträge" lists, the
// newest first.
const ContributionsShown = 100

// MyContributions is what one person proposed, commented and voted on, for
// the page "Meine Beiträge", newest first, at most ContributionsShown of
// each; More* tells that there are older ones.
type MyContributions struct {
	Proposals []*MyProposal
	Comments  []*MyComment
	// Votes are grouped by consultation, the one voted in last first.
	Votes                                  []*MyVoteGroup
	MoreProposals, MoreComments, MoreVotes bool
	// Held are the contributions waiting for moderation, oldest first.
	Held []*MyHeld
}

// MyHeld is a contribution of the viewer's that waits for moderation, with
// the title of the consultation (or proposal) it goes to.
type MyHeld struct {
	*mitreden.QueueEntry
	TargetTitle, TargetLang string
}

// Moderated is what moderation decided about one of the viewer's items:
// the record, and whether a review may still be asked for.
type Moderated struct {
	History   []*mitreden.ModerationAction
	CanAppeal mitreden.Permission
}

// MyProposal is one of the viewer's proposals with its consultation's title.
type MyProposal struct {
	*ProposalItem
	// ConsultationLang is the language ConsultationTitle is written in.
	ConsultationTitle, ConsultationLang string
	Moderated
}

// MyComment is one of the viewer's comments as they may see it, with the
// title of what it discusses.
type MyComment struct {
	*mitreden.Comment
	// Redacted is set when moderation hid the comment from the viewer.
	Redacted bool
	// TargetTitle is the title of the proposal or consultation discussed,
	// TargetLang the language it is written in.
	TargetTitle, TargetLang string
	Moderated
}

// MyVoteGroup is the viewer's votes in one consultation.
type MyVoteGroup struct {
	Consultation *mitreden.Consultation
	// Quota is the use of the support limit; zero unless quotaShown.
	Quota SupportQuota
	Votes []*MyVote
}

// MyVote is one vote of the viewer with its proposal.
type MyVote struct {
	mitreden.UserVote
	Proposal *ProposalItem
}

// ReadMyContributions returns what viewer contributed. Returns
// EUNAUTHORIZED for an anonymous viewer. Its lists filter by author, which
// the embedded engine answers by scanning: fine for a page one person opens
// now and then (each kind is one indexed query on MongoDB).
func (p *Participation) ReadMyContributions(ctx context.Context, viewer *mitreden.User) (*MyContributions, error) {
	if viewer == nil {
		return nil, &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
	}
	props, err := p.st.UserProposals(ctx, viewer.ID, ContributionsShown+1)
	if err != nil {
		return nil, err
	}
	comments, err := p.st.UserComments(ctx, viewer.ID, ContributionsShown+1)
	if err != nil {
		return nil, err
	}
	votes, err := p.st.UserVoteList(ctx, viewer.ID, ContributionsShown+1)
	if err != nil {
		return nil, err
	}
	out := &MyContributions{MoreProposals: len(props) > ContributionsShown, MoreComments: len(comments) > ContributionsShown,
		MoreVotes: len(votes) > ContributionsShown}
	props, comments, votes = props[:min(len(props), ContributionsShown)], comments[:min(len(comments), ContributionsShown)],
		votes[:min(len(votes), ContributionsShown)]

	// The proposals voted on and commented, and every consultation, are
	// read once each: by _id, so the embedded engine does not scan.
	var ids []string
	for _, v := range votes {
		ids = append(ids, v.ProposalID)
	}
	for _, cm := range comments {
		if cm.TargetType == mitreden.TargetProposal {
			ids = append(ids, cm.TargetID)
		}
	}
	slices.Sort(ids)
	byID, err := p.st.ProposalsByID(ctx, slices.Compact(ids))
	if err != nil {
		return nil, err
	}
	for _, pr := range props {
		byID[pr.ID] = pr
	}
	cons := map[string]*mitreden.Consultation{}
	consultation := func(id string) (*mitreden.Consultation, error) {
		if c, ok := cons[id]; ok {
			return c, nil
		}
		c, err := p.st.FindConsultation(ctx, id)
		if err != nil {
			return nil, err
		}
		cons[id] = c
		return c, nil
	}

	for _, pr := range props {
		c, err := consultation(pr.ConsultationID)
		if err != nil {
			return nil, err
		}
		mp := &MyProposal{ProposalItem: proposalItem(viewer, pr, c, ""), ConsultationTitle: c.Title, ConsultationLang: c.Lang}
		mp.CanAppeal = canAppeal(viewer, &modItem{pr: pr})
		if mp.History, err = p.itemHistory(ctx, mitreden.ItemProposal, pr.ID, pr.Mod); err != nil {
			return nil, err
		}
		out.Proposals = append(out.Proposals, mp)
	}
	for _, cm := range comments {
		it := &MyComment{Comment: cm}
		if cm.Hidden && !isModerator(viewer) {
			// As in the discussion: hidden words are shown to moderators
			// only; the author sees the reason.
			cp := *cm
			cp.Body, cp.BodyHTML = "", ""
			it.Comment, it.Redacted = &cp, true
		}
		it.CanAppeal = canAppeal(viewer, &modItem{cm: cm})
		if it.History, err = p.itemHistory(ctx, mitreden.ItemComment, cm.ID, cm.Mod); err != nil {
			return nil, err
		}
		if cm.TargetType == mitreden.TargetProposal {
			pr := byID[cm.TargetID]
			if pr == nil {
				continue
			}
			if pi := proposalItem(viewer, pr, nil, ""); !pi.Redacted {
				it.TargetTitle, it.TargetLang = pr.Title, pr.Lang
			}
		} else {
			c, err := consultation(cm.TargetID)
			if err != nil {
				return nil, err
			}
			it.TargetTitle, it.TargetLang = c.Title, c.Lang
		}
		out.Comments = append(out.Comments, it)
	}
	groups := map[string]*MyVoteGroup{}
	for _, v := range votes {
		pr := byID[v.ProposalID]
		if pr == nil {
			continue
		}
		c, err := consultation(pr.ConsultationID)
		if err != nil {
			return nil, err
		}
		g := groups[c.ID]
		if g == nil {
			g = &MyVoteGroup{Consultation: c}
			if g.Quota, err = p.supportQuota(ctx, viewer, c); err != nil {
				return nil, err
			}
			groups[c.ID] = g
			out.Votes = append(out.Votes, g)
		}
		g.Votes = append(g.Votes, &MyVote{UserVote: v, Proposal: proposalItem(viewer, pr, c, v.Value)})
	}
	held, err := p.st.HeldOf(ctx, viewer.ID, "")
	if err != nil {
		return nil, err
	}
	for _, e := range held {
		h := &MyHeld{QueueEntry: e}
		if e.TargetType == mitreden.TargetProposal {
			if pr, err := p.st.FindProposal(ctx, e.TargetID); err == nil && !proposalItem(viewer, pr, nil, "").Redacted {
				h.TargetTitle, h.TargetLang = pr.Title, pr.Lang
			}
		} else if c, err := consultation(e.ConsultationID); err == nil {
			h.TargetTitle, h.TargetLang = c.Title, c.Lang
		}
		out.Held = append(out.Held, h)
	}
	return out, nil
}

// consultationOf is the consultation a comment belongs to, or the context
// of another service's target it discusses (a recommendation's comments
// belong to no consultation).
func (p *Participation) consultationOf(ctx context.Context, cm *mitreden.Comment) (*mitreden.Consultation, error) {
	if cm.ConsultationID == "" {
		return p.consultationOfTarget(ctx, cm.TargetType, cm.TargetID)
	}
	return p.st.FindConsultation(ctx, cm.ConsultationID)
}
