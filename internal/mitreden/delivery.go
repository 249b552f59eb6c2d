package mitreden

import (
	"context"
	"errors"
	"time"
)

// MailStore keeps rendered mails: the queue's payload, and what the embedded
// outbox shows. Every method is one single-document write or one query.
type MailStore interface {
	// InsertMail stores m with its ID. Returns ECONFLICT when a mail with
	// that ID exists already (the same Key was queued before).
	InsertMail(ctx context.Context, m *Mail) error
	// FindMail returns ENOTFOUND when there is no such mail.
	FindMail(ctx context.Context, id string) (*Mail, error)
	// MarkMailSent records that mail id went out at sentAt. With dropBody
	// its text and HTML are removed (a mail delivered by SMTP can hold
	// one-time links nobody else should read). Returns ENOTFOUND when there
	// is no such mail.
	MarkMailSent(ctx context.Context, id string, sentAt time.Time, dropBody bool) error
	// DropMailBody removes the text and HTML of the mail id (a mail that
	// will never be sent).
	DropMailBody(ctx context.Context, id string) error
	// ListMails returns mails newest first, skipping offset and returning at
	// most limit, and the number of all mails.
	ListMails(ctx context.Context, offset, limit int) ([]Mail, int, error)
	// DeleteMailsTo deletes every mail to the address to (an account's
	// erasure), sent or not, and returns how many; a queued one is then
	// never sent.
	DeleteMailsTo(ctx context.Context, to string) (int, error)
}

// MailTransport delivers one rendered mail: to an SMTP server, or to the
// outbox directory of the embedded mode. An error wrapped by Permanent
// (a recipient the server refuses for good) is not retried.
type MailTransport interface {
	Deliver(ctx context.Context, m *Mail) error
}

// permanentError marks an error that retrying cannot cure.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent marks err as one that retrying cannot cure: a background job
// whose handler returns it fails at once instead of backing off.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err: err}
}

// IsPermanent reports whether err (or an error it wraps) was marked by
// Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
