// Package rebuild holds what every search engine does alike when it rebuilds
// an index that stays live meanwhile: it passes the documents of a feed on in
// batches, and keeps the writes that reach the live index while the rebuild
// runs, so they can be replayed on the new index before it is swapped in.
// Without the replay, a contribution indexed during a rebuild would vanish
// from search at the swap.
package rebuild

import (
	"slices"
	"strings"
	"sync"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Journal keeps the writes made to a live index while a rebuild runs: per
// document the last one, an upsert or a deletion. It records nothing until
// Start and after Stop. Its zero value is ready; it is safe for concurrent
// use.
//
// The engine must make sure no write falls between Stop and the swap (for
// example by holding a lock that writes take for reading), or it would reach
// only the old index.
type Journal struct {
	mu sync.Mutex
	// latest is the last write per document ID while recording (nil:
	// deleted); the map itself is nil when not recording.
	latest map[string]*mitreden.SearchDoc
}

// Start begins recording, forgetting any earlier record.
func (j *Journal) Start() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.latest = map[string]*mitreden.SearchDoc{}
}

// Index records upserts of docs while recording.
func (j *Journal) Index(docs []mitreden.SearchDoc) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.latest == nil {
		return
	}
	for i := range docs {
		d := docs[i]
		j.latest[d.ID] = &d
	}
}

// Delete records deletions of ids while recording.
func (j *Journal) Delete(ids []string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.latest == nil {
		return
	}
	for _, id := range ids {
		j.latest[id] = nil
	}
}

// Stop ends recording and returns what to replay: the documents last
// upserted and the IDs last deleted, each ordered by ID so a replay is the
// same whatever the order of the writes.
func (j *Journal) Stop() (upserts []mitreden.SearchDoc, deletes []string) {
	j.mu.Lock()
	latest := j.latest
	j.latest = nil
	j.mu.Unlock()
	for id, d := range latest {
		if d == nil {
			deletes = append(deletes, id)
		} else {
			upserts = append(upserts, *d)
		}
	}
	slices.SortFunc(upserts, func(a, b mitreden.SearchDoc) int { return strings.Compare(a.ID, b.ID) })
	slices.Sort(deletes)
	return upserts, deletes
}

// Feed runs feed and passes the documents it yields to write in batches of
// up to size, the last one possibly smaller (none when feed yields
// nothing). write must not keep the slice: it is reused for the next batch.
// The first error of feed or write ends the feed and is returned.
func Feed(feed func(yield func(mitreden.SearchDoc) error) error, size int, write func([]mitreden.SearchDoc) error) error {
	buf := make([]mitreden.SearchDoc, 0, size)
	err := feed(func(d mitreden.SearchDoc) error {
		buf = append(buf, d)
		if len(buf) < size {
			return nil
		}
		err := write(buf)
		buf = buf[:0]
		return err
	})
	if err != nil || len(buf) == 0 {
		return err
	}
	return write(buf)
}
