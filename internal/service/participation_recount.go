package service

import (
	"context"
	"sort"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Recounting is correct while votes and comments keep arriving, in this
// process or another, without multi-document transactions: every store
// method that writes a record a counter counts first marks the counter's
// document (mitreden.CountState), and the counter update ends the mark. A
// recount reads a document's counters with that state, counts the records,
// and writes the repair with a compare-and-set on everything it read. A
// document with writes in flight is left alone, unless the writes started
// so long ago (mitreden.RecountStaleAfter) that their process must have
// died; a write that started after the read makes the compare-and-set fail.
// Either way the counter is reported as skipped and the next recount takes
// it up. Support quotas move before their vote record (a reservation before
// the vote, a touch before a withdrawal), so a quota that moved within
// RecountStaleAfter is skipped the same way.

// CounterWritesDeadBefore tells Recount and RecountConsultations that every
// counter write started before t belongs to a process that stopped, so what
// such a write left half done is repaired at once rather than after
// mitreden.RecountStaleAfter. A server that holds the data alone knows this
// at start: every mark older than its own start is dead.
func (p *Participation) CounterWritesDeadBefore(t time.Time) {
	p.deadBefore.Store(&t)
}

// deadCutoff returns the time before which a counter write counts as dead.
func (p *Participation) deadCutoff() time.Time {
	cut := p.now().Add(-mitreden.RecountStaleAfter)
	if t := p.deadBefore.Load(); t != nil && t.After(cut) {
		cut = *t
	}
	return cut
}

// RecountChange is one proposal counter that Recount repaired or, when
// Skipped, found different while a vote or comment was being written; the
// next recount repairs it if the write does not.
type RecountChange struct {
	ProposalID string
	Field      string
	From, To   int
	Skipped    bool
}

// Recount recomputes every proposal's tally and comment counters from the
// vote and comment records and repairs drift; it returns what it changed
// and what it skipped. Votes and comments may arrive meanwhile: none is lost
// or counted twice. It reads every proposal's counters first and then each
// record once (a query per proposal would read every vote and comment once
// per proposal in the embedded mode): a write whose record the pass sees
// marked or moved its counter before the counters were read, or its
// compare-and-set fails; either way the counter is skipped and repaired by
// the next recount.
func (p *Participation) Recount(ctx context.Context) ([]RecountChange, error) {
	rs, ok := p.st.(mitreden.CounterRepairStore)
	if !ok {
		return nil, &mitreden.Error{Code: mitreden.EINTERNAL, Message: "error.internal"}
	}
	for _, f := range p.beforeRecount {
		if err := f(ctx); err != nil {
			return nil, err
		}
	}
	var ids []string
	if err := p.st.AllProposals(ctx, func(pr *mitreden.Proposal) error { ids = append(ids, pr.ID); return nil }); err != nil {
		return nil, err
	}
	froms := make(map[string]mitreden.ProposalCounts, len(ids))
	for _, id := range ids {
		from, err := p.st.ProposalCounts(ctx, id)
		if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
			continue // removed meanwhile
		} else if err != nil {
			return nil, err
		}
		froms[id] = from
	}
	counted := make(map[string]*mitreden.ProposalCounts, len(froms))
	of := func(id string) *mitreden.ProposalCounts {
		c := counted[id]
		if c == nil {
			c = &mitreden.ProposalCounts{ID: id}
			counted[id] = c
		}
		return c
	}
	if err := rs.AllVotes(ctx, func(v mitreden.VoteRecord) error {
		t := &of(v.ProposalID).Tally
		switch v.Value {
		case mitreden.VoteSupport:
			t.Support++
		case mitreden.VoteYes:
			t.Yes++
		case mitreden.VoteNo:
			t.No++
		case mitreden.VoteAbstain:
			t.Abstain++
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := p.st.AllComments(ctx, func(cm *mitreden.Comment) error {
		if cm.TargetType != "proposal" || cm.Deleted {
			return nil
		}
		c := of(cm.TargetID)
		c.Comments++
		switch cm.Alignment {
		case "for":
			c.For++
		case "against":
			c.Against++
		case "neutral":
			c.Neutral++
		}
		return nil
	}); err != nil {
		return nil, err
	}
	var changes []RecountChange
	for _, id := range ids {
		from, ok := froms[id]
		if !ok {
			continue
		}
		to := mitreden.ProposalCounts{ID: id, State: from.State}
		if c := counted[id]; c != nil {
			to.Tally, to.Comments, to.For, to.Against, to.Neutral = c.Tally, c.Comments, c.For, c.Against, c.Neutral
		}
		ch, err := p.repairProposal(ctx, from, to)
		if err != nil {
			return changes, err
		}
		changes = append(changes, ch...)
	}
	return changes, nil
}

// repairProposal sets a proposal's counters from what they were (from, with
// their state) to what its records count (to), unless writes are in flight.
func (p *Participation) repairProposal(ctx context.Context, from, to mitreden.ProposalCounts) ([]RecountChange, error) {
	if from.SameCounters(to) && from.State.Pending == 0 {
		return nil, nil
	}
	skipped := !from.State.Settled(p.deadCutoff())
	if !skipped {
		err := p.st.SetProposalCounts(ctx, from, to)
		if skipped = mitreden.ErrorCode(err) == mitreden.ECONFLICT; err != nil && !skipped {
			return nil, err
		}
	}
	var ch []RecountChange
	for _, f := range []struct {
		name     string
		from, to int
	}{{"tally.support", from.Tally.Support, to.Tally.Support}, {"tally.yes", from.Tally.Yes, to.Tally.Yes}, {"tally.no", from.Tally.No, to.Tally.No},
		{"tally.abstain", from.Tally.Abstain, to.Tally.Abstain}, {"comment_count", from.Comments, to.Comments},
		{"for", from.For, to.For}, {"against", from.Against, to.Against}, {"neutral", from.Neutral, to.Neutral}} {
		if f.from != f.to {
			ch = append(ch, RecountChange{ProposalID: from.ID, Field: f.name, From: f.from, To: f.to, Skipped: skipped})
		}
	}
	return ch, nil
}

// CounterFix is one counter outside the proposals that RecountConsultations
// set right: a consultation's proposal or comment counter, or a user's used
// supports in a consultation.
type CounterFix struct {
	ConsultationID string
	UserID         string // set for support quotas only
	Field          string // proposal_count, comment_count, participant_count or supports_used
	From, To       int
	// Skipped is set when the counter was being written while the recount
	// ran; the next recount repairs it.
	Skipped bool
}

// RecountConsultations recomputes what Recount leaves out: each
// consultation's proposal counter (every proposal, withdrawn ones too) and
// comment counter (comments that are not deleted, on the consultation and on
// its proposals), each one's count of people who took part (in a pass of
// its own, syncParticipants), and each user's used supports in consultations with a
// support limit (their support votes, withdrawn proposals included). It
// reads the counters first and every record once after, and repairs drift
// with compare-and-set writes, so votes and comments may keep arriving
// meanwhile. A store that cannot repair counters yields EINTERNAL.
func (p *Participation) RecountConsultations(ctx context.Context) ([]CounterFix, error) {
	rs, ok := p.st.(mitreden.CounterRepairStore)
	if !ok {
		return nil, &mitreden.Error{Code: mitreden.EINTERNAL, Message: "error.internal"}
	}
	// The counters are read before the records: a write whose record the
	// scan sees has marked its counter before this read, or changes the
	// state this read saw. Quotas likewise, before the votes.
	type counts struct {
		from mitreden.ConsultationCounts
		p, c int
	}
	cons := map[string]*counts{}
	if err := rs.AllConsultationCounts(ctx, func(cc mitreden.ConsultationCounts) error {
		cons[cc.ID] = &counts{from: cc}
		return nil
	}); err != nil {
		return nil, err
	}
	limited := map[string]bool{}
	if err := p.st.AllConsultations(ctx, func(c *mitreden.Consultation) error {
		if c.MaxSupports > 0 {
			limited[c.ID] = true
		}
		return nil
	}); err != nil {
		return nil, err
	}
	type key struct{ cid, uid string }
	stored := map[key]mitreden.SupportQuota{}
	if len(limited) > 0 {
		if err := rs.AllSupportQuotas(ctx, func(q mitreden.SupportQuota) error {
			if limited[q.ConsultationID] {
				stored[key{q.ConsultationID, q.UserID}] = q
			}
			return nil
		}); err != nil {
			return nil, err
		}
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
	cutoff := p.deadCutoff()
	var fixes []CounterFix
	ids := make([]string, 0, len(cons))
	for id := range cons {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		c := cons[id]
		same := c.from.Proposals == c.p && c.from.Comments == c.c
		if same && c.from.State.Pending == 0 {
			continue
		}
		skipped := !c.from.State.Settled(cutoff)
		if !skipped {
			err := rs.SetConsultationCounts(ctx, c.from, c.p, c.c)
			if skipped = mitreden.ErrorCode(err) == mitreden.ECONFLICT; err != nil && !skipped {
				return fixes, err
			}
		}
		if c.from.Proposals != c.p {
			fixes = append(fixes, CounterFix{ConsultationID: id, Field: "proposal_count", From: c.from.Proposals, To: c.p, Skipped: skipped})
		}
		if c.from.Comments != c.c {
			fixes = append(fixes, CounterFix{ConsultationID: id, Field: "comment_count", From: c.from.Comments, To: c.c, Skipped: skipped})
		}
	}
	pfix, err := p.recountParticipants(ctx)
	if fixes = append(fixes, pfix...); err != nil {
		return fixes, err
	}
	if len(limited) == 0 {
		p.logFixes(fixes)
		return fixes, nil
	}
	used := map[key]int{}
	if err := rs.AllSupportVotes(ctx, func(v mitreden.SupportVote) error {
		if limited[v.ConsultationID] {
			used[key{v.ConsultationID, v.UserID}]++
		}
		return nil
	}); err != nil {
		return fixes, err
	}
	var keys []key
	for k, n := range used {
		if stored[k].Used != n {
			keys = append(keys, k)
		}
	}
	for k, q := range stored {
		if _, ok := used[k]; !ok && q.Used != 0 {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].cid < keys[j].cid || keys[i].cid == keys[j].cid && keys[i].uid < keys[j].uid
	})
	for _, k := range keys {
		from, ok := stored[k]
		if !ok {
			from = mitreden.SupportQuota{ConsultationID: k.cid, UserID: k.uid}
		}
		to := used[k]
		skipped := !from.ChangedAt.Before(cutoff)
		if !skipped {
			err := rs.SetSupportQuota(ctx, from, to)
			if skipped = mitreden.ErrorCode(err) == mitreden.ECONFLICT; err != nil && !skipped {
				return fixes, err
			}
		}
		fixes = append(fixes, CounterFix{ConsultationID: k.cid, UserID: k.uid, Field: "supports_used", From: from.Used, To: to, Skipped: skipped})
	}
	p.logFixes(fixes)
	return fixes, nil
}

func (p *Participation) logFixes(fixes []CounterFix) {
	if len(fixes) > 0 {
		p.log.Info("recount repaired consultation counters", "fixes", len(fixes))
	}
}
