// Package smtp delivers the platform's rendered mails (mitreden.Mail): as
// MIME messages to an SMTP server (Transport), or as .eml files into the
// outbox directory of the embedded mode (Outbox), where an admin reads them.
// It imports only the domain.
package smtp

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Sender is what every message says about where it comes from.
type Sender struct {
	// From is the From address (and the envelope sender).
	From mail.Address
	// Host names the Message-ID's right-hand side: the base URL's host.
	Host string
}

// ParseFrom parses a From setting such as "Mitreden <noreply@example.org>"
// or "noreply@example.org".
func ParseFrom(s string) (mail.Address, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return mail.Address{}, err
	}
	return *a, nil
}

// Compose builds the RFC 5322 message of m: multipart/alternative with a
// text and an HTML part, both UTF-8 and quoted-printable; the subject and
// the sender's name RFC 2047-encoded where they are not ASCII; Date,
// Message-ID, Auto-Submitted; and on a notification mail (Unsubscribe set)
// List-Unsubscribe with one-click List-Unsubscribe-Post (RFC 8058). Lines
// end in CRLF.
func Compose(s Sender, m *mitreden.Mail, date time.Time) ([]byte, error) {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, mitreden.Permanent(fmt.Errorf("recipient address: %w", err))
	}
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	from := s.From
	h("From", from.String())
	h("To", to.String())
	h("Subject", mime.QEncoding.Encode("utf-8", oneLine(m.Subject)))
	h("Date", date.Format(time.RFC1123Z))
	h("Message-ID", "<"+messageID(m.ID)+"@"+s.Host+">")
	h("MIME-Version", "1.0")
	h("Auto-Submitted", "auto-generated")
	if m.Unsubscribe != "" {
		h("List-Unsubscribe", "<"+oneLine(m.Unsubscribe)+">")
		h("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	if m.HTML == "" {
		h("Content-Type", "text/plain; charset=utf-8")
		h("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, m.Text); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	mw := multipart.NewWriter(&b)
	h("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	b.WriteString("\r\n")
	for _, part := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		if err := writeQP(w, part.body); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeQP writes body quoted-printable, its line breaks as CRLF.
func writeQP(w interface{ Write([]byte) (int, error) }, body string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(strings.ReplaceAll(body, "\r\n", "\n"))); err != nil {
		return err
	}
	return qp.Close()
}

// oneLine keeps a header value on one line: no header can be injected.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

// messageID is the left-hand side of a Message-ID: the mail's ID where it
// is made of safe characters, else random.
func messageID(id string) string {
	ok := id != ""
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			ok = false
			break
		}
	}
	if ok {
		return id
	}
	var r [16]byte
	_, _ = rand.Read(r[:])
	return hex.EncodeToString(r[:])
}
