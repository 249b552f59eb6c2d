package mongo_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

func mustMeeting(t *testing.T, s *mongo.MeetingStore, title string, at time.Time, public bool) *mitreden.Meeting {
	t.Helper()
	m := &mitreden.Meeting{Title: title, StartsAt: at, Place: "Landeshaus", Public: public, Lang: "de", CreatedBy: "u1",
		Agenda: []mitreden.AgendaItem{{Text: "Begrüßung"}, {Text: "Bericht", RecommendationID: "64b7f0f0f0f0f0f0f0f0f0f0"}}}
	if err := s.CreateMeeting(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMeetingStore_RoundTripUpdateAndNotFound(t *testing.T) {
	s := mongotest.MustOpenDB(t).Meetings()
	ctx := context.Background()
	m := mustMeeting(t, s, "Sitzung im Juni", t0, true)
	if m.ID == "" || m.Version != 1 || m.CreatedAt.IsZero() {
		t.Fatalf("created: %+v", m)
	}
	got, err := s.FindMeeting(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.StartsAt.Equal(t0) || got.StartsAt.Location() != time.UTC || !got.Public || got.Place != "Landeshaus" || got.Version != 1 ||
		!slices.Equal(got.Agenda, m.Agenda) || got.CreatedBy != "u1" || got.Lang != "de" {
		t.Fatalf("round trip: %+v", got)
	}

	got.Title, got.Public, got.Agenda, got.Minutes, got.MinutesHTML = "Sitzung im Juli", false, nil, "Protokoll", "<p>Protokoll</p>"
	if err := s.UpdateMeeting(ctx, got); err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 {
		t.Fatalf("version after update: %d", got.Version)
	}
	again, err := s.FindMeeting(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.Title != "Sitzung im Juli" || again.Public || len(again.Agenda) != 0 || again.MinutesHTML != "<p>Protokoll</p>" || again.Version != 2 {
		t.Fatalf("after update: %+v", again)
	}

	// A save on the version before is refused and changes nothing.
	stale := *m
	stale.Title = "Veraltete Fassung"
	if err := s.UpdateMeeting(ctx, &stale); mitreden.ErrorCode(err) != mitreden.ECONFLICT || err.(*mitreden.Error).Message != "meeting.stale" {
		t.Fatalf("stale save: %v", err)
	}
	if cur, _ := s.FindMeeting(ctx, m.ID); cur.Title != "Sitzung im Juli" || cur.Version != 2 {
		t.Fatalf("stale save changed it: %+v", cur)
	}

	for _, id := range []string{"", "kein-objectid", "64b7f0f0f0f0f0f0f0f0f0f0", `{"$ne":""}`} {
		if _, err := s.FindMeeting(ctx, id); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
			t.Errorf("find %q: %v", id, err)
		}
		if err := s.UpdateMeeting(ctx, &mitreden.Meeting{ID: id, Version: 1}); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
			t.Errorf("update %q: %v", id, err)
		}
	}
}

// TestMeetingStore_ConcurrentSavesOnOneVersion: of saves made on the same
// version, exactly one wins.
func TestMeetingStore_ConcurrentSavesOnOneVersion(t *testing.T) {
	s := mongotest.MustOpenDB(t).Meetings()
	m := mustMeeting(t, s, "Sitzung im Juni", t0, false)
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			cp := *m
			cp.Title = fmt.Sprintf("Fassung %d", i)
			errs <- s.UpdateMeeting(context.Background(), &cp)
		}()
	}
	won := 0
	for range n {
		switch err := <-errs; mitreden.ErrorCode(err) {
		case "":
			won++
		case mitreden.ECONFLICT:
		default:
			t.Fatal(err)
		}
	}
	if got, _ := s.FindMeeting(context.Background(), m.ID); won != 1 || got.Version != 2 {
		t.Fatalf("%d saves won, version %d", won, got.Version)
	}
}

func TestMeetingStore_ListsComingAndPast(t *testing.T) {
	s := mongotest.MustOpenDB(t).Meetings()
	ctx := context.Background()
	// Sitzung 0, 2 and 4 are public.
	for i, d := range []int{-30, -2, -1, 1, 3, 20} {
		mustMeeting(t, s, fmt.Sprintf("Sitzung %d", i), t0.AddDate(0, 0, d), i%2 == 0)
	}
	titles := func(f mitreden.MeetingFilter) ([]string, int) {
		t.Helper()
		list, total, err := s.ListMeetings(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range list {
			out = append(out, m.Title)
		}
		return out, total
	}
	for _, tc := range []struct {
		f     mitreden.MeetingFilter
		want  []string
		total int
	}{
		{mitreden.MeetingFilter{From: t0}, []string{"Sitzung 3", "Sitzung 4", "Sitzung 5"}, 3},
		{mitreden.MeetingFilter{From: t0, Past: true}, []string{"Sitzung 2", "Sitzung 1", "Sitzung 0"}, 3},
		{mitreden.MeetingFilter{From: t0, Past: true, PerPage: 2, Page: 2}, []string{"Sitzung 0"}, 3},
		{mitreden.MeetingFilter{From: t0, PublicOnly: true}, []string{"Sitzung 4"}, 1},
		{mitreden.MeetingFilter{From: t0, PublicOnly: true, Past: true}, []string{"Sitzung 2", "Sitzung 0"}, 2},
	} {
		got, total := titles(tc.f)
		if !slices.Equal(got, tc.want) || total != tc.total {
			t.Errorf("%+v: got %q (%d), want %q (%d)", tc.f, got, total, tc.want, tc.total)
		}
	}
}
