package service

import (
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// The rules of who may do what with a consultation, proposal or comment live
// here and only here. Reads report them as permission flags with a reason;
// writes answer the same refusal as their error. Handlers never decide.

func denied(err error) mitreden.Permission {
	if err == nil {
		return mitreden.Allow()
	}
	if de, ok := err.(*mitreden.Error); ok {
		return mitreden.DenyErr(de)
	}
	return mitreden.Deny(mitreden.EINTERNAL, "error.internal", nil)
}

// participant admits a logged-in person who is not blocked.
func participant(actor *mitreden.User) mitreden.Permission {
	if actor == nil {
		return mitreden.Deny(mitreden.EUNAUTHORIZED, "error.unauthorized", nil)
	}
	if actor.BlockedAt(time.Now()) {
		return blockedPermission(actor)
	}
	return mitreden.Allow()
}

// blockedPermission refuses a blocked person's write with the reason and
// until when.
func blockedPermission(u *mitreden.User) mitreden.Permission {
	if u.BlockedUntil.IsZero() {
		return mitreden.Deny(mitreden.EFORBIDDEN, mitreden.ReasonBlocked, map[string]any{"reason": u.BlockReason})
	}
	return mitreden.Deny(mitreden.EFORBIDDEN, mitreden.ReasonBlockedUntil, map[string]any{"reason": u.BlockReason, "until": u.BlockedUntil})
}

// moderator admits moderators and admins.
func moderator(actor *mitreden.User) mitreden.Permission {
	if actor == nil {
		return mitreden.Deny(mitreden.EUNAUTHORIZED, "error.unauthorized", nil)
	}
	if !isModerator(actor) {
		return mitreden.Deny(mitreden.EFORBIDDEN, mitreden.ReasonRole, nil)
	}
	// A block refuses every write, a moderator's decisions included.
	if actor.BlockedAt(time.Now()) {
		return blockedPermission(actor)
	}
	return mitreden.Allow()
}

// isModerator tells whether actor sees what moderation hid.
func isModerator(actor *mitreden.User) bool {
	return actor.HasRole(mitreden.RoleModerator) || actor.HasRole(mitreden.RoleAdmin)
}

// first returns the first refusal among checks, evaluated in order.
func first(checks ...func() mitreden.Permission) mitreden.Permission {
	for _, c := range checks {
		if p := c(); !p.Allowed() {
			return p
		}
	}
	return mitreden.Allow()
}

func openAt(c *mitreden.Consultation, now time.Time) func() mitreden.Permission {
	return func() mitreden.Permission { return denied(c.NotOpenError(now)) }
}

func who(actor *mitreden.User) func() mitreden.Permission {
	return func() mitreden.Permission { return participant(actor) }
}

// verifiedWho admits a participant who confirmed their address: proposing,
// commenting and voting wait for it (reports and follows do not). The
// account service clears Unverified when verification is not required.
func verifiedWho(actor *mitreden.User) func() mitreden.Permission {
	return func() mitreden.Permission {
		if p := participant(actor); !p.Allowed() {
			return p
		}
		if actor.Unverified {
			return mitreden.Deny(mitreden.EFORBIDDEN, mitreden.ReasonUnverified, nil)
		}
		return mitreden.Allow()
	}
}

// The state of the item is checked before the person: a closed consultation
// tells everyone that it is closed instead of inviting them to log in.

// canPropose: a participant, in an open consultation that takes proposals.
func canPropose(actor *mitreden.User, c *mitreden.Consultation, now time.Time) mitreden.Permission {
	return first(openAt(c, now), func() mitreden.Permission {
		if !c.ProposalsEnabled {
			return mitreden.Deny(mitreden.ECONFLICT, "proposal.disabled", nil)
		}
		return mitreden.Allow()
	}, verifiedWho(actor))
}

// canComment: a participant, in an open consultation that takes comments.
func canComment(actor *mitreden.User, c *mitreden.Consultation, now time.Time) mitreden.Permission {
	return first(openAt(c, now), func() mitreden.Permission {
		if !c.CommentsEnabled {
			return mitreden.Deny(mitreden.ECONFLICT, "comment.disabled", nil)
		}
		return mitreden.Allow()
	}, verifiedWho(actor))
}

// canVote: a participant, while the consultation is open, on a proposal that
// was not withdrawn.
func canVote(actor *mitreden.User, pr *mitreden.Proposal, c *mitreden.Consultation, now time.Time) mitreden.Permission {
	return first(openAt(c, now), func() mitreden.Permission {
		if pr.Status == mitreden.StatusWithdrawn {
			return mitreden.Deny(mitreden.ECONFLICT, "proposal.withdrawn", nil)
		}
		return mitreden.Allow()
	}, verifiedWho(actor))
}

// canUnvote: taking a vote back is possible while the consultation is open,
// also on a proposal withdrawn meanwhile.
func canUnvote(actor *mitreden.User, c *mitreden.Consultation, now time.Time) mitreden.Permission {
	return first(openAt(c, now), who(actor))
}

// canManage: admins create and change consultations and publish results.
// quotaShown tells whether viewer is shown how many of c's limited
// supports are left: a logged-in person while supports can be given.
func quotaShown(viewer *mitreden.User, c *mitreden.Consultation, now time.Time) bool {
	return viewer != nil && c.VotingMode == mitreden.VotingSupport && c.MaxSupports > 0 && c.Phase(now) == mitreden.PhaseOpen
}

func canManage(actor *mitreden.User) mitreden.Permission { return denied(requireAdmin(actor)) }

// canReadOutbox admits admins to the sent mails (the outbox): they hold
// people's addresses and, in the embedded mode, their one-time links.
func canReadOutbox(actor *mitreden.User) mitreden.Permission { return denied(requireAdmin(actor)) }

func authorOf(actor *mitreden.User, authorID, message string) func() mitreden.Permission {
	return func() mitreden.Permission {
		if actor.ID != authorID {
			return mitreden.Deny(mitreden.EFORBIDDEN, message, nil)
		}
		return mitreden.Allow()
	}
}

// canEditProposal: the author, while the consultation is open and nobody
// voted or commented yet.
func canEditProposal(actor *mitreden.User, pr *mitreden.Proposal, c *mitreden.Consultation, now time.Time) mitreden.Permission {
	return first(who(actor), authorOf(actor, pr.AuthorID, "proposal.not_author"), openAt(c, now), func() mitreden.Permission {
		if pr.Tally.Total() > 0 || pr.CommentCount > 0 || pr.Status != mitreden.StatusSubmitted {
			return mitreden.Deny(mitreden.ECONFLICT, "proposal.edit_locked", nil)
		}
		return mitreden.Allow()
	})
}

// canWithdraw: the author, while the participation phase lasts, before the
// proposal was decided. After the close the proposal belongs to the
// evaluation: it must stay answerable.
func canWithdraw(actor *mitreden.User, pr *mitreden.Proposal, c *mitreden.Consultation, now time.Time) mitreden.Permission {
	return first(who(actor), authorOf(actor, pr.AuthorID, "proposal.not_author"), func() mitreden.Permission {
		if pr.Status != mitreden.StatusSubmitted && pr.Status != mitreden.StatusInReview {
			return mitreden.Deny(mitreden.ECONFLICT, "proposal.cannot_withdraw", nil)
		}
		if c.Phase(now) != mitreden.PhaseOpen {
			return mitreden.Deny(mitreden.ECONFLICT, "proposal.withdraw_closed", map[string]any{"date": c.ClosesAt})
		}
		return mitreden.Allow()
	})
}

// canAnswer: admins answer every proposal that was not withdrawn, in any phase.
func canAnswer(actor *mitreden.User, pr *mitreden.Proposal) mitreden.Permission {
	if err := requireAdmin(actor); err != nil {
		return denied(err)
	}
	if pr.Status == mitreden.StatusWithdrawn {
		return mitreden.Deny(mitreden.ECONFLICT, "proposal.withdrawn", nil)
	}
	return mitreden.Allow()
}

// seen admits acting on a comment the actor can read: moderation's hidden
// comments are closed to everyone but moderators, their authors included.
func seen(actor *mitreden.User, cm *mitreden.Comment) func() mitreden.Permission {
	return func() mitreden.Permission {
		if cm.Hidden && !cm.Deleted && !isModerator(actor) {
			return mitreden.Deny(mitreden.ECONFLICT, "comments.hidden", nil)
		}
		return mitreden.Allow()
	}
}

// canReply: commenting is possible and the thread is not too deep yet.
func canReply(actor *mitreden.User, cm *mitreden.Comment, c *mitreden.Consultation, now time.Time) mitreden.Permission {
	return first(seen(actor, cm), func() mitreden.Permission { return canComment(actor, c, now) }, func() mitreden.Permission {
		if cm.Deleted {
			return mitreden.Deny(mitreden.ECONFLICT, "comment.deleted", nil)
		}
		if cm.Depth >= mitreden.CommentMaxDepth {
			return mitreden.Deny(mitreden.ECONFLICT, "validation.reply_depth", map[string]any{"max": mitreden.CommentMaxDepth + 1})
		}
		return mitreden.Allow()
	})
}

// canEditComment: the author, within the edit window, of a comment that is
// still there.
func canEditComment(actor *mitreden.User, cm *mitreden.Comment, now time.Time) mitreden.Permission {
	return first(who(actor), authorOf(actor, cm.AuthorID, "comment.not_author"), seen(actor, cm), func() mitreden.Permission {
		if cm.Deleted || now.Sub(cm.CreatedAt) > mitreden.CommentEditFor {
			return mitreden.Deny(mitreden.ECONFLICT, "comment.edit_window", map[string]any{"minutes": int(mitreden.CommentEditFor / time.Minute)})
		}
		return mitreden.Allow()
	})
}

// canDeleteComment: the author, at any time, hidden or not: taking one's
// own words back is always possible.
func canDeleteComment(actor *mitreden.User, cm *mitreden.Comment) mitreden.Permission {
	return first(who(actor), authorOf(actor, cm.AuthorID, "comment.not_author"))
}

// canVoteComment: a participant, while the consultation is open, on a
// comment that is still there. Votes after the close would reorder "best"
// after the discussion ended.
func canVoteComment(actor *mitreden.User, cm *mitreden.Comment, c *mitreden.Consultation, now time.Time) mitreden.Permission {
	return first(openAt(c, now), verifiedWho(actor), seen(actor, cm), func() mitreden.Permission {
		if cm.Deleted {
			return mitreden.Deny(mitreden.ECONFLICT, "comment.deleted", nil)
		}
		return mitreden.Allow()
	})
}

// staff admits the citizens' service and admins who are not blocked. Their
// entries are made for another person, so their own participation (their
// verification, their limits) plays no part.
func staff(actor *mitreden.User) mitreden.Permission {
	if actor == nil {
		return mitreden.Deny(mitreden.EUNAUTHORIZED, "error.unauthorized", nil)
	}
	if !actor.HasRole(mitreden.RoleService) && !actor.HasRole(mitreden.RoleAdmin) {
		return mitreden.Deny(mitreden.EFORBIDDEN, mitreden.ReasonRole, nil)
	}
	if actor.BlockedAt(time.Now()) {
		return blockedPermission(actor)
	}
	return mitreden.Allow()
}

// canEnterAssisted: staff enter on a person's behalf what reached the office
// while c was open, until late after the close; an evaluated consultation
// takes nothing more. The consultation's switches (proposals, comments) are
// checked by the caller as for everyone.
func canEnterAssisted(actor *mitreden.User, c *mitreden.Consultation, received, now time.Time, late time.Duration) mitreden.Permission {
	return first(func() mitreden.Permission { return staff(actor) }, func() mitreden.Permission {
		deadline := c.ClosesAt.Add(late)
		switch {
		case !c.EvaluatedAt.IsZero():
			return mitreden.Deny(mitreden.ECONFLICT, "assisted.evaluated", nil)
		case received.Before(mitreden.DayStart(c.OpensAt)):
			return mitreden.Deny(mitreden.ECONFLICT, "assisted.received_before_open", map[string]any{"date": c.OpensAt})
		case !received.Before(c.ClosesAt):
			return mitreden.Deny(mitreden.ECONFLICT, "assisted.received_after_close", map[string]any{"date": c.ClosesAt})
		case now.After(deadline):
			return mitreden.Deny(mitreden.ECONFLICT, "assisted.too_late", map[string]any{"date": c.ClosesAt, "deadline": deadline})
		}
		return mitreden.Allow()
	})
}
