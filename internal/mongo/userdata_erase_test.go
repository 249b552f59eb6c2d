package mongo_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// TestAnonymizeAuthor_ErasesStaffAndModeratorNames checks that deleting
// the account of staff or a moderator leaves their name and id neither on
// the letters they entered, nor in the citizens' service audit, nor in
// the moderation record and queue; the records of others stay as they were.
func TestAnonymizeAuthor_ErasesStaffAndModeratorNames(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	ctx := context.Background()
	const gone, other = "aaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbb"
	ins := func(coll string, doc bson.D) {
		t.Helper()
		if _, err := db.C(coll).InsertOne(ctx, doc); err != nil {
			t.Fatal(err)
		}
	}
	prov := func(id, name string) bson.D {
		return bson.D{{Key: "channel", Value: "letter"}, {Key: "entered_by_id", Value: id}, {Key: "entered_by", Value: name}, {Key: "record_id", Value: "r1"}}
	}
	ins("proposals", bson.D{{Key: "_id", Value: "p1"}, {Key: "author_id", Value: "rec-1"}, {Key: "prov", Value: prov(gone, "Erika Amt")}})
	ins("proposals", bson.D{{Key: "_id", Value: "p2"}, {Key: "author_id", Value: "rec-1"}, {Key: "prov", Value: prov(other, "Max Amt")}})
	ins("comments", bson.D{{Key: "_id", Value: "c1"}, {Key: "author_id", Value: "rec-1"}, {Key: "prov", Value: prov(gone, "Erika Amt")}})
	ins("assisted_audit", bson.D{{Key: "_id", Value: "a1"}, {Key: "staff_id", Value: gone}, {Key: "staff", Value: "Erika Amt"}})
	ins("assisted_audit", bson.D{{Key: "_id", Value: "a2"}, {Key: "staff_id", Value: other}, {Key: "staff", Value: "Max Amt"}})
	ins("moderation_log", bson.D{{Key: "_id", Value: "l1"}, {Key: "actor_id", Value: gone}, {Key: "actor_name", Value: "Erika Amt"}})
	ins("moderation_log", bson.D{{Key: "_id", Value: "l2"}, {Key: "actor_id", Value: other}, {Key: "actor_name", Value: "Max Amt"}})
	ins("moderation_queue", bson.D{{Key: "_id", Value: "q1"}, {Key: "hidden_by", Value: gone}})

	for range 2 { // a second run finds nothing left and changes nothing
		if err := db.UserData().AnonymizeAuthor(ctx, gone); err != nil {
			t.Fatal(err)
		}
	}
	get := func(coll, id string) bson.M {
		t.Helper()
		var m bson.M
		if err := db.C(coll).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	provOf := func(coll, id string) bson.M {
		t.Helper()
		m := bson.M{}
		for _, e := range get(coll, id)["prov"].(bson.D) {
			m[e.Key] = e.Value
		}
		return m
	}
	for _, c := range []struct{ coll, id string }{{"proposals", "p1"}, {"comments", "c1"}} {
		p := provOf(c.coll, c.id)
		if p["entered_by_id"] != mitreden.DeletedAuthorID || p["entered_by"] != "" {
			t.Errorf("%s %s: entered by %v %v, want the deleted account", c.coll, c.id, p["entered_by_id"], p["entered_by"])
		}
	}
	if p := provOf("proposals", "p2"); p["entered_by_id"] != other || p["entered_by"] != "Max Amt" {
		t.Errorf("another person's letter changed: %v", p)
	}
	if a := get("assisted_audit", "a1"); a["staff_id"] != mitreden.DeletedAuthorID || a["staff"] != "" {
		t.Errorf("audit keeps the staff: %v", a)
	}
	if a := get("assisted_audit", "a2"); a["staff"] != "Max Amt" {
		t.Errorf("another person's audit entry changed: %v", a)
	}
	if l := get("moderation_log", "l1"); l["actor_id"] != mitreden.DeletedAuthorID || l["actor_name"] != "" {
		t.Errorf("moderation record keeps the moderator: %v", l)
	}
	if l := get("moderation_log", "l2"); l["actor_name"] != "Max Amt" {
		t.Errorf("another moderator's record changed: %v", l)
	}
	if q := get("moderation_queue", "q1"); q["hidden_by"] != mitreden.DeletedAuthorID {
		t.Errorf("queue keeps who hid the item: %v", q)
	}
}
