package service_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
	"github.com/mitreden/mitreden/internal/service"
)

// meetingEnv is the meetings service on a fresh store with one person per
// role.
type meetingEnv struct {
	s                                                   *service.Meetings
	clk                                                 *fakeClock
	citizen, moderator, member, admin, blocked, expired *mitreden.User
}

func newMeetings(t *testing.T) *meetingEnv {
	t.Helper()
	clk := &fakeClock{now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	role := func(id string, r ...mitreden.Role) *mitreden.User {
		return &mitreden.User{ID: id, DisplayName: id, Language: "de", Roles: r}
	}
	e := &meetingEnv{s: service.NewMeetings(mongotest.MustOpenDB(t).Meetings(), clk.Now), clk: clk,
		citizen: role("citizen"), moderator: role("moderator", mitreden.RoleModerator), member: role("member", mitreden.RoleCouncil),
		admin: role("admin", mitreden.RoleAdmin), blocked: role("blocked", mitreden.RoleCouncil), expired: role("expired", mitreden.RoleCouncil)}
	e.blocked.Blocked, e.blocked.BlockReason = true, "Beleidigend"
	// A block that ended is no block.
	e.expired.Blocked, e.expired.BlockReason, e.expired.BlockedUntil = true, "Beleidigend", time.Now().Add(-time.Hour)
	return e
}

func (e *meetingEnv) meeting(t *testing.T, public bool, in time.Duration) *mitreden.Meeting {
	t.Helper()
	m := &mitreden.Meeting{Title: "Sitzung des Digitalrats", StartsAt: e.clk.now.Add(in), Place: "Landeshaus, Raum 3", Public: public,
		Agenda: []mitreden.AgendaItem{{Text: "Begrüßung"}, {Text: "Offene Daten", RecommendationID: "64b7f0f0f0f0f0f0f0f0f0f0"},
			{RecommendationID: "64b7f0f0f0f0f0f0f0f0f0f1"}}}
	if in < 0 {
		m.Minutes = "Beschlossen: **Offene Daten** zuerst."
	}
	if err := e.s.CreateMeeting(context.Background(), e.member, m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMeetings_WorkspaceIsNotFoundForEveryoneElse: anonymous visitors,
// citizens and moderators find nothing of the workspace, reading or
// writing, whether the meeting exists or not; members and admins read and
// write; a blocked member reads but may not write.
func TestMeetings_WorkspaceIsNotFoundForEveryoneElse(t *testing.T) {
	e := newMeetings(t)
	ctx := context.Background()
	secret := e.meeting(t, false, 48*time.Hour)
	for _, who := range []*mitreden.User{nil, e.citizen, e.moderator} {
		name := "anonymous"
		if who != nil {
			name = who.ID
		}
		for what, err := range map[string]error{
			"workspace":      e.s.Workspace(who),
			"list":           errOf(e.s.ReadMeetings(ctx, who, service.MeetingQuery{})),
			"read":           errOf(e.s.ReadMeeting(ctx, who, secret.ID)),
			"read unknown":   errOf(e.s.ReadMeeting(ctx, who, "64b7f0f0f0f0f0f0f0f0f0f0")),
			"new form":       errOf(e.s.NewMeeting(who)),
			"create":         e.s.CreateMeeting(ctx, who, &mitreden.Meeting{Title: "Sitzung von außen", StartsAt: e.clk.now, Place: "Irgendwo"}),
			"create invalid": e.s.CreateMeeting(ctx, who, &mitreden.Meeting{}),
			"update":         e.s.UpdateMeeting(ctx, who, &mitreden.Meeting{ID: secret.ID, Title: "Übernommen", StartsAt: e.clk.now, Place: "Irgendwo"}),
		} {
			wantCode(t, name+" "+what, err, mitreden.ENOTFOUND)
			if err.(*mitreden.Error).Message != "error.not_found" {
				t.Fatalf("%s %s: message %q", name, what, err.(*mitreden.Error).Message)
			}
		}
	}
	if got, _ := e.s.ReadMeeting(ctx, e.member, secret.ID); got.Title != "Sitzung des Digitalrats" {
		t.Fatalf("the update from outside changed it: %+v", got.Meeting)
	}
	for _, who := range []*mitreden.User{e.member, e.admin, e.expired} {
		if err := e.s.Workspace(who); err != nil {
			t.Fatalf("%s: %v", who.ID, err)
		}
		it, err := e.s.ReadMeeting(ctx, who, secret.ID)
		if err != nil || !it.CanEdit.Allowed() {
			t.Fatalf("%s reads: %v %+v", who.ID, err, it)
		}
		m := *it.Meeting
		m.Title = "Sitzung, geändert von " + who.ID
		if err := e.s.UpdateMeeting(ctx, who, &m); err != nil {
			t.Fatalf("%s writes: %v", who.ID, err)
		}
	}
	// Blocked: reads, sees why it may not write, and is refused the write.
	l, err := e.s.ReadMeetings(ctx, e.blocked, service.MeetingQuery{})
	if err != nil || len(l.Upcoming) != 1 || l.CanCreate.Allowed() || l.CanCreate.Reason() != mitreden.ReasonBlocked {
		t.Fatalf("blocked list: %v %+v", err, l)
	}
	it, err := e.s.ReadMeeting(ctx, e.blocked, secret.ID)
	if err != nil || it.CanEdit.Allowed() {
		t.Fatalf("blocked read: %v %+v", err, it)
	}
	wantCode(t, "blocked create", e.s.CreateMeeting(ctx, e.blocked, &mitreden.Meeting{Title: "Sitzung eines Gesperrten", StartsAt: e.clk.now, Place: "Ort"}),
		mitreden.EFORBIDDEN)
	m := *it.Meeting
	wantCode(t, "blocked update", e.s.UpdateMeeting(ctx, e.blocked, &m), mitreden.EFORBIDDEN)
}

func TestMeetings_PublicSeesPublicMeetingsOnlyAndNoLinks(t *testing.T) {
	e := newMeetings(t)
	ctx := context.Background()
	open := e.meeting(t, true, -24*time.Hour)
	secret := e.meeting(t, false, -48*time.Hour)
	soon := e.meeting(t, true, 24*time.Hour)
	for _, who := range []*mitreden.User{nil, e.citizen, e.member, e.admin} {
		l, err := e.s.ReadPublicMeetings(ctx, who, service.MeetingQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Upcoming) != 1 || l.Upcoming[0].ID != soon.ID || len(l.Past) != 1 || l.Past[0].ID != open.ID || l.PastTotal != 1 || l.CanCreate.Allowed() {
			t.Fatalf("public list: %+v", l)
		}
		// Not public: not there, for members neither.
		_, err = e.s.ReadPublicMeeting(ctx, who, secret.ID)
		wantCode(t, "non-public on the public page", err, mitreden.ENOTFOUND)
		it, err := e.s.ReadPublicMeeting(ctx, who, open.ID)
		if err != nil {
			t.Fatal(err)
		}
		if it.CreatedBy != "" || it.Agenda != nil || !strings.Contains(it.MinutesHTML, "<strong>Offene Daten</strong>") {
			t.Fatalf("public meeting not redacted or minutes missing: %+v", it.Meeting)
		}
		want := []service.AgendaEntry{{Text: "Begrüßung"}, {Text: "Offene Daten", Recommendation: true}, {Recommendation: true}}
		if !slices.Equal(it.Items, want) {
			t.Fatalf("public agenda: %+v", it.Items)
		}
		if member := who == e.member || who == e.admin; it.CanEdit.Allowed() != member {
			t.Fatalf("%v may edit: %v", who, it.CanEdit)
		}
	}
	// The store keeps the links: the redaction is a copy.
	it, err := e.s.ReadMeeting(ctx, e.member, open.ID)
	if err != nil || it.CreatedBy != e.member.ID || it.Items[1].RecommendationID != "64b7f0f0f0f0f0f0f0f0f0f0" || !it.Items[1].Recommendation {
		t.Fatalf("workspace read: %v %+v", err, it)
	}
	// The workspace lists both.
	l, err := e.s.ReadMeetings(ctx, e.admin, service.MeetingQuery{})
	if err != nil || len(l.Past) != 2 || l.Past[0].ID != open.ID || l.Past[1].ID != secret.ID || len(l.Upcoming) != 1 {
		t.Fatalf("workspace list: %v %+v", err, l)
	}
	// One part at a time, as the API asks.
	l, err = e.s.ReadMeetings(ctx, e.admin, service.MeetingQuery{When: service.MeetingsPast, PerPage: 1, Page: 2})
	if err != nil || len(l.Past) != 1 || l.Past[0].ID != secret.ID || l.PastTotal != 2 || l.Upcoming != nil || l.PerPage != 1 {
		t.Fatalf("past page 2: %v %+v", err, l)
	}
	// A meeting stays among the coming ones while it runs.
	e.clk.Advance(24*time.Hour + time.Hour)
	l, err = e.s.ReadPublicMeetings(ctx, nil, service.MeetingQuery{When: service.MeetingsUpcoming})
	if err != nil || len(l.Upcoming) != 1 || l.Upcoming[0].ID != soon.ID || !l.Upcoming[0].Started || l.Past != nil {
		t.Fatalf("running meeting: %v %+v", err, l)
	}
}

func TestMeetings_ValidationAndMinutesAfterTheStart(t *testing.T) {
	e := newMeetings(t)
	ctx := context.Background()
	bad := &mitreden.Meeting{Title: "Sitz", VideoURL: "javascript:alert(1)", Minutes: "Zu früh", StartsAt: e.clk.now.Add(time.Hour)}
	err := e.s.CreateMeeting(ctx, e.member, bad)
	wantCode(t, "invalid", err, mitreden.EINVALID)
	var fields []string
	for _, f := range err.(*mitreden.Error).Fields {
		fields = append(fields, f.Field+" "+f.Message)
	}
	slices.Sort(fields)
	want := []string{"minutes meeting.minutes_too_early", "title validation.title_length", "video_url meeting.video_url"}
	if !slices.Equal(fields, want) {
		t.Fatalf("fields %q, want %q", fields, want)
	}
	// Minutes alone, before the start, are refused too.
	err = e.s.CreateMeeting(ctx, e.member, &mitreden.Meeting{Title: "Sitzung im Juni", Place: "Ort", Minutes: "Zu früh", StartsAt: e.clk.now.Add(time.Minute)})
	wantCode(t, "minutes before the start", err, mitreden.EINVALID)

	m := e.meeting(t, false, time.Hour)
	m.Minutes = "# Protokoll\n\n<script>alert(1)</script>Beschlüsse"
	wantCode(t, "minutes an hour early", e.s.UpdateMeeting(ctx, e.member, m), mitreden.EINVALID)
	e.clk.Advance(time.Hour)
	if err := e.s.UpdateMeeting(ctx, e.member, m); err != nil {
		t.Fatal(err)
	}
	it, err := e.s.ReadMeeting(ctx, e.member, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(it.MinutesHTML, "<script") || !strings.Contains(it.MinutesHTML, "<h1") || it.Version != 2 || !it.Started {
		t.Fatalf("minutes not rendered and sanitized: %q (version %d)", it.MinutesHTML, it.Version)
	}
	// An English meeting is marked so.
	en := &mitreden.Meeting{Title: "Meeting with the open data team", Place: "Town hall", StartsAt: e.clk.now,
		Minutes: "We agreed that the data should be published for all people and that it needs a licence."}
	if err := e.s.CreateMeeting(ctx, e.admin, en); err != nil || en.Lang != "en" {
		t.Fatalf("english meeting: %v %q", err, en.Lang)
	}
}

func TestMeetings_StaleEditIsRefused(t *testing.T) {
	e := newMeetings(t)
	ctx := context.Background()
	m := e.meeting(t, true, time.Hour)
	a, b := *m, *m
	a.Title, b.Title = "Fassung von A", "Fassung von B"
	if err := e.s.UpdateMeeting(ctx, e.member, &a); err != nil {
		t.Fatal(err)
	}
	err := e.s.UpdateMeeting(ctx, e.admin, &b)
	wantCode(t, "stale", err, mitreden.ECONFLICT)
	if err.(*mitreden.Error).Message != "meeting.stale" {
		t.Fatal(err)
	}
	// Version 0 saves on whatever is stored (a PATCH without a version).
	b.Version = 0
	if err := e.s.UpdateMeeting(ctx, e.admin, &b); err != nil || b.Version != 3 {
		t.Fatalf("save without version: %v %d", err, b.Version)
	}
	// CreatedBy stays whoever edits.
	if it, _ := e.s.ReadMeeting(ctx, e.admin, m.ID); it.CreatedBy != e.member.ID || it.Title != "Fassung von B" {
		t.Fatalf("after edits: %+v", it.Meeting)
	}
}

func TestMeetings_RecommendationTitlesHook(t *testing.T) {
	e := newMeetings(t)
	ctx := context.Background()
	m := e.meeting(t, true, time.Hour)
	it, err := e.s.ReadMeeting(ctx, e.member, m.ID)
	if err != nil || it.Items[1].RecommendationTitle != "" {
		t.Fatalf("without the hook: %v %+v", err, it.Items)
	}
	var asked []string
	e.s.SetRecommendationTitles(func(_ context.Context, ids []string) (map[string]string, error) {
		asked = append(asked, ids...)
		return map[string]string{"64b7f0f0f0f0f0f0f0f0f0f0": "Offene Daten zuerst"}, nil
	})
	it, err = e.s.ReadMeeting(ctx, e.member, m.ID)
	if err != nil || it.Items[1].RecommendationTitle != "Offene Daten zuerst" || it.Items[2].RecommendationTitle != "" || len(asked) != 2 {
		t.Fatalf("with the hook: %v %+v (asked %q)", err, it.Items, asked)
	}
	// The public page never asks: it names no recommendation.
	asked = nil
	pub, err := e.s.ReadPublicMeeting(ctx, nil, m.ID)
	if err != nil || len(asked) != 0 || pub.Items[1].RecommendationTitle != "" {
		t.Fatalf("public: %v %+v", err, pub.Items)
	}
}
