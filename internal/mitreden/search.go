package mitreden

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Search document types: the kinds of contribution the full-text search covers.
const (
	SearchTypeConsultation   = "consultation"
	SearchTypeProposal       = "proposal"
	SearchTypeComment        = "comment"
	SearchTypeAnswer         = "answer"
	SearchTypeRecommendation = "recommendation"
)

// SearchTypes lists every search document type in display order.
var SearchTypes = []string{
	SearchTypeConsultation, SearchTypeProposal, SearchTypeComment,
	SearchTypeAnswer, SearchTypeRecommendation,
}

// Visibility values of an indexed contribution. A searcher sees a document
// only when its SearchAudience admits the document's visibility.
const (
	VisibilityPublic  = "public"
	VisibilityPending = "pending"
	VisibilityHidden  = "hidden"
	VisibilityCouncil = "council"
)

// Sort orders of a search.
const (
	SearchSortRelevance = "relevance"
	SearchSortNewest    = "newest"
)

// Limits of a search query. Deep pages are refused because every engine pays
// for page*perPage hits; nobody reads past the 50th page of results.
const (
	SearchMaxQueryLength  = 200
	SearchDefaultPerPage  = 20
	SearchMaxPerPage      = 100
	SearchMaxResultWindow = 5000
)

// SearchDoc is one indexed contribution. Engines store it whole and return it
// in hits, so a result page needs no store round-trip.
type SearchDoc struct {
	// ID is the unique document key: Type + ":" + ItemID (see SearchDocID).
	ID string
	// Type is one of the SearchType constants.
	Type   string
	ItemID string
	// Title is the item's own title, searched; empty for a comment, which
	// has none.
	Title string
	// Body is plain text: the caller strips Markdown before indexing.
	Body string
	// Keywords are words an item is found by as by its title without
	// holding them in its text: the topics a consultation or proposal
	// shows. Searched and ranked with the title, never shown.
	Keywords []string
	// ContextTitle is the title of what the item belongs to (a comment's
	// proposal, or its consultation), shown with the hit. It is stored but
	// never searched, so a proposal's name finds the proposal and not each
	// of its comments.
	ContextTitle string
	// Lang is the language of Body (and of Title, unless TitleLang says
	// otherwise): it picks the analyzer, "en" for English, anything else
	// German, and results mark the text with it.
	Lang string
	// TitleLang is the language of Title or ContextTitle when it is not
	// Lang's: an answer's title is its proposal's, a comment's context its
	// proposal's or consultation's. Stored, not searched.
	TitleLang string
	// ConsultationLang is the language of ConsultationTitle. Stored, not
	// searched.
	ConsultationLang  string
	ConsultationID    string
	ConsultationTitle string
	// ProposalID is the parent proposal of a comment or answer.
	ProposalID string
	// Status is the proposal status or the consultation phase.
	Status string
	Topics []string
	Region string
	// Visibility is one of the Visibility constants.
	Visibility string
	// URL links to the item in context, e.g. /proposals/abc#comment-xyz.
	URL       string
	CreatedAt time.Time
	Supports  int
	Comments  int
}

// SearchDocID returns the document key of the item of type typ with id itemID.
func SearchDocID(typ, itemID string) string { return typ + ":" + itemID }

// SearchAudience decides what a searcher may see: everyone sees "public";
// a moderator also "pending" and "hidden"; a council member also "council".
type SearchAudience struct {
	Moderator bool
	Council   bool
}

// Visibilities returns the visibility values the audience may see.
func (a SearchAudience) Visibilities() []string {
	v := []string{VisibilityPublic}
	if a.Moderator {
		v = append(v, VisibilityPending, VisibilityHidden)
	}
	if a.Council {
		v = append(v, VisibilityCouncil)
	}
	return v
}

// CanSee reports whether the audience may see a document of visibility v.
func (a SearchAudience) CanSee(v string) bool { return slices.Contains(a.Visibilities(), v) }

// SearchQuery is one search request. Filters of different kinds combine with
// AND; several values of one filter combine with OR.
//
// A search finds what holds all words of Text. When nothing does, it drops
// words from the end one at a time until something matches, as Meilisearch's
// default matching strategy ("last") does; unlike that strategy it does not
// add documents with fewer words below those holding all, so Total and the
// facets count exactly the documents that hold every word kept. The last
// word as typed also matches as a prefix ("Glasf" finds "Glasfaser"), as
// people search while they type; exact and stemmed matches rank above
// prefix ones.
type SearchQuery struct {
	Text            string
	Types           []string
	ConsultationIDs []string
	Statuses        []string
	Topics          []string
	Region          string
	// From and To bound CreatedAt as From <= CreatedAt < To; zero is open.
	From, To time.Time
	// Sort is SearchSortRelevance (default with text) or SearchSortNewest
	// (default without text).
	Sort string
	// Page is 1-based; PerPage defaults to 20 and is capped at 100.
	Page, PerPage int
	Audience      SearchAudience
}

// HasFilter reports whether any filter narrows the query.
func (q *SearchQuery) HasFilter() bool {
	return len(q.Types) > 0 || len(q.ConsultationIDs) > 0 || len(q.Statuses) > 0 ||
		len(q.Topics) > 0 || q.Region != "" || !q.From.IsZero() || !q.To.IsZero()
}

// Validate normalises q in place and returns an EINVALID error when it cannot
// run: empty text without any filter ("search.query_empty"), text longer than
// SearchMaxQueryLength runes ("search.query_too_long"), an unknown sort or
// type, an inverted date range or a page beyond SearchMaxResultWindow. Empty
// text with a filter lists every match, newest first.
func (q *SearchQuery) Validate() error {
	q.Text = strings.TrimSpace(q.Text)
	q.Region = strings.TrimSpace(q.Region)
	q.Types = compact(q.Types)
	q.ConsultationIDs = compact(q.ConsultationIDs)
	q.Statuses = compact(q.Statuses)
	q.Topics = compact(q.Topics)

	var fields []FieldError
	if n := utf8.RuneCountInString(q.Text); n > SearchMaxQueryLength {
		fields = append(fields, FieldError{Field: "q", Code: "max", Message: "search.query_too_long",
			Args: map[string]any{"max": SearchMaxQueryLength}})
	} else if n == 0 && !q.HasFilter() {
		fields = append(fields, FieldError{Field: "q", Code: "required", Message: "search.query_empty"})
	}
	for _, t := range q.Types {
		if !slices.Contains(SearchTypes, t) {
			fields = append(fields, FieldError{Field: "type", Code: "oneof", Message: "search.type_invalid"})
			break
		}
	}
	switch q.Sort {
	case "":
		q.Sort = SearchSortRelevance
		if q.Text == "" {
			q.Sort = SearchSortNewest
		}
	case SearchSortRelevance:
		if q.Text == "" {
			q.Sort = SearchSortNewest
		}
	case SearchSortNewest:
	default:
		fields = append(fields, FieldError{Field: "sort", Code: "oneof", Message: "search.sort_invalid"})
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		fields = append(fields, FieldError{Field: "to", Code: "gtfield", Message: "search.date_range_invalid"})
	}
	if q.Page < 1 {
		q.Page = 1
	}
	if q.PerPage < 1 {
		q.PerPage = SearchDefaultPerPage
	} else if q.PerPage > SearchMaxPerPage {
		q.PerPage = SearchMaxPerPage
	}
	if q.Page > SearchMaxResultWindow/q.PerPage { // not Page*PerPage, which can overflow
		fields = append(fields, FieldError{Field: "page", Code: "max", Message: "search.page_too_deep",
			Args: map[string]any{"max": SearchMaxResultWindow / q.PerPage}})
	}
	if len(fields) > 0 {
		e := Invalid(fields...)
		e.Message = fields[0].Message
		return e
	}
	return nil
}

// compact trims values and drops empty ones and duplicates, keeping order.
func compact(values []string) []string {
	out := values[:0:0]
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// SearchHit is one result: the stored document plus its highlighted snippets.
type SearchHit struct {
	SearchDoc
	// Excerpt is HTML: about 200 characters of the body around the first
	// match; everything is escaped except <mark>…</mark> around matches.
	Excerpt string
	// TitleHTML is the escaped title with <mark>…</mark> around matches.
	TitleHTML string
	// Score is the engine's relevance; comparable only within one result.
	Score float64
}

// FacetCount is how many matching documents carry one facet value.
type FacetCount struct {
	Value string
	Count int
}

// Facet keys of SearchResult.Facets.
const (
	FacetType   = "type"
	FacetStatus = "status"
	FacetTopic  = "topic"
)

// SearchResult is one page of hits. Total counts every visible match; Facets
// count values over all matches (not just this page), keyed by FacetType,
// FacetStatus and FacetTopic, ordered by count then value.
type SearchResult struct {
	Items   []SearchHit
	Total   int
	Page    int
	PerPage int
	Facets  map[string][]FacetCount
	// Suggestion is the nearest spelling of the text when there are no
	// results and the suggestion itself has results; else "".
	Suggestion string
}

// Searcher is the full-text index of all contributions. It is implemented by
// internal/search/bleve (embedded) and internal/search/meili; both pass the
// conformance suite internal/search/searchtest. Every method returns
// *Error: EUNAVAILABLE when the engine is down or locked, EINVALID for a query
// that fails Validate, EINTERNAL otherwise.
type Searcher interface {
	// Index upserts docs by ID; they are visible to Search when it returns.
	Index(ctx context.Context, docs ...SearchDoc) error
	// Delete removes the documents with the given IDs; unknown IDs are ignored.
	Delete(ctx context.Context, ids ...string) error
	// Search validates q (see SearchQuery.Validate) and runs it.
	Search(ctx context.Context, q SearchQuery) (*SearchResult, error)
	// Count returns the number of indexed documents of any visibility.
	Count(ctx context.Context) (int, error)
	// Rebuild builds a fresh index from all docs that feed yields and swaps it
	// in only when complete; Search keeps answering from the old index
	// meanwhile. When feed or yield fails, the old index stays in place.
	Rebuild(ctx context.Context, feed func(yield func(SearchDoc) error) error) error
	// Ping returns EUNAVAILABLE when the engine cannot answer.
	Ping(ctx context.Context) error
	// Close releases the index; the Searcher is unusable afterwards.
	Close() error
}

// SearchIndexVersioner is implemented by a Searcher whose index layout (a
// mapping, settings, the shape of stored documents) is versioned. An index
// built by an older version keeps answering searches, possibly without
// behaviour the current version relies on, until a Rebuild of the current
// version is swapped in. The server asks at start and rebuilds in the
// background when told to, so engines carry no code paths for old indexes.
type SearchIndexVersioner interface {
	// NeedsRebuild reports whether the live index was built by an older
	// version of the engine's layout. It returns EUNAVAILABLE when the
	// engine cannot tell.
	NeedsRebuild(ctx context.Context) (bool, error)
}
