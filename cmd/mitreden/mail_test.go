package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfig_MailSettings: bad mail settings exit 2 with one line naming
// the setting and never the password, before the data dir is touched; good
// ones are read.
func TestConfig_MailSettings(t *testing.T) {
	bad := []struct {
		env    map[string]string
		name   string
		secret string
	}{
		{env: map[string]string{"MITREDEN_SMTP_URL": "http://mail.example.org", "MITREDEN_MAIL_FROM": "a@example.org"}, name: "MITREDEN_SMTP_URL"},
		{env: map[string]string{"MITREDEN_SMTP_URL": "smtp://mail.example.org:587/inbox", "MITREDEN_MAIL_FROM": "a@example.org"}, name: "MITREDEN_SMTP_URL"},
		{env: map[string]string{"MITREDEN_SMTP_URL": "smtp://user:Geheim-Passwort-42@mail.example.org/x", "MITREDEN_MAIL_FROM": "a@example.org"},
			name: "MITREDEN_SMTP_URL", secret: "Geheim-Passwort-42"},
		{env: map[string]string{"MITREDEN_SMTP_URL": "smtp://user@mail.example.org", "MITREDEN_MAIL_FROM": "a@example.org"}, name: "MITREDEN_SMTP_URL"},
		{env: map[string]string{"MITREDEN_SMTP_URL": "smtp://user:Geheim-Passwort-42@mail.example.org:587"}, name: "MITREDEN_MAIL_FROM", secret: "Geheim-Passwort-42"},
		{env: map[string]string{"MITREDEN_MAIL_FROM": "keine Adresse"}, name: "MITREDEN_MAIL_FROM"},
		{env: map[string]string{"MITREDEN_MAIL_FROM": "Rathaus <rathaus>"}, name: "MITREDEN_MAIL_FROM"},
	}
	for _, tc := range bad {
		dataDir := filepath.Join(t.TempDir(), "data")
		env := map[string]string{"MITREDEN_DATA_DIR": dataDir}
		for k, v := range tc.env {
			env[k] = v
		}
		code, out, stderr := runCLIContext(t, cancelled(), env, "", "serve")
		if code != 2 || !strings.Contains(stderr, tc.name) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || out != "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line naming %s", tc.env, code, stderr, tc.name)
		}
		if tc.secret != "" && strings.Contains(stderr, tc.secret) {
			t.Errorf("%v: the message shows the password: %q", tc.env, stderr)
		}
		if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
			t.Errorf("%v: a bad setting touched the data dir (stat: %v)", tc.env, err)
		}
	}

	c := DefaultConfig()
	if err := c.LoadEnv(envFunc(map[string]string{"MITREDEN_SMTP_URL": "smtps://u:p%40w@mail.example.org",
		"MITREDEN_MAIL_FROM": "Beteiligung Münster <noreply@muenster.example>"})); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil || c.SMTPURL != "smtps://u:p%40w@mail.example.org" || c.MailFrom != "Beteiligung Münster <noreply@muenster.example>" {
		t.Fatalf("good mail settings: %+v %v", c, err)
	}
	// Without settings mails go to the outbox, from noreply at the base
	// URL's host (localhost for an IP address).
	c = DefaultConfig()
	s, err := mailSender(c)
	if err != nil || s.From.Address != "noreply@localhost" || s.Host != "127.0.0.1" {
		t.Fatalf("default sender: %+v %v", s, err)
	}
	c.BaseURL = "https://beteiligung.example.de"
	if s, err := mailSender(c); err != nil || s.From.String() != `"mitreden" <noreply@beteiligung.example.de>` || s.Host != "beteiligung.example.de" {
		t.Fatalf("sender at the base URL's host: %+v %v", s, err)
	}
}
