package smtp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Outbox delivers mails as .eml files into a directory: the embedded mode's
// stand-in for a mail server, so a pilot runs without one. Each mail is
// one file named after its creation time and ID; delivering it again
// rewrites the same file.
type Outbox struct {
	Dir    string
	Sender Sender
	// Now stamps the Date header; time.Now when nil.
	Now func() time.Time
}

var _ mitreden.MailTransport = (*Outbox)(nil)

// NewOutbox returns an outbox writing into dir, creating it.
func NewOutbox(dir string, s Sender) (*Outbox, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mail outbox: %w", err)
	}
	return &Outbox{Dir: dir, Sender: s}, nil
}

// Deliver writes m as an .eml file: to a temporary file first, synced and
// renamed, so a crash leaves the whole file or none.
func (o *Outbox) Deliver(_ context.Context, m *mitreden.Mail) error {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	msg, err := Compose(o.Sender, m, now())
	if err != nil {
		return err
	}
	name := filepath.Join(o.Dir, o.FileName(m))
	f, err := os.CreateTemp(o.Dir, ".mail-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(msg); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}

// FileName is the name of m's file in the outbox.
func (o *Outbox) FileName(m *mitreden.Mail) string {
	return m.CreatedAt.UTC().Format("20060102T150405Z") + "-" + messageID(m.ID) + ".eml"
}
