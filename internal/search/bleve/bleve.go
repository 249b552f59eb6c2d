// Package bleve implements mitreden.Searcher with an embedded Bleve index on
// disk: the zero-setup default. The index lives in a subdirectory of the
// directory given to Open; a Rebuild fills a fresh subdirectory and swaps it
// in, and the file CURRENT names the live one.
package bleve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/search/rebuild"
)

// LockTimeout is how long Open waits for another process to release the index.
const LockTimeout = 500 * time.Millisecond

// batchSize is the number of documents written per Bleve batch.
const batchSize = 1000

// Index is a mitreden.Searcher over a Bleve index on disk. It is safe for
// concurrent use.
type Index struct {
	dir  string
	lock *bolt.DB

	// mu guards idx and name: searches hold it for reading, the swap at the
	// end of Rebuild for writing, so no search runs on a closed index.
	mu   sync.RWMutex
	idx  bleve.Index
	name string
	// version is the MappingVersion the live index was built with.
	version int

	// parallelFrom is the index size from which searches split across cores.
	parallelFrom atomic.Int64

	// rebuildMu serialises rebuilds; journal keeps the writes that arrive
	// while a rebuild runs, to replay them on the new index.
	rebuildMu sync.Mutex
	journal   rebuild.Journal

	an analyzers
}

// analyzers are the mapping's analyzers, used to analyze query words once.
type analyzers struct {
	de, dePrefix, en, enPrefix, spell analysis.Analyzer
}

var (
	_ mitreden.Searcher             = (*Index)(nil)
	_ mitreden.SearchIndexVersioner = (*Index)(nil)
)

// MappingVersion is the version of the index mapping and of what a document
// stores. Bump it with any change to either: an index built with an older
// version is reported by NeedsRebuild, which the server answers with a
// Rebuild at start, so no code path has to serve old indexes.
//
//  1. Indexes without a version (the oldest lacked created_key).
//  2. ContextTitle stored; comments without a title of their own.
//  3. Keywords (the topics of consultations and proposals) indexed into the
//     title fields.
//  4. Documents in the language of their item (before, every document was
//     German); TitleLang and ConsultationLang stored.
const MappingVersion = 4

// versionKey is the internal key under which an index records its
// MappingVersion.
var versionKey = []byte("mitreden.mapping_version")

// Open opens or creates the index under dir. It returns EUNAVAILABLE with
// message "search.locked" when another process holds the index.
func Open(dir string) (*Index, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, mitreden.Wrap(mitreden.EUNAVAILABLE, err, "search.unavailable")
	}
	// A bolt file serves as a portable inter-process lock on the whole
	// directory, held for the life of the Index: the live subdirectory
	// changes on Rebuild, so its own lock is not enough.
	lock, err := bolt.Open(filepath.Join(dir, "LOCK"), 0o600, &bolt.Options{Timeout: LockTimeout})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, mitreden.Wrap(mitreden.EUNAVAILABLE, fmt.Errorf("bleve index %s is locked by another process", dir), "search.locked")
		}
		return nil, mitreden.Wrap(mitreden.EUNAVAILABLE, err, "search.unavailable")
	}
	x := &Index{dir: dir, lock: lock}
	x.parallelFrom.Store(DefaultParallelFrom)
	if err := x.open(); err != nil {
		_ = lock.Close()
		return nil, err
	}
	return x, nil
}

func (x *Index) open() error {
	name, err := os.ReadFile(filepath.Join(x.dir, "CURRENT"))
	var idx bleve.Index
	switch {
	case errors.Is(err, os.ErrNotExist):
		name = []byte(newName())
		if idx, err = createIndex(filepath.Join(x.dir, string(name))); err == nil {
			err = x.writeCurrent(string(name))
		}
	case err == nil:
		name = []byte(strings.TrimSpace(string(name)))
		idx, err = openIndex(filepath.Join(x.dir, string(name)))
	}
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return mitreden.Wrap(mitreden.EUNAVAILABLE, err, "search.locked")
		}
		return mitreden.Wrap(mitreden.EUNAVAILABLE, err, "search.unavailable")
	}
	if err := x.loadAnalyzers(idx); err != nil {
		_ = idx.Close()
		return err
	}
	x.idx, x.name, x.version = idx, string(name), indexVersion(idx)
	x.removeStale()
	return nil
}

// indexVersion returns the MappingVersion idx was built with.
func indexVersion(idx bleve.Index) int {
	v, err := idx.GetInternal(versionKey)
	if err != nil || v == nil {
		return 1
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return 1
	}
	return n
}

// NeedsRebuild reports whether the live index was built with an older
// MappingVersion. It keeps answering searches until a Rebuild swaps in one
// of the current version, but may lack fields or behaviour this version
// relies on (newest-first order, for one, needs created_key).
func (x *Index) NeedsRebuild(ctx context.Context) (bool, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.idx == nil {
		return false, mitreden.Errorf(mitreden.EUNAVAILABLE, "search.unavailable")
	}
	return x.version < MappingVersion, nil
}

func (x *Index) loadAnalyzers(idx bleve.Index) error {
	m := idx.Mapping()
	for _, a := range []struct {
		dst  *analysis.Analyzer
		name string
	}{
		{&x.an.de, analyzerDE}, {&x.an.dePrefix, analyzerDEPrefix},
		{&x.an.en, analyzerEN}, {&x.an.enPrefix, analyzerENPrefix},
		{&x.an.spell, analyzerSpell},
	} {
		if *a.dst = m.AnalyzerNamed(a.name); *a.dst == nil {
			return mitreden.Errorf(mitreden.EINTERNAL, "search.unavailable")
		}
	}
	return nil
}

// newName returns a fresh subdirectory name; the time orders them for humans.
func newName() string { return "idx-" + time.Now().UTC().Format("20060102T150405.000000000") }

func createIndex(path string) (bleve.Index, error) {
	m, err := newMapping()
	if err != nil {
		return nil, err
	}
	idx, err := bleve.NewUsing(path, m, bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore,
		map[string]any{"bolt_timeout": LockTimeout.String()})
	if err != nil {
		return nil, err
	}
	if err := idx.SetInternal(versionKey, []byte(strconv.Itoa(MappingVersion))); err != nil {
		_ = idx.Close()
		return nil, err
	}
	return idx, nil
}

func openIndex(path string) (bleve.Index, error) {
	return bleve.OpenUsing(path, map[string]any{"bolt_timeout": LockTimeout.String()})
}

// writeCurrent records name as the live subdirectory, atomically.
func (x *Index) writeCurrent(name string) error {
	tmp := filepath.Join(x.dir, "CURRENT.tmp")
	if err := os.WriteFile(tmp, []byte(name+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(x.dir, "CURRENT"))
}

// removeStale deletes index subdirectories other than the live one: leftovers
// of a swap or of a rebuild that crashed.
func (x *Index) removeStale() {
	entries, _ := os.ReadDir(x.dir)
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "idx-") && e.Name() != x.name {
			_ = os.RemoveAll(filepath.Join(x.dir, e.Name()))
		}
	}
}

// Close closes the index and releases the directory lock.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	var err error
	if x.idx != nil {
		err = x.idx.Close()
		x.idx = nil
	}
	if x.lock != nil {
		err = errors.Join(err, x.lock.Close())
		x.lock = nil
	}
	if err != nil {
		return mitreden.Wrap(mitreden.EINTERNAL, err, "search.unavailable")
	}
	return nil
}

// current returns the live index under a read lock; call release when done.
func (x *Index) current() (bleve.Index, func(), error) {
	x.mu.RLock()
	if x.idx == nil {
		x.mu.RUnlock()
		return nil, nil, mitreden.Errorf(mitreden.EUNAVAILABLE, "search.unavailable")
	}
	return x.idx, x.mu.RUnlock, nil
}

// Ping returns EUNAVAILABLE when the index is closed or unreadable.
func (x *Index) Ping(ctx context.Context) error {
	idx, release, err := x.current()
	if err != nil {
		return err
	}
	defer release()
	if _, err := idx.DocCount(); err != nil {
		return mitreden.Wrap(mitreden.EUNAVAILABLE, err, "search.unavailable")
	}
	return nil
}

// Count returns the number of documents in the live index.
func (x *Index) Count(ctx context.Context) (int, error) {
	idx, release, err := x.current()
	if err != nil {
		return 0, err
	}
	defer release()
	n, err := idx.DocCount()
	if err != nil {
		return 0, mitreden.Wrap(mitreden.EUNAVAILABLE, err, "search.unavailable")
	}
	return int(n), nil
}

// Index upserts docs in batches.
func (x *Index) Index(ctx context.Context, docs ...mitreden.SearchDoc) error {
	if len(docs) == 0 {
		return nil
	}
	idx, release, err := x.current()
	if err != nil {
		return err
	}
	defer release()
	x.journal.Index(docs)
	return writeDocs(ctx, idx, docs)
}

// Delete removes the documents with the given IDs.
func (x *Index) Delete(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	idx, release, err := x.current()
	if err != nil {
		return err
	}
	defer release()
	x.journal.Delete(ids)
	b := idx.NewBatch()
	for _, id := range ids {
		b.Delete(id)
	}
	if err := idx.Batch(b); err != nil {
		return mitreden.Wrap(mitreden.EUNAVAILABLE, err, "search.unavailable")
	}
	return nil
}

func writeDocs(ctx context.Context, idx bleve.Index, docs []mitreden.SearchDoc) error {
	b := idx.NewBatch()
	for i := range docs {
		if docs[i].ID == "" {
			return mitreden.Errorf(mitreden.EINVALID, "search.doc_id_missing")
		}
		if err := b.Index(docs[i].ID, toBleve(&docs[i])); err != nil {
			return mitreden.Wrap(mitreden.EINTERNAL, err, "search.index_failed")
		}
		if b.Size() >= batchSize {
			if err := flush(ctx, idx, b); err != nil {
				return err
			}
		}
	}
	return flush(ctx, idx, b)
}

func flush(ctx context.Context, idx bleve.Index, b *bleve.Batch) error {
	if b.Size() == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return mitreden.Wrap(mitreden.EUNAVAILABLE, err, "search.unavailable")
	}
	if err := idx.Batch(b); err != nil {
		return mitreden.Wrap(mitreden.EUNAVAILABLE, err, "search.unavailable")
	}
	b.Reset()
	return nil
}

// source is the stored part of a document; Title and Body are stored in their
// text fields, so they are not repeated here. ContextTitle is stored here
// only: it is shown, never searched.
type source struct {
	Type              string    `json:"t"`
	ItemID            string    `json:"i"`
	Lang              string    `json:"l,omitempty"`
	TitleLang         string    `json:"tl,omitempty"`
	ConsultationLang  string    `json:"cl,omitempty"`
	ConsultationID    string    `json:"c,omitempty"`
	ConsultationTitle string    `json:"ct,omitempty"`
	ContextTitle      string    `json:"xt,omitempty"`
	ProposalID        string    `json:"p,omitempty"`
	Status            string    `json:"s,omitempty"`
	Topics            []string  `json:"to,omitempty"`
	Keywords          []string  `json:"k,omitempty"`
	Region            string    `json:"r,omitempty"`
	Visibility        string    `json:"v"`
	URL               string    `json:"u,omitempty"`
	CreatedAt         time.Time `json:"at"`
	Supports          int       `json:"su,omitempty"`
	Comments          int       `json:"co,omitempty"`
}

func isEnglish(lang string) bool { return lang == "en" }

// toBleve maps d to the fields of the index mapping, leaving empty ones out.
func toBleve(d *mitreden.SearchDoc) map[string]any {
	src, _ := json.Marshal(source{
		Type: d.Type, ItemID: d.ItemID, Lang: d.Lang, TitleLang: d.TitleLang, ConsultationLang: d.ConsultationLang,
		ConsultationID: d.ConsultationID, ConsultationTitle: d.ConsultationTitle, ContextTitle: d.ContextTitle, ProposalID: d.ProposalID,
		Status: d.Status, Topics: d.Topics, Keywords: d.Keywords, Region: d.Region, Visibility: d.Visibility, URL: d.URL,
		CreatedAt: d.CreatedAt, Supports: d.Supports, Comments: d.Comments,
	})
	m := map[string]any{
		fieldSource:     string(src),
		fieldCreated:    d.CreatedAt,
		fieldCreatedKey: createdKey(d.CreatedAt),
		fieldVisibility: d.Visibility,
		fieldSpell:      d.Title + "\n" + strings.Join(d.Keywords, "\n") + "\n" + d.Body,
	}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set(fieldType, d.Type)
	set(fieldConsultation, d.ConsultationID)
	set(fieldStatus, d.Status)
	set(fieldRegion, d.Region)
	if len(d.Topics) > 0 {
		m[fieldTopics] = d.Topics
	}
	keywords := fieldKeywordsDE
	if isEnglish(d.Lang) {
		keywords = fieldKeywordsEN
	}
	if len(d.Keywords) > 0 {
		m[keywords] = d.Keywords
	}
	if isEnglish(d.Lang) {
		set(fieldTitleEN, d.Title)
		set(fieldBodyEN, d.Body)
	} else {
		set(fieldTitleDE, d.Title)
		set(fieldBodyDE, d.Body)
	}
	return m
}

// fromBleve rebuilds the document from its stored fields.
func fromBleve(id string, fields map[string]any) mitreden.SearchDoc {
	var s source
	if v, ok := fields[fieldSource].(string); ok {
		_ = json.Unmarshal([]byte(v), &s)
	}
	d := mitreden.SearchDoc{
		ID: id, Type: s.Type, ItemID: s.ItemID, Lang: s.Lang, TitleLang: s.TitleLang, ConsultationLang: s.ConsultationLang,
		ConsultationID:    s.ConsultationID,
		ConsultationTitle: s.ConsultationTitle, ContextTitle: s.ContextTitle, ProposalID: s.ProposalID, Status: s.Status,
		Topics: s.Topics, Keywords: s.Keywords, Region: s.Region, Visibility: s.Visibility, URL: s.URL,
		CreatedAt: s.CreatedAt, Supports: s.Supports, Comments: s.Comments,
	}
	titleField, bodyField := fieldTitleDE, fieldBodyDE
	if isEnglish(s.Lang) {
		titleField, bodyField = fieldTitleEN, fieldBodyEN
	}
	d.Title, _ = fields[titleField].(string)
	d.Body, _ = fields[bodyField].(string)
	return d
}

// Rebuild fills a fresh index from feed and swaps it in. Writes that arrive
// meanwhile go to the live index and are replayed on the new one before the
// swap, so none is lost. On any error the live index stays untouched.
func (x *Index) Rebuild(ctx context.Context, feed func(yield func(mitreden.SearchDoc) error) error) error {
	x.rebuildMu.Lock()
	defer x.rebuildMu.Unlock()

	name := newName()
	path := filepath.Join(x.dir, name)
	fresh, err := createIndex(path)
	if err != nil {
		return mitreden.Wrap(mitreden.EUNAVAILABLE, err, "search.unavailable")
	}
	abort := func(err error) error {
		x.journal.Stop()
		_ = fresh.Close()
		_ = os.RemoveAll(path)
		var e *mitreden.Error
		if errors.As(err, &e) {
			return err
		}
		return mitreden.Wrap(mitreden.EINTERNAL, err, "search.rebuild_failed")
	}
	x.journal.Start()

	err = rebuild.Feed(feed, batchSize, func(docs []mitreden.SearchDoc) error { return writeDocs(ctx, fresh, docs) })
	if err == nil {
		err = compact(ctx, fresh)
	}
	if err != nil {
		return abort(err)
	}

	// Swap under the write lock, replaying the writes the live index took
	// meanwhile; holding mu keeps further writes out until the swap is done.
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.idx == nil {
		return abort(mitreden.Errorf(mitreden.EUNAVAILABLE, "search.unavailable"))
	}
	upserts, deletes := x.journal.Stop()
	b := fresh.NewBatch()
	for _, id := range deletes {
		b.Delete(id)
	}
	if err := fresh.Batch(b); err != nil {
		return abort(err)
	}
	if err := writeDocs(context.WithoutCancel(ctx), fresh, upserts); err != nil {
		return abort(err)
	}
	if err := x.writeCurrent(name); err != nil {
		return abort(err)
	}
	old, oldName := x.idx, x.name
	x.idx, x.name, x.version = fresh, name, MappingVersion
	_ = old.Close()
	_ = os.RemoveAll(filepath.Join(x.dir, oldName))
	return nil
}

// compact merges the index into one segment: a freshly built index is many
// small segments, and every query pays per segment.
func compact(ctx context.Context, idx bleve.Index) error {
	adv, err := idx.Advanced()
	if err != nil {
		return err
	}
	if s, ok := adv.(*scorch.Scorch); ok {
		return s.ForceMerge(ctx, nil)
	}
	return nil
}
