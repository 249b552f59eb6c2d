package http

import (
	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/service"
)

// myCommentView is one of the person's comments with what it discusses.
type myCommentView struct {
	*service.MyComment
	Excerpt, Href, TargetHref string
	Mod                       modView
	CanAppeal                 bool
}

// myVoteView is one vote with the proposal voted on.
type myVoteView struct {
	Value    string
	Proposal *proposalView
}

// myVoteGroupView is the person's votes in one consultation.
type myVoteGroupView struct {
	ID, Title string
	Quota     service.SupportQuota
	Votes     []*myVoteView
	// Lang is the language of the consultation's Title.
	Lang string
}

// enteredView is a contribution the citizens' service entered for the
// person, linked, with its channel (Prov).
type enteredView struct {
	*service.EnteredItem
	Href, Title, Excerpt, Lang string
}

// contributionsExcerptRunes is how much of a comment the list shows.
const contributionsExcerptRunes = 160

// handleMyContributions lists what the person proposed, commented and
// supported, newest first, each linked.
func (s *Server) handleMyContributions(c *fiber.Ctx) error {
	p := s.page(c, "contributions.title")
	mine, err := s.deps.Participation.ReadMyContributions(c.UserContext(), p.User)
	if err != nil {
		return err
	}
	props := make([]*proposalView, len(mine.Proposals))
	for i, it := range mine.Proposals {
		props[i] = s.listItemView(it.ProposalItem, it.ConsultationTitle)
		props[i].ConsultationLang = it.ConsultationLang
		props[i].History, props[i].CanAppeal = it.History, it.CanAppeal.Allowed()
	}
	comments := make([]*myCommentView, len(mine.Comments))
	for i, it := range mine.Comments {
		v := &myCommentView{MyComment: it, Href: commentURL(it.Comment), TargetHref: "/" + it.TargetType + "s/" + it.TargetID,
			Mod: modOf(it.Hidden, it.Mod), CanAppeal: it.CanAppeal.Allowed()}
		if !it.Redacted {
			v.Excerpt = bodyExcerpt(it.BodyHTML, it.Body, it.HTMLVersion, contributionsExcerptRunes)
		}
		comments[i] = v
	}
	groups := make([]*myVoteGroupView, len(mine.Votes))
	for i, g := range mine.Votes {
		gv := &myVoteGroupView{ID: g.Consultation.ID, Title: g.Consultation.Title, Lang: g.Consultation.Lang, Quota: g.Quota}
		for _, v := range g.Votes {
			gv.Votes = append(gv.Votes, &myVoteView{Value: v.Value, Proposal: s.proposalItemView(v.Proposal, g.Consultation.Title)})
		}
		groups[i] = gv
	}
	// What the citizens' service entered for the person's linked records
	// (letters, calls, visits) is theirs too, listed with its channel.
	var entered []*enteredView
	if s.deps.Assisted != nil {
		items, err := s.deps.Assisted.ReadEnteredForViewer(c.UserContext(), p.User)
		if err != nil {
			return err
		}
		for _, it := range items {
			v := &enteredView{EnteredItem: it}
			if it.Proposal != nil {
				v.Href, v.Title, v.Lang = "/proposals/"+it.Proposal.ID, it.Proposal.Title, it.Proposal.Lang
			} else {
				v.Href, v.Lang = commentURL(it.Comment), it.Comment.Lang
				v.Excerpt = bodyExcerpt(it.Comment.BodyHTML, it.Comment.Body, it.Comment.HTMLVersion, contributionsExcerptRunes)
			}
			entered = append(entered, v)
		}
	}
	p.Data = fiber.Map{"Proposals": props, "Comments": comments, "Held": mine.Held, "Votes": groups, "Shown": service.ContributionsShown,
		"MoreProposals": mine.MoreProposals, "MoreComments": mine.MoreComments, "MoreVotes": mine.MoreVotes, "Entered": entered}
	return s.render(c, fiber.StatusOK, "contributions/mine", p)
}
