package smtp_test

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
	"github.com/mitreden/mitreden/internal/service"
	"github.com/mitreden/mitreden/web"
)

// TestMailer_DeliversOverSMTP runs the whole way: SendMail of the
// platform's own template, the job, the SMTP server; the stored mail keeps
// subject and time but not the body, whose links may be one-time.
func TestMailer_DeliversOverSMTP(t *testing.T) {
	ts := startServer(t, serverOpts{startTLS: true, user: "u", pass: "p"})
	db := mongotest.MustOpenDB(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	jobs := service.NewJobs(db.Jobs(), "w", nil, log)
	tpl, err := fs.Sub(web.Mail, "mail")
	if err != nil {
		t.Fatal(err)
	}
	m, err := service.NewMailer(db.Mails(), jobs, tpl, transport(t, ts, "smtp://u:p@ADDR", true),
		service.MailerConfig{BaseURL: "https://beteiligung.example", Operator: "Stadt Münster"}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	unsub := "https://beteiligung.example/unsubscribe/tok?a=1&b=2"
	if err := m.SendMail(ctx, mitreden.OutgoingMail{Key: "n1", To: "ana@example.org", Language: "de", Template: "test", Unsubscribe: unsub}); err != nil {
		t.Fatal(err)
	}
	if len(ts.messages()) != 0 {
		t.Fatal("SendMail talked to the server")
	}
	if n, err := jobs.RunDue(ctx); n != 1 || err != nil {
		t.Fatalf("ran %d, %v", n, err)
	}
	got := ts.messages()
	if len(got) != 1 || !got[0].tls || got[0].authed != "u" {
		t.Fatalf("delivered %+v", got)
	}
	data := string(got[0].data)
	for _, want := range []string{"List-Unsubscribe: <" + unsub + ">", "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
		"Message-ID: <" + service.MailID("n1") + "@beteiligung.example>", "Subject: Testnachricht von mitreden"} {
		if !strings.Contains(data, want+"\r\n") {
			t.Errorf("message lacks %q:\n%s", want, data)
		}
	}
	text, html := decodeParts(t, got[0].data)
	for _, want := range []string{"https://beteiligung.example/", "Benachrichtigungen abbestellen: " + unsub, "(Stadt Münster)"} {
		if !strings.Contains(text, want) {
			t.Errorf("text part lacks %q:\n%s", want, text)
		}
	}
	for _, want := range []string{`<html lang="de">`, `href="https://beteiligung.example/"`, `href="https://beteiligung.example/unsubscribe/tok?a=1&amp;b=2"`, "Stadt Münster"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, html)
		}
	}
	stored, err := db.Mails().FindMail(ctx, service.MailID("n1"))
	if err != nil || stored.SentAt.IsZero() || stored.Text != "" || stored.HTML != "" || stored.Subject != "Testnachricht von mitreden" {
		t.Fatalf("stored after SMTP: %+v %v", stored, err)
	}
	if j, err := db.Jobs().FindJob(ctx, "mail:n1"); err != nil || j.State != mitreden.JobDone {
		t.Fatalf("job %+v %v", j, err)
	}
}
