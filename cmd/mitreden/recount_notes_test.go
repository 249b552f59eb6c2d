package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// A notification counter that drifted from the notifications (a fan-out
// died between storing and counting) is repaired by `mitreden recount`,
// which says how many it repaired.
func TestRecount_RepairsNotificationCounters(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"MITREDEN_DATA_DIR": dir}
	cfg := DefaultConfig()
	cfg.DataDir = dir
	ctx := context.Background()
	e, err := open(ctx, cfg, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	var ns []*mitreden.Notification
	for i, ev := range []string{"notify:comment:a", "notify:comment:b", "notify:reply:c"} {
		ns = append(ns, &mitreden.Notification{ID: ev + ":u1", EventID: ev, UserID: "u1", Kind: "comment", URL: "/proposals/p1",
			Mail: mitreden.MailMode("daily"), CreatedAt: now.Add(time.Duration(i) * time.Second)})
	}
	for _, n := range ns {
		if _, err := e.db.Notifications().InsertNotifications(ctx, []*mitreden.Notification{n}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.db.Notifications().MarkNotificationRead(ctx, "u1", ns[0].ID); err != nil {
		t.Fatal(err)
	}
	e.close()
	if code, out, stderr := runCLI(t, env, "", "recount"); code != 0 || !strings.Contains(out, "recount done: 0 counters repaired") {
		t.Fatalf("recount of sound counters: %d %q %s", code, out, stderr)
	}

	// The fan-out died after storing two more and before counting them.
	e, err = open(ctx, cfg, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.C("notification_counts").UpdateOne(ctx, bson.D{{Key: "_id", Value: "u1"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "unread", Value: 0}, {Key: "total", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	e.close()
	code, out, stderr := runCLI(t, env, "", "recount")
	if code != 0 || !strings.Contains(out, "notifications of user u1: unread 0 → 2, total 1 → 3\n") ||
		!strings.Contains(out, "recount done: 1 counters repaired") {
		t.Fatalf("recount after drift: %d %q %s", code, out, stderr)
	}
	e, err = open(ctx, cfg, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.db.Notifications().CountNotifications(ctx, "u1")
	e.close()
	if err != nil || got != (mitreden.NotificationCounts{Unread: 2, Total: 3}) {
		t.Fatalf("counter after recount: %+v %v", got, err)
	}
	if code, out, _ := runCLI(t, env, "", "recount"); code != 0 || !strings.Contains(out, "recount done: 0 counters repaired") {
		t.Fatalf("second recount: %d %q", code, out)
	}
}

// The reconciliation after an unclean stop repairs notification counters
// too: the stop may have cut a fan-out off between storing and counting.
func TestReconciler_RepairsNotificationCounters(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	ctx := context.Background()
	e, err := openFull(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	n := &mitreden.Notification{ID: "notify:reply:x:u2", EventID: "notify:reply:x", UserID: "u2", Kind: "reply", URL: "/comments/x",
		Mail: mitreden.MailMode("daily"), CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
	if _, err := e.db.Notifications().InsertNotifications(ctx, []*mitreden.Notification{n}); err != nil {
		t.Fatal(err)
	}
	// Stored but never counted.
	if _, err := e.db.C("notification_counts").DeleteOne(ctx, bson.D{{Key: "_id", Value: "u2"}}); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	r := newReconciler(e, newLogger(logs, "info"))
	r.recountWait = 10 * time.Millisecond
	if err := r.repair(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := e.db.Notifications().CountNotifications(ctx, "u2"); err != nil || got != (mitreden.NotificationCounts{Unread: 1, Total: 1}) {
		t.Fatalf("counter after the reconciliation: %+v %v", got, err)
	}
	if !strings.Contains(logs.String(), `"msg":"reconcile: notification counter repaired"`) ||
		!strings.Contains(logs.String(), `"counters_repaired":1`) {
		t.Fatalf("the repair is not logged:\n%s", logs.String())
	}
}
