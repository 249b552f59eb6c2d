package http

import (
	"strconv"
	"strings"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// The requests of the council's workspace: the recommendation forms and
// their JSON bodies decode into the same types, as in
// requests_participation.go. Lengths are checked loosely here (the shape of
// a request); the domain's limits come back as its field errors.

// recRequest is a recommendation's text: the new and edit forms, POST and
// PATCH in the API. A field a PATCH leaves out is nil and stays as it is.
// BaseRevision is the revision the member started from (edits only; 0 is
// none, since revisions count from 1).
type recRequest struct {
	Title        *string   `form:"title" json:"title" validate:"omitempty,max=1000"`
	Summary      *string   `form:"summary" json:"summary" validate:"omitempty,max=5000"`
	Body         *string   `form:"body" json:"body" validate:"omitempty,max=100000"`
	Topics       *[]string `form:"topics" json:"topics" validate:"omitempty,max=20,dive,max=500"`
	Lang         *string   `form:"lang" json:"lang" validate:"omitempty,content_lang"`
	Note         string    `form:"note" json:"note" validate:"max=2000"`
	BaseRevision int       `form:"base_revision" json:"base_revision" validate:"min=0"`
}

// apply writes the given fields into r.
func (q *recRequest) apply(r *mitreden.Recommendation) {
	setString(&r.Title, q.Title)
	setString(&r.Summary, q.Summary)
	setString(&r.Body, q.Body)
	setLang(&r.Lang, q.Lang, q.Title, q.Summary, q.Body)
	if q.Topics != nil {
		r.Topics = topicsOf(*q.Topics)
	}
}

// values are the inputs as sent, for the form shown again.
func (q *recRequest) values() map[string]string {
	v := map[string]string{"note": q.Note}
	for k, s := range map[string]*string{"title": q.Title, "summary": q.Summary, "body": q.Body, "lang": q.Lang} {
		if s != nil {
			v[k] = *s
		}
	}
	if q.Topics != nil {
		v["topics"] = strings.Join(*q.Topics, ", ")
	}
	if q.BaseRevision > 0 {
		v["base_revision"] = strconv.Itoa(q.BaseRevision)
	}
	return v
}

// recFormValues are the inputs of the edit form for r's current text.
func recFormValues(r *mitreden.Recommendation) map[string]string {
	return map[string]string{"title": r.Title, "summary": r.Summary, "body": r.Body, "topics": joinTopics(r.Topics),
		"lang": r.Lang, "base_revision": strconv.Itoa(r.Revision)}
}

// councilVoteRequest is a member's vote.
type councilVoteRequest struct {
	Value string `form:"value" json:"value" validate:"required,council_vote"`
}

// evidenceRequest links a contribution; Q is the search the picker showed
// (forms only), so a refused link comes back with its results. Type and id
// are checked by the domain, after the recommendation is found: a link to
// a recommendation that does not exist is 404 whatever it names.
type evidenceRequest struct {
	Type string `form:"type" json:"type" validate:"max=20"`
	ID   string `form:"id" json:"id" validate:"max=64"`
	Note string `form:"note" json:"note" validate:"max=2000"`
	Q    string `form:"q" json:"-" validate:"max=1000"`
}

// evidenceRemoveRequest unlinks a contribution (the form).
type evidenceRemoveRequest struct {
	Type string `form:"type" validate:"required,evidence_type"`
	ID   string `form:"id" validate:"required,max=64"`
}

// publishRequest publishes, with the changelog note a correction needs.
type publishRequest struct {
	Note string `form:"note" json:"note" validate:"max=2000"`
}

// restoreRequest restores an older revision as a new one.
type restoreRequest struct {
	Revision int `form:"revision" json:"revision" validate:"required,min=1"`
}

// councilCommentRequest is a comment of the internal discussion or a reply.
type councilCommentRequest struct {
	Body     string `form:"body" json:"body" validate:"max=6000"`
	ParentID string `form:"parent_id" json:"parent_id" validate:"max=64"`
}

// recListQuery filters the workspace's list.
type recListQuery struct {
	Status string `query:"status" validate:"omitempty,rec_status"`
	Page   int    `query:"page" validate:"min=0,max=100000"`
}

// diffQuery names the two revisions to compare (0: the default).
type diffQuery struct {
	From int `query:"from" validate:"min=0"`
	To   int `query:"to" validate:"min=0"`
}

// publishedQuery filters the public list; dates are days in Europe/Berlin,
// both inclusive.
type publishedQuery struct {
	Topic   string `query:"topic" validate:"max=80"`
	From    string `query:"from" validate:"max=10"`
	To      string `query:"to" validate:"max=10"`
	Page    int    `query:"page" validate:"min=0,max=100000"`
	PerPage int    `query:"per_page" validate:"min=0,max=100"`
}

// filter turns the query into the service's filter; a day that is no date
// is a field error.
func (q *publishedQuery) filter() (mitreden.RecommendationFilter, error) {
	f := mitreden.RecommendationFilter{Topic: strings.TrimSpace(q.Topic), Page: q.Page, PerPage: q.PerPage}
	days := modLogQuery{From: q.From, To: q.To}
	span, err := days.filter()
	f.From, f.To = span.From, span.To
	return f, err
}
