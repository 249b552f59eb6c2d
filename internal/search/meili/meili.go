// Package meili implements mitreden.Searcher with a Meilisearch server, for
// installations that outgrow the embedded Bleve index.
//
// Differences to Bleve, excused in the conformance suite: Meilisearch has no
// stemmer (inflected forms match only through typo tolerance and prefixes)
// and offers no spelling suggestion, so SearchResult.Suggestion stays "".
package meili

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/de"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/meilisearch/meilisearch-go"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/search/highlight"
	"github.com/mitreden/mitreden/internal/search/rebuild"
)

// TaskTimeout bounds how long a write waits for Meilisearch to apply it.
const TaskTimeout = 30 * time.Second

// taskPoll is the interval at which a pending task is polled.
const taskPoll = 20 * time.Millisecond

// batchSize is the number of documents sent per request.
const batchSize = 1000

// excerptSize is the length of an excerpt in runes.
const excerptSize = 200

// Attribute names in the Meilisearch documents.
const (
	attrKey          = "key" // primary key: base64url of the document ID
	attrID           = "id"
	attrType         = "type"
	attrTitle        = "title"
	attrBody         = "body"
	attrKeywords     = "keywords"
	attrConsultation = "consultation"
	attrStatus       = "status"
	attrTopics       = "topics"
	attrRegion       = "region"
	attrVisibility   = "visibility"
	attrCreated      = "created" // Unix milliseconds, for filters and sorting
)

// Index is a mitreden.Searcher over one Meilisearch index. It is safe for
// concurrent use.
type Index struct {
	client meilisearch.ServiceManager
	name   string

	// rebuildMu serialises rebuilds; journal keeps the writes that arrive
	// while a rebuild runs, replayed before the swap. Writes hold swapMu for
	// reading, the final replay-and-swap for writing, so no write falls
	// between the replay and the swap.
	rebuildMu sync.Mutex
	swapMu    sync.RWMutex
	journal   rebuild.Journal
}

var (
	_ mitreden.Searcher             = (*Index)(nil)
	_ mitreden.SearchIndexVersioner = (*Index)(nil)
)

// Open connects to the server at url, creates the index indexName when
// missing and applies its settings (idempotently). It returns EUNAVAILABLE
// when the server does not answer.
func Open(ctx context.Context, url, apiKey, indexName string) (*Index, error) {
	var opts []meilisearch.Option
	if apiKey != "" {
		opts = append(opts, meilisearch.WithAPIKey(apiKey))
	}
	x := &Index{client: meilisearch.New(url, opts...), name: indexName}
	if err := x.Ping(ctx); err != nil {
		x.client.Close()
		return nil, err
	}
	created, err := x.ensure(ctx, indexName)
	if err == nil && created {
		// An index created empty is of the current layout.
		err = x.setVersion(ctx)
	}
	if err != nil {
		x.client.Close()
		return nil, err
	}
	return x, nil
}

// ensure creates index uid when missing, reporting whether it did, and
// applies the settings.
func (x *Index) ensure(ctx context.Context, uid string) (created bool, err error) {
	if _, err := x.client.GetIndex(ctx, uid); err != nil {
		if !isAPIError(err, meilisearch.APIErrCodeIndexNotFound) {
			return false, wrap(err)
		}
		task, err := x.client.CreateIndex(ctx, &meilisearch.IndexConfig{Uid: uid, PrimaryKey: attrKey})
		if err := x.await(ctx, task, err); err != nil && !isAPIError(err, meilisearch.APIErrCodeIndexAlreadyExists) {
			return false, err
		}
		created = true
	}
	task, err := x.client.Index(uid).UpdateSettings(ctx, settings())
	return created, x.await(ctx, task, err)
}

// LayoutVersion is the version of the index settings and of the documents'
// shape. Bump it with any change to either: an index built with an older
// version is reported by NeedsRebuild, which the server answers with a
// Rebuild at start, so no code path has to serve old indexes.
//
//  1. Indexes without a recorded version.
//  2. context_title stored and not searched; comments without a title.
//  3. keywords searched after the title; attribute ranked before proximity.
//  4. documents in the language of their item; title_lang and
//     consultation_lang stored.
const LayoutVersion = 4

// versionDoc is the one document of the index "<name>_meta", which records
// the LayoutVersion the index "<name>" was built with: Meilisearch keeps no
// metadata of its own per index, and a document in the index itself would be
// counted and searched.
type versionDoc struct {
	Key     string `json:"key"`
	Version int    `json:"version"`
}

// versionKey is the primary key of the versionDoc.
const versionKey = "layout"

func (x *Index) metaIndex() string { return x.name + "_meta" }

// NeedsRebuild reports whether the index was built with an older
// LayoutVersion. It keeps answering searches until a Rebuild swaps in one of
// the current layout.
func (x *Index) NeedsRebuild(ctx context.Context) (bool, error) {
	var v versionDoc
	err := x.client.Index(x.metaIndex()).GetDocument(ctx, versionKey, nil, &v)
	switch {
	case isAPIError(err, meilisearch.APIErrCodeIndexNotFound), isAPIError(err, meilisearch.APIErrCodeDocumentNotFound):
		return true, nil
	case err != nil:
		return false, wrap(err)
	}
	return v.Version < LayoutVersion, nil
}

// setVersion records that the index is of the current LayoutVersion.
func (x *Index) setVersion(ctx context.Context) error {
	pk := attrKey
	task, err := x.client.Index(x.metaIndex()).AddDocuments(ctx, []versionDoc{{Key: versionKey, Version: LayoutVersion}},
		&meilisearch.DocumentOptions{PrimaryKey: &pk})
	return x.await(ctx, task, err)
}

// settings are the index settings: title, keywords and body are searched,
// in that order of weight (a comment's context title is shown, never
// searched), typo tolerance as in Bleve (one typo from five letters, two from
// nine), sort before the relevance rules so "newest" orders by date alone
// (without a sort parameter the rule does nothing), and German and English
// stop words. The attribute rule comes before proximity, as in Bleve's
// ranks: a proposal whose title holds the words ranks above comments that
// merely mention them, even close together; typo still comes first, so an
// exact match in a body beats a typo in a title. ("attribute" is the name
// every Meilisearch 1.x knows; newer ones read it as attributeRank followed
// by wordPosition.)
func settings() *meilisearch.Settings {
	return &meilisearch.Settings{
		SearchableAttributes: []string{attrTitle, attrKeywords, attrBody},
		FilterableAttributes: []string{attrType, attrConsultation, attrStatus, attrTopics, attrRegion, attrVisibility, attrCreated},
		SortableAttributes:   []string{attrCreated},
		RankingRules:         []string{"sort", "words", "typo", "attribute", "proximity", "exactness"},
		StopWords:            stopWords(),
		TypoTolerance: &meilisearch.TypoTolerance{
			Enabled:             true,
			MinWordSizeForTypos: meilisearch.MinWordSizeForTypos{OneTypo: 5, TwoTypos: 9},
			DisableOnWords:      []string{},
			DisableOnAttributes: []string{},
		},
		Pagination: &meilisearch.Pagination{MaxTotalHits: mitreden.SearchMaxResultWindow},
		Faceting:   &meilisearch.Faceting{MaxValuesPerFacet: 50},
	}
}

var stopWordMap = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, list := range [][]byte{de.GermanStopWords, en.EnglishStopWords} {
		tm := analysis.NewTokenMap()
		if err := tm.LoadBytes(list); err != nil {
			panic(err)
		}
		for w := range tm {
			m[w] = true
		}
	}
	return m
})

func stopWords() []string {
	out := make([]string, 0, len(stopWordMap()))
	for w := range stopWordMap() {
		out = append(out, w)
	}
	return out
}

// await waits, bounded by TaskTimeout, for the task a call enqueued and
// turns its failure into an error.
func (x *Index) await(ctx context.Context, task *meilisearch.TaskInfo, err error) error {
	if err != nil {
		return wrap(err)
	}
	ctx, cancel := context.WithTimeout(ctx, TaskTimeout)
	defer cancel()
	t, err := x.client.WaitForTask(ctx, task.TaskUID, taskPoll)
	if err != nil {
		return wrap(err)
	}
	if t.Status != meilisearch.TaskStatusSucceeded {
		return &mitreden.Error{Code: mitreden.EINTERNAL, Message: "search.index_failed",
			Err: &taskError{code: t.Error.Code, msg: t.Error.Message}}
	}
	return nil
}

// taskError is a failed task's error, kept so callers can test its code.
type taskError struct {
	code meilisearch.APIErrCode
	msg  string
}

func (e *taskError) Error() string {
	return fmt.Sprintf("meilisearch task failed: %s: %s", e.code, e.msg)
}

func isAPIError(err error, code meilisearch.APIErrCode) bool {
	var me *meilisearch.Error
	if errors.As(err, &me) {
		return me.APIError.Code == code
	}
	var te *taskError
	return errors.As(err, &te) && te.code == code
}

// wrap maps a client error to a domain error: the server unreachable or
// failing is EUNAVAILABLE, anything else is our bug, EINTERNAL.
func wrap(err error) error {
	var e *mitreden.Error
	if errors.As(err, &e) {
		return err
	}
	var me *meilisearch.Error
	if errors.As(err, &me) && me.StatusCode > 0 && me.StatusCode < http.StatusInternalServerError {
		return mitreden.Wrap(mitreden.EINTERNAL, err, "search.failed")
	}
	return mitreden.Wrap(mitreden.EUNAVAILABLE, err, "search.unavailable")
}

// Ping returns EUNAVAILABLE unless the server reports itself available.
func (x *Index) Ping(ctx context.Context) error {
	h, err := x.client.Health(ctx)
	if err != nil {
		return mitreden.Wrap(mitreden.EUNAVAILABLE, err, "search.unavailable")
	}
	if h.Status != "available" {
		return mitreden.Wrap(mitreden.EUNAVAILABLE, fmt.Errorf("meilisearch status %q", h.Status), "search.unavailable")
	}
	return nil
}

// Close releases the client's connections.
func (x *Index) Close() error {
	x.client.Close()
	return nil
}

// Count returns the number of documents in the index.
func (x *Index) Count(ctx context.Context) (int, error) {
	st, err := x.client.Index(x.name).GetStats(ctx, nil)
	if err != nil {
		return 0, wrap(err)
	}
	return int(st.NumberOfDocuments), nil
}

// document is the shape stored in Meilisearch.
type document struct {
	Key               string   `json:"key"`
	ID                string   `json:"id"`
	Type              string   `json:"type"`
	ItemID            string   `json:"item_id"`
	Title             string   `json:"title"`
	Body              string   `json:"body"`
	Keywords          []string `json:"keywords"`
	Lang              string   `json:"lang"`
	TitleLang         string   `json:"title_lang,omitempty"`
	ConsultationLang  string   `json:"consultation_lang,omitempty"`
	ConsultationID    string   `json:"consultation"`
	ConsultationTitle string   `json:"consultation_title"`
	ContextTitle      string   `json:"context_title"`
	ProposalID        string   `json:"proposal_id"`
	Status            string   `json:"status"`
	Topics            []string `json:"topics"`
	Region            string   `json:"region"`
	Visibility        string   `json:"visibility"`
	URL               string   `json:"url"`
	Created           int64    `json:"created"`
	CreatedAt         string   `json:"created_at"`
	Supports          int      `json:"supports"`
	Comments          int      `json:"comments"`
}

// key encodes a document ID for Meilisearch, whose primary keys allow only
// letters, digits, "-" and "_" (our IDs contain ":").
func key(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

func toMeili(d *mitreden.SearchDoc) document {
	return document{
		Key: key(d.ID), ID: d.ID, Type: d.Type, ItemID: d.ItemID, Title: d.Title, Body: d.Body, Keywords: d.Keywords,
		Lang: d.Lang, TitleLang: d.TitleLang, ConsultationLang: d.ConsultationLang, ConsultationID: d.ConsultationID, ConsultationTitle: d.ConsultationTitle,
		ContextTitle: d.ContextTitle, ProposalID: d.ProposalID, Status: d.Status, Topics: d.Topics, Region: d.Region,
		Visibility: d.Visibility, URL: d.URL, Created: d.CreatedAt.UnixMilli(),
		CreatedAt: d.CreatedAt.Format(time.RFC3339Nano), Supports: d.Supports, Comments: d.Comments,
	}
}

func fromMeili(m *document) mitreden.SearchDoc {
	at, _ := time.Parse(time.RFC3339Nano, m.CreatedAt)
	return mitreden.SearchDoc{
		ID: m.ID, Type: m.Type, ItemID: m.ItemID, Title: m.Title, Body: m.Body, Keywords: m.Keywords, Lang: m.Lang,
		TitleLang: m.TitleLang, ConsultationLang: m.ConsultationLang,
		ConsultationID: m.ConsultationID, ConsultationTitle: m.ConsultationTitle,
		ContextTitle: m.ContextTitle, ProposalID: m.ProposalID, Status: m.Status, Topics: m.Topics, Region: m.Region,
		Visibility: m.Visibility, URL: m.URL, CreatedAt: at, Supports: m.Supports, Comments: m.Comments,
	}
}

// Index upserts docs and waits until they are searchable.
func (x *Index) Index(ctx context.Context, docs ...mitreden.SearchDoc) error {
	x.swapMu.RLock()
	defer x.swapMu.RUnlock()
	x.journal.Index(docs)
	return x.write(ctx, x.name, docs)
}

func (x *Index) write(ctx context.Context, uid string, docs []mitreden.SearchDoc) error {
	for len(docs) > 0 {
		n := min(len(docs), batchSize)
		batch := make([]document, n)
		for i := range batch {
			if docs[i].ID == "" {
				return mitreden.Errorf(mitreden.EINVALID, "search.doc_id_missing")
			}
			batch[i] = toMeili(&docs[i])
		}
		pk := attrKey
		task, err := x.client.Index(uid).AddDocuments(ctx, batch, &meilisearch.DocumentOptions{PrimaryKey: &pk})
		if err := x.await(ctx, task, err); err != nil {
			return err
		}
		docs = docs[n:]
	}
	return nil
}

// Delete removes the documents with the given IDs.
func (x *Index) Delete(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	x.swapMu.RLock()
	defer x.swapMu.RUnlock()
	x.journal.Delete(ids)
	return x.delete(ctx, x.name, ids)
}

func (x *Index) delete(ctx context.Context, uid string, ids []string) error {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = key(id)
	}
	task, err := x.client.Index(uid).DeleteDocuments(ctx, keys, nil)
	return x.await(ctx, task, err)
}

// Rebuild fills "<name>_tmp" from feed, replays the writes that reached the
// live index meanwhile, swaps the two indexes and drops the old one. Search
// answers from the live index until the swap; writes wait during the final
// replay and swap.
func (x *Index) Rebuild(ctx context.Context, feed func(yield func(mitreden.SearchDoc) error) error) error {
	x.rebuildMu.Lock()
	defer x.rebuildMu.Unlock()
	tmp := x.name + "_tmp"
	drop := func() {
		task, err := x.client.DeleteIndex(context.WithoutCancel(ctx), tmp)
		_ = x.await(context.WithoutCancel(ctx), task, err)
	}
	drop()
	if _, err := x.ensure(ctx, tmp); err != nil {
		return err
	}
	x.journal.Start()
	err := rebuild.Feed(feed, batchSize, func(docs []mitreden.SearchDoc) error { return x.write(ctx, tmp, docs) })
	x.swapMu.Lock()
	defer x.swapMu.Unlock()
	upserts, deletes := x.journal.Stop()
	if err == nil {
		err = x.write(ctx, tmp, upserts)
		if err == nil && len(deletes) > 0 {
			err = x.delete(ctx, tmp, deletes)
		}
	}
	if err == nil {
		task, serr := x.client.SwapIndexes(ctx, []*meilisearch.SwapIndexesParams{{Indexes: []string{x.name, tmp}}})
		err = x.await(ctx, task, serr)
	}
	if err == nil {
		// The swap is done; should recording the version fail, the error
		// is returned to be logged, and the next start rebuilds again.
		err = x.setVersion(context.WithoutCancel(ctx))
	}
	drop()
	if err != nil {
		var e *mitreden.Error
		if !errors.As(err, &e) {
			err = mitreden.Wrap(mitreden.EINTERNAL, err, "search.rebuild_failed")
		}
		return err
	}
	return nil
}

// FilterExpr returns the Meilisearch filter for q's audience and filters.
// Every value is quoted and escaped, so no input can change the expression's
// structure (see quote).
func FilterExpr(q *mitreden.SearchQuery) string {
	clauses := []string{in(attrVisibility, q.Audience.Visibilities())}
	for _, f := range []struct {
		attr   string
		values []string
	}{
		{attrType, q.Types}, {attrConsultation, q.ConsultationIDs},
		{attrStatus, q.Statuses}, {attrTopics, q.Topics},
	} {
		if len(f.values) > 0 {
			clauses = append(clauses, in(f.attr, f.values))
		}
	}
	if q.Region != "" {
		clauses = append(clauses, in(attrRegion, []string{q.Region}))
	}
	if !q.From.IsZero() {
		clauses = append(clauses, fmt.Sprintf("%s >= %d", attrCreated, q.From.UnixMilli()))
	}
	if !q.To.IsZero() {
		clauses = append(clauses, fmt.Sprintf("%s < %d", attrCreated, q.To.UnixMilli()))
	}
	return strings.Join(clauses, " AND ")
}

func in(attr string, values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = quote(v)
	}
	return attr + " IN [" + strings.Join(quoted, ", ") + "]"
}

// quote returns v as a double-quoted filter string. Meilisearch's lexer lets a
// backslash escape the next character and ends the string at the first
// unescaped quote, so escaping every backslash and quote keeps the string
// closed exactly where we close it, whatever v holds. (Meilisearch unescapes
// only quotes, so a value with a backslash may fail to match; IDs, statuses
// and topics have none.) Control characters are dropped.
func quote(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range v {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// queryTexts returns the q parameters a search for text tries in turn: all
// its words with the last one as a prefix, then fewer and fewer words from
// the start, none a prefix (Meilisearch matches the last word of q as a
// prefix unless q ends with a space). Stop words are left out, as
// Meilisearch would otherwise require them; none remain for a text of stop
// words only.
func queryTexts(text string) []string {
	words := strings.FieldsFunc(text, func(r rune) bool { return !isWordRune(r) })
	kept := words[:0]
	for _, w := range words {
		if !stopWordMap()[strings.ToLower(w)] {
			kept = append(kept, w)
		}
	}
	var out []string
	for n := len(kept); n > 0; n-- {
		q := strings.Join(kept[:n], " ")
		if n < len(kept) {
			q += " "
		}
		out = append(out, q)
	}
	return out
}

// Search runs q.
func (x *Index) Search(ctx context.Context, q mitreden.SearchQuery) (*mitreden.SearchResult, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	out := &mitreden.SearchResult{Items: []mitreden.SearchHit{}, Page: q.Page, PerPage: q.PerPage,
		Facets: map[string][]mitreden.FacetCount{}}
	texts := []string{""}
	if q.Text != "" {
		if texts = queryTexts(q.Text); len(texts) == 0 {
			for _, k := range []string{mitreden.FacetType, mitreden.FacetStatus, mitreden.FacetTopic} {
				out.Facets[k] = []mitreden.FacetCount{}
			}
			return out, nil
		}
	}
	// All words first, then (when nothing holds them all) dropping words
	// from the end, as mitreden.SearchQuery describes. Meilisearch's own
	// "last" strategy would also list documents with fewer words below
	// those holding all, which Total and the facets would then count; so
	// the strategy is "all", and the words are dropped here, at the cost of
	// another request only when a search found nothing.
	var res *meilisearch.SearchResponse
	var err error
	var words []string
	for _, text := range texts {
		words = strings.Fields(text)
		if res, err = x.search(ctx, &q, text); err != nil || res.TotalHits > 0 {
			break
		}
	}
	if err != nil {
		return nil, wrap(err)
	}
	out.Total = int(res.TotalHits)
	for _, h := range res.Hits {
		hit, err := toHit(h, words)
		if err != nil {
			return nil, mitreden.Wrap(mitreden.EINTERNAL, err, "search.failed")
		}
		out.Items = append(out.Items, hit)
	}
	var dist map[string]map[string]int
	if len(res.FacetDistribution) > 0 {
		if err := json.Unmarshal(res.FacetDistribution, &dist); err != nil {
			return nil, mitreden.Wrap(mitreden.EINTERNAL, err, "search.failed")
		}
	}
	for k, attr := range map[string]string{mitreden.FacetType: attrType, mitreden.FacetStatus: attrStatus, mitreden.FacetTopic: attrTopics} {
		out.Facets[k] = facetCounts(dist[attr])
	}
	return out, nil
}

// search asks Meilisearch for q's page of documents that hold every word of
// text; an empty text lists everything q's filters admit.
func (x *Index) search(ctx context.Context, q *mitreden.SearchQuery, text string) (*meilisearch.SearchResponse, error) {
	perPage := int64(q.PerPage)
	req := &meilisearch.SearchRequest{
		Filter:              FilterExpr(q),
		Page:                int64(q.Page),
		HitsPerPage:         &perPage,
		MatchingStrategy:    meilisearch.All,
		Facets:              []string{attrType, attrStatus, attrTopics},
		ShowMatchesPosition: text != "",
		ShowRankingScore:    text != "",
	}
	if q.Sort == mitreden.SearchSortNewest {
		req.Sort = []string{attrCreated + ":desc"}
	}
	return x.client.Index(x.name).Search(ctx, text, req)
}

type matchPosition struct {
	Start  int `json:"start"`
	Length int `json:"length"`
}

// toHit decodes one hit of a search for words and highlights its matches.
func toHit(h meilisearch.Hit, words []string) (mitreden.SearchHit, error) {
	var m document
	if err := h.DecodeInto(&m); err != nil {
		return mitreden.SearchHit{}, err
	}
	var pos map[string][]matchPosition
	if raw, ok := h["_matchesPosition"]; ok {
		_ = json.Unmarshal(raw, &pos)
	}
	var score float64
	if raw, ok := h["_rankingScore"]; ok {
		_ = json.Unmarshal(raw, &score)
	}
	d := fromMeili(&m)
	return mitreden.SearchHit{
		SearchDoc: d,
		TitleHTML: highlight.HTML(d.Title, spans(d.Title, pos[attrTitle], words)),
		Excerpt:   highlight.Excerpt(d.Body, spans(d.Body, pos[attrBody], words), excerptSize),
		Score:     score,
	}, nil
}

// spans converts Meilisearch's match positions in text (byte offsets) to
// spans; the highlighter drops any that do not fall on character boundaries.
// Meilisearch does not say which query word a match is of, so each is given
// the word it shares the longest beginning with: a typo or prefix match
// shares most of its word's beginning, and the excerpt needs only to tell
// the words apart (see highlight.Span).
func spans(text string, ps []matchPosition, words []string) []highlight.Span {
	out := make([]highlight.Span, len(ps))
	for i, p := range ps {
		out[i] = highlight.Span{Start: p.Start, End: p.Start + p.Length}
		if p.Start >= 0 && p.Start+p.Length <= len(text) {
			out[i].Word = closestWord(text[p.Start:p.Start+p.Length], words)
		}
	}
	return out
}

// closestWord returns the index of the word in words that shares the longest
// case-insensitive beginning with match, the first on a tie.
func closestWord(match string, words []string) int {
	best, bestLen := 0, -1
	m := []rune(strings.ToLower(match))
	for i, w := range words {
		n := 0
		for _, r := range strings.ToLower(w) {
			if n >= len(m) || m[n] != r {
				break
			}
			n++
		}
		if n > bestLen {
			best, bestLen = i, n
		}
	}
	return best
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func facetCounts(dist map[string]int) []mitreden.FacetCount {
	out := make([]mitreden.FacetCount, 0, len(dist))
	for v, n := range dist {
		out = append(out, mitreden.FacetCount{Value: v, Count: n})
	}
	slices.SortFunc(out, func(a, b mitreden.FacetCount) int {
		return cmp.Or(b.Count-a.Count, strings.Compare(a.Value, b.Value))
	})
	return out
}

// Drop deletes the index, its rebuild twin and its version record; tests use
// it to clean up.
func (x *Index) Drop(ctx context.Context) error {
	var errs []error
	for _, uid := range []string{x.name, x.name + "_tmp", x.metaIndex()} {
		task, err := x.client.DeleteIndex(ctx, uid)
		if err := x.await(ctx, task, err); err != nil && !isAPIError(err, meilisearch.APIErrCodeIndexNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
