package mitreden

import (
	"context"
	"time"
)

// Participant is one person who took part in a consultation: proposed,
// commented or voted there, at least once.
type Participant struct {
	ConsultationID, UserID string
	// AddedAt is when AddParticipant recorded the person, by the clock of
	// the process that did, which raised the count right after. It is zero
	// for records a backfill or recount inserted: those set the count
	// themselves, so no raise of theirs can still be in flight.
	AddedAt time.Time
}

// ParticipantCount is a consultation's stored count of participants as a
// recount reads and repairs it.
type ParticipantCount struct {
	ConsultationID string
	N              int
	// Version changes with every change of N.
	Version int64
}

// ParticipantStore records who took part in which consultation, one record
// per person and consultation under a deterministic key, and keeps a count
// per consultation beside the records, so a page reads how many people took
// part with one lookup by key per consultation. The count is raised only by
// the write that inserted a record, so a person counts once however often
// they write. Besides the codes named per method, every method returns
// EUNAVAILABLE when the store cannot be reached in time and EINTERNAL for
// anything unexpected.
type ParticipantStore interface {
	// AddParticipant records that userID took part in consultationID and
	// raises the consultation's count when the record is new. A person
	// recorded before costs one lookup by key and no write; a record another
	// call inserted meanwhile is no error and is counted by that call.
	AddParticipant(ctx context.Context, consultationID, userID string) error
	// RemoveParticipant deletes the record of userID in consultationID and
	// lowers the count when it deleted one; a missing record is no error.
	// Linking a participant record to an account moves the record's
	// participations to the account this way, after AddParticipant for the
	// account, so a crash between the two counts the person twice until
	// the merge resumes, never not at all.
	RemoveParticipant(ctx context.Context, consultationID, userID string) error
	// ParticipationsOf returns the consultations userID is recorded in
	// (through an index on the person).
	ParticipationsOf(ctx context.Context, userID string) ([]string, error)
	// DeleteParticipants deletes the records of ps without changing any
	// count: a recount drops the records of linked participant records this
	// way and sets the counts itself.
	DeleteParticipants(ctx context.Context, ps []Participant) error
	// ParticipantCounts returns how many people took part in each of the
	// consultations, by id; a consultation without participants is 0. Reads
	// the counts by key: one query on MongoDB, one lookup each (from memory)
	// on the embedded engine.
	ParticipantCounts(ctx context.Context, consultationIDs []string) (map[string]int, error)

	// AllParticipants streams every participant record, for a recount.
	AllParticipants(ctx context.Context, yield func(Participant) error) error
	// AllVoters streams the consultation and person of every vote record
	// (a person who voted on several proposals comes once per vote).
	AllVoters(ctx context.Context, yield func(Participant) error) error
	// AllParticipantCounts streams every stored count.
	AllParticipantCounts(ctx context.Context, yield func(ParticipantCount) error) error
	// InsertParticipants stores the records of ps in bulk, without raising
	// any count, and returns how many it inserted per consultation; a record
	// stored already (before or meanwhile) is left alone and not counted.
	InsertParticipants(ctx context.Context, ps []Participant) (map[string]int, error)
	// SetParticipantCount sets the count of from.ConsultationID to n, if it
	// is still from (a missing count is 0 at version 0). Returns ECONFLICT
	// when it changed meanwhile.
	SetParticipantCount(ctx context.Context, from ParticipantCount, n int) error
	// ParticipantsBackfilled tells whether the records of contributions
	// stored before participants were recorded have been added.
	ParticipantsBackfilled(ctx context.Context) (bool, error)
	// MarkParticipantsBackfilled records that they have.
	MarkParticipantsBackfilled(ctx context.Context) error
}
