package service_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// A fan-out that died between storing notifications and counting them, or
// any other drift, is repaired by the recount from the notifications.
func TestNotificationRecount_RepairsBrokenCounters(t *testing.T) {
	e := newNotes(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	anna, bert, cem := e.account(t, "anna"), e.account(t, "bert"), e.account(t, "cem")
	pr := e.proposal(t, c, anna, "Mehr Bänke im Stadtpark")
	for _, body := range []string{"Gute Idee, am besten mit Schatten.", "Und bitte auch am Rheinufer."} {
		if _, err := e.p.AddComment(ctx, bert, "proposal", pr.ID, mitreden.Comment{Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	e.run(t)
	ns, unread := e.inbox(t, anna)
	if len(ns) != 2 || unread != 2 {
		t.Fatalf("anna: %d notifications, %d unread", len(ns), unread)
	}
	if err := e.n.MarkRead(ctx, anna, ns[0].ID); err != nil {
		t.Fatal(err)
	}
	// Nothing drifted yet: nothing to repair.
	if fixes, err := e.n.RecountNotifications(ctx, 0); err != nil || len(fixes) != 0 {
		t.Fatalf("recount of sound counters: %+v %v", fixes, err)
	}

	// Break anna's counter, drop another's (the fan-out died before it
	// counted), and give cem a count without any notification.
	counts := e.db.C("notification_counts")
	if _, err := counts.UpdateOne(ctx, bson.D{{Key: "_id", Value: anna.ID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "unread", Value: 7}, {Key: "total", Value: 0}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := counts.InsertOne(ctx, bson.D{{Key: "_id", Value: cem.ID}, {Key: "unread", Value: 3}, {Key: "total", Value: 3}}); err != nil {
		t.Fatal(err)
	}
	// The drift shows: the list reads its length off the counter.
	if pg, err := e.n.ReadNotifications(ctx, anna, 1, 100); err != nil || len(pg.Items) != 0 {
		t.Fatalf("the broken counter still lists %v %v", pg, err)
	}
	fixes, err := e.n.RecountNotifications(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]mitreden.NotificationCounts{}
	for _, f := range fixes {
		if f.Skipped {
			t.Fatalf("skipped with nothing in flight: %+v", f)
		}
		got[f.UserID] = f.To
	}
	if len(fixes) != 2 || got[anna.ID] != (mitreden.NotificationCounts{Unread: 1, Total: 2}) ||
		got[cem.ID] != (mitreden.NotificationCounts{}) {
		t.Fatalf("fixes: %+v", fixes)
	}
	if _, u := e.inbox(t, anna); u != 1 {
		t.Fatalf("anna's unread after the recount: %d", u)
	}
	if n, err := e.db.Notifications().CountNotifications(ctx, cem.ID); err != nil || n != (mitreden.NotificationCounts{}) {
		t.Fatalf("cem after the recount: %+v %v", n, err)
	}

	// A counter that was never created is made; with a settle time the
	// difference is checked again before the repair.
	if _, err := counts.DeleteOne(ctx, bson.D{{Key: "_id", Value: anna.ID}}); err != nil {
		t.Fatal(err)
	}
	fixes, err = e.n.RecountNotifications(ctx, 20*time.Millisecond)
	if err != nil || len(fixes) != 1 || fixes[0].Skipped || fixes[0].To != (mitreden.NotificationCounts{Unread: 1, Total: 2}) {
		t.Fatalf("missing counter: %+v %v", fixes, err)
	}
	if _, u := e.inbox(t, anna); u != 1 {
		t.Fatalf("anna's unread after recreating the counter: %d", u)
	}
	if fixes, err := e.n.RecountNotifications(ctx, 0); err != nil || len(fixes) != 0 {
		t.Fatalf("a second recount still repairs: %+v %v", fixes, err)
	}
}
