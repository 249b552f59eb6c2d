package mitreden

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// The council meets in sessions (Sitzungen): members schedule them with a
// date, a place or a video link, an agenda and, after the meeting, the
// minutes. A public meeting and its minutes show on a public page; a
// non-public one only in the council's workspace.

// Limits of meetings.
const (
	MeetingTitleMin    = 5
	MeetingTitleMax    = 200
	MeetingPlaceMax    = 300
	MeetingVideoURLMax = 500
	MeetingMinutesMax  = 50000
	AgendaItemsMax     = 30
	AgendaTextMax      = 500
	// RecommendationIDMax bounds the id of a recommendation an agenda item
	// links (ids are letters and digits).
	RecommendationIDMax = 64
)

// Meeting is a meeting (Sitzung) of the council.
type Meeting struct {
	ID       string
	Title    string
	StartsAt time.Time
	// Place is where members meet, VideoURL the link to join from afar
	// (http or https); at least one of them is given.
	Place    string
	VideoURL string
	// Public meetings show with their minutes on the public pages.
	Public bool
	Agenda []AgendaItem
	// Minutes are the minutes (Markdown), written after the meeting began;
	// MinutesHTML is them rendered and sanitized when saved, with the
	// renderer's HTMLVersion.
	Minutes     string
	MinutesHTML string
	HTMLVersion int
	// Lang is the language of title, agenda and minutes.
	Lang      string
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version counts the saves, from 1: an edit made on an older version
	// is refused rather than overwriting what another member saved.
	Version int
}

// AgendaItem is one item of a meeting's agenda: a free text, a linked
// recommendation of the council (by its id), or both.
type AgendaItem struct {
	Text             string
	RecommendationID string
}

// Empty tells whether the item has neither text nor recommendation.
func (a AgendaItem) Empty() bool { return a.Text == "" && a.RecommendationID == "" }

// AgendaField names the input of field ("text" or "recommendation_id")
// of agenda item i (from 0) in field errors: "agenda.0.text".
func AgendaField(i int, field string) string { return fmt.Sprintf("agenda.%d.%s", i, field) }

// Validate trims the fields, drops empty agenda items and checks the rest.
// Whether minutes may be written yet depends on the time and is the
// service's rule.
func (m *Meeting) Validate() error {
	m.Title, m.Place, m.VideoURL = strings.TrimSpace(m.Title), strings.TrimSpace(m.Place), strings.TrimSpace(m.VideoURL)
	m.Minutes = strings.TrimSpace(m.Minutes)
	agenda := make([]AgendaItem, 0, len(m.Agenda))
	for _, a := range m.Agenda {
		a.Text, a.RecommendationID = strings.TrimSpace(a.Text), strings.TrimSpace(a.RecommendationID)
		if !a.Empty() {
			agenda = append(agenda, a)
		}
	}
	m.Agenda = agenda
	var fs []FieldError
	add := func(list ...*FieldError) {
		for _, fe := range list {
			if fe != nil {
				fs = append(fs, *fe)
			}
		}
	}
	add(lengthErr("title", utf8.RuneCountInString(m.Title), MeetingTitleMin, MeetingTitleMax, "validation.title_length"),
		CheckText("title", m.Title))
	if m.StartsAt.IsZero() {
		add(&FieldError{Field: "starts_at", Code: "required", Message: "validation.datetime"})
	}
	add(lengthErr("place", utf8.RuneCountInString(m.Place), 0, MeetingPlaceMax, "meeting.place_length"), CheckText("place", m.Place),
		CheckVideoURL("video_url", m.VideoURL))
	if m.Place == "" && m.VideoURL == "" {
		add(&FieldError{Field: "place", Code: "required", Message: "meeting.where_missing"})
	}
	if len(m.Agenda) > AgendaItemsMax {
		add(&FieldError{Field: "agenda", Code: "max", Message: "meeting.agenda_count", Args: map[string]any{"max": AgendaItemsMax}})
	}
	for i, a := range m.Agenda {
		n := map[string]any{"n": i + 1, "max": AgendaTextMax}
		if utf8.RuneCountInString(a.Text) > AgendaTextMax {
			add(&FieldError{Field: AgendaField(i, "text"), Code: "max", Message: "meeting.agenda_text_length", Args: n})
		} else if CheckText("text", a.Text) != nil {
			add(&FieldError{Field: AgendaField(i, "text"), Code: "chars", Message: "meeting.agenda_text_chars", Args: n})
		}
		if a.RecommendationID != "" && !validRecommendationID(a.RecommendationID) {
			add(&FieldError{Field: AgendaField(i, "recommendation_id"), Code: "id", Message: "meeting.agenda_recommendation",
				Args: map[string]any{"n": i + 1}})
		}
	}
	add(lengthErr("minutes", utf8.RuneCountInString(m.Minutes), 0, MeetingMinutesMax, "meeting.minutes_length"),
		CheckText("minutes", m.Minutes), CheckLang("lang", m.Lang))
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

// validRecommendationID admits ids of letters and digits only, so a link
// built from one stays a path of the workspace.
func validRecommendationID(id string) bool {
	if len(id) > RecommendationIDMax {
		return false
	}
	for _, r := range id {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}

// CheckVideoURL admits "" or an absolute http or https link with a host
// and without credentials or white space: any other scheme (javascript:,
// data:, file:) would be a link nobody should follow from the page.
func CheckVideoURL(field, s string) *FieldError {
	if s == "" {
		return nil
	}
	bad := &FieldError{Field: field, Code: "url", Message: "meeting.video_url"}
	if utf8.RuneCountInString(s) > MeetingVideoURLMax {
		return &FieldError{Field: field, Code: "max", Message: "meeting.video_url_length", Args: map[string]any{"max": MeetingVideoURLMax}}
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f || isBidiControl(r) }) {
		return bad
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return bad
	}
	return nil
}

// MeetingFilter selects meetings: the coming ones (starting at From or
// later, soonest first) or the past ones (starting before From, newest
// first), all or only public ones.
type MeetingFilter struct {
	PublicOnly    bool
	Past          bool
	From          time.Time
	Page, PerPage int
}

// MeetingStore persists the council's meetings, one document each. Besides
// the codes named per method, every method returns EUNAVAILABLE and
// EINTERNAL.
type MeetingStore interface {
	// CreateMeeting inserts m with Version 1 and sets m.ID.
	CreateMeeting(ctx context.Context, m *Meeting) error
	// FindMeeting returns the meeting with id; ENOTFOUND when there is none
	// (or id is malformed).
	FindMeeting(ctx context.Context, id string) (*Meeting, error)
	// UpdateMeeting replaces the editable fields of meeting m.ID and
	// increments its version, only while its version is m.Version (which
	// then becomes the new one); ENOTFOUND when it is gone, ECONFLICT
	// ("meeting.stale") when another save came first.
	UpdateMeeting(ctx context.Context, m *Meeting) error
	// ListMeetings returns one page of the meetings f selects and how many
	// match in all.
	ListMeetings(ctx context.Context, f MeetingFilter) ([]*Meeting, int, error)
}
