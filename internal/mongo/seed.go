package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// SeedBatch is generated content written in bulk: proposals with their
// counters already consistent with the comments and votes of the batch.
type SeedBatch struct {
	Proposals []*mitreden.Proposal
	Comments  []*mitreden.Comment
	Votes     []SeedVote
}

// SeedVote is one generated vote.
type SeedVote struct {
	ProposalID, UserID, ConsultationID, Value string
}

// NewSeedID returns a fresh id for generated records.
func NewSeedID() string { return bson.NewObjectID().Hex() }

// InsertSeed writes a batch with InsertMany; ids must be set (NewSeedID).
func (s *ParticipationStore) InsertSeed(ctx context.Context, b SeedBatch) error {
	// Seeded proposals and counters go around the listing cache. Forget
	// runs after the write lock is released: a write through the cache may
	// be waiting for that lock while holding the cache.
	defer s.db.lists.Forget()
	defer s.db.threads.Forget()
	ctx, done := s.db.write(context.WithoutCancel(ctx))
	defer done()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if len(b.Proposals) > 0 {
		docs := make([]any, len(b.Proposals))
		for i, p := range b.Proposals {
			id, err := bson.ObjectIDFromHex(p.ID)
			if err != nil {
				return err
			}
			docs[i] = proposalToDoc(p, id)
		}
		if _, err := s.db.C("proposals").InsertMany(ctx, docs); err != nil {
			return mapErr(err)
		}
	}
	if len(b.Comments) > 0 {
		docs := make([]any, len(b.Comments))
		for i, c := range b.Comments {
			id, err := bson.ObjectIDFromHex(c.ID)
			if err != nil {
				return err
			}
			docs[i] = commentToDoc(c, id)
		}
		if _, err := s.db.C("comments").InsertMany(ctx, docs); err != nil {
			return mapErr(err)
		}
		threads := map[string]*threadDoc{}
		var order []string
		for _, c := range b.Comments {
			id := threadID(c.TargetType, c.TargetID)
			t, ok := threads[id]
			if !ok {
				t = &threadDoc{ID: id}
				threads[id] = t
				order = append(order, id)
			}
			t.IDs = append(t.IDs, c.ID)
		}
		tdocs := make([]any, 0, len(order))
		for _, id := range order {
			tdocs = append(tdocs, threads[id])
		}
		if _, err := s.db.C("comment_threads").InsertMany(ctx, tdocs); err != nil {
			return mapErr(err)
		}
	}
	if len(b.Votes) > 0 {
		docs := make([]any, len(b.Votes))
		for i, v := range b.Votes {
			docs[i] = voteDoc{ID: voteID(v.ProposalID, v.UserID), ProposalID: v.ProposalID, UserID: v.UserID,
				ConsultationID: v.ConsultationID, Value: v.Value, CreatedAt: now()}
		}
		if _, err := s.db.C("votes").InsertMany(ctx, docs); err != nil {
			return mapErr(err)
		}
	}
	return nil
}
