package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
	"github.com/mitreden/mitreden/internal/smtp"
	"github.com/mitreden/mitreden/web"
)

// outboxDir is where the embedded mode delivers mails: .eml files in the
// data dir, which admins read on /admin/outbox.
func outboxDir(cfg Config) string { return filepath.Join(cfg.DataDir, "outbox") }

// jobOwner names this process in the job queue's leases: host, pid and a
// random part, so a restarted process with a reused pid is another owner.
func jobOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// mailSender is the From address: MITREDEN_MAIL_FROM, or noreply at the
// base URL's host.
func mailSender(cfg Config) (smtp.Sender, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return smtp.Sender{}, err
	}
	host := u.Hostname()
	from := cfg.MailFrom
	if from == "" {
		domain := host
		if net.ParseIP(domain) != nil {
			domain = "localhost"
		}
		from = "mitreden <noreply@" + domain + ">"
	}
	addr, err := smtp.ParseFrom(from)
	if err != nil {
		return smtp.Sender{}, fmt.Errorf("setting MITREDEN_MAIL_FROM=%q: %v", from, err)
	}
	return smtp.Sender{From: addr, Host: host}, nil
}

// validateMail checks MITREDEN_SMTP_URL and MITREDEN_MAIL_FROM.
func (c *Config) validateMail() error {
	if c.SMTPURL != "" {
		if _, err := smtp.ParseURL(c.SMTPURL); err != nil {
			return fmt.Errorf("setting MITREDEN_SMTP_URL=%q: %v", redactURL(c.SMTPURL), err)
		}
		if c.MailFrom == "" {
			return errors.New(`setting MITREDEN_MAIL_FROM: must be set with MITREDEN_SMTP_URL: the address mails come from, e.g. "Beteiligung Musterstadt <noreply@musterstadt.de>"`)
		}
	}
	if c.MailFrom != "" {
		a, err := smtp.ParseFrom(c.MailFrom)
		if err != nil || !strings.Contains(a.Address, "@") || strings.HasSuffix(a.Address, "@") {
			return fmt.Errorf(`setting MITREDEN_MAIL_FROM=%q: must be an address such as noreply@musterstadt.de or "Beteiligung Musterstadt <noreply@musterstadt.de>"`, c.MailFrom)
		}
	}
	return nil
}

// redactURL hides the password of a URL setting in messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.LastIndex(raw, "@"); i >= 0 {
			return "…" + raw[i:]
		}
		return raw
	}
	return u.Redacted()
}

// openMail gives e the job runner and the mailer: delivering by SMTP when
// MITREDEN_SMTP_URL is set (and then dropping the body of a delivered mail
// from the store, as it can hold one-time links), else into the outbox in
// the data dir (keeping the body for the admins' outbox page).
func (e *env) openMail() error {
	cfg := e.cfg
	e.jobs = service.NewJobs(e.db.Jobs(), jobOwner(), service.SystemClock, e.log.With("component", "jobs"))
	sender, err := mailSender(cfg)
	if err != nil {
		return err
	}
	var transport mitreden.MailTransport
	keep := cfg.SMTPURL == ""
	if keep {
		out, err := smtp.NewOutbox(outboxDir(cfg), sender)
		if err != nil {
			return err
		}
		transport = out
	} else {
		sc, err := smtp.ParseURL(cfg.SMTPURL)
		if err != nil {
			return fmt.Errorf("setting MITREDEN_SMTP_URL=%q: %v", redactURL(cfg.SMTPURL), err)
		}
		transport = smtp.NewTransport(sc, sender)
	}
	tpl, err := fs.Sub(web.Mail, "mail")
	if err != nil {
		return err
	}
	e.mailer, err = service.NewMailer(e.db.Mails(), e.jobs, tpl, transport, service.MailerConfig{
		BaseURL: cfg.BaseURL, Operator: cfg.Operator.Name, KeepSent: keep}, service.SystemClock, e.log.With("component", "mail"))
	return err
}

// startJobs runs the background jobs until ctx ends; the returned stop
// waits for the job in progress.
func (e *env) startJobs(ctx context.Context, log *slog.Logger) func() {
	if e.cfg.SMTPURL == "" {
		log.Info("background jobs; mail goes to the outbox, no mail server is set (MITREDEN_SMTP_URL)", "owner", e.jobs.Owner(), "outbox", outboxDir(e.cfg))
	} else if sc, err := smtp.ParseURL(e.cfg.SMTPURL); err == nil {
		log.Info("background jobs; mail goes out by SMTP", "owner", e.jobs.Owner(), "host", sc.Host, "port", sc.Port,
			"implicit_tls", sc.ImplicitTLS, "login", sc.Username != "")
	}
	return e.jobs.Start(ctx)
}

// outboxRetention is how long the embedded outbox keeps a mail's file: as
// long as the store keeps the mail.
const outboxRetention = 90 * 24 * time.Hour

// pruneOutbox deletes the outbox's .eml files last written before before,
// as the store forgets their mails, and returns how many it deleted. A
// missing outbox is empty.
func pruneOutbox(dir string, before time.Time) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, de := range entries {
		if de.IsDir() || !strings.HasSuffix(de.Name(), ".eml") {
			continue
		}
		info, err := de.Info()
		if err != nil || !info.ModTime().Before(before) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, de.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, err
		}
		n++
	}
	return n, nil
}
