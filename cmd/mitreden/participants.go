package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// backfillParticipants records, before the server listens, who took part
// in the contributions stored before people were counted (data of an older
// release), so the home page counts them; once, after that the store is
// marked. A failure is logged and the next start tries again: the counts
// are then too low, nothing else.
func backfillParticipants(ctx context.Context, e *env, log *slog.Logger) {
	if _, err := e.participation.BackfillParticipants(ctx, false); err != nil && ctx.Err() == nil {
		log.Warn("counting the people who took part in stored contributions; the next start tries again", "err", err)
	}
}

// seedParticipants records who took part in what seeding wrote around the
// service, whether the store was marked or not, so that a server started
// afterwards (and a benchmark measuring it) does not pay for it.
func seedParticipants(ctx context.Context, e *env, out io.Writer) error {
	r, err := e.participation.BackfillParticipants(ctx, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "participants: %d people in their consultations, %d records added, %d counts set in %s\n",
		r.People, r.Added, len(r.Fixes), r.Duration.Round(time.Millisecond))
	return nil
}
