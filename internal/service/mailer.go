package service

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"log/slog"
	"path"
	"regexp"
	"strings"
	texttemplate "text/template"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// JobKindMail is the kind of the job that delivers one stored mail.
const JobKindMail = "mail"

// MailerConfig says what every mail says about the platform, and what
// happens to a mail's body once it is delivered.
type MailerConfig struct {
	// BaseURL is the platform's public URL (no trailing slash); templates
	// read it as .BaseURL and build links with abs.
	BaseURL string
	// Platform is the platform's name (.Platform), "mitreden" when empty.
	Platform string
	// Operator is who runs the installation (.Operator), may be empty.
	Operator string
	// KeepSent keeps the text and HTML of delivered mails, so the outbox
	// page shows them (the embedded outbox). Off, a mail's body is dropped
	// once an SMTP server took it: it can hold one-time links.
	KeepSent bool
	// DefaultLanguage is used when a recipient's language has no
	// templates; "de" when empty.
	DefaultLanguage string
}

// Mailer implements mitreden.MailSender: SendMail renders the named
// template in the recipient's language, stores the mail and queues a job
// that a worker hands to the transport, with retries; the stored mails are
// the admin's outbox.
//
// Templates live in an fs.FS (web.Mail's mail/ folder): layout.html wraps
// every HTML part; <lang>/<name>.txt is a text/template whose body is the
// text part and which defines "subject"; <lang>/<name>.html is an
// html/template defining "content"; files starting with "_" in a language's
// folder are partials shared by its templates (the footer).
type Mailer struct {
	store     mitreden.MailStore
	jobs      *Jobs
	transport mitreden.MailTransport
	cfg       MailerConfig
	now       Clock
	log       *slog.Logger
	// text and html map "lang/name" to the parsed templates.
	text map[string]*texttemplate.Template
	html map[string]*htmltemplate.Template
}

var _ mitreden.MailSender = (*Mailer)(nil)

var templateName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// NewMailer parses every template in templates (an error names the file),
// and registers the delivery of mail jobs with jobs.
func NewMailer(store mitreden.MailStore, jobs *Jobs, templates fs.FS, transport mitreden.MailTransport, cfg MailerConfig, clock Clock, log *slog.Logger) (*Mailer, error) {
	if clock == nil {
		clock = SystemClock
	}
	if log == nil {
		log = slog.Default()
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Platform == "" {
		cfg.Platform = "mitreden"
	}
	if cfg.DefaultLanguage == "" {
		cfg.DefaultLanguage = "de"
	}
	m := &Mailer{store: store, jobs: jobs, transport: transport, cfg: cfg, now: clock, log: log,
		text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	if err := m.parse(templates); err != nil {
		return nil, err
	}
	jobs.Handle(JobKindMail, m.deliver)
	return m, nil
}

// funcs are the functions every mail template may call.
func (m *Mailer) funcs() map[string]any {
	return map[string]any{
		// abs turns a path of the platform into an absolute URL.
		"abs": func(p string) string {
			if !strings.HasPrefix(p, "/") {
				p = "/" + p
			}
			return m.cfg.BaseURL + p
		},
	}
}

// parse reads every language folder of fsys.
func (m *Mailer) parse(fsys fs.FS) error {
	layout, err := fs.ReadFile(fsys, "layout.html")
	if err != nil {
		return fmt.Errorf("mail templates: %w", err)
	}
	base, err := htmltemplate.New("layout").Funcs(m.funcs()).Parse(string(layout))
	if err != nil {
		return fmt.Errorf("mail template layout.html: %w", err)
	}
	langs, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return fmt.Errorf("mail templates: %w", err)
	}
	for _, l := range langs {
		if !l.IsDir() {
			continue
		}
		lang := l.Name()
		files, err := fs.ReadDir(fsys, lang)
		if err != nil {
			return fmt.Errorf("mail templates: %w", err)
		}
		var textParts, htmlParts []string
		for _, f := range files {
			if strings.HasPrefix(f.Name(), "_") {
				b, err := fs.ReadFile(fsys, path.Join(lang, f.Name()))
				if err != nil {
					return err
				}
				switch path.Ext(f.Name()) {
				case ".txt":
					textParts = append(textParts, string(b))
				case ".html":
					htmlParts = append(htmlParts, string(b))
				}
			}
		}
		for _, f := range files {
			name, ext := strings.TrimSuffix(f.Name(), path.Ext(f.Name())), path.Ext(f.Name())
			if f.IsDir() || strings.HasPrefix(name, "_") {
				continue
			}
			file := path.Join(lang, f.Name())
			if !templateName.MatchString(name) {
				return fmt.Errorf("mail template %s: names are lower-case letters, digits, - and _", file)
			}
			b, err := fs.ReadFile(fsys, file)
			if err != nil {
				return err
			}
			switch ext {
			case ".txt":
				t := texttemplate.New(name).Funcs(m.funcs())
				for _, p := range append(textParts, string(b)) {
					if t, err = t.Parse(p); err != nil {
						return fmt.Errorf("mail template %s: %w", file, err)
					}
				}
				if t.Lookup("subject") == nil {
					return fmt.Errorf("mail template %s: it must define \"subject\"", file)
				}
				m.text[lang+"/"+name] = t
			case ".html":
				t, err := base.Clone()
				if err != nil {
					return err
				}
				for _, p := range append(htmlParts, string(b)) {
					if t, err = t.Parse(p); err != nil {
						return fmt.Errorf("mail template %s: %w", file, err)
					}
				}
				if t.Lookup("content") == nil {
					return fmt.Errorf("mail template %s: it must define \"content\"", file)
				}
				m.html[lang+"/"+name] = t
			}
		}
	}
	for key := range m.html {
		if m.text[key] == nil {
			return fmt.Errorf("mail template %s.html has no %s.txt (which defines the subject)", key, key)
		}
	}
	return nil
}

// language picks the recipient's language where the template exists in
// it, else the default language.
func (m *Mailer) language(lang, name string) (string, error) {
	lang = strings.ToLower(lang)
	if i := strings.IndexAny(lang, "-_"); i > 0 {
		lang = lang[:i]
	}
	if m.text[lang+"/"+name] != nil {
		return lang, nil
	}
	if m.text[m.cfg.DefaultLanguage+"/"+name] != nil {
		return m.cfg.DefaultLanguage, nil
	}
	return "", mitreden.Errorf(mitreden.EINTERNAL, "no mail template %q", name)
}

// Render renders om as the mail it will be (without ID and times). The
// data the templates read are om.Data plus the common fields BaseURL,
// Platform, Operator, Lang, To and Unsubscribe (and Subject in the HTML),
// which win over keys of the same name in om.Data.
func (m *Mailer) Render(om mitreden.OutgoingMail) (*mitreden.Mail, error) {
	if strings.TrimSpace(om.To) == "" || strings.ContainsAny(om.To, "\r\n") {
		return nil, mitreden.Errorf(mitreden.EINTERNAL, "a mail needs one recipient")
	}
	lang, err := m.language(om.Language, om.Template)
	if err != nil {
		return nil, err
	}
	data := make(map[string]any, len(om.Data)+7)
	for k, v := range om.Data {
		data[k] = v
	}
	data["BaseURL"], data["Platform"], data["Operator"] = m.cfg.BaseURL, m.cfg.Platform, m.cfg.Operator
	data["Lang"], data["To"], data["Unsubscribe"] = lang, om.To, om.Unsubscribe
	key := lang + "/" + om.Template
	var subj, text bytes.Buffer
	t := m.text[key]
	if err := t.ExecuteTemplate(&subj, "subject", data); err != nil {
		return nil, mitreden.Wrap(mitreden.EINTERNAL, fmt.Errorf("mail %s subject: %w", key, err), "error.internal")
	}
	if err := t.Execute(&text, data); err != nil {
		return nil, mitreden.Wrap(mitreden.EINTERNAL, fmt.Errorf("mail %s text: %w", key, err), "error.internal")
	}
	mail := &mitreden.Mail{To: strings.TrimSpace(om.To), Subject: strings.Join(strings.Fields(subj.String()), " "),
		Text: strings.TrimSpace(text.String()) + "\n", Unsubscribe: om.Unsubscribe, OneTime: oneTimeTemplates[om.Template]}
	if h := m.html[key]; h != nil {
		data["Subject"] = mail.Subject
		var body bytes.Buffer
		if err := h.ExecuteTemplate(&body, "layout", data); err != nil {
			return nil, mitreden.Wrap(mitreden.EINTERNAL, fmt.Errorf("mail %s html: %w", key, err), "error.internal")
		}
		mail.HTML = body.String()
	}
	return mail, nil
}

// oneTimeTemplates are the account mails that carry a one-time link.
var oneTimeTemplates = map[string]bool{"account_verify": true, "password_reset": true, "email_change_confirm": true}

// mailJob is the payload of a mail job.
type mailJob struct {
	MailID string `json:"mail_id"`
}

// MailID is the ID a mail with key gets (so queuing it twice stores it
// once); a mail without key gets a random one.
func MailID(key string) string {
	if key == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		return "r" + hex.EncodeToString(b[:])
	}
	sum := sha256.Sum256([]byte(key))
	return "k" + hex.EncodeToString(sum[:16])
}

// mailJobID is the ID of the job delivering a mail: "mail:"+key where the
// mail has one, so that queuing is idempotent.
func mailJobID(key, mailID string) string {
	if key != "" {
		return "mail:" + key
	}
	return "mail:" + mailID
}

// SendMail renders om, stores it and queues its delivery; it returns once
// both are stored and never waits for a mail server. A mail whose Key was
// queued before is not queued again (nor re-rendered into the store).
func (m *Mailer) SendMail(ctx context.Context, om mitreden.OutgoingMail) error {
	mail, err := m.Render(om)
	if err != nil {
		return err
	}
	mail.ID = MailID(om.Key)
	mail.CreatedAt = m.now()
	if om.Discard {
		// Delivered already as far as its job is concerned; the address
		// of someone without an account is not kept.
		mail.To, mail.SentAt = "", mail.CreatedAt
	}
	// The mail is stored before its job: a crash in between leaves a mail
	// without job, which queuing the same key again completes (the insert
	// conflicts, the job is added).
	if err := m.store.InsertMail(ctx, mail); err != nil && mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		return err
	}
	payload, err := json.Marshal(mailJob{MailID: mail.ID})
	if err != nil {
		return err
	}
	return m.jobs.Enqueue(ctx, &mitreden.Job{ID: mailJobID(om.Key, mail.ID), Kind: JobKindMail, Payload: payload, CreatedAt: mail.CreatedAt})
}

// deliver hands the mail of job j to the transport once: a mail recorded
// as sent is not sent again, whoever runs its job.
func (m *Mailer) deliver(ctx context.Context, j *mitreden.Job) error {
	var p mailJob
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.MailID == "" {
		return mitreden.Permanent(fmt.Errorf("mail job %s: bad payload", j.ID))
	}
	mail, err := m.store.FindMail(ctx, p.MailID)
	if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
		return mitreden.Permanent(fmt.Errorf("mail job %s: the mail is gone", j.ID))
	} else if err != nil {
		return err
	}
	if !mail.SentAt.IsZero() {
		return nil
	}
	if err := m.transport.Deliver(ctx, mail); err != nil {
		if !m.cfg.KeepSent && (mitreden.IsPermanent(err) || m.jobs != nil && j.Attempts >= m.jobs.MaxAttempts) {
			// Given up: the body, which can hold a one-time link, goes as
			// it would have after sending.
			if derr := m.store.DropMailBody(ctx, mail.ID); derr != nil {
				m.log.Warn("dropping the body of a mail given up", "mail", mail.ID, "err", derr)
			}
		}
		return err
	}
	return m.store.MarkMailSent(ctx, mail.ID, m.now(), !m.cfg.KeepSent)
}

// ForgetRecipient deletes every stored mail to the address email (when an
// account is erased): the outbox no longer shows them, and those still
// queued are never sent (their jobs find no mail and give up).
func (m *Mailer) ForgetRecipient(ctx context.Context, email string) (int, error) {
	if strings.TrimSpace(email) == "" {
		return 0, nil
	}
	return m.store.DeleteMailsTo(ctx, strings.TrimSpace(email))
}
