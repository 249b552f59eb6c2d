package service

import (
	"context"
	"sort"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// CounterFix is one counter outside the proposals that RecountConsultations
// set right: a consultation's proposal or comment counter, or a user's used
// supports in a consultation.
type CounterFix struct {
	ConsultationID string
	UserID         string // set for support quotas only
	Field          string // proposal_count, comment_count or supports_used
	From, To       int
	// Skipped is set when the counter changed while the recount ran; the
	// next recount repairs it.
	Skipped bool
}

// RecountConsultations recomputes what Recount leaves out: each
// consultation's proposal counter (every proposal, withdrawn ones too) and
// comment counter (comments that are not deleted, on the consultation and on
// its proposals), and each user's used supports in consultations with a
// support limit (their support votes, withdrawn proposals included). It
// reads every record once and repairs drift with compare-and-set writes, so
// votes and comments may keep arriving meanwhile. A store that cannot
// repair counters yields EINTERNAL.
func (p *Participation) RecountConsultations(ctx context.Context) ([]CounterFix, error) {
	rs, ok := p.st.(mitreden.CounterRepairStore)
	if !ok {
		return nil, &mitreden.Error{Code: mitreden.EINTERNAL, Message: "error.internal"}
	}
	type counts struct{ storedP, storedC, p, c int }
	cons := map[string]*counts{}
	limited := map[string]bool{}
	if err := p.st.AllConsultations(ctx, func(c *mitreden.Consultation) error {
		cons[c.ID] = &counts{storedP: c.ProposalCount, storedC: c.CommentCount}
		if c.MaxSupports > 0 {
			limited[c.ID] = true
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := p.st.AllProposals(ctx, func(pr *mitreden.Proposal) error {
		if c := cons[pr.ConsultationID]; c != nil {
			c.p++
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := p.st.AllComments(ctx, func(cm *mitreden.Comment) error {
		if c := cons[cm.ConsultationID]; c != nil && !cm.Deleted {
			c.c++
		}
		return nil
	}); err != nil {
		return nil, err
	}
	var fixes []CounterFix
	ids := make([]string, 0, len(cons))
	for id := range cons {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		c := cons[id]
		if c.storedP == c.p && c.storedC == c.c {
			continue
		}
		err := rs.SetConsultationCounts(ctx, id, c.storedP, c.storedC, c.p, c.c)
		skipped := mitreden.ErrorCode(err) == mitreden.ECONFLICT
		if err != nil && !skipped {
			return fixes, err
		}
		if c.storedP != c.p {
			fixes = append(fixes, CounterFix{ConsultationID: id, Field: "proposal_count", From: c.storedP, To: c.p, Skipped: skipped})
		}
		if c.storedC != c.c {
			fixes = append(fixes, CounterFix{ConsultationID: id, Field: "comment_count", From: c.storedC, To: c.c, Skipped: skipped})
		}
	}
	if len(limited) == 0 {
		return fixes, nil
	}
	type key struct{ cid, uid string }
	used := map[key]int{}
	if err := rs.AllSupportVotes(ctx, func(v mitreden.SupportVote) error {
		if limited[v.ConsultationID] {
			used[key{v.ConsultationID, v.UserID}]++
		}
		return nil
	}); err != nil {
		return fixes, err
	}
	stored := map[key]int{}
	if err := rs.AllSupportQuotas(ctx, func(cid, uid string, n int) error {
		if limited[cid] {
			stored[key{cid, uid}] = n
		}
		return nil
	}); err != nil {
		return fixes, err
	}
	var keys []key
	for k, n := range used {
		if stored[k] != n {
			keys = append(keys, k)
		}
	}
	for k, n := range stored {
		if _, ok := used[k]; !ok && n != 0 {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].cid < keys[j].cid || keys[i].cid == keys[j].cid && keys[i].uid < keys[j].uid
	})
	for _, k := range keys {
		from, to := stored[k], used[k]
		err := rs.SetSupportQuota(ctx, k.cid, k.uid, from, to)
		skipped := mitreden.ErrorCode(err) == mitreden.ECONFLICT
		if err != nil && !skipped {
			return fixes, err
		}
		fixes = append(fixes, CounterFix{ConsultationID: k.cid, UserID: k.uid, Field: "supports_used", From: from, To: to, Skipped: skipped})
	}
	if len(fixes) > 0 {
		p.log.Info("recount repaired consultation counters", "fixes", len(fixes))
	}
	return fixes, nil
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
