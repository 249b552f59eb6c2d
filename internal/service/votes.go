package service

import (
	"context"
	"slices"
	"strings"

	"github.com/mitreden/mitreden/internal/mitreden"
)

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
	pr, c, err := p.Proposal(ctx, proposalID)
	if err != nil {
		return nil, nil, err
	}
	if err := canVote(actor, pr, c, p.now()).Err(); err != nil {
		return nil, nil, err
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
	return p.castVote(ctx, actor.ID, pr, c, value)
}

// castVote stores the vote of voter once the rules admitted it: the online
// path and staff entries for a participant record (assisted.go) share it,
// so the one-vote key, the support limit and the counters hold for both.
func (p *Participation) castVote(ctx context.Context, voter string, pr *mitreden.Proposal, c *mitreden.Consultation, value string) (*mitreden.VoteResult, error) {
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
		if old, err := p.st.FindVote(ctx, pr.ID, voter); err == nil && old == value {
			return &mitreden.VoteResult{Changed: false, Value: value, Tally: pr.Tally, VotingMode: c.VotingMode}, nil
		}
		if err := p.st.ReserveSupport(ctx, c.ID, voter, c.MaxSupports); err != nil {
			// A concurrent duplicate of this request may hold the last support.
			if old, ferr := p.st.FindVote(ctx, pr.ID, voter); ferr == nil && old == value {
				return p.voteResult(ctx, c, pr.ID, false, value)
			}
			return nil, err
		}
	}
	err := p.st.InsertVote(ctx, pr.ID, voter, c.ID, value)
	switch mitreden.ErrorCode(err) {
	case "":
		if err := p.st.IncProposalCounts(ctx, pr.ID, tallyOf(value, 1), 0, ""); err != nil {
			return nil, err
		}
		p.addParticipant(ctx, c.ID, voter)
		return p.voteResult(ctx, c, pr.ID, true, value)
	case mitreden.ECONFLICT:
		if limited {
			_ = p.st.ReleaseSupport(ctx, c.ID, voter)
		}
	default:
		if limited {
			_ = p.st.ReleaseSupport(ctx, c.ID, voter)
		}
		return nil, err
	}
	// The user voted before: same value changes nothing, another swaps.
	old, err := p.st.FindVote(ctx, pr.ID, voter)
	if err != nil {
		return nil, err
	}
	if old == value {
		return p.voteResult(ctx, c, pr.ID, false, value)
	}
	if err := p.st.ChangeVote(ctx, pr.ID, voter, old, value); err != nil {
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
	return p.voteResult(ctx, c, pr.ID, true, value)
}

func (p *Participation) voteResult(ctx context.Context, c *mitreden.Consultation, proposalID string, changed bool, value string) (*mitreden.VoteResult, error) {
	pr, err := p.st.FindProposal(ctx, proposalID)
	if err != nil {
		return nil, err
	}
	if changed {
		// The tally in the index may lag; the one answered may not.
		p.indexCounts(ctx, mitreden.SearchDocID(mitreden.SearchTypeProposal, pr.ID))
	}
	return &mitreden.VoteResult{Changed: changed, Value: value, Tally: pr.Tally, VotingMode: c.VotingMode}, nil
}

// Unvote withdraws actor's vote while the consultation is open. Withdrawing
// nothing is not an error (Changed is false).
func (p *Participation) Unvote(ctx context.Context, actor *mitreden.User, proposalID string) (*mitreden.VoteResult, error) {
	pr, c, err := p.Proposal(ctx, proposalID)
	if err != nil {
		return nil, err
	}
	if err := canUnvote(actor, c, p.now()).Err(); err != nil {
		return nil, err
	}
	old, err := p.st.DeleteVote(ctx, pr.ID, actor.ID)
	if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
		return &mitreden.VoteResult{Changed: false, Tally: pr.Tally, VotingMode: c.VotingMode}, nil
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
	return p.voteResult(ctx, c, pr.ID, true, "")
}

// MyVotes returns actor's votes on the proposals.
func (p *Participation) MyVotes(ctx context.Context, actor *mitreden.User, ids []string) (map[string]string, error) {
	if actor == nil {
		return map[string]string{}, nil
	}
	return p.st.UserVotes(ctx, actor.ID, ids)
}
