// Command mitreden is the participation platform in one binary: the web
// server and the operator's verbs (user management, seeding, maintenance).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mitreden/mitreden/internal/embedded"
	mhttp "github.com/mitreden/mitreden/internal/http"
	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/service"
	"github.com/mitreden/mitreden/web"
)

// Version is set at build time with -ldflags "-X main.Version=…".
var Version = "dev"

const usage = `mitreden – citizen participation and Digital Council platform

Usage:
  mitreden serve [--demo] [--addr A] [--base-url U] [--data-dir D]
  mitreden user create --email E --name N [--role R]… [--password-stdin]
  mitreden user grant|revoke --email E --role R
  mitreden user verify EMAIL
  mitreden user list [--role R]
  mitreden seed --demo | --scale N | --thread N [--threads K]
  mitreden recount
  mitreden reindex
  mitreden version

Settings come from environment variables (see README), flags override them.
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// run executes one verb and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cfg := DefaultConfig()
	if err := cfg.LoadEnv(getenv); err != nil {
		fmt.Fprintln(stderr, "mitreden:", err)
		return 2
	}
	var err error
	switch args[0] {
	case "version":
		fmt.Fprintln(stdout, "mitreden", Version)
		return 0
	case "serve":
		err = cmdServe(ctx, cfg, args[1:], stdout, stderr)
	case "user":
		err = cmdUser(ctx, cfg, args[1:], stdin, stdout, stderr)
	case "seed":
		err = cmdSeed(ctx, cfg, args[1:], stdout, stderr)
	case "recount":
		err = cmdRecount(ctx, cfg, args[1:], stdout, stderr)
	case "reindex":
		err = cmdReindex(ctx, cfg, args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "mitreden: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(stderr, "mitreden:", err)
			return 2
		}
		fmt.Fprintln(stderr, "mitreden:", describe(err))
		return 1
	}
	return 0
}

// usageError marks a wrong invocation (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// messages translates the domain's message keys for the operator, in English.
var messages = sync.OnceValue(func() *mhttp.Catalog {
	c, _ := mhttp.LoadCatalog(web.Locales)
	return c
})

// translate returns the English text of a message key, or the key itself.
func translate(key string, args map[string]any) string {
	if c := messages(); c != nil && c.Has("en", key) {
		return c.T("en", key, args)
	}
	return key
}

// describe turns an error into one sentence for the operator.
func describe(err error) string {
	var de *mitreden.Error
	if errors.As(err, &de) {
		msg := translate(de.Message, de.Args)
		for _, f := range de.Fields {
			if fm := translate(f.Message, f.Args); fm != msg {
				msg += fmt.Sprintf("; %s: %s", f.Field, fm)
			}
		}
		// The cause helps with a failure; a refusal (conflict, invalid, …)
		// is said in full by its message, and its cause is a driver's text.
		switch {
		case de.Err == nil:
		case de.Code == mitreden.EINTERNAL, de.Code == mitreden.EUNAVAILABLE && !strings.Contains(msg, "in use"):
			msg += ": " + de.Err.Error()
		}
		return msg
	}
	return err.Error()
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// env is what every verb opens: the store (embedded or external) and the services.
type env struct {
	cfg      Config
	log      *slog.Logger
	db       *mongo.DB
	emb      *embedded.Server
	lock     *os.File // data-dir lock when only the search index is embedded
	accounts *service.Accounts
	// guards are the posting limits and the writes per client IP.
	guards   *service.Guards
	searcher mitreden.Searcher
	// meetings serves the council's meetings.
	meetings *service.Meetings
	// participation, council and indexing exist once openSearch ran.
	participation *service.Participation
	council       *service.Council
	indexing      *service.Indexing
	// assisted serves the citizens' service's entries for people without
	// an account; its merges of linked records run before every recount.
	assisted *service.Assisted
	// data exports a person's data and deletes accounts (DSGVO); other
	// services add their sections with data.Register.
	data *service.UserData
	// jobs runs the background jobs (mail delivery) and mailer queues
	// mails (mail.go).
	jobs   *service.Jobs
	mailer *service.Mailer
	// notes serves follows and notifications; writes record their events
	// as jobs, and its scheduler enqueues the digests (serve.go).
	notes *service.Notifications
}

// open connects to the store: the given MongoDB, or the embedded FerretDB in
// the data dir (refusing at once when another process holds it).
func open(ctx context.Context, cfg Config, log *slog.Logger) (*env, error) {
	e := &env{cfg: cfg, log: log}
	uri := cfg.MongoURI
	var opts []mongo.Option
	if uri == "" {
		// FerretDB reports every unsupported option at warn level; only its errors matter here.
		srv, err := embedded.Start(ctx, cfg.DataDir, newLogger(os.Stderr, "error").With("component", "ferretdb"))
		if err != nil {
			return nil, err
		}
		e.emb = srv
		uri = srv.URI()
		opts = append(opts, mongo.EmbeddedOptions()...)
	} else if cfg.MeiliURL == "" {
		// The embedded search index lives in the data dir too: one process at a time.
		lock, err := embedded.Lock(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		e.lock = lock
	}
	db, err := mongo.Open(ctx, uri, cfg.MongoDatabase, append(opts, mongo.WithLogger(log))...)
	if err != nil {
		e.close()
		return nil, err
	}
	db.Logger = log
	e.db = db
	if e.emb != nil {
		if err := e.emb.IndexIDLookups(ctx, cfg.MongoDatabase); err != nil {
			e.close()
			return nil, err
		}
	}
	e.accounts = service.NewAccounts(db.Users(), db.Sessions(), db.Throttles(), service.AccountsConfig{
		SessionIdle: cfg.SessionIdle, SessionAbsolute: cfg.SessionAbsolute,
		LoginMaxPerAccount: cfg.LoginMaxPerAccount, LoginMaxPerIP: cfg.LoginMaxPerIP,
		LoginWindow: cfg.LoginWindow, RegisterMaxPerIP: cfg.RegisterMaxPerIP,
		NoEmailVerification: !cfg.VerifyEmail,
	}, service.SystemClock, log)
	e.guards = service.NewGuards(db.Throttles(), service.GuardsConfig{CommentMaxPerMinute: cfg.CommentMaxPerMinute,
		ProposalMaxPerDay: cfg.ProposalMaxPerDay, WriteMaxPerIP: cfg.WriteMaxPerIP}, service.SystemClock, log)
	e.meetings = service.NewMeetings(db.Meetings(), service.SystemClock)
	if err := e.openMail(); err != nil {
		e.close()
		return nil, err
	}
	// Verification, reset and address-change links go out by mail.
	e.accounts.UseMail(db.AccountTokens(), e.mailer, cfg.BaseURL)
	return e, nil
}

// openSearch opens the search index: Meilisearch when MEILI_URL is set, else
// the embedded Bleve index under the data dir.
func (e *env) openSearch(ctx context.Context) error {
	s, err := openSearcher(ctx, e.cfg)
	if err != nil {
		return err
	}
	e.searcher = s
	e.participation = service.NewParticipation(e.db.Participation(), s, service.SystemClock, e.log)
	e.participation.Guards = e.guards
	e.participation.SetUsers(e.db.Users())
	e.participation.SetModeration(service.ModerationConfig{HideThreshold: e.cfg.ReportHideThreshold, Words: e.cfg.HoldWords})
	e.assisted = service.NewAssisted(e.participation, e.db.Participation(), e.db.Users(), e.cfg.LateEntryDays, e.log)
	e.council = service.NewCouncil(e.db.Council(), e.db.Participation(), s, service.SystemClock, e.log,
		service.CouncilConfig{QuorumPercent: e.cfg.CouncilQuorumPercent})
	// Citizens discuss published recommendations under the participation
	// rules; meetings name the recommendations on their agendas.
	e.participation.RegisterCommentTarget(mitreden.TargetRecommendation, e.council.CommentTarget)
	e.meetings.SetRecommendationTitles(e.council.Titles)
	// A reindex feeds everything the services index.
	e.indexing = service.NewIndexing(s, service.Sources(e.participation.AllSearchDocs, e.council.AllSearchDocs), service.SystemClock, e.log)
	e.indexing.CountStored = service.Counts(e.participation.CountSearchDocs, e.council.CountSearchDocs)
	e.data = service.NewUserData(e.accounts, e.db.UserData(), e.participation, service.SystemClock, e.log)
	e.notes = service.NewNotifications(e.db.Notifications(), e.db.Notifications(), e.db.Participation(), e.db.Users(), e.jobs, e.mailer,
		service.SystemClock, e.log.With("component", "notifications"), service.NotificationsConfig{BaseURL: e.cfg.BaseURL, DigestHour: e.cfg.DigestHour})
	e.notes.Attach(e.participation)
	e.notes.AttachCouncil(e.council)
	e.data.Register(e.notes.DataSection())
	e.data.Register(e.assisted.DataSection(e.db.UserData()))
	e.data.ForgetMails(e.mailer)
	return nil
}

func (e *env) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if e.searcher != nil {
		_ = e.searcher.Close()
	}
	if e.db != nil {
		_ = e.db.Close(ctx)
	}
	if e.emb != nil {
		_ = e.emb.Close()
	}
	if e.lock != nil {
		_ = e.lock.Close()
	}
}

// signalContext is cancelled on SIGINT or SIGTERM.
func signalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
}

// readPassword reads one line from stdin.
func readPassword(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		return "", errors.New("no password on standard input")
	}
	return strings.TrimRight(sc.Text(), "\r\n"), nil
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
