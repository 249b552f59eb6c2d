package service

import (
	"cmp"
	"context"
	"time"

	"github.com/mitreden/mitreden/internal/markdown"
	"github.com/mitreden/mitreden/internal/mitreden"
)

// Meetings schedules the council's meetings (Sitzungen) and serves them:
// in the workspace to members and admins (404 to everyone else, see
// council_access.go), and the public ones with their minutes to everyone.
// What the public sees is decided here alone: a non-public meeting does
// not exist for it, and a public one loses the ids of the recommendations
// its agenda links and who scheduled it.
type Meetings struct {
	st  mitreden.MeetingStore
	now Clock
	// recTitles names linked recommendations (SetRecommendationTitles).
	recTitles RecommendationTitles
}

// NewMeetings wires the service; a nil clock is the system's.
func NewMeetings(st mitreden.MeetingStore, now Clock) *Meetings {
	if now == nil {
		now = SystemClock
	}
	return &Meetings{st: st, now: now}
}

// RecommendationTitles returns the titles of the recommendations with the
// given ids (unknown ones left out). It is the hook through which the
// recommendations work names the recommendations an agenda links.
type RecommendationTitles func(ctx context.Context, ids []string) (map[string]string, error)

// SetRecommendationTitles sets the hook that names linked recommendations
// on the workspace's pages; until it is set, they are named by their id.
// Call before serving.
func (s *Meetings) SetRecommendationTitles(f RecommendationTitles) { s.recTitles = f }

// Now is the service's clock (the forms' default date).
func (s *Meetings) Now() time.Time { return s.now() }

// Workspace returns nil when actor may enter the council's workspace
// (members and admins), else ENOTFOUND: the routes of the workspace answer
// everyone else as if they did not exist.
func (s *Meetings) Workspace(actor *mitreden.User) error { return councilReader(actor).Err() }

// NewMeeting returns the form's starting point for a new meeting: a week
// from now at the full hour, not public. Returns ENOTFOUND to anyone but
// members and admins.
func (s *Meetings) NewMeeting(actor *mitreden.User) (*mitreden.Meeting, error) {
	if err := councilReader(actor).Err(); err != nil {
		return nil, err
	}
	return &mitreden.Meeting{StartsAt: s.now().Add(7 * 24 * time.Hour).Truncate(time.Hour)}, nil
}

// MeetingsPerPage is how many past meetings a list shows at once; the
// coming ones show at most MeetingsUpcomingMax.
const (
	MeetingsPerPage     = 20
	MeetingsUpcomingMax = 100
)

// MeetingOngoing is how long after its start a meeting still counts among
// the coming ones: while it runs, people look for it there.
const MeetingOngoing = 4 * time.Hour

// AgendaEntry is an agenda item as the viewer sees it.
type AgendaEntry struct {
	Text string
	// Recommendation tells that the item links a recommendation; public
	// pages say so without saying which.
	Recommendation bool
	// RecommendationID (workspace only) is the linked recommendation, and
	// RecommendationTitle its title once the recommendations work names it
	// (SetRecommendationTitles), else "".
	RecommendationID    string
	RecommendationTitle string
}

// MeetingItem is a meeting with what the viewer may do with it. For the
// public, Meeting is a redacted copy: no agenda links, no author.
type MeetingItem struct {
	*mitreden.Meeting
	// Items is the agenda as the viewer sees it.
	Items []AgendaEntry
	// Started tells whether the meeting has begun (minutes may be written).
	Started bool
	// CanEdit is whether the viewer may change it (members and admins
	// who are not blocked).
	CanEdit mitreden.Permission
}

// MeetingList is a list page: the coming meetings and a page of the past.
type MeetingList struct {
	Upcoming      []*MeetingItem
	UpcomingTotal int
	Past          []*MeetingItem
	PastTotal     int
	Page, PerPage int
	// CanCreate tells whether the viewer may schedule a meeting (always
	// refused on the public list; members go to the workspace).
	CanCreate mitreden.Permission
}

// Which meetings a list holds.
const (
	MeetingsBoth     = ""         // the coming ones, and a page of the past ones
	MeetingsUpcoming = "upcoming" // a page of the coming ones, soonest first
	MeetingsPast     = "past"     // a page of the past ones, newest first
)

// MeetingWhens are the lists the API offers.
var MeetingWhens = []string{MeetingsUpcoming, MeetingsPast}

// MeetingQuery asks for a list: which part (MeetingsBoth, MeetingsUpcoming,
// MeetingsPast) and which page of it (the past one for MeetingsBoth).
type MeetingQuery struct {
	When          string
	Page, PerPage int
}

// ReadMeetings returns the workspace's list: every meeting, public or
// not. Returns ENOTFOUND to anyone but members and admins.
func (s *Meetings) ReadMeetings(ctx context.Context, actor *mitreden.User, q MeetingQuery) (*MeetingList, error) {
	if err := councilReader(actor).Err(); err != nil {
		return nil, err
	}
	l, err := s.list(ctx, false, q)
	if err != nil {
		return nil, err
	}
	l.CanCreate = councilMember(actor)
	for _, it := range append(l.Upcoming, l.Past...) {
		s.workspaceItem(it, actor)
	}
	return l, nil
}

// ReadPublicMeetings returns the public list: public meetings only,
// redacted.
func (s *Meetings) ReadPublicMeetings(ctx context.Context, viewer *mitreden.User, q MeetingQuery) (*MeetingList, error) {
	l, err := s.list(ctx, true, q)
	if err != nil {
		return nil, err
	}
	l.CanCreate = mitreden.Deny(mitreden.ENOTFOUND, "error.not_found", nil)
	for _, it := range append(l.Upcoming, l.Past...) {
		s.publicItem(it, viewer)
	}
	return l, nil
}

// list reads the parts q asks for: two queries for both parts, one for
// either.
func (s *Meetings) list(ctx context.Context, publicOnly bool, q MeetingQuery) (*MeetingList, error) {
	from := s.now().Add(-MeetingOngoing)
	if q.When == MeetingsBoth {
		q.PerPage = MeetingsPerPage
	}
	page, per := mitreden.NormalizePage(q.Page, cmp.Or(q.PerPage, MeetingsPerPage))
	l := &MeetingList{Page: page, PerPage: per}
	if q.When != MeetingsPast {
		f := mitreden.MeetingFilter{PublicOnly: publicOnly, From: from, Page: page, PerPage: per}
		if q.When == MeetingsBoth {
			f.Page, f.PerPage = 1, MeetingsUpcomingMax
		}
		up, total, err := s.st.ListMeetings(ctx, f)
		if err != nil {
			return nil, err
		}
		l.UpcomingTotal = total
		for _, m := range up {
			l.Upcoming = append(l.Upcoming, &MeetingItem{Meeting: m})
		}
	}
	if q.When != MeetingsUpcoming {
		past, total, err := s.st.ListMeetings(ctx, mitreden.MeetingFilter{PublicOnly: publicOnly, Past: true, From: from, Page: page, PerPage: per})
		if err != nil {
			return nil, err
		}
		l.PastTotal = total
		for _, m := range past {
			l.Past = append(l.Past, &MeetingItem{Meeting: m})
		}
	}
	return l, nil
}

// ReadMeeting returns a meeting for the workspace, with the titles of the
// recommendations its agenda links where the hook names them. Returns
// ENOTFOUND to anyone but members and admins, and for an unknown id.
func (s *Meetings) ReadMeeting(ctx context.Context, actor *mitreden.User, id string) (*MeetingItem, error) {
	if err := councilReader(actor).Err(); err != nil {
		return nil, err
	}
	m, err := s.st.FindMeeting(ctx, id)
	if err != nil {
		return nil, err
	}
	it := &MeetingItem{Meeting: m}
	s.workspaceItem(it, actor)
	if err := s.nameRecommendations(ctx, it); err != nil {
		return nil, err
	}
	return it, nil
}

// ReadPublicMeeting returns a public meeting with its minutes, redacted.
// Returns ENOTFOUND for a meeting that is not public, to members too: the
// public page shows what the public sees.
func (s *Meetings) ReadPublicMeeting(ctx context.Context, viewer *mitreden.User, id string) (*MeetingItem, error) {
	m, err := s.st.FindMeeting(ctx, id)
	if err != nil {
		return nil, err
	}
	if !m.Public {
		return nil, &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
	}
	it := &MeetingItem{Meeting: m}
	s.publicItem(it, viewer)
	return it, nil
}

// workspaceItem fills what members see of it.Meeting.
func (s *Meetings) workspaceItem(it *MeetingItem, actor *mitreden.User) {
	freshMinutes(it.Meeting)
	it.Started = !it.StartsAt.After(s.now())
	it.CanEdit = councilMember(actor)
	it.Items = make([]AgendaEntry, 0, len(it.Agenda))
	for _, a := range it.Agenda {
		it.Items = append(it.Items, AgendaEntry{Text: a.Text, Recommendation: a.RecommendationID != "", RecommendationID: a.RecommendationID})
	}
}

// publicItem redacts it.Meeting for the public: the agenda keeps its
// texts and says which items link a recommendation, not which one; who
// scheduled the meeting is left out. A member or admin may edit it (in
// the workspace).
func (s *Meetings) publicItem(it *MeetingItem, viewer *mitreden.User) {
	cp := *it.Meeting
	freshMinutes(&cp)
	it.Items = make([]AgendaEntry, 0, len(cp.Agenda))
	for _, a := range cp.Agenda {
		it.Items = append(it.Items, AgendaEntry{Text: a.Text, Recommendation: a.RecommendationID != ""})
	}
	cp.Agenda, cp.CreatedBy = nil, ""
	it.Meeting = &cp
	it.Started = !cp.StartsAt.After(s.now())
	it.CanEdit = mitreden.Deny(mitreden.ENOTFOUND, "error.not_found", nil)
	if councilReader(viewer).Allowed() {
		it.CanEdit = councilMember(viewer)
	}
}

// nameRecommendations asks the hook for the titles of the linked
// recommendations, in one call.
func (s *Meetings) nameRecommendations(ctx context.Context, it *MeetingItem) error {
	if s.recTitles == nil {
		return nil
	}
	var ids []string
	for _, e := range it.Items {
		if e.RecommendationID != "" {
			ids = append(ids, e.RecommendationID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	titles, err := s.recTitles(ctx, ids)
	if err != nil {
		return err
	}
	for i := range it.Items {
		it.Items[i].RecommendationTitle = titles[it.Items[i].RecommendationID]
	}
	return nil
}

// freshMinutes renders minutes stored by another renderer version again
// (meetings are few, so at read rather than in a backfill).
func freshMinutes(m *mitreden.Meeting) {
	if m.HTMLVersion != markdown.Version {
		RenderMeeting(m)
	}
}

// RenderMeeting fills m's HTML field from its minutes, for a store write.
func RenderMeeting(m *mitreden.Meeting) {
	m.MinutesHTML, m.HTMLVersion = renderText(m.Minutes), markdown.Version
}

// CreateMeeting schedules m. Members and admins only. Returns ENOTFOUND
// (not a member), EFORBIDDEN (blocked), EINVALID.
func (s *Meetings) CreateMeeting(ctx context.Context, actor *mitreden.User, m *mitreden.Meeting) error {
	if err := councilMember(actor).Err(); err != nil {
		return err
	}
	if err := s.check(m); err != nil {
		return err
	}
	m.CreatedBy, m.CreatedAt = actor.ID, s.now()
	s.prepare(actor, m)
	return s.st.CreateMeeting(ctx, m)
}

// UpdateMeeting replaces the editable fields of meeting m.ID. An edit made
// on an older version than the stored one (m.Version; 0: whatever is
// stored) is refused, so that no member overwrites another's save unseen.
// Returns ENOTFOUND (not a member, unknown id), EFORBIDDEN (blocked),
// EINVALID, ECONFLICT ("meeting.stale").
func (s *Meetings) UpdateMeeting(ctx context.Context, actor *mitreden.User, m *mitreden.Meeting) error {
	if err := councilMember(actor).Err(); err != nil {
		return err
	}
	old, err := s.st.FindMeeting(ctx, m.ID)
	if err != nil {
		return err
	}
	if m.Version == 0 {
		m.Version = old.Version
	} else if m.Version != old.Version {
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "meeting.stale"}
	}
	if err := s.check(m); err != nil {
		return err
	}
	m.CreatedBy, m.CreatedAt, m.UpdatedAt = old.CreatedBy, old.CreatedAt, s.now()
	s.prepare(actor, m)
	return s.st.UpdateMeeting(ctx, m)
}

// check validates m and the rule of time: minutes are written once the
// meeting has begun.
func (s *Meetings) check(m *mitreden.Meeting) error {
	err := m.Validate()
	if m.Minutes != "" && !m.StartsAt.IsZero() && m.StartsAt.After(s.now()) {
		fe := mitreden.FieldError{Field: "minutes", Code: "too_early", Message: "meeting.minutes_too_early"}
		if de, ok := err.(*mitreden.Error); ok {
			de.Fields = append(de.Fields, fe)
			return de
		}
		return mitreden.Invalid(fe)
	}
	return err
}

// prepare sets the language and renders the minutes.
func (s *Meetings) prepare(actor *mitreden.User, m *mitreden.Meeting) {
	texts := []string{m.Title, m.Minutes}
	for _, a := range m.Agenda {
		texts = append(texts, a.Text)
	}
	m.Lang = mitreden.ContentLang(m.Lang, actor.Language, texts...)
	RenderMeeting(m)
}
