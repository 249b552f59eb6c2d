package service

import (
	"context"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// OutboxPage is one page of the mails the platform sent, newest first, as
// admins read them.
type OutboxPage struct {
	Mails   []mitreden.Mail
	Total   int
	Page    int
	PerPage int
	// KeepsBodies tells whether delivered mails keep their text (the
	// embedded outbox) or only subject and times (SMTP).
	KeepsBodies bool
}

// Outbox returns a page of the sent and queued mails, newest first (one
// query and one count). Admins only.
func (m *Mailer) Outbox(ctx context.Context, actor *mitreden.User, page, perPage int) (*OutboxPage, error) {
	if err := canReadOutbox(actor).Err(); err != nil {
		return nil, err
	}
	page, perPage = mitreden.NormalizePage(page, perPage)
	mails, total, err := m.store.ListMails(ctx, (page-1)*perPage, perPage)
	if err != nil {
		return nil, err
	}
	for i := range mails {
		m.conceal(&mails[i])
	}
	return &OutboxPage{Mails: mails, Total: total, Page: page, PerPage: perPage, KeepsBodies: m.cfg.KeepSent}, nil
}

// OutboxMail returns one mail of the outbox (ENOTFOUND when there is no
// such mail). Admins only.
func (m *Mailer) OutboxMail(ctx context.Context, actor *mitreden.User, id string) (*mitreden.Mail, error) {
	if err := canReadOutbox(actor).Err(); err != nil {
		return nil, err
	}
	mail, err := m.store.FindMail(ctx, id)
	if err != nil {
		return nil, err
	}
	m.conceal(mail)
	return mail, nil
}

// conceal empties the body of a mail with a one-time link unless the
// outbox is the embedded one (no SMTP), where a pilot clicks its links:
// with SMTP such a link is for its recipient only, sent or not.
func (m *Mailer) conceal(mail *mitreden.Mail) {
	if mail.OneTime && !m.cfg.KeepSent {
		mail.Text, mail.HTML = "", ""
	}
}

// KeepsBodies tells whether delivered mails keep their text.
func (m *Mailer) KeepsBodies() bool { return m.cfg.KeepSent }

// SendTestMail queues the test mail to the actor's own address, in the
// actor's language, so an admin checks the mail settings. Admins only.
func (m *Mailer) SendTestMail(ctx context.Context, actor *mitreden.User) error {
	if err := canReadOutbox(actor).Err(); err != nil {
		return err
	}
	if actor.Email == "" {
		return &mitreden.Error{Code: mitreden.EINVALID, Message: "admin.outbox.test_no_address"}
	}
	return m.SendMail(ctx, mitreden.OutgoingMail{To: actor.Email, Language: actor.Language, Template: "test"})
}
