package http_test

import (
	"context"
	"io/fs"
	"log/slog"
	"net/url"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/service"
	"github.com/mitreden/mitreden/internal/smtp"
	"github.com/mitreden/mitreden/web"
)

// newTestMailer gives a test server the real mailer of the embedded mode:
// mails are stored, queued as jobs and delivered into an outbox directory
// in t.TempDir(), keeping their text for the outbox page. No worker runs:
// mails (and lastMail) run the due jobs, so tests need no sleeping.
func newTestMailer(t *testing.T, db *mongo.DB, baseURL string, clock service.Clock, log *slog.Logger) (*service.Jobs, *service.Mailer) {
	t.Helper()
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatal(err)
	}
	jobs := service.NewJobs(db.Jobs(), "test-worker", clock, log)
	from, err := smtp.ParseFrom("mitreden <noreply@mitreden.example>")
	if err != nil {
		t.Fatal(err)
	}
	out, err := smtp.NewOutbox(filepath.Join(t.TempDir(), "outbox"), smtp.Sender{From: from, Host: u.Hostname()})
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := fs.Sub(web.Mail, "mail")
	if err != nil {
		t.Fatal(err)
	}
	m, err := service.NewMailer(db.Mails(), jobs, tpl, out, service.MailerConfig{BaseURL: baseURL, KeepSent: true}, clock, log)
	if err != nil {
		t.Fatal(err)
	}
	return jobs, m
}

// runJobs runs every background job due now (mail delivery, and whatever
// other kinds are registered on e.Jobs).
func (e *testEnv) runJobs() {
	e.t.Helper()
	if _, err := e.Jobs.RunDue(context.Background()); err != nil {
		e.t.Fatalf("running due jobs: %v", err)
	}
}

// mails runs the due jobs and returns every mail to the address to,
// oldest first, with subject, text and HTML.
func (e *testEnv) mails(to string) []mitreden.Mail {
	e.t.Helper()
	e.runJobs()
	all, _, err := e.DB.Mails().ListMails(context.Background(), 0, 100000)
	if err != nil {
		e.t.Fatalf("listing mails: %v", err)
	}
	var out []mitreden.Mail
	for _, m := range all {
		if m.To == to {
			out = append(out, m)
		}
	}
	slices.Reverse(out)
	return out
}

// lastMail is the newest mail to the address to; the test fails when there
// is none.
func (e *testEnv) lastMail(to string) mitreden.Mail {
	e.t.Helper()
	all := e.mails(to)
	if len(all) == 0 {
		e.t.Fatalf("no mail to %s", to)
	}
	return all[len(all)-1]
}
