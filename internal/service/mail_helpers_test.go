package service_test

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/mail"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/service"
	"github.com/mitreden/mitreden/internal/smtp"
	"github.com/mitreden/mitreden/web"
)

// testMailer is a real Mailer on a test's store, delivering into the
// embedded outbox in a temporary directory and keeping the bodies, as the
// embedded mode does. Tests of services that send mail build one with
// newTestMailer and read what was sent with mails and lastMail.
type testMailer struct {
	*service.Mailer
	Jobs  *service.Jobs
	Store mitreden.MailStore
	// OutboxDir is the directory the .eml files go to.
	OutboxDir string
	t         testing.TB
}

// mailTemplates are the platform's mail templates (web/mail).
func mailTemplates(t testing.TB) fs.FS {
	t.Helper()
	sub, err := fs.Sub(web.Mail, "mail")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// newTestMailer wires a Mailer to db's job and mail stores with clock (the
// system clock when nil) and base URL https://mitreden.example.
func newTestMailer(t testing.TB, db *mongo.DB, clock service.Clock) *testMailer {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	jobs := service.NewJobs(db.Jobs(), "test-worker", clock, log)
	dir := filepath.Join(t.TempDir(), "outbox")
	out, err := smtp.NewOutbox(dir, smtp.Sender{From: mustFrom(t, "mitreden <noreply@mitreden.example>"), Host: "mitreden.example"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := service.NewMailer(db.Mails(), jobs, mailTemplates(t), out,
		service.MailerConfig{BaseURL: "https://mitreden.example", KeepSent: true}, clock, log)
	if err != nil {
		t.Fatal(err)
	}
	return &testMailer{Mailer: m, Jobs: jobs, Store: db.Mails(), OutboxDir: dir, t: t}
}

func mustFrom(t testing.TB, s string) mail.Address {
	t.Helper()
	a, err := smtp.ParseFrom(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// mails delivers the mails due and returns every mail to the address to,
// oldest first.
func (m *testMailer) mails(to string) []mitreden.Mail {
	m.t.Helper()
	ctx := context.Background()
	if _, err := m.Jobs.RunDue(ctx); err != nil {
		m.t.Fatalf("running due jobs: %v", err)
	}
	all, _, err := m.Store.ListMails(ctx, 0, 100000)
	if err != nil {
		m.t.Fatalf("listing mails: %v", err)
	}
	var out []mitreden.Mail
	for _, x := range all {
		if x.To == to {
			out = append(out, x)
		}
	}
	slices.Reverse(out)
	return out
}

// lastMail is the newest mail to the address to; the test fails when there
// is none.
func (m *testMailer) lastMail(to string) mitreden.Mail {
	m.t.Helper()
	all := m.mails(to)
	if len(all) == 0 {
		m.t.Fatalf("no mail to %s", to)
	}
	return all[len(all)-1]
}

// syncClock is a clock tests move while workers read it.
type syncClock struct{ now atomic.Pointer[time.Time] }

func newSyncClock(t time.Time) *syncClock {
	c := &syncClock{}
	c.now.Store(&t)
	return c
}

func (c *syncClock) Now() time.Time { return *c.now.Load() }

func (c *syncClock) Advance(d time.Duration) {
	t := c.Now().Add(d)
	c.now.Store(&t)
}
