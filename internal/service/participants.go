package service

import (
	"context"
	"sort"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// People who took part: every published proposal, published comment and
// first vote records its author in the consultation (addParticipant, after
// the write succeeded), and the store counts each person once per
// consultation (mitreden.ParticipantStore). A held contribution records
// nobody until a moderator releases it: release publishes it through the
// same functions. A person stays counted once they took part, even when
// they later withdraw their vote or delete their comment.
//
// The records of contributions stored before participants were recorded,
// or written around the service (seeding), are added by BackfillParticipants
// (once, at serve start) and by every recount, which also sets the counts
// right from the records (syncParticipants).

// addParticipant records that userID took part in the consultation. A
// failure is logged and never fails the write it follows; the next recount
// adds the missing record. The write happened, so a client that went away
// meanwhile does not cancel the record. A participant record linked to an
// account is recorded as the account (personOf), so the person counts once.
func (p *Participation) addParticipant(ctx context.Context, consultationID, userID string) {
	if p.personOf != nil {
		userID = p.personOf(ctx, userID)
	}
	if err := p.st.AddParticipant(context.WithoutCancel(ctx), consultationID, userID); err != nil {
		p.log.Warn("recording a participant; the next recount adds it", "consultation", consultationID, "user", userID, "err", err)
	}
}

// HomeRead is what the home page shows of the open consultations.
type HomeRead struct {
	// Consultations are the open consultations, at most the limit asked.
	Consultations []*ConsultationItem
	// Total counts every open consultation.
	Total int
	// Participants says how many people took part in each consultation
	// listed, by id.
	Participants map[string]int
}

// ReadHome returns up to limit open consultations for viewer with how many
// people took part in each: the consultation list, then the counts of those
// listed by _id (mitreden.ParticipantStore.ParticipantCounts).
func (p *Participation) ReadHome(ctx context.Context, viewer *mitreden.User, limit int) (*HomeRead, error) {
	list, total, err := p.ReadConsultations(ctx, viewer, mitreden.ConsultationFilter{Phase: mitreden.PhaseOpen, Page: 1, PerPage: limit})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	counts, err := p.st.ParticipantCounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	return &HomeRead{Consultations: list, Total: total, Participants: counts}, nil
}

// ParticipantSync is what a backfill or recount of participants did.
type ParticipantSync struct {
	// Ran is false when the backfill had run before and was not forced.
	Ran bool
	// People counts the distinct people per consultation the proposals,
	// comments and votes name, summed over the consultations.
	People int
	// Added counts the participant records inserted.
	Added int
	// Fixes are the counts set right (or skipped, see CounterFix), with
	// Field "participant_count".
	Fixes    []CounterFix
	Duration time.Duration
}

// BackfillParticipants adds the participant records that the stored
// proposals, comments and votes imply and sets each consultation's count
// from the records, then marks the store so it runs once: with force false
// it does nothing on a marked store. A run that had to skip a count (people
// took part in that consultation meanwhile) leaves the mark for the next. Seeding, which writes around the
// service, forces it. It reads every proposal, comment and vote once and
// writes in bulk; see syncParticipants for writes meanwhile.
func (p *Participation) BackfillParticipants(ctx context.Context, force bool) (ParticipantSync, error) {
	if !force {
		done, err := p.st.ParticipantsBackfilled(ctx)
		if err != nil || done {
			return ParticipantSync{}, err
		}
	}
	start := time.Now()
	r, err := p.syncParticipants(ctx)
	if err != nil {
		return r, err
	}
	r.Ran = true
	skipped := 0
	for _, f := range r.Fixes {
		if f.Skipped {
			skipped++
		}
	}
	if skipped == 0 {
		// A count skipped because people took part meanwhile (another
		// instance serving) is set by the next start's run, or a recount.
		if err := p.st.MarkParticipantsBackfilled(ctx); err != nil {
			return r, err
		}
	}
	r.Duration = time.Since(start)
	p.log.Info("participants backfilled", "people", r.People, "records_added", r.Added, "counts_set", len(r.Fixes)-skipped,
		"counts_skipped", skipped, "took", r.Duration.Round(time.Millisecond))
	return r, nil
}

type participantKey struct{ consultation, user string }

// syncParticipants adds the participant records the contributions imply
// and repairs the counts, while people keep taking part. The counts are
// read first, then the records, then the contributions. A participation
// that raised its count after the counts were read changed the count's
// version, so its compare-and-set fails; one whose record the pass saw but
// whose raise may still follow (recorded after the cutoff, see
// deadCutoff) leaves its consultation's count alone. Either way the count
// is reported as skipped and the next recount repairs it. Records this
// pass inserts are counted by it, and AddParticipant finds them.
func (p *Participation) syncParticipants(ctx context.Context) (ParticipantSync, error) {
	var r ParticipantSync
	counts := map[string]mitreden.ParticipantCount{}
	if err := p.st.AllParticipantCounts(ctx, func(c mitreden.ParticipantCount) error {
		counts[c.ConsultationID] = c
		return nil
	}); err != nil {
		return r, err
	}
	// A participant record linked to an account is the account's person:
	// its contributions count for the account, and its own participant
	// records (left by a link before links moved them, or written by an
	// entry that raced the link) are dropped below.
	linked := map[string]string{}
	if p.linkedPeople != nil {
		var err error
		if linked, err = p.linkedPeople(ctx); err != nil {
			return r, err
		}
	}
	person := func(id string) string {
		if to, ok := linked[id]; ok {
			return to
		}
		return id
	}
	cutoff := p.deadCutoff()
	stored := map[participantKey]bool{}
	have := map[string]int{}
	young := map[string]bool{}
	var stale []mitreden.Participant
	if err := p.st.AllParticipants(ctx, func(pt mitreden.Participant) error {
		if !pt.AddedAt.IsZero() && !pt.AddedAt.Before(cutoff) {
			young[pt.ConsultationID] = true
		}
		if _, ok := linked[pt.UserID]; ok {
			stale = append(stale, pt)
			return nil
		}
		stored[participantKey{pt.ConsultationID, pt.UserID}] = true
		have[pt.ConsultationID]++
		return nil
	}); err != nil {
		return r, err
	}
	people := map[participantKey]bool{}
	var missing []mitreden.Participant
	took := func(consultationID, userID string) {
		userID = person(userID)
		k := participantKey{consultationID, userID}
		// A deleted account's contributions keep counting through the
		// participant records that were unlinked from the person.
		if consultationID == "" || userID == "" || mitreden.AuthorDeleted(userID) || people[k] {
			return
		}
		people[k] = true
		if !stored[k] {
			missing = append(missing, mitreden.Participant{ConsultationID: consultationID, UserID: userID})
		}
	}
	for _, pt := range stale {
		took(pt.ConsultationID, pt.UserID)
	}
	if err := p.st.AllProposals(ctx, func(pr *mitreden.Proposal) error {
		took(pr.ConsultationID, pr.AuthorID)
		return nil
	}); err != nil {
		return r, err
	}
	if err := p.st.AllComments(ctx, func(cm *mitreden.Comment) error {
		took(cm.ConsultationID, cm.AuthorID)
		return nil
	}); err != nil {
		return r, err
	}
	if err := p.st.AllVoters(ctx, func(v mitreden.Participant) error {
		took(v.ConsultationID, v.UserID)
		return nil
	}); err != nil {
		return r, err
	}
	r.People = len(people)
	sort.Slice(missing, func(i, j int) bool {
		a, b := missing[i], missing[j]
		return a.ConsultationID < b.ConsultationID || a.ConsultationID == b.ConsultationID && a.UserID < b.UserID
	})
	added, err := p.st.InsertParticipants(ctx, missing)
	for _, n := range added {
		r.Added += n
	}
	if err != nil {
		return r, err
	}
	// The account's records are in place, so the record's go; the counts
	// below leave them out either way.
	if err := p.st.DeleteParticipants(ctx, stale); err != nil {
		return r, err
	}
	ids := map[string]bool{}
	for _, m := range []map[string]int{have, added} {
		for id := range m {
			ids[id] = true
		}
	}
	for id := range counts {
		ids[id] = true
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	for _, id := range sorted {
		from, ok := counts[id]
		if !ok {
			from = mitreden.ParticipantCount{ConsultationID: id}
		}
		to := have[id] + added[id]
		if from.N == to {
			continue
		}
		skipped := young[id]
		if !skipped {
			err := p.st.SetParticipantCount(ctx, from, to)
			if skipped = mitreden.ErrorCode(err) == mitreden.ECONFLICT; err != nil && !skipped {
				return r, err
			}
		}
		r.Fixes = append(r.Fixes, CounterFix{ConsultationID: id, Field: "participant_count", From: from.N, To: to, Skipped: skipped})
	}
	return r, nil
}

// recountParticipants is the part of RecountConsultations that adds
// missing participant records and repairs the counts.
func (p *Participation) recountParticipants(ctx context.Context) ([]CounterFix, error) {
	r, err := p.syncParticipants(ctx)
	if r.Added > 0 {
		p.log.Info("recount added participant records", "records", r.Added)
	}
	return r.Fixes, err
}
