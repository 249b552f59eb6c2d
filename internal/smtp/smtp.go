package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Config is where and how to reach the mail server.
type Config struct {
	Host string
	Port string
	// ImplicitTLS speaks TLS from the first byte (smtps://, port 465).
	// Otherwise STARTTLS is used whenever the server offers it, and
	// credentials are never sent without TLS.
	ImplicitTLS bool
	Username    string
	Password    string
	// TLS is the client's TLS configuration (ServerName is set from Host);
	// nil trusts the system's roots. Tests trust their own certificate here.
	TLS *tls.Config
	// Timeout bounds one delivery (connect to QUIT); 30s when zero.
	Timeout time.Duration
}

// ParseURL reads a MITREDEN_SMTP_URL: smtp://[user:password@]host[:port]
// (STARTTLS when offered, required with a user; port 587 with a user, 25
// without) or smtps://[user:password@]host[:port] (implicit TLS, port
// 465). User and password are URL-encoded. Errors never repeat the
// password.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, errors.New("is not a URL such as smtp://user:password@mail.example.org:587")
	}
	var c Config
	switch u.Scheme {
	case "smtp":
	case "smtps":
		c.ImplicitTLS = true
	default:
		return Config{}, errors.New("must start with smtp:// (STARTTLS) or smtps:// (implicit TLS)")
	}
	c.Host, c.Port = u.Hostname(), u.Port()
	if c.Host == "" {
		return Config{}, errors.New("names no host, e.g. smtp://user:password@mail.example.org:587")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return Config{}, errors.New("must not have a path, query or fragment")
	}
	if u.User != nil {
		c.Username = u.User.Username()
		pw, ok := u.User.Password()
		if c.Username == "" || !ok || pw == "" {
			return Config{}, errors.New("names a user without a password (smtp://user:password@host:587; URL-encode special characters)")
		}
		c.Password = pw
	}
	if c.Port == "" {
		switch {
		case c.ImplicitTLS:
			c.Port = "465"
		case c.Username != "":
			c.Port = "587"
		default:
			c.Port = "25"
		}
	}
	return c, nil
}

// Transport delivers mails to an SMTP server, one connection per mail.
type Transport struct {
	cfg    Config
	sender Sender
	// Now stamps the Date header; time.Now when nil.
	Now func() time.Time
}

var _ mitreden.MailTransport = (*Transport)(nil)

// NewTransport returns a transport to the server of cfg sending as s.
func NewTransport(cfg Config, s Sender) *Transport {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Transport{cfg: cfg, sender: s}
}

// ErrCleartextAuth is returned when credentials would go over a connection
// without TLS: the server offers no STARTTLS.
var ErrCleartextAuth = errors.New("the mail server offers no STARTTLS; credentials are not sent without TLS (use smtps:// or a server with STARTTLS)")

// Deliver sends m. A recipient or message the server refuses for good (a
// 5xx answer to RCPT or DATA) is a permanent error; anything else (the
// server unreachable, busy, TLS or login failing) is retried.
func (t *Transport) Deliver(ctx context.Context, m *mitreden.Mail) error {
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	msg, err := Compose(t.sender, m, now())
	if err != nil {
		return err
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return mitreden.Permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
	defer cancel()
	addr := net.JoinHostPort(t.cfg.Host, t.cfg.Port)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp: connecting to %s: %w", addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Closing the connection ends a conversation stuck past the context.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	secure := false
	if t.cfg.ImplicitTLS {
		tc := tls.Client(conn, t.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("smtp: TLS with %s: %w", addr, err)
		}
		conn, secure = tc, true
	}
	c, err := smtp.NewClient(conn, t.cfg.Host)
	if err != nil {
		return fmt.Errorf("smtp: greeting of %s: %w", addr, err)
	}
	defer c.Close()
	if err := c.Hello(t.helloName()); err != nil {
		return fmt.Errorf("smtp: EHLO: %w", err)
	}
	if !secure {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(t.tlsConfig()); err != nil {
				return fmt.Errorf("smtp: STARTTLS with %s: %w", addr, err)
			}
			secure = true
		}
	}
	if t.cfg.Username != "" {
		if !secure {
			return ErrCleartextAuth
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("smtp: the server offers no AUTH, but MITREDEN_SMTP_URL names a user")
		}
		if err := c.Auth(smtp.PlainAuth("", t.cfg.Username, t.cfg.Password, t.cfg.Host)); err != nil {
			return fmt.Errorf("smtp: login as %s: %w", t.cfg.Username, err)
		}
	}
	if err := c.Mail(t.sender.From.Address); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return classify("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return classify("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp: writing the message: %w", err)
	}
	if err := w.Close(); err != nil {
		return classify("message", err)
	}
	// The server took the mail; a failing QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// classify makes a 5xx answer permanent.
func classify(step string, err error) error {
	err = fmt.Errorf("smtp: %s: %w", step, err)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return mitreden.Permanent(err)
	}
	return err
}

func (t *Transport) tlsConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.cfg.TLS != nil {
		c = t.cfg.TLS.Clone()
	}
	c.ServerName = t.cfg.Host
	return c
}

// helloName is the EHLO name: the platform's host, else localhost.
func (t *Transport) helloName() string {
	if t.sender.Host != "" && net.ParseIP(t.sender.Host) == nil {
		return t.sender.Host
	}
	return "localhost"
}
