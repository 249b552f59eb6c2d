package http

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// One request type per use case: the HTML form and the JSON body of the same
// action decode into the same struct and pass the same validator. A field a
// JSON PATCH leaves out is nil and stays as it is.

// localTime is a date and time field: RFC 3339 in JSON, a datetime-local
// value (Europe/Berlin) in a form. Form text that is no date is kept, so the
// form shows it again, and reported as a field error.
type localTime struct {
	t   time.Time
	raw string
}

// UnmarshalText reads a form value.
func (l *localTime) UnmarshalText(b []byte) error {
	l.raw = strings.TrimSpace(string(b))
	l.t = parseLocal(l.raw)
	return nil
}

// UnmarshalJSON reads an RFC 3339 string.
func (l *localTime) UnmarshalJSON(b []byte) error {
	var t time.Time
	if err := json.Unmarshal(b, &t); err != nil {
		return err
	}
	l.t, l.raw = t.UTC(), formatLocal(t)
	return nil
}

// number is an integer field: a JSON number, or form text kept as typed.
type number struct {
	n   int
	raw string
	bad bool
}

// UnmarshalText reads a form value.
func (n *number) UnmarshalText(b []byte) error {
	n.raw = strings.TrimSpace(string(b))
	v, err := strconv.Atoi(n.raw)
	n.n, n.bad = v, err != nil
	return nil
}

// UnmarshalJSON reads a JSON integer.
func (n *number) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &n.n); err != nil {
		return err
	}
	n.raw = strconv.Itoa(n.n)
	return nil
}

func setString(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

func setBool(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

// topicsOf normalizes topics: a form sends one comma-separated text, JSON a list.
func topicsOf(in []string) []string {
	var out []string
	for _, t := range in {
		out = append(out, splitTopics(t)...)
	}
	return out
}

// consultationRequest creates or changes a consultation (admins).
type consultationRequest struct {
	Title            *string    `form:"title" json:"title" validate:"omitempty,max=300"`
	Summary          *string    `form:"summary" json:"summary" validate:"omitempty,max=1000"`
	Body             *string    `form:"body" json:"body" validate:"omitempty,max=60000"`
	Topics           *[]string  `form:"topics" json:"topics" validate:"omitempty,max=20,dive,max=500"`
	Region           *string    `form:"region" json:"region" validate:"omitempty,max=200"`
	OpensAt          *localTime `form:"opens_at" json:"opens_at"`
	ClosesAt         *localTime `form:"closes_at" json:"closes_at"`
	VotingMode       *string    `form:"voting_mode" json:"voting_mode" validate:"omitempty,voting_mode"`
	MaxSupports      *number    `form:"max_supports" json:"max_supports"`
	SupportThreshold *number    `form:"support_threshold" json:"support_threshold"`
	ProposalsEnabled *bool      `form:"proposals_enabled" json:"proposals_enabled"`
	CommentsEnabled  *bool      `form:"comments_enabled" json:"comments_enabled"`
	PreModeration    *bool      `form:"pre_moderation" json:"pre_moderation"`
	// Lang is the language of the texts: "de", "en", or "" to detect it.
	Lang *string `form:"lang" json:"lang" validate:"omitempty,content_lang"`
}

// uncheckedAreFalse reads a form whose unchecked boxes are simply absent.
func (r *consultationRequest) uncheckedAreFalse() {
	for _, b := range []**bool{&r.ProposalsEnabled, &r.CommentsEnabled, &r.PreModeration} {
		if *b == nil {
			f := false
			*b = &f
		}
	}
}

// apply writes the given fields into c; numbers typed wrong are field errors.
func (r *consultationRequest) apply(c *mitreden.Consultation) error {
	setString(&c.Title, r.Title)
	setString(&c.Summary, r.Summary)
	setString(&c.Body, r.Body)
	setString(&c.Region, r.Region)
	setString(&c.VotingMode, r.VotingMode)
	setLang(&c.Lang, r.Lang, r.Title, r.Summary, r.Body)
	if r.Topics != nil {
		c.Topics = topicsOf(*r.Topics)
	}
	if r.OpensAt != nil {
		c.OpensAt = r.OpensAt.t
	}
	if r.ClosesAt != nil {
		c.ClosesAt = r.ClosesAt.t
	}
	var fs []mitreden.FieldError
	for _, n := range []struct {
		field string
		v     *number
		dst   *int
	}{{"max_supports", r.MaxSupports, &c.MaxSupports}, {"support_threshold", r.SupportThreshold, &c.SupportThreshold}} {
		switch {
		case n.v == nil:
		case n.v.bad:
			fs = append(fs, mitreden.FieldError{Field: n.field, Code: "number", Message: "validation.number"})
		default:
			*n.dst = n.v.n
		}
	}
	setBool(&c.ProposalsEnabled, r.ProposalsEnabled)
	setBool(&c.CommentsEnabled, r.CommentsEnabled)
	setBool(&c.PreModeration, r.PreModeration)
	if len(fs) > 0 {
		return mitreden.Invalid(fs...)
	}
	return nil
}

// consultationFormValues are the inputs of the consultation form for c.
func consultationFormValues(c *mitreden.Consultation) map[string]string {
	return map[string]string{"title": c.Title, "summary": c.Summary, "body": c.Body, "topics": joinTopics(c.Topics),
		"region": c.Region, "opens_at": formatLocal(c.OpensAt), "closes_at": formatLocal(c.ClosesAt),
		"voting_mode": c.VotingMode, "max_supports": fmt.Sprint(c.MaxSupports), "support_threshold": fmt.Sprint(c.SupportThreshold),
		"proposals_enabled": checked(c.ProposalsEnabled), "comments_enabled": checked(c.CommentsEnabled),
		"pre_moderation": checked(c.PreModeration), "lang": c.Lang}
}

// values are the inputs as submitted, for the form shown again.
func (r *consultationRequest) values() map[string]string {
	v := map[string]string{}
	str := func(k string, s *string) {
		if s != nil {
			v[k] = *s
		}
	}
	str("title", r.Title)
	str("summary", r.Summary)
	str("body", r.Body)
	str("region", r.Region)
	str("voting_mode", r.VotingMode)
	str("lang", r.Lang)
	if r.Topics != nil {
		v["topics"] = strings.Join(*r.Topics, ", ")
	}
	for k, t := range map[string]*localTime{"opens_at": r.OpensAt, "closes_at": r.ClosesAt} {
		if t != nil {
			v[k] = t.raw
		}
	}
	for k, n := range map[string]*number{"max_supports": r.MaxSupports, "support_threshold": r.SupportThreshold} {
		if n != nil {
			v[k] = n.raw
		}
	}
	for k, b := range map[string]*bool{"proposals_enabled": r.ProposalsEnabled, "comments_enabled": r.CommentsEnabled, "pre_moderation": r.PreModeration} {
		if b != nil {
			v[k] = checked(*b)
		}
	}
	return v
}

func checked(b bool) string {
	if b {
		return "true"
	}
	return ""
}

// resultsRequest publishes a consultation's results.
type resultsRequest struct {
	Results string `form:"results" json:"results" validate:"max=60000"`
}

// setLang sets the language of a contribution: as given, or, when a change
// of its texts leaves it out, "" (detect it again).
func setLang(dst *string, lang *string, texts ...*string) {
	if lang != nil {
		*dst = *lang
		return
	}
	for _, t := range texts {
		if t != nil {
			*dst = ""
			return
		}
	}
}

// proposalRequest creates or edits a proposal.
type proposalRequest struct {
	Title  *string   `form:"title" json:"title" validate:"omitempty,max=300"`
	Body   *string   `form:"body" json:"body" validate:"omitempty,max=20000"`
	Topics *[]string `form:"topics" json:"topics" validate:"omitempty,max=20,dive,max=500"`
	// Lang is the language of title and body: "de", "en", or "" to detect it.
	Lang *string `form:"lang" json:"lang" validate:"omitempty,content_lang"`
}

func (r *proposalRequest) apply(p *mitreden.Proposal) {
	setString(&p.Title, r.Title)
	setString(&p.Body, r.Body)
	setLang(&p.Lang, r.Lang, r.Title, r.Body)
	if r.Topics != nil {
		p.Topics = topicsOf(*r.Topics)
	}
}

func (r *proposalRequest) values() map[string]string {
	v := map[string]string{}
	if r.Title != nil {
		v["title"] = *r.Title
	}
	if r.Body != nil {
		v["body"] = *r.Body
	}
	if r.Topics != nil {
		v["topics"] = strings.Join(*r.Topics, ", ")
	}
	if r.Lang != nil {
		v["lang"] = *r.Lang
	}
	return v
}

// answerRequest is an official answer (admins).
type answerRequest struct {
	Status string `form:"status" json:"status" validate:"required,answer_status"`
	// Answer is named answer_text in the form, whose page has an "answer" section.
	Answer     string `json:"answer" validate:"max=20000"`
	AnswerForm string `form:"answer_text" json:"-" validate:"max=20000"`
}

func (r *answerRequest) text() string {
	if r.AnswerForm != "" {
		return r.AnswerForm
	}
	return r.Answer
}

// voteRequest is a vote on a proposal.
type voteRequest struct {
	Value string `form:"value" json:"value" validate:"required,vote_value"`
}

// commentRequest is a new comment or reply.
type commentRequest struct {
	Body      string `form:"body" json:"body" validate:"max=6000"`
	ParentID  string `form:"parent_id" json:"parent_id" validate:"max=64"`
	Alignment string `form:"alignment" json:"alignment" validate:"omitempty,alignment"`
	// Lang is the language of the text: "de", "en", or "" to detect it.
	Lang string `form:"lang" json:"lang" validate:"omitempty,content_lang"`
}

// commentEditRequest changes a comment's text.
type commentEditRequest struct {
	Body string `form:"body" json:"body" validate:"required,max=6000"`
}

// commentVoteRequest is an up (1) or down (-1) vote; the form sends 0 to take it back.
type commentVoteRequest struct {
	Value int `form:"value" json:"value" validate:"comment_vote"`
}

func joinTopics(t []string) string { return strings.Join(t, ", ") }
