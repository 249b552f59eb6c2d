package mitreden

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Phase is where a consultation stands; it follows the clock, except that
// admins move a closed consultation to evaluated by publishing results.
type Phase string

// The phases of a consultation.
const (
	PhaseUpcoming  Phase = "upcoming"
	PhaseOpen      Phase = "open"
	PhaseClosed    Phase = "closed"
	PhaseEvaluated Phase = "evaluated"
)

// Phases lists the phases in order.
var Phases = []Phase{PhaseUpcoming, PhaseOpen, PhaseClosed, PhaseEvaluated}

// Voting modes of a consultation.
const (
	VotingSupport = "support" // one support per proposal
	VotingRating  = "rating"  // yes, no or abstain
)

// Proposal statuses. Answered statuses need an admin; withdrawn is the author's.
const (
	StatusSubmitted   = "submitted"
	StatusInReview    = "in_review"
	StatusAccepted    = "accepted"
	StatusRejected    = "rejected"
	StatusImplemented = "implemented"
	StatusWithdrawn   = "withdrawn"
)

// ProposalStatuses lists every status in display order.
var ProposalStatuses = []string{StatusSubmitted, StatusInReview, StatusAccepted, StatusRejected, StatusImplemented, StatusWithdrawn}

// AnswerStatuses are the statuses an official answer may set.
var AnswerStatuses = []string{StatusInReview, StatusAccepted, StatusRejected, StatusImplemented}

// Comment alignments.
var Alignments = []string{"for", "against", "neutral"}

// Limits of contributions.
const (
	ProposalTitleMin = 5
	ProposalTitleMax = 150
	ProposalBodyMin  = 20
	ProposalBodyMax  = 10000
	MaxTopics        = 5
	CommentBodyMax   = 5000
	CommentMaxDepth  = 2 // replies nest up to 3 levels: 0, 1, 2
	CommentEditFor   = 15 * time.Minute
)

// Consultation is a participation procedure (Beteiligungsverfahren).
type Consultation struct {
	ID               string
	Title            string
	Summary          string
	Body             string // Markdown
	Topics           []string
	Region           string
	OpensAt          time.Time
	ClosesAt         time.Time
	VotingMode       string
	MaxSupports      int
	SupportThreshold int
	ProposalsEnabled bool
	CommentsEnabled  bool
	PreModeration    bool
	Results          string // Markdown, set when evaluated
	// Lang is the language of title, summary, body and results (one of
	// ContentLangs), chosen or detected when written; "" on input means
	// detect it.
	Lang string
	// BodyHTML and ResultsHTML are Body and Results rendered and sanitized
	// when they were written, so that no read renders (see HTMLVersion).
	BodyHTML    string
	ResultsHTML string
	// HTMLVersion is the renderer version (markdown.Version) that made the
	// HTML fields; 0 when they were never rendered (data of older
	// releases), until the start-up backfill renders them.
	HTMLVersion   int
	EvaluatedAt   time.Time
	ProposalCount int
	CommentCount  int
	// CitedIn are the published recommendations that cite it.
	CitedIn   []Citation
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Phase returns the consultation's phase at now.
func (c *Consultation) Phase(now time.Time) Phase {
	switch {
	case !c.EvaluatedAt.IsZero():
		return PhaseEvaluated
	case now.Before(c.OpensAt):
		return PhaseUpcoming
	case now.Before(c.ClosesAt):
		return PhaseOpen
	}
	return PhaseClosed
}

// NotOpenError explains why writing is refused outside the open phase.
func (c *Consultation) NotOpenError(now time.Time) error {
	switch c.Phase(now) {
	case PhaseUpcoming:
		return &Error{Code: ECONFLICT, Message: "participation.not_open_yet", Args: map[string]any{"date": c.OpensAt}}
	case PhaseOpen:
		return nil
	}
	return &Error{Code: ECONFLICT, Message: "participation.closed", Args: map[string]any{"date": c.ClosesAt}}
}

func lengthErr(field string, n, min, max int, key string) *FieldError {
	if n < min || n > max {
		code := "max"
		if n < min {
			code = "min"
			if n == 0 {
				code = "required"
			}
		}
		return &FieldError{Field: field, Code: code, Message: key, Args: map[string]any{"min": min, "max": max}}
	}
	return nil
}

// NormalizeTopics trims, drops empties and duplicates.
func NormalizeTopics(in []string) []string {
	var out []string
	for _, t := range in {
		t = strings.TrimSpace(t)
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func checkTopics(topics []string) *FieldError {
	if len(topics) > MaxTopics {
		return &FieldError{Field: "topics", Code: "max", Message: "validation.topics_count", Args: map[string]any{"max": MaxTopics}}
	}
	for _, t := range topics {
		if utf8.RuneCountInString(t) > 40 {
			return &FieldError{Field: "topics", Code: "max", Message: "validation.topic_length", Args: map[string]any{"max": 40}}
		}
	}
	return nil
}

// Validate checks a consultation's fields.
func (c *Consultation) Validate() error {
	c.Title, c.Summary, c.Region = strings.TrimSpace(c.Title), strings.TrimSpace(c.Summary), strings.TrimSpace(c.Region)
	c.Topics = NormalizeTopics(c.Topics)
	var fs []FieldError
	add := func(fe *FieldError) {
		if fe != nil {
			fs = append(fs, *fe)
		}
	}
	add(lengthErr("title", utf8.RuneCountInString(c.Title), 5, 150, "validation.title_length"))
	add(lengthErr("summary", utf8.RuneCountInString(c.Summary), 10, 500, "validation.summary_length"))
	add(lengthErr("body", utf8.RuneCountInString(c.Body), 20, 50000, "validation.body_length"))
	add(CheckText("title", c.Title))
	add(CheckText("summary", c.Summary))
	add(CheckText("body", c.Body))
	add(CheckText("region", c.Region))
	add(CheckLang("lang", c.Lang))
	add(checkTopics(c.Topics))
	if utf8.RuneCountInString(c.Region) > 120 {
		fs = append(fs, FieldError{Field: "region", Code: "max", Message: "validation.max", Args: map[string]any{"param": 120}})
	}
	if c.OpensAt.IsZero() {
		fs = append(fs, FieldError{Field: "opens_at", Code: "required", Message: "validation.required"})
	}
	if c.ClosesAt.IsZero() {
		fs = append(fs, FieldError{Field: "closes_at", Code: "required", Message: "validation.required"})
	} else if !c.OpensAt.IsZero() && !c.ClosesAt.After(c.OpensAt) {
		fs = append(fs, FieldError{Field: "closes_at", Code: "after", Message: "validation.closes_after_opens"})
	}
	if c.VotingMode != VotingSupport && c.VotingMode != VotingRating {
		fs = append(fs, FieldError{Field: "voting_mode", Code: "oneof", Message: "validation.oneof"})
	}
	if c.MaxSupports < 0 || c.MaxSupports > 1000 {
		fs = append(fs, FieldError{Field: "max_supports", Code: "range", Message: "validation.range", Args: map[string]any{"min": 0, "max": 1000}})
	}
	if c.SupportThreshold < 0 || c.SupportThreshold > 1000000 {
		fs = append(fs, FieldError{Field: "support_threshold", Code: "range", Message: "validation.range", Args: map[string]any{"min": 0, "max": 1000000}})
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

// Tally counts the votes of a proposal.
type Tally struct {
	Support, Yes, No, Abstain int
}

// Total is the number of votes of any value.
func (t Tally) Total() int { return t.Support + t.Yes + t.No + t.Abstain }

// Proposal is a citizen's proposal in a consultation.
type Proposal struct {
	ID             string
	ConsultationID string
	AuthorID       string
	AuthorName     string
	Title          string
	Body           string // Markdown
	Topics         []string
	Status         string
	Tally          Tally
	CommentCount   int
	For            int
	Against        int
	Neutral        int
	Answer         string // Markdown
	// Lang is the language of title and body, AnswerLang that of the
	// official answer (written by someone else), each one of ContentLangs,
	// chosen or detected when written; "" on input means detect it.
	Lang, AnswerLang string
	// BodyHTML and AnswerHTML are Body and Answer rendered and sanitized
	// when they were written; HTMLVersion as in Consultation.
	BodyHTML   string
	AnswerHTML string
	// CitedIn are the published recommendations that cite it.
	CitedIn      []Citation
	HTMLVersion  int
	AnsweredByID string
	AnsweredBy   string
	AnsweredAt   time.Time
	// ResponseSeconds is the time from submission to the first official answer.
	ResponseSeconds int64
	Rand            int64 // position in the random order
	// Hidden is set by moderation: the public sees a placeholder with the
	// reason in Mod.
	Hidden bool
	Mod    ItemModeration
	// Held, set on the answer of a write (never stored), tells that the
	// proposal waits for review before publication, and why (HeldWords,
	// HeldPreModeration).
	Held string
	// Prov is set on a proposal staff entered on behalf of a person (nil:
	// written online).
	Prov      *Provenance
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate checks the citizen-editable fields.
func (p *Proposal) Validate() error {
	p.Title = strings.TrimSpace(p.Title)
	p.Body = strings.TrimSpace(p.Body)
	p.Topics = NormalizeTopics(p.Topics)
	var fs []FieldError
	for _, fe := range []*FieldError{
		lengthErr("title", utf8.RuneCountInString(p.Title), ProposalTitleMin, ProposalTitleMax, "validation.title_length"),
		lengthErr("body", utf8.RuneCountInString(p.Body), ProposalBodyMin, ProposalBodyMax, "validation.body_length"),
		CheckText("title", p.Title),
		CheckText("body", p.Body),
		checkTopics(p.Topics),
		CheckLang("lang", p.Lang),
	} {
		if fe != nil {
			fs = append(fs, *fe)
		}
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

// Qualified reports whether the proposal reached the consultation's threshold.
func (p *Proposal) Qualified(c *Consultation) bool {
	return c.SupportThreshold > 0 && p.ThresholdVotes() >= c.SupportThreshold
}

// ThresholdVotes are the votes that count towards the support threshold:
// supports, or yes in the rating mode.
func (p *Proposal) ThresholdVotes() int { return p.Tally.Support + p.Tally.Yes }

// Comment is a contribution to the discussion of a proposal or consultation.
type Comment struct {
	ID             string
	TargetType     string // "proposal" or "consultation"
	TargetID       string
	ConsultationID string
	ParentID       string
	Depth          int
	AuthorID       string
	AuthorName     string
	Body           string // Markdown; empty once deleted
	// BodyHTML is Body rendered and sanitized when it was written;
	// HTMLVersion as in Consultation.
	BodyHTML    string
	HTMLVersion int
	Alignment   string // for, against, neutral or ""
	// Lang is the language of Body (one of ContentLangs), chosen or
	// detected when written.
	Lang    string
	Edited  bool
	Deleted bool
	// Hidden is set by moderation; the public sees a placeholder with the
	// reason in Mod.
	Hidden bool
	Mod    ItemModeration
	// Held as in Proposal.
	Held string
	// CitedIn are the published recommendations that cite it.
	CitedIn []Citation
	// Prov as in Proposal.
	Prov      *Provenance
	Up, Down  int
	CreatedAt time.Time
	EditedAt  time.Time
}

// Score orders comments by "best".
func (c *Comment) Score() int { return c.Up - c.Down }

// ValidateBody checks a comment's text.
func ValidateCommentBody(body string) error {
	if fe := lengthErr("body", utf8.RuneCountInString(strings.TrimSpace(body)), 1, CommentBodyMax, "validation.comment_length"); fe != nil {
		return Invalid(*fe)
	}
	if fe := CheckText("body", body); fe != nil {
		return Invalid(*fe)
	}
	return nil
}

// ConsultationFilter selects consultations for a list.
type ConsultationFilter struct {
	Phase         Phase
	Topic, Region string
	Now           time.Time
	Page, PerPage int
}

// ProposalFilter selects and orders proposals of one consultation.
type ProposalFilter struct {
	ConsultationID string
	Status, Topic  string
	Sort           string // random, supported, newest, commented
	Seed           int64  // start of the random order, per visitor
	Page, PerPage  int
	// Total, when TotalKnown, is the consultation's proposal counter; an
	// unfiltered list then needs no count.
	Total      int
	TotalKnown bool
}

// Proposal sort orders.
var ProposalSorts = []string{"random", "supported", "newest", "commented"}

// VoteResult says what a vote call changed.
type VoteResult struct {
	Changed bool
	Value   string
	Tally   Tally
	// VotingMode is the consultation's, which tells how to show the tally.
	VotingMode string
}
