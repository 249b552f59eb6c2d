package mitreden

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Assisted participation: people who cannot or will not go online take part
// by letter, phone, a visit or e-mail, and staff of the citizens' office
// (RoleService) enter what they said on their behalf, with its provenance.

// Channels by which a contribution reached the platform. ChannelOnline is
// everything a person wrote themselves; the others are entered by staff.
const (
	ChannelOnline   = "online"
	ChannelLetter   = "letter"
	ChannelPhone    = "phone"
	ChannelInPerson = "in_person"
	ChannelEmail    = "email"
)

// AssistedChannels are the channels staff enter contributions from, in
// display order.
var AssistedChannels = []string{ChannelLetter, ChannelPhone, ChannelInPerson, ChannelEmail}

// Channels are every channel, online first, in display order.
var Channels = []string{ChannelOnline, ChannelLetter, ChannelPhone, ChannelInPerson, ChannelEmail}

// DefaultLateEntryDays is how long after a consultation closed staff may
// still enter what was received before the close.
const DefaultLateEntryDays = 14

// Limits of participant records.
const (
	RecordNameMax      = 80
	RecordLocalityMax  = 80
	RecordAddressMax   = 500
	RecordPhoneMax     = 40
	RecordReferenceMax = 80
)

// RecordVoterPrefix starts the voter key of a participant record, which
// takes the place of a user id in votes, support quotas and the people
// counted per consultation. It cannot collide with a user id (hex).
const RecordVoterPrefix = "rec-"

// Provenance says how a contribution entered by staff reached the
// platform. The public sees Channel, ReceivedAt, Late and CorrectedAt;
// EnteredByID, EnteredBy, Reference, RecordID and the original texts are
// for staff only.
type Provenance struct {
	Channel    string
	ReceivedAt time.Time
	// EnteredByID and EnteredBy name the staff member who entered it.
	EnteredByID, EnteredBy string
	// Reference is an internal file number.
	Reference string
	// RecordID is the participant record it was entered for.
	RecordID string
	// Late is set when it was entered after the consultation closed (it was
	// received before).
	Late bool
	// CorrectedAt is when staff last corrected the text; OriginalTitle and
	// OriginalBody keep the text as first entered.
	CorrectedAt                 time.Time
	OriginalTitle, OriginalBody string
}

// berlin is the zone dates of receipt are given in.
var berlin = func() *time.Location {
	if loc, err := time.LoadLocation("Europe/Berlin"); err == nil {
		return loc
	}
	return time.UTC
}()

// DayStart is the beginning of t's day in Europe/Berlin: a letter received
// on the day a consultation opened counts, whatever the hour.
func DayStart(t time.Time) time.Time {
	y, m, d := t.In(berlin).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, berlin)
}

// ParseReceived reads a date of receipt: a day (YYYY-MM-DD, in
// Europe/Berlin) or an RFC 3339 time; ok is false for anything else.
func ParseReceived(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.ParseInLocation("2006-01-02", s, berlin); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	return time.Time{}, false
}

// ChannelOf returns the channel of a contribution with provenance p (nil:
// online).
func ChannelOf(p *Provenance) string {
	if p == nil || p.Channel == "" {
		return ChannelOnline
	}
	return p.Channel
}

// ParticipantRecord is a person without an account as staff hold them:
// later letters of the same person are entered for the same record, so
// support limits and one vote per person hold across channels.
type ParticipantRecord struct {
	ID string
	// DisplayName is the name the person chose to be shown under; with
	// Anonymous they are shown as "Bürgerin/Bürger aus <Locality>".
	DisplayName string
	Anonymous   bool
	Locality    string
	// Address, Phone and Email are for sending answers; staff only.
	Address, Phone, Email string
	// LinkedUserID is the account the person created later, once staff
	// linked it; LinkedAt when. Merged tells that the record's votes were
	// moved to the account (see Assisted.Link).
	LinkedUserID string
	LinkedAt     time.Time
	Merged       bool
	CreatedByID  string
	CreatedAt    time.Time
}

// VoterKey is the key the record's own votes are stored under.
func (r *ParticipantRecord) VoterKey() string { return RecordVoterPrefix + r.ID }

// VoterID is the key new votes for the person are stored under: the linked
// account's, once there is one, so the person votes once.
func (r *ParticipantRecord) VoterID() string {
	if r.LinkedUserID != "" {
		return r.LinkedUserID
	}
	return r.VoterKey()
}

// PublicName is how contributions of the record are signed publicly.
func (r *ParticipantRecord) PublicName() string {
	if r.Anonymous || r.DisplayName == "" {
		return "Bürgerin/Bürger aus " + r.Locality
	}
	return r.DisplayName
}

// Validate checks and trims a record's fields.
func (r *ParticipantRecord) Validate() error {
	r.DisplayName, r.Locality = strings.TrimSpace(r.DisplayName), strings.TrimSpace(r.Locality)
	r.Address, r.Phone, r.Email = strings.TrimSpace(r.Address), strings.TrimSpace(r.Phone), strings.TrimSpace(r.Email)
	var fs []FieldError
	add := func(fe *FieldError) {
		if fe != nil {
			fs = append(fs, *fe)
		}
	}
	add(lengthErr("display_name", utf8.RuneCountInString(r.DisplayName), 2, RecordNameMax, "validation.record_name"))
	if r.Anonymous && r.Locality == "" {
		fs = append(fs, FieldError{Field: "locality", Code: "required", Message: "validation.record_locality"})
	}
	if utf8.RuneCountInString(r.Locality) > RecordLocalityMax {
		fs = append(fs, FieldError{Field: "locality", Code: "max", Message: "validation.max", Args: map[string]any{"param": RecordLocalityMax}})
	}
	if utf8.RuneCountInString(r.Address) > RecordAddressMax {
		fs = append(fs, FieldError{Field: "address", Code: "max", Message: "validation.max", Args: map[string]any{"param": RecordAddressMax}})
	}
	if utf8.RuneCountInString(r.Phone) > RecordPhoneMax {
		fs = append(fs, FieldError{Field: "phone", Code: "max", Message: "validation.max", Args: map[string]any{"param": RecordPhoneMax}})
	}
	if r.Email != "" {
		if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != r.Email || len(r.Email) > 254 {
			fs = append(fs, FieldError{Field: "email", Code: "email", Message: "validation.email"})
		}
	}
	for _, f := range []struct{ name, v string }{{"display_name", r.DisplayName}, {"locality", r.Locality}, {"address", r.Address}, {"phone", r.Phone}} {
		add(CheckText(f.name, f.v))
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

// AssistedEntry is what staff say about a contribution they enter: how and
// when it arrived, and their file number.
type AssistedEntry struct {
	Channel    string
	ReceivedAt time.Time
	Reference  string
}

// Validate checks the entry's channel, date (not in the future of now) and
// reference.
func (e *AssistedEntry) Validate(now time.Time) error {
	e.Reference = strings.TrimSpace(e.Reference)
	var fs []FieldError
	ok := false
	for _, c := range AssistedChannels {
		ok = ok || c == e.Channel
	}
	if !ok {
		fs = append(fs, FieldError{Field: "channel", Code: "oneof", Message: "validation.oneof"})
	}
	if e.ReceivedAt.IsZero() {
		fs = append(fs, FieldError{Field: "received_at", Code: "required", Message: "validation.required"})
	} else if e.ReceivedAt.After(now) {
		fs = append(fs, FieldError{Field: "received_at", Code: "future", Message: "validation.received_future"})
	}
	if utf8.RuneCountInString(e.Reference) > RecordReferenceMax {
		fs = append(fs, FieldError{Field: "reference", Code: "max", Message: "validation.max", Args: map[string]any{"param": RecordReferenceMax}})
	} else if fe := CheckText("reference", e.Reference); fe != nil {
		fs = append(fs, *fe)
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

// Audit actions of assisted participation.
const (
	AuditRecordCreated = "record_created"
	AuditProposal      = "proposal"
	AuditComment       = "comment"
	AuditVote          = "vote"
	AuditLink          = "link"
	AuditCorrection    = "correction"
	AuditLetterSent    = "letter_sent"
	// AuditUnlink is the link removed when the account was deleted.
	AuditUnlink = "unlink"
)

// AuditEntry records one thing staff did for a participant record; the
// record is insert-only.
type AuditEntry struct {
	ID       string
	At       time.Time
	StaffID  string
	Staff    string
	Action   string
	RecordID string
	// ItemType and ItemID name the contribution (proposal, comment, or the
	// proposal voted on), Value a vote's value or the linked account.
	ItemType, ItemID string
	Value            string
	Channel          string
	ReceivedAt       time.Time
	Reference        string
}

// ChannelStats counts a consultation's contributions by channel.
type ChannelStats struct {
	Proposals map[string]int
	Comments  map[string]int
	Votes     map[string]int
}

// AssistedVote is one vote record of a voter, as a link merges it.
type AssistedVote struct {
	ProposalID, ConsultationID, Value string
}

// AssistedStore keeps participant records, the audit of staff entries, the
// provenance of votes and which answers were sent by post. Besides the codes
// named per method, every method returns EUNAVAILABLE when the store cannot
// be reached in time and EINTERNAL for anything unexpected.
type AssistedStore interface {
	// CreateRecord inserts r and sets its ID.
	CreateRecord(ctx context.Context, r *ParticipantRecord) error
	// FindRecord returns ENOTFOUND when there is no such record.
	FindRecord(ctx context.Context, id string) (*ParticipantRecord, error)
	// SearchRecords returns up to limit records whose name, locality,
	// address, phone or e-mail contain q (case-insensitive), newest first;
	// an empty q lists the newest.
	SearchRecords(ctx context.Context, q string, limit int) ([]*ParticipantRecord, error)
	// LinkRecord links the record to userID at at, unless it is linked to
	// another account (ECONFLICT "assisted.linked_elsewhere"); linking
	// again to the same account changes nothing. Returns the record.
	LinkRecord(ctx context.Context, id, userID string, at time.Time) (*ParticipantRecord, error)
	// SetRecordMerged marks the record's votes moved to its account.
	SetRecordMerged(ctx context.Context, id string) error
	// UnmergedRecords returns the linked records whose votes may not all
	// have moved yet (a merge cut short).
	UnmergedRecords(ctx context.Context) ([]*ParticipantRecord, error)
	// RecordsLinkedTo returns the records linked to userID.
	RecordsLinkedTo(ctx context.Context, userID string) ([]*ParticipantRecord, error)
	// UnlinkRecord removes the record's link if it is linked to userID and
	// tells whether it did; the record stays.
	UnlinkRecord(ctx context.Context, id, userID string) (bool, error)
	// LinkedRecords streams the records linked to an account, for a
	// recount that counts a record and its account as one person.
	LinkedRecords(ctx context.Context, yield func(*ParticipantRecord) error) error
	// VotesOf returns every vote stored under voter.
	VotesOf(ctx context.Context, voter string) ([]AssistedVote, error)
	// SetVoteProvenance stores the channel and date of the vote of voter on
	// the proposal; a missing vote is no error.
	SetVoteProvenance(ctx context.Context, proposalID, voter, channel string, receivedAt time.Time) error
	// VoteChannel returns the channel and date of the vote of voter on the
	// proposal (online and zero when it has none); ENOTFOUND without vote.
	VoteChannel(ctx context.Context, proposalID, voter string) (string, time.Time, error)
	// AppendAudit inserts e and sets its ID.
	AppendAudit(ctx context.Context, e *AuditEntry) error
	// ListAudit returns the newest entries of a record (all records when
	// recordID is empty), at most limit.
	ListAudit(ctx context.Context, recordID string, limit int) ([]*AuditEntry, error)
	// AnsweredRecordProposals returns the proposals entered for participant records
	// that have an official answer.
	AnsweredRecordProposals(ctx context.Context) ([]*Proposal, error)
	// LettersSent returns, of the given letter keys, those marked sent,
	// with when.
	LettersSent(ctx context.Context, keys []string) (map[string]time.Time, error)
	// MarkLetterSent records that the letter with key was sent at at;
	// marking it again keeps the first time.
	MarkLetterSent(ctx context.Context, key string, at time.Time) error
	// CorrectProposal stores p's Title, Body, BodyHTML, Lang and Prov if the
	// stored body is still oldBody; ECONFLICT ("assisted.changed") when it
	// changed meanwhile.
	CorrectProposal(ctx context.Context, p *Proposal, oldBody string) error
	// CorrectComment stores c's Body, BodyHTML, Lang and Prov if the stored
	// body is still oldBody; ECONFLICT as CorrectProposal.
	CorrectComment(ctx context.Context, c *Comment, oldBody string) error
	// ChannelStats counts the consultation's proposals, comments (not
	// deleted) and votes by channel.
	ChannelStats(ctx context.Context, consultationID string) (*ChannelStats, error)
}
