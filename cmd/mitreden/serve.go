package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	mhttp "github.com/mitreden/mitreden/internal/http"
)

// cmdServe runs the web server until SIGINT/SIGTERM, then drains in-flight
// requests (at most 10 s) and closes search and store cleanly. Started after
// an unclean stop, it repairs counters and index in the background
// (reconciler).
func cmdServe(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	cfg.Flags(fs)
	demo := fs.Bool("demo", false, "seed demo content into an empty store")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err.Error()}
	}
	log := newLogger(stderr, cfg.LogLevel)
	warnMissingOperator(log, cfg.Operator)
	secret, err := cfg.LoadSecret()
	if err != nil {
		return fmt.Errorf("cannot read or create the secret in %s: %w", cfg.DataDir, err)
	}
	ctx, stop := signalContext(ctx)
	defer stop()
	e, err := open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer e.close()
	// Device cookies are signed with a key derived from the secret.
	e.accounts.SetDeviceSecret(secret)
	if err := e.openSearch(ctx); err != nil {
		return err
	}
	// Unsubscribe links in notification mails are signed with the secret.
	e.notes.SetSecret(secret)
	rec := newReconciler(e, log)
	dead, err := rec.begin(ctx)
	if err != nil {
		return err
	}
	// Background work ends before the lease is released and the store closed.
	bg, stopBackground := context.WithCancel(ctx)
	defer func() {
		stopBackground()
		ectx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		rec.end(ectx)
	}()
	if *demo {
		if err := seedDemo(ctx, e, stdout); err != nil {
			return err
		}
	}
	backfillParticipants(ctx, e, log)
	if len(dead) > 0 {
		rec.reconcile(bg, dead) // rebuilds the search index anyway
	} else {
		rec.spawn(func() {
			// An index an older version built is rebuilt; else a cheap
			// consistency check that only logs. Start-up waits for neither.
			rebuilt, err := rebuildOutdatedIndex(bg, e, log)
			if err != nil && bg.Err() == nil {
				log.Warn("rebuilding the search index of an older version", "err", err)
			}
			if rebuilt {
				return
			}
			cctx, cancel := context.WithTimeout(bg, 2*time.Minute)
			defer cancel()
			if indexed, stored, err := e.indexing.Check(cctx); err == nil {
				log.Info("search index check", "indexed", indexed, "stored", stored)
			}
		})
	}
	rec.watch(bg)
	rec.spawn(func() { purgeLoop(bg, e, log) })
	rec.spawn(func() {
		// Embedded mode lists proposals from memory; load it before visitors ask.
		if err := e.db.Participation().WarmListings(bg); err != nil && bg.Err() == nil {
			log.Warn("loading proposal listings", "err", err)
		}
	})
	rec.spawn(func() { retryLoop(bg, e, log, 30*time.Second) })
	rec.spawn(func() { erasureLoop(bg, e, log, time.Minute) })
	// Counts in the search index follow votes and comments in batches. The
	// stop runs after the last request drained and flushes the batch before
	// the lease is released and search closes; an unclean stop loses it, and
	// the reconciliation then rebuilds the index.
	stopIndexQueue := e.participation.StartIndexQueue(time.Second)
	defer stopIndexQueue()
	// Background jobs (mail delivery) run from here; the stop, after the
	// last request drained, waits for the job in progress. Queued jobs stay
	// in the store for the next start.
	stopJobs := e.startJobs(bg, log)
	defer stopJobs()
	// Digests and the phase changes the clock brings, every minute; the
	// jobs' IDs make each happen once however many instances run this.
	stopDigests := e.notes.StartScheduler(bg, time.Minute)
	defer stopDigests()
	rec.spawn(func() { backfillHTML(bg, e, log) })
	rec.spawn(func() {
		// A link of a participant record cut short by a crash: its votes
		// move now (a recount would do it too).
		if n, err := e.assisted.ResumeLinks(bg); err != nil && bg.Err() == nil {
			log.Warn("finishing links of participant records", "err", err)
		} else if n > 0 {
			log.Info("finished links of participant records", "records", n)
		}
	})
	srv, err := mhttp.New(mhttp.Config{BaseURL: cfg.BaseURL, TrustedProxies: cfg.TrustedProxies, Secret: secret,
		ContactEmail: cfg.ContactEmail, Version: Version, Operator: cfg.Operator.HTTP(), MissingSettings: cfg.Operator.Missing()}, mhttp.Deps{Accounts: e.accounts, Store: e.db, Searcher: e.searcher,
		Participation: e.participation, Indexing: e.indexing, Guards: e.guards, Meetings: e.meetings,
		Council: e.council, Users: e.db.Users(), Data: e.data, Assisted: e.assisted, Notifications: e.notes, Mailer: e.mailer, Outbox: e.mailer, Logger: log})
	if err != nil {
		return err
	}
	if cfg.PprofAddr != "" {
		servePprof(ctx, cfg.PprofAddr, log)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Listen(cfg.Addr) }()
	log.Info("listening", "addr", cfg.Addr, "base_url", cfg.BaseURL, "embedded", cfg.MongoURI == "", "version", Version)
	select {
	case err := <-errc:
		return fmt.Errorf("cannot listen on %s: %w", cfg.Addr, err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Warn("shutdown", "err", err)
	}
	log.Info("stopped")
	return nil
}

// backfillHTML renders the Markdown that data of an older release (or of
// another renderer version) holds without current HTML; pages show such
// items' source escaped until then.
func backfillHTML(ctx context.Context, e *env, log *slog.Logger) {
	r, err := e.participation.BackfillHTML(ctx)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("rendering stored Markdown; the next start resumes", "err", err)
		}
		return
	}
	if r.Consultations+r.Proposals+r.Comments+r.Changed > 0 {
		log.Info("rendered stored Markdown", "consultations", r.Consultations, "proposals", r.Proposals,
			"comments", r.Comments, "edited_meanwhile", r.Changed, "took", r.Duration.Round(time.Millisecond))
	}
}

// purgeLoop removes expired sessions, counters, one-time links, finished
// jobs, old mails and old outbox files every ten minutes; FerretDB
// v1 has no TTL indexes, and on MongoDB this only finds what TTL missed.
func purgeLoop(ctx context.Context, e *env, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := e.db.PurgeExpired(ctx, time.Now().UTC())
			if err != nil {
				log.Warn("purge expired sessions", "err", err)
			} else if n > 0 {
				log.Info("purged expired sessions, counters, links, jobs and mails", "count", n)
			}
			if e.cfg.SMTPURL == "" {
				if n, err := pruneOutbox(outboxDir(e.cfg), time.Now().Add(-outboxRetention)); err != nil {
					log.Warn("pruning the outbox", "err", err)
				} else if n > 0 {
					log.Info("pruned old mails from the outbox", "count", n)
				}
			}
		}
	}
}

// retryLoop indexes again, every interval and once at start, the search
// documents whose indexing failed (the search engine was down or slow), as
// long as there are any.
func retryLoop(ctx context.Context, e *env, log *slog.Logger, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for range 50 { // at most 10,000 documents a round
			n, err := e.participation.RetryIndexing(ctx)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("search retry failed; trying again later", "err", err)
				}
				break
			}
			if n == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
