package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
	"github.com/mitreden/mitreden/internal/service"
)

// TestMailer_OneTimeLinksStayOutOfTheSMTPOutbox checks that with SMTP the
// outbox shows neither text nor HTML of an account mail with a one-time
// link while it waits, that a mail given up for good loses its body as a
// sent one does, and that the embedded outbox keeps showing everything.
func TestMailer_OneTimeLinksStayOutOfTheSMTPOutbox(t *testing.T) {
	ctx := context.Background()
	admin := &mitreden.User{ID: "a1", Email: "admin@example.org", Language: "de", Roles: []mitreden.Role{mitreden.RoleAdmin}}
	link := "https://x.example/password/reset?t=geheim123"
	for _, keep := range []bool{false, true} {
		db := mongotest.MustOpenDB(t)
		clk := newSyncClock(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
		jobs := service.NewJobs(db.Jobs(), "w", clk.Now, mailTestLog)
		jobs.MaxAttempts = 2
		tr := &countingTransport{fail: 100}
		m, err := service.NewMailer(db.Mails(), jobs, mailTemplates(t), tr, service.MailerConfig{BaseURL: "https://x.example", KeepSent: keep}, clk.Now, mailTestLog)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.SendMail(ctx, mitreden.OutgoingMail{Key: "reset", To: "a@example.org", Template: "password_reset",
			Data: map[string]any{"Name": "Anna", "URL": link, "Minutes": 60}}); err != nil {
			t.Fatal(err)
		}
		if err := m.SendMail(ctx, mitreden.OutgoingMail{Key: "test", To: "a@example.org", Template: "test"}); err != nil {
			t.Fatal(err)
		}
		page, err := m.Outbox(ctx, admin, 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, ml := range page.Mails {
			hidden := ml.ID == service.MailID("reset") && !keep
			if hidden != (ml.Text == "" && ml.HTML == "") {
				t.Errorf("keep %v: mail %s in the list shows text %q", keep, ml.ID, ml.Text)
			}
		}
		one, err := m.OutboxMail(ctx, admin, service.MailID("reset"))
		if err != nil {
			t.Fatal(err)
		}
		if keep != strings.Contains(one.Text+one.HTML, link) || !one.OneTime {
			t.Errorf("keep %v: the waiting reset mail shows %q (one-time %v)", keep, one.Text, one.OneTime)
		}
		// Both attempts fail: the mail is given up.
		for _, wait := range []time.Duration{0, time.Hour} {
			clk.Advance(wait)
			if _, err := jobs.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
		}
		stored, err := db.Mails().FindMail(ctx, service.MailID("reset"))
		if err != nil {
			t.Fatal(err)
		}
		if keep != strings.Contains(stored.Text+stored.HTML, link) || !stored.SentAt.IsZero() {
			t.Errorf("keep %v: the stored mail given up: text %q sent %v", keep, stored.Text, stored.SentAt)
		}
	}
}
