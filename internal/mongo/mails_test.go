package mongo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// TestMails_StoreListAndDropBody checks the mail store: one mail per ID,
// the outbox newest first in pages, and a sent mail's body dropped.
func TestMails_StoreListAndDropBody(t *testing.T) {
	s := mongotest.MustOpenDB(t).Mails()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	for i := range 5 {
		m := &mitreden.Mail{ID: fmt.Sprint("m", i), To: "a@example.org", Subject: fmt.Sprint("S", i), Text: "text", HTML: "<p>html</p>",
			Unsubscribe: "https://x.example/u", CreatedAt: t0.Add(time.Duration(i) * time.Minute)}
		if err := s.InsertMail(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.InsertMail(ctx, &mitreden.Mail{ID: "m1", To: "b@example.org", CreatedAt: t0}); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("inserting an existing ID: %v, want conflict", err)
	}
	page, total, err := s.ListMails(ctx, 1, 2)
	if err != nil || total != 5 || len(page) != 2 || page[0].ID != "m3" || page[1].ID != "m2" {
		t.Fatalf("page 2 of the outbox: %+v total %d %v", page, total, err)
	}
	if page[0].To != "a@example.org" || page[0].Text != "text" || page[0].HTML != "<p>html</p>" || !page[0].CreatedAt.Equal(t0.Add(3*time.Minute)) || !page[0].SentAt.IsZero() {
		t.Fatalf("listed mail: %+v", page[0])
	}
	sent := t0.Add(time.Hour)
	if err := s.MarkMailSent(ctx, "m2", sent, false); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkMailSent(ctx, "m3", sent, true); err != nil {
		t.Fatal(err)
	}
	if m, err := s.FindMail(ctx, "m2"); err != nil || !m.SentAt.Equal(sent) || m.Text != "text" {
		t.Fatalf("sent mail kept: %+v %v", m, err)
	}
	if m, err := s.FindMail(ctx, "m3"); err != nil || !m.SentAt.Equal(sent) || m.Text != "" || m.HTML != "" || m.Subject != "S3" {
		t.Fatalf("sent mail with its body dropped: %+v %v", m, err)
	}
	if err := s.MarkMailSent(ctx, "nope", sent, false); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("marking a missing mail: %v", err)
	}
	if _, err := s.FindMail(ctx, "nope"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("finding a missing mail: %v", err)
	}
	// An erased account's mails go, sent or not; others stay.
	if n, err := s.DeleteMailsTo(ctx, "a@example.org"); err != nil || n != 5 {
		t.Fatalf("deleting a's mails: %d %v", n, err)
	}
	if _, err := s.FindMail(ctx, "m1"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("a deleted mail: %v", err)
	}
	if n, err := s.DeleteMailsTo(ctx, "a@example.org"); err != nil || n != 0 {
		t.Fatalf("deleting again: %d %v", n, err)
	}
	// Mails of one instant list in the order they were stored, whatever
	// their IDs.
	for _, id := range []string{"z-first", "a-second", "m-third"} {
		if err := s.InsertMail(ctx, &mitreden.Mail{ID: id, To: "c@example.org", CreatedAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	page, total, err = s.ListMails(ctx, 0, 3)
	if err != nil || total != 3 || page[0].ID != "m-third" || page[1].ID != "a-second" || page[2].ID != "z-first" {
		t.Fatalf("mails of one instant: %+v total %d %v", page, total, err)
	}
}
