package main

import (
	"context"
	"log/slog"
	"time"
)

// erasureLoop finishes account deletions a crash or a failed step left
// unfinished: all of them at start, then every interval those older than
// it (newer ones are most likely still running in a request).
func erasureLoop(ctx context.Context, e *env, log *slog.Logger, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	olderThan := time.Duration(0)
	for {
		if n, err := e.data.ResumeErasures(ctx, olderThan); err != nil {
			if ctx.Err() == nil {
				log.Warn("finishing interrupted account deletions; trying again later", "err", err)
			}
		} else if n > 0 {
			log.Info("interrupted account deletions finished", "n", n)
		}
		olderThan = interval
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
