package smtp_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/smtp"
)

// received is one message a test server accepted.
type received struct {
	from, to string
	data     []byte
	tls      bool
	authed   string
}

// testServer is a real SMTP server (emersion/go-smtp) on a loopback port.
type testServer struct {
	addr  string
	roots *x509.CertPool
	mu    sync.Mutex
	got   []received
	auths int // AUTH attempts
	// rcptErr, when set, answers every RCPT with it.
	rcptErr error
}

type serverOpts struct {
	startTLS, implicitTLS bool
	// user and pass, when set, are required before MAIL.
	user, pass string
}

func (s *testServer) setRcptErr(err error) {
	s.mu.Lock()
	s.rcptErr = err
	s.mu.Unlock()
}

func (s *testServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

type session struct {
	srv  *testServer
	conn *gosmtp.Conn
	need bool
	user string
	cur  received
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(string) (sasl.Server, error) {
	ss.srv.mu.Lock()
	ss.srv.auths++
	ss.srv.mu.Unlock()
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if !ss.need || user != ss.srv.opts().user || pass != ss.srv.opts().pass {
			return errors.New("invalid credentials")
		}
		ss.user = user
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *gosmtp.MailOptions) error {
	if ss.need && ss.user == "" {
		return gosmtp.ErrAuthRequired
	}
	ss.cur.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	ss.srv.mu.Lock()
	rerr := ss.srv.rcptErr
	ss.srv.mu.Unlock()
	if rerr != nil {
		return rerr
	}
	ss.cur.to = to
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.cur.data = b
	_, ss.cur.tls = ss.conn.TLSConnectionState()
	ss.cur.authed = ss.user
	ss.srv.mu.Lock()
	ss.srv.got = append(ss.srv.got, ss.cur)
	ss.srv.mu.Unlock()
	return nil
}

func (ss *session) Reset()        { ss.cur = received{} }
func (ss *session) Logout() error { return nil }

var serverOptions sync.Map // *testServer -> serverOpts

func (s *testServer) opts() serverOpts {
	o, _ := serverOptions.Load(s)
	return o.(serverOpts)
}

// startServer starts an SMTP server for the test with a self-signed
// certificate for 127.0.0.1 (trusted by the returned pool only).
func startServer(t *testing.T, o serverOpts) *testServer {
	t.Helper()
	cert, roots := selfSigned(t)
	ts := &testServer{roots: roots}
	serverOptions.Store(ts, o)
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(c *gosmtp.Conn) (gosmtp.Session, error) {
		return &session{srv: ts, conn: c, need: o.user != ""}, nil
	}))
	srv.Domain = "mx.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.AllowInsecureAuth = true // the client must refuse by itself
	srv.ErrorLog = testLogger{}
	if o.startTLS || o.implicitTLS {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	var ln net.Listener
	var err error
	if o.implicitTLS {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	if !o.startTLS {
		srv.TLSConfig = nil // implicit TLS is the listener's; no STARTTLS offered
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	ts.addr = ln.Addr().String()
	return ts
}

type testLogger struct{}

func (testLogger) Printf(string, ...any) {}
func (testLogger) Println(...any)        {}

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mx.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// transport builds a transport from a MITREDEN_SMTP_URL to ts, trusting
// ts's certificate when trust is set.
func transport(t *testing.T, ts *testServer, rawURL string, trust bool) *smtp.Transport {
	t.Helper()
	cfg, err := smtp.ParseURL(strings.ReplaceAll(rawURL, "ADDR", ts.addr))
	if err != nil {
		t.Fatal(err)
	}
	if trust {
		cfg.TLS = &tls.Config{RootCAs: ts.roots}
	}
	cfg.Timeout = 10 * time.Second
	from, err := smtp.ParseFrom("Beteiligung Münster <noreply@beteiligung.example>")
	if err != nil {
		t.Fatal(err)
	}
	tr := smtp.NewTransport(cfg, smtp.Sender{From: from, Host: "beteiligung.example"})
	tr.Now = func() time.Time { return time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC) }
	return tr
}

var notification = &mitreden.Mail{ID: "k0123abcd", To: "Ana <ana@example.org>", Subject: "Neue Antwort auf Ihren Beitrag „Radweg“ – bitte prüfen Sie die Änderungen",
	Text:        "Guten Tag,\n\nBo hat geantwortet: https://beteiligung.example/proposals/p1#c2\n\nAbbestellen: https://beteiligung.example/unsubscribe/tok123\n",
	HTML:        `<p>Bo hat <a href="https://beteiligung.example/proposals/p1#c2">geantwortet</a>.</p><p>` + strings.Repeat("Ä lange Zeile ", 20) + `</p>`,
	Unsubscribe: "https://beteiligung.example/unsubscribe/tok123"}

// TestTransport_STARTTLSAndAuth delivers a notification over STARTTLS with
// a login and checks the message: headers, both parts, the links.
func TestTransport_STARTTLSAndAuth(t *testing.T) {
	ts := startServer(t, serverOpts{startTLS: true, user: "mitreden", pass: "s3cret/pw"})
	tr := transport(t, ts, "smtp://mitreden:s3cret%2Fpw@ADDR", true)
	if err := tr.Deliver(context.Background(), notification); err != nil {
		t.Fatal(err)
	}
	got := ts.messages()
	if len(got) != 1 {
		t.Fatalf("%d messages, want 1", len(got))
	}
	r := got[0]
	if !r.tls || r.authed != "mitreden" || r.from != "noreply@beteiligung.example" || r.to != "ana@example.org" {
		t.Fatalf("envelope: tls %v, user %q, from %q, to %q", r.tls, r.authed, r.from, r.to)
	}
	checkMessage(t, r.data)
}

// decodeParts returns the decoded text and HTML parts of a message.
func decodeParts(t *testing.T, data []byte) (text, html string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return text, html
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			html = string(b)
		} else {
			text = string(b)
		}
	}
}

// checkMessage checks a composed notification mail.
func checkMessage(t *testing.T, data []byte) {
	t.Helper()
	if !bytes.Contains(data, []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("the message's lines do not all end in CRLF")
	}
	for _, line := range strings.Split(string(data), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line of %d octets", len(line))
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	var dec mime.WordDecoder
	subj, err := dec.DecodeHeader(h.Get("Subject"))
	if err != nil || subj != notification.Subject {
		t.Errorf("subject %q (%v), want %q", subj, err, notification.Subject)
	}
	if !strings.Contains(h.Get("Subject"), "=?utf-8?q?") {
		t.Errorf("subject not RFC 2047-encoded: %q", h.Get("Subject"))
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Beteiligung Münster" || from[0].Address != "noreply@beteiligung.example" {
		t.Errorf("From %q: %v %v", h.Get("From"), from, err)
	}
	if to, err := h.AddressList("To"); err != nil || to[0].Address != "ana@example.org" {
		t.Errorf("To %q", h.Get("To"))
	}
	if d, err := h.Date(); err != nil || !d.Equal(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("Date %q: %v", h.Get("Date"), err)
	}
	want := map[string]string{
		"Message-Id":            "<k0123abcd@beteiligung.example>",
		"Mime-Version":          "1.0",
		"Auto-Submitted":        "auto-generated",
		"List-Unsubscribe":      "<https://beteiligung.example/unsubscribe/tok123>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	}
	for k, v := range want {
		if h.Get(k) != v {
			t.Errorf("%s: %q, want %q", k, h.Get(k), v)
		}
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q", h.Get("Content-Type"))
	}
	raw, _ := io.ReadAll(msg.Body)
	if n := strings.Count(string(raw), "Content-Transfer-Encoding: quoted-printable"); n != 2 {
		t.Errorf("%d quoted-printable parts, want 2", n)
	}
	mr := multipart.NewReader(bytes.NewReader(raw), params["boundary"])
	var parts []string
	var types []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p) // the reader decodes quoted-printable
		types = append(types, p.Header.Get("Content-Type"))
		parts = append(parts, string(b))
	}
	if len(parts) != 2 || types[0] != "text/plain; charset=utf-8" || types[1] != "text/html; charset=utf-8" {
		t.Fatalf("parts %v", types)
	}
	if parts[0] != strings.ReplaceAll(notification.Text, "\n", "\r\n") {
		t.Errorf("text part %q", parts[0])
	}
	if parts[1] != notification.HTML {
		t.Errorf("HTML part %q", parts[1])
	}
	for i, link := range []string{"https://beteiligung.example/proposals/p1#c2"} {
		if !strings.Contains(parts[0], link) || !strings.Contains(parts[1], `href="`+link+`"`) {
			t.Errorf("link %d %s missing from a part", i, link)
		}
	}
}

// TestTransport_NoCredentialsInClear: a server without STARTTLS gets no
// login (and no mail) from a transport with a user; an untrusted
// certificate fails without falling back to clear text; a local relay
// without login is used without TLS.
func TestTransport_NoCredentialsInClear(t *testing.T) {
	plain := startServer(t, serverOpts{user: "mitreden", pass: "pw"})
	err := transport(t, plain, "smtp://mitreden:pw@ADDR", false).Deliver(context.Background(), notification)
	if !errors.Is(err, smtp.ErrCleartextAuth) || mitreden.IsPermanent(err) {
		t.Fatalf("login without TLS: %v, want ErrCleartextAuth, retried", err)
	}
	plain.mu.Lock()
	auths := plain.auths
	plain.mu.Unlock()
	if auths != 0 || len(plain.messages()) != 0 {
		t.Fatalf("the server saw %d logins and %d mails", auths, len(plain.messages()))
	}

	tlsSrv := startServer(t, serverOpts{startTLS: true})
	if err := transport(t, tlsSrv, "smtp://ADDR", false).Deliver(context.Background(), notification); err == nil || len(tlsSrv.messages()) != 0 {
		t.Fatalf("untrusted certificate: %v, %d mails delivered", err, len(tlsSrv.messages()))
	}
	// Offered STARTTLS is used even without a login.
	if err := transport(t, tlsSrv, "smtp://ADDR", true).Deliver(context.Background(), notification); err != nil {
		t.Fatal(err)
	}
	if got := tlsSrv.messages(); len(got) != 1 || !got[0].tls {
		t.Fatalf("relay with STARTTLS: %+v", got)
	}

	relay := startServer(t, serverOpts{})
	if err := transport(t, relay, "smtp://ADDR", false).Deliver(context.Background(), notification); err != nil {
		t.Fatal(err)
	}
	if got := relay.messages(); len(got) != 1 || got[0].tls || got[0].authed != "" {
		t.Fatalf("local relay: %+v", got)
	}
	checkMessage(t, relay.messages()[0].data)
}

// TestTransport_ImplicitTLSAndRefusals: smtps:// speaks TLS at once; a
// wrong password is retried; a refused recipient (5xx) is permanent, a
// busy one (4xx) is not.
func TestTransport_ImplicitTLSAndRefusals(t *testing.T) {
	ts := startServer(t, serverOpts{implicitTLS: true, user: "u", pass: "p"})
	if err := transport(t, ts, "smtps://u:p@ADDR", true).Deliver(context.Background(), notification); err != nil {
		t.Fatal(err)
	}
	if got := ts.messages(); len(got) != 1 || !got[0].tls || got[0].authed != "u" {
		t.Fatalf("implicit TLS: %+v", got)
	}
	err := transport(t, ts, "smtps://u:wrong@ADDR", true).Deliver(context.Background(), notification)
	if err == nil || mitreden.IsPermanent(err) {
		t.Fatalf("wrong password: %v, want a retried error", err)
	}
	ts.setRcptErr(&gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"})
	if err := transport(t, ts, "smtps://u:p@ADDR", true).Deliver(context.Background(), notification); !mitreden.IsPermanent(err) {
		t.Fatalf("refused recipient: %v, want permanent", err)
	}
	ts.setRcptErr(&gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "try later"})
	if err := transport(t, ts, "smtps://u:p@ADDR", true).Deliver(context.Background(), notification); err == nil || mitreden.IsPermanent(err) {
		t.Fatalf("busy server: %v, want a retried error", err)
	}
	if n := len(ts.messages()); n != 1 {
		t.Fatalf("%d mails delivered, want 1", n)
	}
}

// TestParseURL checks the settings' forms and that errors hide passwords.
func TestParseURL(t *testing.T) {
	for raw, want := range map[string]smtp.Config{
		"smtp://user:p%40ss@mail.example.org:587": {Host: "mail.example.org", Port: "587", Username: "user", Password: "p@ss"},
		"smtp://user:pw@mail.example.org":         {Host: "mail.example.org", Port: "587", Username: "user", Password: "pw"},
		"smtp://localhost":                        {Host: "localhost", Port: "25"},
		"smtp://127.0.0.1:2525/":                  {Host: "127.0.0.1", Port: "2525"},
		"smtps://mail.example.org":                {Host: "mail.example.org", Port: "465", ImplicitTLS: true},
		"smtps://u:p@[::1]:4650":                  {Host: "::1", Port: "4650", ImplicitTLS: true, Username: "u", Password: "p"},
	} {
		got, err := smtp.ParseURL(raw)
		if err != nil || got != want {
			t.Errorf("%s: %+v %v, want %+v", raw, got, err, want)
		}
	}
	for _, raw := range []string{"http://mail.example.org", "smtp://", "smtp://user@mail.example.org", "smtp://:pw@mail.example.org",
		"smtp://u:topsecret@mail.example.org/path", "smtp://u:topsecret@mail.example.org?x=1", "mail.example.org:25", "smtp://%zz"} {
		_, err := smtp.ParseURL(raw)
		if err == nil {
			t.Errorf("%s accepted", raw)
		} else if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("%s: the error shows the password: %v", raw, err)
		}
	}
}
