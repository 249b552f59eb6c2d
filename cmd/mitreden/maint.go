package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// openFull opens store, search and services for a maintenance verb.
func openFull(ctx context.Context, cfg Config, stderr io.Writer) (*env, error) {
	if err := cfg.Validate(); err != nil {
		return nil, usageError{err.Error()}
	}
	e, err := open(ctx, cfg, newLogger(stderr, "warn"))
	if err != nil {
		return nil, err
	}
	if err := e.openSearch(ctx); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

func cmdSeed(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("seed", stderr)
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory (MITREDEN_DATA_DIR)")
	demo := fs.Bool("demo", false, "create the demo content (idempotent)")
	scale := fs.Int("scale", 0, "generate N proposals with comments and votes for benchmarks")
	thread := fs.Int("thread", 0, "add a consultation whose proposals have N comments each; prints their ids")
	threads := fs.Int("threads", 1, "with --thread: how many such proposals")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if n := btoi(*demo) + btoi(*scale > 0) + btoi(*thread > 0); n != 1 {
		return usageError{"seed needs exactly one of --demo, --scale N or --thread N"}
	}
	if *threads < 1 {
		return usageError{"seed --threads needs a positive number"}
	}
	e, err := openFull(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer e.close()
	switch {
	case *demo:
		err = seedDemo(ctx, e, stdout)
	case *thread > 0:
		err = seedThread(ctx, e, *thread, *threads, stdout, stderr)
	default:
		err = seedScale(ctx, e, *scale, stderr)
	}
	if err != nil {
		return err
	}
	return seedParticipants(ctx, e, stderr)
}

// notificationSettle is how long a notification counter must differ from
// its notifications, unchanged, before recount repairs it while servers
// may be fanning out: a fan-out counts within seconds of storing.
const notificationSettle = 10 * time.Second

func cmdRecount(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("recount", stderr)
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory (MITREDEN_DATA_DIR)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	e, err := openFull(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer e.close()
	if e.emb != nil {
		// This process holds the data dir: no counter write of another is
		// in flight, whatever a stopped one left is repaired at once.
		e.participation.CounterWritesDeadBefore(time.Now().UTC())
	}
	changes, err := e.participation.Recount(ctx)
	if err != nil {
		return err
	}
	repaired := 0
	for _, c := range changes {
		if c.Skipped {
			fmt.Fprintf(stdout, "proposal %s: %s changed meanwhile; run recount again\n", c.ProposalID, c.Field)
			continue
		}
		repaired++
		fmt.Fprintf(stdout, "proposal %s: %s %d → %d\n", c.ProposalID, c.Field, c.From, c.To)
	}
	fixes, err := e.participation.RecountConsultations(ctx)
	if err != nil {
		return err
	}
	for _, f := range fixes {
		who := "consultation " + f.ConsultationID
		if f.UserID != "" {
			who += " user " + f.UserID
		}
		if f.Skipped {
			fmt.Fprintf(stdout, "%s: %s changed meanwhile; run recount again\n", who, f.Field)
			continue
		}
		repaired++
		fmt.Fprintf(stdout, "%s: %s %d → %d\n", who, f.Field, f.From, f.To)
	}
	// Notification counters: a fan-out that died between storing and
	// counting left them short. Holding the data dir, no fan-out runs
	// meanwhile; otherwise a difference must last notificationSettle.
	settle := notificationSettle
	if e.emb != nil {
		settle = 0
	}
	noteFixes, err := e.notes.RecountNotifications(ctx, settle)
	if err != nil {
		return err
	}
	for _, f := range noteFixes {
		if f.Skipped {
			fmt.Fprintf(stdout, "notifications of user %s changed meanwhile; run recount again\n", f.UserID)
			continue
		}
		repaired++
		fmt.Fprintf(stdout, "notifications of user %s: unread %d → %d, total %d → %d\n", f.UserID, f.From.Unread, f.To.Unread, f.From.Total, f.To.Total)
	}
	fmt.Fprintf(stdout, "recount done: %d counters repaired\n", repaired)
	return nil
}

func cmdReindex(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("reindex", stderr)
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory (MITREDEN_DATA_DIR)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	e, err := openFull(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer e.close()
	// No spinner interval: its goroutine (progressbar v3.19.1) reads the
	// bar's state without the lock that Set holds, a data race.
	bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("documents"),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionSetSpinnerChangeInterval(0))
	n, err := e.indexing.Reindex(ctx, func(done int) { _ = bar.Set(done) })
	_ = bar.Finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nreindex done: %d documents\n", n)
	return nil
}
