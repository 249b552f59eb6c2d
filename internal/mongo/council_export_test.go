package mongo

import (
	"context"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// InsertRevisionOnly runs the first step of SaveRevision alone: the state a
// save cut short between its two writes leaves.
func (s *CouncilStore) InsertRevisionOnly(ctx context.Context, base int, rev *mitreden.Revision) error {
	ctx, done := s.db.write(ctx)
	defer done()
	rev.N = base + 1
	if rev.At.IsZero() {
		rev.At = now()
	}
	_, err := s.db.C("rec_revisions").InsertOne(ctx, revisionToDoc(rev))
	return mapErr(err)
}
