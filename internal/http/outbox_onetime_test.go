package http_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// TestOutbox_OneTimeMailWithoutBodySaysWhy: an account mail with a
// one-time link whose body the outbox does not show (SMTP) says so,
// instead of claiming it was dropped after sending.
func TestOutbox_OneTimeMailWithoutBodySaysWhy(t *testing.T) {
	e := newEnv(t)
	if err := e.DB.Mails().InsertMail(context.Background(), &mitreden.Mail{ID: "reset", To: "ana@example.org", Subject: "Passwort",
		OneTime: true, CreatedAt: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	_, pw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	b := e.browser()
	b.loginForm("admin@example.org", pw)
	resp, doc := b.get("/admin/outbox/reset")
	if resp.StatusCode != 200 {
		t.Fatalf("one mail: %d", resp.StatusCode)
	}
	main := doc.Find("main").Text()
	if !strings.Contains(main, "Inhalt verborgen: enthält einen Einmal-Link") || strings.Contains(main, "nach dem Versand gelöscht") {
		t.Errorf("a one-time mail without text: %s", main)
	}
}
