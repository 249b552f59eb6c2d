package mitreden

import (
	"context"
	"time"
)

// OutgoingMail is a mail the platform sends to one person. It names a
// template (web/mail/<language>/<Template>.txt and .html, the text file
// defining "subject" too) and the data the template reads; the mail is
// rendered when it is queued, in the recipient's language, and never holds
// user-supplied HTML.
type OutgoingMail struct {
	// Key makes queuing idempotent: a second mail with the same key is not
	// queued (empty: always queued).
	Key      string
	To       string
	Language string
	Template string
	Data     map[string]any
	// Unsubscribe is the absolute one-click unsubscribe URL of a
	// notification mail (List-Unsubscribe with List-Unsubscribe-Post, RFC
	// 8058); empty for account mails.
	Unsubscribe string
	// Discard renders and stores the mail and queues its job like any
	// other, but stores it as delivered and without recipient, so it is
	// never sent: a request that must not tell whether an address is
	// registered does the same work for an unknown one.
	Discard bool
}

// MailSender queues mails for delivery in the background. SendMail returns
// once the mail is stored; it never waits for a mail server.
type MailSender interface {
	SendMail(ctx context.Context, m OutgoingMail) error
}

// Mail is a rendered mail as stored for delivery, and as the embedded
// outbox shows it.
type Mail struct {
	ID          string
	To          string
	Subject     string
	Text        string
	HTML        string
	Unsubscribe string
	CreatedAt   time.Time
	SentAt      time.Time // zero until delivered
	// OneTime marks an account mail carrying a one-time link (address
	// confirmation, password reset, address change): with SMTP the
	// outbox never shows its body.
	OneTime bool
}
