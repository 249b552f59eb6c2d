package service_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
	"github.com/mitreden/mitreden/internal/service"
)

// countingTransport counts deliveries per mail and can fail the first ones.
type countingTransport struct {
	mu    sync.Mutex
	sent  map[string]int
	mails []mitreden.Mail
	fail  int // deliveries to fail before succeeding
}

func (c *countingTransport) Deliver(_ context.Context, m *mitreden.Mail) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail > 0 {
		c.fail--
		return errors.New("421 try again later")
	}
	if c.sent == nil {
		c.sent = map[string]int{}
	}
	c.sent[m.ID]++
	c.mails = append(c.mails, *m)
	return nil
}

func (c *countingTransport) total() (mails, deliveries int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.sent {
		deliveries += n
	}
	return len(c.sent), deliveries
}

// testTemplates are small templates that use data, partials and escaping.
var testTemplates = fstest.MapFS{
	"layout.html":        {Data: []byte(`<html lang="{{.Lang}}"><title>{{.Subject}}</title>{{template "content" .}}<footer>{{template "footer" .}}</footer></html>`)},
	"de/_footer.html":    {Data: []byte(`{{define "footer"}}Automatisch von {{.Platform}}{{with .Unsubscribe}} <a href="{{.}}">Abbestellen</a>{{end}}{{end}}`)},
	"de/_footer.txt":     {Data: []byte(`{{define "footer"}}-- {{.Platform}}{{end}}`)},
	"de/reply.txt":       {Data: []byte("{{define \"subject\"}}\n  Antwort von {{.Name}}\n{{end}}{{.Name}} schreibt: {{.Text}}\nLink: {{abs .Path}}\n{{template \"footer\" .}}")},
	"de/reply.html":      {Data: []byte(`{{define "content"}}<p>{{.Name}} schreibt: {{.Text}}</p><a href="{{abs .Path}}">Ansehen</a> {{.BaseURL}}{{end}}`)},
	"en/_footer.html":    {Data: []byte(`{{define "footer"}}Sent by {{.Platform}}{{end}}`)},
	"en/reply.txt":       {Data: []byte(`{{define "subject"}}Reply from {{.Name}}{{end}}{{.Name}} wrote: {{.Text}}`)},
	"en/reply.html":      {Data: []byte(`{{define "content"}}<p>{{.Name}} wrote: {{.Text}}</p>{{end}}`)},
	"en/_footer.txt":     {Data: []byte(`{{define "footer"}}--{{end}}`)},
	"de/textonly.txt":    {Data: []byte(`{{define "subject"}}Nur Text{{end}}Hallo {{.To}}`)},
	"de/not-a-dir-file~": {Data: []byte(``)},
}

// TestMailer_RendersInTheRecipientsLanguage: subject from the text file,
// both parts, common data, links made absolute, data escaped in the HTML
// (never in the text), the recipient's language with a fallback.
func TestMailer_RendersInTheRecipientsLanguage(t *testing.T) {
	fsys := fstest.MapFS{}
	for k, v := range testTemplates {
		if k != "de/not-a-dir-file~" {
			fsys[k] = v
		}
	}
	db := mongotest.MustOpenDB(t)
	jobs := service.NewJobs(db.Jobs(), "w", nil, mailTestLog)
	m, err := service.NewMailer(db.Mails(), jobs, fsys, &countingTransport{}, service.MailerConfig{BaseURL: "https://beteiligung.example/"}, nil, mailTestLog)
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]any{"Name": "Ana <Admin>", "Text": `"Ja" & <script>alert(1)</script>`, "Path": "/proposals/p1#c2",
		"BaseURL": "https://evil.example"}
	de, err := m.Render(mitreden.OutgoingMail{To: "a@example.org", Language: "de-DE", Template: "reply", Data: data, Unsubscribe: "https://beteiligung.example/u/tok"})
	if err != nil {
		t.Fatal(err)
	}
	if de.Subject != "Antwort von Ana <Admin>" {
		t.Errorf("subject %q", de.Subject)
	}
	if want := "Ana <Admin> schreibt: \"Ja\" & <script>alert(1)</script>\nLink: https://beteiligung.example/proposals/p1#c2\n-- mitreden\n"; de.Text != want {
		t.Errorf("text %q, want %q", de.Text, want)
	}
	for _, want := range []string{`<html lang="de">`, `<title>Antwort von Ana &lt;Admin&gt;</title>`,
		`Ana &lt;Admin&gt; schreibt: &#34;Ja&#34; &amp; &lt;script&gt;alert(1)&lt;/script&gt;`,
		`<a href="https://beteiligung.example/proposals/p1#c2">Ansehen</a> https://beteiligung.example<`,
		`<a href="https://beteiligung.example/u/tok">Abbestellen</a>`} {
		if !strings.Contains(de.HTML, want) {
			t.Errorf("HTML lacks %s:\n%s", want, de.HTML)
		}
	}
	if strings.Contains(de.HTML, "<script>") || strings.Contains(de.HTML, "evil.example") {
		t.Errorf("HTML carries unescaped or overridden data:\n%s", de.HTML)
	}
	if de.Unsubscribe != "https://beteiligung.example/u/tok" {
		t.Errorf("unsubscribe %q", de.Unsubscribe)
	}
	en, err := m.Render(mitreden.OutgoingMail{To: "b@example.org", Language: "en", Template: "reply", Data: data})
	if err != nil || en.Subject != "Reply from Ana <Admin>" || !strings.Contains(en.HTML, `<html lang="en">`) || strings.Contains(en.HTML, "Abbestellen") {
		t.Errorf("English mail: %+v %v", en, err)
	}
	// French has no templates: German, the default. A template only in
	// German is German for everyone; a text-only template has no HTML.
	fr, err := m.Render(mitreden.OutgoingMail{To: "c@example.org", Language: "fr", Template: "reply", Data: data})
	if err != nil || !strings.HasPrefix(fr.Subject, "Antwort") {
		t.Errorf("French recipient: %+v %v", fr, err)
	}
	txt, err := m.Render(mitreden.OutgoingMail{To: "d@example.org", Language: "en", Template: "textonly"})
	if err != nil || txt.Subject != "Nur Text" || txt.Text != "Hallo d@example.org\n" || txt.HTML != "" {
		t.Errorf("text-only mail: %+v %v", txt, err)
	}
	if _, err := m.Render(mitreden.OutgoingMail{To: "d@example.org", Template: "nope"}); err == nil {
		t.Error("an unknown template rendered")
	}
	if _, err := m.Render(mitreden.OutgoingMail{To: "", Template: "reply"}); err == nil {
		t.Error("a mail without recipient rendered")
	}
}

// TestMailer_BadTemplatesAreRefusedAtStart names the file at fault.
func TestMailer_BadTemplatesAreRefusedAtStart(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	for name, fsys := range map[string]fstest.MapFS{
		"de/x.txt":     {"layout.html": {Data: []byte(`{{template "content" .}}`)}, "de/x.txt": {Data: []byte(`no subject`)}},
		"de/y.html":    {"layout.html": {Data: []byte(`{{template "content" .}}`)}, "de/y.html": {Data: []byte(`{{define "content"}}x{{end}}`)}},
		"de/z.txt":     {"layout.html": {Data: []byte(`x`)}, "de/z.txt": {Data: []byte(`{{define "subject"}}{{.X}`)}},
		"layout.html":  {"de/x.txt": {Data: []byte(`{{define "subject"}}x{{end}}`)}},
		"de/Upper.txt": {"layout.html": {Data: []byte(`x`)}, "de/Upper.txt": {Data: []byte(`{{define "subject"}}x{{end}}`)}},
	} {
		_, err := service.NewMailer(db.Mails(), service.NewJobs(db.Jobs(), "w", nil, mailTestLog), fsys, &countingTransport{}, service.MailerConfig{}, nil, mailTestLog)
		if err == nil || !strings.Contains(err.Error(), strings.TrimSuffix(strings.TrimSuffix(name, ".txt"), ".html")) {
			t.Errorf("templates with a bad %s: %v", name, err)
		}
	}
	// The platform's own templates parse, and every one exists in German
	// and English.
	m := newTestMailer(t, db, nil)
	for _, lang := range []string{"de", "en"} {
		if _, err := m.Render(mitreden.OutgoingMail{To: "a@example.org", Language: lang, Template: "test"}); err != nil {
			t.Errorf("test mail in %s: %v", lang, err)
		}
	}
	for _, name := range []string{"de", "en"} {
		entries, err := os.ReadDir("../../web/mail/" + name)
		if err != nil {
			t.Fatal(err)
		}
		other := map[string]string{"de": "en", "en": "de"}[name]
		for _, e := range entries {
			if _, err := os.Stat("../../web/mail/" + other + "/" + e.Name()); err != nil {
				t.Errorf("web/mail/%s/%s has no %s counterpart", name, e.Name(), other)
			}
		}
	}
}

// TestMailer_QueuesOnceByKeyAndDelivers: SendMail only stores; the worker
// delivers into the outbox; a second SendMail with the same key is no new
// mail, one without key is.
func TestMailer_QueuesOnceByKeyAndDelivers(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	clk := newSyncClock(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
	m := newTestMailer(t, db, clk.Now)
	ctx := context.Background()
	om := mitreden.OutgoingMail{Key: "welcome:u1", To: "ana@example.org", Language: "en", Template: "test"}
	if err := m.SendMail(ctx, om); err != nil {
		t.Fatal(err)
	}
	if files, _ := os.ReadDir(m.OutboxDir); len(files) != 0 {
		t.Fatalf("SendMail delivered at once: %v", files)
	}
	j, err := db.Jobs().FindJob(ctx, "mail:welcome:u1")
	if err != nil || j.Kind != service.JobKindMail || j.State != mitreden.JobQueued {
		t.Fatalf("the mail's job: %+v %v", j, err)
	}
	clk.Advance(time.Second)
	if err := m.SendMail(ctx, om); err != nil {
		t.Fatal(err)
	}
	if err := m.SendMail(ctx, mitreden.OutgoingMail{To: "ana@example.org", Language: "de", Template: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := m.SendMail(ctx, mitreden.OutgoingMail{To: "ana@example.org", Language: "de", Template: "test"}); err != nil {
		t.Fatal(err)
	}
	got := m.mails("ana@example.org")
	if len(got) != 3 {
		t.Fatalf("%d mails, want 3 (one per key, one per keyless call)", len(got))
	}
	first := got[0]
	if first.Subject != "Test message from mitreden" || !first.SentAt.Equal(clk.Now()) || !strings.Contains(first.Text, "https://mitreden.example/") ||
		!strings.Contains(first.HTML, `href="https://mitreden.example/"`) || !first.CreatedAt.Equal(clk.Now().Add(-time.Second)) {
		t.Errorf("first mail: %+v", first)
	}
	if got[1].Subject != "Testnachricht von mitreden" {
		t.Errorf("second mail: %+v", got[1])
	}
	files, _ := os.ReadDir(m.OutboxDir)
	if len(files) != 3 {
		t.Fatalf("%d files in the outbox, want 3", len(files))
	}
	if m.lastMail("ana@example.org").ID != got[2].ID {
		t.Error("lastMail is not the newest")
	}
	// Queuing the key again after delivery sends nothing.
	if err := m.SendMail(ctx, om); err != nil {
		t.Fatal(err)
	}
	if n, _ := m.Jobs.RunDue(ctx); n != 0 {
		t.Errorf("a delivered key ran %d jobs again", n)
	}
}

// TestMailer_RetriesAndDropsTheBodyAfterSMTP: a transport failure is
// retried after the backoff and the mail delivered once; without KeepSent
// the stored text and HTML are dropped after delivery.
func TestMailer_RetriesAndDropsTheBodyAfterSMTP(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	clk := newSyncClock(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
	jobs := service.NewJobs(db.Jobs(), "w", clk.Now, mailTestLog)
	tr := &countingTransport{fail: 2}
	m, err := service.NewMailer(db.Mails(), jobs, mailTemplates(t), tr, service.MailerConfig{BaseURL: "https://x.example"}, clk.Now, mailTestLog)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := m.SendMail(ctx, mitreden.OutgoingMail{Key: "k", To: "a@example.org", Template: "test"}); err != nil {
		t.Fatal(err)
	}
	for _, wait := range []time.Duration{0, time.Minute, 2 * time.Minute} {
		clk.Advance(wait)
		if n, err := jobs.RunDue(ctx); n != 1 || err != nil {
			t.Fatalf("after %v: ran %d, %v", wait, n, err)
		}
	}
	if mails, deliveries := tr.total(); mails != 1 || deliveries != 1 {
		t.Fatalf("%d mails in %d deliveries, want 1 in 1", mails, deliveries)
	}
	if tr.mails[0].Text == "" || tr.mails[0].HTML == "" {
		t.Error("the transport got no body")
	}
	stored, err := db.Mails().FindMail(ctx, service.MailID("k"))
	if err != nil || stored.Text != "" || stored.HTML != "" || stored.SentAt.IsZero() || stored.Subject == "" {
		t.Fatalf("stored mail after SMTP delivery: %+v %v, want subject and time only", stored, err)
	}
}

// TestMailer_CrashedWorkerIsTakenOverWithoutSendingTwice simulates a kill
// -9 at the service level: a worker claimed two jobs and died, one before
// delivering, one after its mail was recorded as sent but before the job
// was marked done. Nothing happens during the dead worker's lease; after
// it another instance delivers the first mail once and does not send the
// second again.
func TestMailer_CrashedWorkerIsTakenOverWithoutSendingTwice(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	clk := newSyncClock(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
	ctx := context.Background()
	jobs := service.NewJobs(db.Jobs(), "second", clk.Now, mailTestLog)
	tr := &countingTransport{}
	m, err := service.NewMailer(db.Mails(), jobs, mailTemplates(t), tr, service.MailerConfig{BaseURL: "https://x.example"}, clk.Now, mailTestLog)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"pending", "sent"} {
		if err := m.SendMail(ctx, mitreden.OutgoingMail{Key: k, To: k + "@example.org", Template: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	// The first instance claims both, records one as sent, and dies.
	for range 2 {
		if j, err := db.Jobs().ClaimJob(ctx, []string{service.JobKindMail}, "dead", clk.Now(), jobs.Lease); err != nil || j == nil {
			t.Fatalf("claim: %+v %v", j, err)
		}
	}
	if err := db.Mails().MarkMailSent(ctx, service.MailID("sent"), clk.Now(), false); err != nil {
		t.Fatal(err)
	}
	clk.Advance(jobs.Lease - time.Second)
	if n, _ := jobs.RunDue(ctx); n != 0 {
		t.Fatalf("took over %d jobs under the dead worker's lease", n)
	}
	clk.Advance(2 * time.Second)
	if n, err := jobs.RunDue(ctx); n != 2 || err != nil {
		t.Fatalf("took over %d jobs, %v; want 2", n, err)
	}
	if _, deliveries := tr.total(); deliveries != 1 || tr.sent[service.MailID("pending")] != 1 {
		t.Fatalf("deliveries %v, want the pending mail once and the sent one never", tr.sent)
	}
	for _, k := range []string{"pending", "sent"} {
		if j, _ := db.Jobs().FindJob(ctx, "mail:"+k); j.State != mitreden.JobDone || j.Attempts != 2 {
			t.Errorf("job %s: %+v", k, j)
		}
	}
}

// TestMailer_TwoInstancesSendEachMailOnce: two instances (each its own
// runner and mailer) share a store; their workers race over 50 mails
// against one counting transport, and each mail goes out exactly once.
// Both run in this process on one client, as the embedded engine allows;
// with MITREDEN_TEST_MONGODB_URI the claims race on a real MongoDB.
func TestMailer_TwoInstancesSendEachMailOnce(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	tr := &countingTransport{}
	var senders []*service.Mailer
	var runners []*service.Jobs
	for _, owner := range []string{"a", "b"} {
		jobs := service.NewJobs(db.Jobs(), owner, nil, mailTestLog)
		jobs.Poll = 5 * time.Millisecond
		m, err := service.NewMailer(db.Mails(), jobs, mailTemplates(t), tr, service.MailerConfig{BaseURL: "https://x.example"}, nil, mailTestLog)
		if err != nil {
			t.Fatal(err)
		}
		senders, runners = append(senders, m), append(runners, jobs)
	}
	stopA, stopB := runners[0].Start(context.Background()), runners[1].Start(context.Background())
	for i := range 50 {
		if err := senders[i%2].SendMail(context.Background(), mitreden.OutgoingMail{Key: fmt.Sprint("m", i), To: fmt.Sprintf("p%d@example.org", i), Template: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if _, d := tr.total(); d >= 50 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // a second delivery would show now
	stopA()
	stopB()
	mails, deliveries := tr.total()
	if mails != 50 || deliveries != 50 {
		t.Fatalf("%d mails in %d deliveries, want 50 once each", mails, deliveries)
	}
	for id, n := range tr.sent {
		if n != 1 {
			t.Errorf("mail %s delivered %d times", id, n)
		}
	}
}

// TestMailer_OutboxIsForAdmins: admins page through the outbox newest
// first and read one mail; others are refused; the test mail goes to the
// admin's own address in the admin's language.
func TestMailer_OutboxIsForAdmins(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	clk := newSyncClock(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
	m := newTestMailer(t, db, clk.Now)
	ctx := context.Background()
	for i := range 3 {
		clk.Advance(time.Minute)
		if err := m.SendMail(ctx, mitreden.OutgoingMail{Key: fmt.Sprint("o", i), To: fmt.Sprintf("p%d@example.org", i), Template: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	admin := &mitreden.User{ID: "a1", Email: "admin@example.org", Language: "en", Roles: []mitreden.Role{mitreden.RoleAdmin}}
	citizen := &mitreden.User{ID: "c1", Email: "c@example.org", Roles: []mitreden.Role{mitreden.RoleCitizen}}
	page, err := m.Outbox(ctx, admin, 2, 2)
	if err != nil || page.Total != 3 || page.Page != 2 || page.PerPage != 2 || len(page.Mails) != 1 || page.Mails[0].To != "p0@example.org" || !page.KeepsBodies {
		t.Fatalf("page 2: %+v %v", page, err)
	}
	if got, err := m.OutboxMail(ctx, admin, service.MailID("o1")); err != nil || got.To != "p1@example.org" {
		t.Fatalf("one mail: %+v %v", got, err)
	}
	if _, err := m.OutboxMail(ctx, admin, "nope"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Errorf("unknown mail: %v", err)
	}
	for _, who := range []*mitreden.User{nil, citizen, {ID: "m", Roles: []mitreden.Role{mitreden.RoleModerator}}} {
		want := mitreden.EFORBIDDEN
		if who == nil {
			want = mitreden.EUNAUTHORIZED
		}
		if _, err := m.Outbox(ctx, who, 1, 10); mitreden.ErrorCode(err) != want {
			t.Errorf("outbox as %+v: %v, want %s", who, err, want)
		}
		if _, err := m.OutboxMail(ctx, who, service.MailID("o1")); mitreden.ErrorCode(err) != want {
			t.Errorf("one mail as %+v: %v, want %s", who, err, want)
		}
		if err := m.SendTestMail(ctx, who); mitreden.ErrorCode(err) != want {
			t.Errorf("test mail as %+v: %v, want %s", who, err, want)
		}
	}
	if err := m.SendTestMail(ctx, admin); err != nil {
		t.Fatal(err)
	}
	if got := m.lastMail("admin@example.org"); got.Subject != "Test message from mitreden" {
		t.Errorf("test mail: %+v", got)
	}
	if len(m.mails("c@example.org")) != 0 {
		t.Error("a refused test mail was sent")
	}
}

// TestMailer_ForgetRecipient: an erased account's mails leave the store,
// and one still queued is never sent; others' mails are untouched.
func TestMailer_ForgetRecipient(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	jobs := service.NewJobs(db.Jobs(), "w", nil, mailTestLog)
	tr := &countingTransport{}
	m, err := service.NewMailer(db.Mails(), jobs, mailTemplates(t), tr, service.MailerConfig{BaseURL: "https://x.example", KeepSent: true}, nil, mailTestLog)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, to := range []string{"gone@example.org", "gone@example.org", "stays@example.org"} {
		if err := m.SendMail(ctx, mitreden.OutgoingMail{To: to, Template: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := jobs.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.SendMail(ctx, mitreden.OutgoingMail{Key: "late", To: "gone@example.org", Template: "test"}); err != nil {
		t.Fatal(err)
	}
	if n, err := m.ForgetRecipient(ctx, " gone@example.org "); err != nil || n != 3 {
		t.Fatalf("forgot %d mails, %v; want 3", n, err)
	}
	if n, err := jobs.RunDue(ctx); err != nil || n != 1 {
		t.Fatalf("ran %d, %v", n, err)
	}
	if j, _ := db.Jobs().FindJob(ctx, "mail:late"); j.State != mitreden.JobFailed {
		t.Errorf("the queued mail's job: %+v, want failed", j)
	}
	if mails, deliveries := tr.total(); mails != 3 || deliveries != 3 || tr.sent[service.MailID("late")] != 0 {
		t.Errorf("deliveries %v, want the three sent before and not the late one", tr.sent)
	}
	admin := &mitreden.User{ID: "a", Roles: []mitreden.Role{mitreden.RoleAdmin}}
	page, err := m.Outbox(ctx, admin, 1, 10)
	if err != nil || page.Total != 1 || page.Mails[0].To != "stays@example.org" {
		t.Fatalf("outbox after forgetting: %+v %v", page, err)
	}
}
