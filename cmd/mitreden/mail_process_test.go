package main

import (
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

// smtpSink is a real SMTP server (a local relay: no TLS, no login) that
// counts the messages per recipient.
type smtpSink struct {
	addr string
	mu   sync.Mutex
	got  map[string]int
}

func (k *smtpSink) count(to string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.got[to]
}

type sinkSession struct {
	k  *smtpSink
	to []string
}

func (s *sinkSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (s *sinkSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.k.mu.Lock()
	for _, to := range s.to {
		s.k.got[to]++
	}
	s.k.mu.Unlock()
	return nil
}
func (s *sinkSession) Reset()        { s.to = nil }
func (s *sinkSession) Logout() error { return nil }

func startSMTPSink(t *testing.T) *smtpSink {
	t.Helper()
	k := &smtpSink{got: map[string]int{}}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) { return &sinkSession{k: k}, nil }))
	srv.Domain = "relay.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	k.addr = ln.Addr().String()
	return k
}

// TestProcess_QueuedMailSurvivesKill9AndIsSentOnce: the mail of a
// registration made while the mail server is down waits in the store
// through a kill -9 and goes out after the restart; a mail delivered
// before a kill -9 is not sent again after it.
func TestProcess_QueuedMailSurvivesKill9AndIsSentOnce(t *testing.T) {
	needBinary(t)
	t.Parallel()
	dir := t.TempDir()
	sink := startSMTPSink(t)
	down := freePort(t) // nothing listens there
	mailEnv := func(addr string) []string {
		// New accounts get a verification mail (the test servers turn it
		// off by default; the last value of a setting wins).
		return []string{"MITREDEN_SMTP_URL=smtp://" + addr, "MITREDEN_MAIL_FROM=Beteiligung <noreply@mitreden.example>", "MITREDEN_VERIFY_EMAIL=true"}
	}
	register := func(s *server, email string) {
		t.Helper()
		resp, body := s.postJSON(t, "/api/v1/auth/register", registerJSON(email, "Zeche Zollverein bei Nacht"))
		if resp.StatusCode != 201 && resp.StatusCode != 202 {
			t.Fatalf("register %s: %d %s", email, resp.StatusCode, body)
		}
	}
	var s *server
	waitFor := func(email string, limit time.Duration) {
		t.Helper()
		deadline := time.Now().Add(limit)
		for sink.count(email) == 0 {
			if time.Now().After(deadline) {
				sink.mu.Lock()
				got := fmt.Sprint(sink.got)
				sink.mu.Unlock()
				t.Fatalf("no mail to %s within %s (got %s); log:\n%s", email, limit, got, s.stderr.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	// sentRecorded waits until the store records a mail to each address as
	// sent (the admin outbox's sent_at): a kill between the delivery and
	// that record may send the mail again (at least once, never lost).
	const adminPW = "Rathaus am Markt 2026"
	createAdmin(t, dir, adminPW)
	sentRecorded := func(emails ...string) {
		t.Helper()
		token := s.login(t, "admin@example.org", adminPW)
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			var out struct {
				Items []struct {
					To     string `json:"to"`
					SentAt string `json:"sent_at"`
				} `json:"items"`
			}
			s.apiAs(t, token, "GET", "/api/v1/admin/outbox?per_page=100", nil, 200, &out)
			missing := slices.Clone(emails)
			for _, m := range out.Items {
				if m.SentAt != "" {
					missing = slices.DeleteFunc(missing, func(e string) bool { return strings.Contains(m.To, e) })
				}
			}
			if len(missing) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("mails to %v not recorded as sent: %+v", missing, out.Items)
			}
		}
	}

	// 1. The mail server is down: the first attempt fails, the mail waits
	// for its retry; the process dies.
	s = startServer(t, dir, mailEnv(down)...)
	register(s, "waiting@example.org")
	time.Sleep(time.Second) // the first attempt fails at once (connection refused)
	s.kill9(t)

	// 2. Restarted with the server up: a new mail goes out at once, the
	// waiting one after its backoff (a minute after the failed attempt).
	s = startServer(t, dir, mailEnv(sink.addr)...)
	register(s, "fresh@example.org")
	waitFor("fresh@example.org", 30*time.Second)
	waitFor("waiting@example.org", 100*time.Second)

	// 3. Killed after both went out and started again: nothing is sent
	// twice (a third mail shows the worker ran meanwhile).
	sentRecorded("waiting@example.org", "fresh@example.org")
	s.kill9(t)
	s = startServer(t, dir, mailEnv(sink.addr)...)
	register(s, "after@example.org")
	waitFor("after@example.org", 30*time.Second)
	time.Sleep(time.Second)
	for _, email := range []string{"waiting@example.org", "fresh@example.org", "after@example.org"} {
		if n := sink.count(email); n != 1 {
			t.Errorf("%s got %d mails, want 1", email, n)
		}
	}
	if !strings.Contains(s.stderr.String(), "background jobs") {
		t.Error("the server does not log its job worker")
	}
}
