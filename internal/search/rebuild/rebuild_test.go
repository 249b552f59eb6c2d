package rebuild

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
)

func doc(id, title string) mitreden.SearchDoc { return mitreden.SearchDoc{ID: id, Title: title} }

func TestJournalKeepsLastWritePerDocument(t *testing.T) {
	var j Journal
	j.Index([]mitreden.SearchDoc{doc("before", "not recorded")})
	j.Start()
	j.Index([]mitreden.SearchDoc{doc("b", "first"), doc("a", "only")})
	j.Delete([]string{"b", "c"})
	j.Index([]mitreden.SearchDoc{doc("c", "again")})
	j.Delete([]string{"d"})
	ups, dels := j.Stop()
	if got := fmt.Sprint(ups); got != fmt.Sprint([]mitreden.SearchDoc{doc("a", "only"), doc("c", "again")}) {
		t.Errorf("upserts = %v", got)
	}
	if !slices.Equal(dels, []string{"b", "d"}) {
		t.Errorf("deletes = %v, want [b d]", dels)
	}
	j.Index([]mitreden.SearchDoc{doc("after", "not recorded")})
	if ups, dels := j.Stop(); ups != nil || dels != nil {
		t.Errorf("after Stop: %v, %v; want nothing recorded", ups, dels)
	}
}

func TestJournalStartForgets(t *testing.T) {
	var j Journal
	j.Start()
	j.Index([]mitreden.SearchDoc{doc("a", "old rebuild")})
	j.Start()
	if ups, _ := j.Stop(); len(ups) != 0 {
		t.Errorf("upserts = %v, want none from the earlier rebuild", ups)
	}
}

// TestJournalConcurrentWrites runs writes from several goroutines while
// recording (go test -race checks the locking) and keeps every document.
func TestJournalConcurrentWrites(t *testing.T) {
	var j Journal
	j.Start()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				j.Index([]mitreden.SearchDoc{doc(fmt.Sprintf("%d-%03d", g, i), "x")})
			}
		})
	}
	wg.Wait()
	if ups, _ := j.Stop(); len(ups) != 400 {
		t.Errorf("%d upserts, want 400", len(ups))
	}
}

func TestFeedBatches(t *testing.T) {
	for _, n := range []int{0, 1, 3, 4, 7} {
		var batches [][]string
		err := Feed(func(yield func(mitreden.SearchDoc) error) error {
			for i := range n {
				if err := yield(doc(fmt.Sprint(i), "")); err != nil {
					return err
				}
			}
			return nil
		}, 3, func(docs []mitreden.SearchDoc) error {
			var ids []string
			for _, d := range docs {
				ids = append(ids, d.ID)
			}
			batches = append(batches, ids)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var all []string
		for i, b := range batches {
			if len(b) == 0 || len(b) > 3 || (i < len(batches)-1 && len(b) != 3) {
				t.Errorf("n=%d: batches %v, want full batches of 3 and a smaller last one", n, batches)
			}
			all = append(all, b...)
		}
		if len(all) != n {
			t.Errorf("n=%d: %d documents written: %v", n, len(all), batches)
		}
	}
}

func TestFeedStopsAtFirstError(t *testing.T) {
	boom := errors.New("disk full")
	writes := 0
	yields := 0
	err := Feed(func(yield func(mitreden.SearchDoc) error) error {
		for i := range 10 {
			yields++
			if err := yield(doc(fmt.Sprint(i), "")); err != nil {
				return err
			}
		}
		return nil
	}, 2, func([]mitreden.SearchDoc) error { writes++; return boom })
	if !errors.Is(err, boom) || writes != 1 || yields != 2 {
		t.Errorf("err %v after %d writes, %d yields; want the write's error after the first batch", err, writes, yields)
	}
	storeDown := errors.New("store down")
	writes = 0
	err = Feed(func(yield func(mitreden.SearchDoc) error) error {
		_ = yield(doc("a", ""))
		return storeDown
	}, 2, func([]mitreden.SearchDoc) error { writes++; return nil })
	if !errors.Is(err, storeDown) || writes != 0 {
		t.Errorf("err %v after %d writes; want the feed's error and no partial batch written", err, writes)
	}
}
