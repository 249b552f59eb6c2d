package mongo_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// TestThreadCacheMatchesQueries writes comments, replies, deletions and
// votes through a store that caches threads and checks, after every round,
// that each page in each order, its counts and every comment's rank are
// exactly those of the indexed queries of a store without the cache on the
// same data. The cached store is read first in the first round, so later
// writes must keep it right rather than a later load.
func TestThreadCacheMatchesQueries(t *testing.T) {
	ctx := context.Background()
	name := mongotest.DBName(t)
	open := func(opts ...mongo.Option) *mongo.ParticipationStore {
		db, err := mongo.Open(ctx, mongotest.URI(t), name, append([]mongo.Option{mongo.SerializeWrites()}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Drop(ctx); _ = db.Close(ctx) })
		return db.Participation()
	}
	cached, plain := open(mongo.CacheThreads()), open()
	r := rand.New(rand.NewPCG(4, 2))
	type made struct{ id, author, target string }
	var all []made
	create := func(target string) {
		var parent *mitreden.Comment
		depth := 0
		if len(all) > 0 && r.IntN(2) == 0 {
			m := all[r.IntN(len(all))]
			p, err := plain.FindComment(ctx, m.id)
			if err != nil {
				t.Fatal(err)
			}
			if p.Depth < mitreden.CommentMaxDepth {
				parent, depth, target = p, p.Depth+1, p.TargetID
			}
		}
		c := &mitreden.Comment{TargetType: "proposal", TargetID: target, ConsultationID: "c1", AuthorID: fmt.Sprint("u", r.IntN(3)),
			AuthorName: "Anna", Body: "Beitrag", Depth: depth,
			// Equal creation times exercise the tie-breaks.
			CreatedAt: t0.Add(time.Duration(r.IntN(6)) * time.Minute)}
		if parent != nil {
			c.ParentID = parent.ID
		}
		if err := cached.CreateComment(ctx, c); err != nil {
			t.Fatal(err)
		}
		all = append(all, made{c.ID, c.AuthorID, target})
	}
	check := func(round int) {
		t.Helper()
		for _, target := range []string{"p1", "p2", "p3"} {
			for _, order := range []string{mitreden.OrderOldest, mitreden.OrderNewest, mitreden.OrderBest} {
				for _, page := range []int{1, 2, 3, 9} {
					q := mitreden.ThreadQuery{TargetType: "proposal", TargetID: target, Order: order, Page: page, PerPage: 4}
					got, err := cached.ListThread(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					want, err := plain.ListThread(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					key := func(p *mitreden.ThreadPage) string {
						s := fmt.Sprintf("top %d visible %d:", p.TopTotal, p.Visible)
						for _, c := range slices.Concat(p.Top, []*mitreden.Comment{nil}, p.Replies) {
							if c != nil {
								s += fmt.Sprintf(" %s/%d/%d/%v", c.ID, c.Up, c.Down, c.Deleted)
							} else {
								s += " |"
							}
						}
						return s
					}
					if key(got) != key(want) {
						t.Fatalf("round %d, %+v:\ncached  %s\nqueried %s", round, q, key(got), key(want))
					}
				}
			}
		}
		for _, m := range all {
			c, err := plain.FindComment(ctx, m.id)
			if err != nil {
				t.Fatal(err)
			}
			if c.ParentID != "" {
				if _, err := cached.TopLevelRank(ctx, c); mitreden.ErrorCode(err) != mitreden.EINVALID {
					t.Fatalf("rank of a reply: %v", err)
				}
				continue
			}
			got, err := cached.TopLevelRank(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			want, err := plain.TopLevelRank(ctx, c)
			if err != nil || got != want {
				t.Fatalf("round %d, rank of %s: cached %d, queried %d %v", round, c.ID, got, want, err)
			}
		}
	}
	for i := range 30 {
		create([]string{"p1", "p2"}[i%2])
	}
	check(0)
	for round := 1; round <= 4; round++ {
		for range 8 {
			switch m := all[r.IntN(len(all))]; r.IntN(4) {
			case 0:
				create([]string{"p1", "p2", "p3"}[r.IntN(3)])
			case 1:
				err := cached.MarkCommentDeleted(ctx, m.id, m.author)
				if err != nil && mitreden.ErrorCode(err) != mitreden.ECONFLICT {
					t.Fatal(err)
				}
			default:
				if err := cached.IncCommentVotes(ctx, m.id, r.IntN(3), r.IntN(2)); err != nil {
					t.Fatal(err)
				}
			}
		}
		check(round)
	}
}

// TestListThread_PagesRepliesAndCounts checks a page on its own: the
// top-level comments of the page in order with every reply under them at
// any depth, none of another page's, and the counts of the whole thread.
func TestListThread_PagesRepliesAndCounts(t *testing.T) {
	s := mongotest.MustOpenDB(t).Participation()
	ctx := context.Background()
	add := func(parent *mitreden.Comment, minute int) *mitreden.Comment {
		c := &mitreden.Comment{TargetType: "proposal", TargetID: "p1", ConsultationID: "c1", AuthorID: "u1", AuthorName: "Anna",
			Body: "Beitrag", CreatedAt: t0.Add(time.Duration(minute) * time.Minute)}
		if parent != nil {
			c.ParentID, c.Depth = parent.ID, parent.Depth+1
		}
		if err := s.CreateComment(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b, c := add(nil, 1), add(nil, 2), add(nil, 3)
	a1 := add(a, 4)
	a11 := add(a1, 5)
	c1 := add(c, 6)
	if err := s.MarkCommentDeleted(ctx, b.ID, "u1"); err != nil {
		t.Fatal(err)
	}
	if err := s.IncCommentVotes(ctx, c.ID, 2, 0); err != nil {
		t.Fatal(err)
	}
	ids := func(cs []*mitreden.Comment) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	for _, tc := range []struct {
		order            string
		page             int
		top, replies     []string
		topTotal, visble int
	}{
		{mitreden.OrderOldest, 1, []string{a.ID, b.ID}, []string{a1.ID, a11.ID}, 3, 5},
		{mitreden.OrderOldest, 2, []string{c.ID}, []string{c1.ID}, 3, 5},
		{mitreden.OrderNewest, 1, []string{c.ID, b.ID}, []string{c1.ID}, 3, 5},
		{mitreden.OrderBest, 1, []string{c.ID, a.ID}, []string{a1.ID, a11.ID, c1.ID}, 3, 5},
		{mitreden.OrderOldest, 3, nil, nil, 3, 5},
	} {
		p, err := s.ListThread(ctx, mitreden.ThreadQuery{TargetType: "proposal", TargetID: "p1", Order: tc.order, Page: tc.page, PerPage: 2})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(p.Top), tc.top) || !slices.Equal(ids(p.Replies), tc.replies) || p.TopTotal != tc.topTotal || p.Visible != tc.visble {
			t.Fatalf("%s page %d: top %v replies %v (%d, %d), want %v %v", tc.order, tc.page, ids(p.Top), ids(p.Replies), p.TopTotal, p.Visible, tc.top, tc.replies)
		}
	}
	if n, err := s.TopLevelRank(ctx, c); err != nil || n != 2 {
		t.Fatalf("rank: %d %v", n, err)
	}
	p, err := s.ListThread(ctx, mitreden.ThreadQuery{TargetType: "consultation", TargetID: "p1", PerPage: 2})
	if err != nil || len(p.Top)+len(p.Replies)+p.TopTotal+p.Visible != 0 {
		t.Fatalf("another target type: %+v %v", p, err)
	}
}

// TestListThread_RoundTripsDoNotGrow counts the commands the store without
// the thread cache (the MongoDB path) sends for a page of a discussion and
// for a comment's rank, on a thread of 10 and one of 200 comments: the same
// number whatever the length.
func TestListThread_RoundTripsDoNotGrow(t *testing.T) {
	ctx := context.Background()
	monitor, count := commandLog(t)
	db, err := mongo.Open(ctx, mongotest.URI(t), mongotest.DBName(t), mongo.SerializeWrites(), mongo.WithMonitor(monitor))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Drop(ctx); _ = db.Close(ctx) })
	s := db.Participation()
	top := map[string]*mitreden.Comment{}
	for target, n := range map[string]int{"small": 10, "large": 200} {
		var last *mitreden.Comment
		for i := range n {
			c := &mitreden.Comment{TargetType: "proposal", TargetID: target, ConsultationID: "c1", AuthorID: "u1", AuthorName: "Anna",
				Body: "Beitrag", CreatedAt: t0.Add(time.Duration(i) * time.Second)}
			if i%3 == 2 {
				c.ParentID, c.Depth = last.ID, last.Depth+1
			}
			if err := s.CreateComment(ctx, c); err != nil {
				t.Fatal(err)
			}
			if err := s.IncCommentVotes(ctx, c.ID, i%4, 0); err != nil {
				t.Fatal(err)
			}
			if c.ParentID == "" {
				top[target] = c
			}
			last = c
		}
	}
	for _, order := range []string{mitreden.OrderOldest, mitreden.OrderNewest, mitreden.OrderBest} {
		for _, page := range []int{1, 2} {
			read := func(target string) func() error {
				return func() error {
					_, err := s.ListThread(ctx, mitreden.ThreadQuery{TargetType: "proposal", TargetID: target, Order: order, Page: page, PerPage: 3})
					return err
				}
			}
			if small, large := count(read("small")), count(read("large")); small != large {
				t.Errorf("%s page %d: %q for 10 comments, %q for 200", order, page, small, large)
			}
		}
	}
	rank := func(target string) func() error {
		return func() error { _, err := s.TopLevelRank(ctx, top[target]); return err }
	}
	if small, large := count(rank("small")), count(rank("large")); small != large {
		t.Errorf("rank: %q for 10 comments, %q for 200", small, large)
	}
}

// TestThreadCache_WriteDuringLoad votes on a comment while its thread is
// being loaded, between the load's reads and the cache taking them: the
// vote must not be lost (the write waits for the load, then changes the
// shape it stored).
func TestThreadCache_WriteDuringLoad(t *testing.T) {
	ctx := context.Background()
	db := mongotest.MustOpenDB(t)
	s := db.Participation()
	c := &mitreden.Comment{TargetType: "proposal", TargetID: "p1", ConsultationID: "c1", AuthorID: "u1", AuthorName: "Anna", Body: "Beitrag"}
	if err := s.CreateComment(ctx, c); err != nil {
		t.Fatal(err)
	}
	voted := make(chan error, 1)
	var once sync.Once
	if !db.AfterThreadLoad(func() {
		once.Do(func() {
			go func() { voted <- s.IncCommentVotes(ctx, c.ID, 1, 0) }()
			// Room for the vote to land now, were it not held until the
			// load is done.
			time.Sleep(300 * time.Millisecond)
		})
	}) {
		t.Skip("the store keeps no threads in memory (external MongoDB)")
	}
	q := mitreden.ThreadQuery{TargetType: "proposal", TargetID: "p1", Order: mitreden.OrderBest}
	if _, err := s.ListThread(ctx, q); err != nil {
		t.Fatal(err)
	}
	if err := <-voted; err != nil {
		t.Fatal(err)
	}
	// The comment's own document says 1 either way; the cached shape orders
	// "best" and must say 1 too. A second comment with one vote more than
	// a lost vote would leave shows it in the order.
	d := &mitreden.Comment{TargetType: "proposal", TargetID: "p1", ConsultationID: "c1", AuthorID: "u1", AuthorName: "Anna", Body: "Zweiter",
		CreatedAt: c.CreatedAt.Add(-time.Minute)}
	if err := s.CreateComment(ctx, d); err != nil {
		t.Fatal(err)
	}
	p, err := s.ListThread(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Top) != 2 || p.Top[0].ID != c.ID {
		t.Fatalf("best first: the comment voted on during the load is not first (vote lost from the cached shape)")
	}
}

// TestThreadCache_WritesWhileLoading writes comments and votes from several
// goroutines while others drop and read the thread, so loads, reads and
// writes overlap (for the race detector); afterwards the page must equal
// the indexed queries'.
func TestThreadCache_WritesWhileLoading(t *testing.T) {
	ctx := context.Background()
	name := mongotest.DBName(t)
	open := func(opts ...mongo.Option) (*mongo.DB, *mongo.ParticipationStore) {
		db, err := mongo.Open(ctx, mongotest.URI(t), name, append([]mongo.Option{mongo.SerializeWrites()}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Drop(ctx); _ = db.Close(ctx) })
		return db, db.Participation()
	}
	db, cached := open(mongo.CacheThreads())
	_, plain := open()
	var ids []string
	for i := range 20 {
		c := &mitreden.Comment{TargetType: "proposal", TargetID: "p1", ConsultationID: "c1", AuthorID: "u1", AuthorName: "Anna",
			Body: "Beitrag", CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		if err := cached.CreateComment(ctx, c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	q := mitreden.ThreadQuery{TargetType: "proposal", TargetID: "p1", Order: mitreden.OrderBest, PerPage: 100}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := range 2 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 10 {
				if err := cached.IncCommentVotes(ctx, ids[(w*10+i)%len(ids)], 1, 0); err != nil {
					errs <- err
				}
				c := &mitreden.Comment{TargetType: "proposal", TargetID: "p1", ConsultationID: "c1", AuthorID: "u1", AuthorName: "Anna",
					Body: "Antwort", ParentID: ids[i], Depth: 1}
				if err := cached.CreateComment(ctx, c); err != nil {
					errs <- err
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range 5 {
				// Drop the threads now and then, so loads race with writes.
				db.ForgetThreads()
				if _, err := cached.ListThread(ctx, q); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	key := func(p *mitreden.ThreadPage) string {
		s := fmt.Sprintf("%d %d:", p.TopTotal, p.Visible)
		for _, c := range slices.Concat(p.Top, p.Replies) {
			s += fmt.Sprintf(" %s/%d", c.ID, c.Up)
		}
		return s
	}
	got, err := cached.ListThread(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	want, err := plain.ListThread(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if key(got) != key(want) {
		t.Fatalf("after concurrent writes and loads:\ncached  %s\nqueried %s", key(got), key(want))
	}
}

// TestThreadCache_LoadsLongThreads loads a thread longer than one thread
// document holds in embedded mode (its ids spread over two) into a fresh
// cache, and checks its pages and its comments' ranks against the
// indexed queries, then a vote on a comment of the last document.
func TestThreadCache_LoadsLongThreads(t *testing.T) {
	ctx := context.Background()
	name := mongotest.DBName(t)
	open := func(opts ...mongo.Option) (*mongo.DB, *mongo.ParticipationStore) {
		db, err := mongo.Open(ctx, mongotest.URI(t), name, append([]mongo.Option{mongo.SerializeWrites()}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Drop(ctx); _ = db.Close(ctx) })
		// The engine runs in the test process: under -race a scan of the
		// thread's comments may outlast the default deadline.
		db.Timeout = time.Minute
		return db, db.Participation()
	}
	db, cached := open(mongo.CacheListings(), mongo.CacheThreads())
	_, plain := open()
	var last *mitreden.Comment
	for i := range 250 {
		c := &mitreden.Comment{TargetType: "proposal", TargetID: "p1", ConsultationID: "c1", AuthorID: "u1", AuthorName: "Anna",
			Body: "Beitrag", CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		if i%3 == 2 {
			c.ParentID, c.Depth = last.ID, 1
		}
		if err := cached.CreateComment(ctx, c); err != nil {
			t.Fatal(err)
		}
		if c.ParentID == "" {
			last = c
		}
	}
	check := func(when string) {
		t.Helper()
		for _, order := range []string{mitreden.OrderOldest, mitreden.OrderNewest, mitreden.OrderBest} {
			for _, page := range []int{1, 3, 4} {
				q := mitreden.ThreadQuery{TargetType: "proposal", TargetID: "p1", Order: order, Page: page, PerPage: 50}
				got, err := cached.ListThread(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				want, err := plain.ListThread(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				ids := func(p *mitreden.ThreadPage) string {
					s := fmt.Sprint(p.TopTotal, p.Visible)
					for _, c := range slices.Concat(p.Top, p.Replies) {
						s += " " + c.ID
					}
					return s
				}
				if ids(got) != ids(want) {
					t.Fatalf("%s, %s page %d: cached %.80s…, queried %.80s…", when, order, page, ids(got), ids(want))
				}
			}
		}
		got, err := cached.TopLevelRank(ctx, last)
		if err != nil {
			t.Fatal(err)
		}
		if want, err := plain.TopLevelRank(ctx, last); err != nil || got != want {
			t.Fatalf("%s: rank of the last comment: cached %d, queried %d %v", when, got, want, err)
		}
	}
	db.ForgetThreads()
	check("loaded")
	if err := cached.IncCommentVotes(ctx, last.ID, 5, 0); err != nil {
		t.Fatal(err)
	}
	check("after a vote")
}
