package mongo_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// TestCreateComment_ThreadDocumentsStayBounded writes 450 comments to one
// thread, the second half through a new store on the same database (as
// after a clean stop and a restart, knowing nothing of where the thread
// ends): every
// comment is listed once, in order, and in embedded mode no thread
// document holds more than 200 ids, so a comment's write costs the same
// however long its thread.
func TestCreateComment_ThreadDocumentsStayBounded(t *testing.T) {
	ctx := context.Background()
	name := mongotest.DBName(t)
	open := func() *mongo.DB {
		db, err := mongo.Open(ctx, mongotest.URI(t), name, mongotest.Options()...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close(ctx) })
		return db
	}
	first := open()
	t.Cleanup(func() { _ = first.Drop(ctx) })
	var want []string
	db := first
	for i := range 450 {
		if i == 225 {
			// As after a clean stop (which writes what is deferred) and a
			// restart: the tail is read from the documents.
			if err := db.FlushDeferred(ctx); err != nil {
				t.Fatal(err)
			}
			db = open()
		}
		c := &mitreden.Comment{TargetType: "proposal", TargetID: "p1", ConsultationID: "c1", AuthorID: "u1", AuthorName: "Anna",
			Body: "Beitrag", CreatedAt: t0}
		if err := db.Participation().CreateComment(ctx, c); err != nil {
			t.Fatal(err)
		}
		want = append(want, c.ID)
	}
	if err := db.FlushDeferred(ctx); err != nil {
		t.Fatal(err)
	}
	got, found, err := mongo.ReadThreadIDs(ctx, open(), "proposal:p1")
	if err != nil || !found || len(got) != len(want) {
		t.Fatalf("listed %d of %d comments (%v)", len(got), len(want), err)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("comment %d is %s, want %s", i, got[i], want[i])
		}
	}
	if len(mongotest.Options()) == 0 {
		return // MongoDB: one document, appended in place
	}
	cur, err := first.C("comment_threads").Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		IDs []string `bson:"ids"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if len(d.IDs) > 200 {
			t.Fatalf("a thread document holds %d ids", len(d.IDs))
		}
	}
	if len(docs) < 3 {
		t.Fatalf("%d thread documents for 450 comments", len(docs))
	}
}
