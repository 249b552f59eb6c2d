package mitreden_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

func validMeeting() *mitreden.Meeting {
	return &mitreden.Meeting{Title: "Sitzung im Juni", StartsAt: time.Date(2026, 6, 10, 16, 0, 0, 0, time.UTC), Place: "Landeshaus, Raum 3"}
}

// meetingFields returns the fields Validate refuses, with their message keys.
func meetingFields(t *testing.T, m *mitreden.Meeting) []string {
	t.Helper()
	err := m.Validate()
	if err == nil {
		return nil
	}
	de, ok := err.(*mitreden.Error)
	if !ok || de.Code != mitreden.EINVALID {
		t.Fatalf("not a field error: %v", err)
	}
	var out []string
	for _, f := range de.Fields {
		out = append(out, f.Field+" "+f.Message)
	}
	return out
}

func TestMeetingValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		change func(*mitreden.Meeting)
		want   []string
	}{
		"valid":                  {func(*mitreden.Meeting) {}, nil},
		"video link only":        {func(m *mitreden.Meeting) { m.Place, m.VideoURL = "", "https://video.example.org/raum/7?pin=1" }, nil},
		"neither place nor link": {func(m *mitreden.Meeting) { m.Place = "  " }, []string{"place meeting.where_missing"}},
		"title short":            {func(m *mitreden.Meeting) { m.Title = " Sitz " }, []string{"title validation.title_length"}},
		"no date":                {func(m *mitreden.Meeting) { m.StartsAt = time.Time{} }, []string{"starts_at validation.datetime"}},
		"javascript link":        {func(m *mitreden.Meeting) { m.VideoURL = "javascript:alert(1)" }, []string{"video_url meeting.video_url"}},
		"data link":              {func(m *mitreden.Meeting) { m.VideoURL = "data:text/html,<p>x</p>" }, []string{"video_url meeting.video_url"}},
		"no host":                {func(m *mitreden.Meeting) { m.VideoURL = "https:///raum" }, []string{"video_url meeting.video_url"}},
		"relative":               {func(m *mitreden.Meeting) { m.VideoURL = "//video.example.org/raum" }, []string{"video_url meeting.video_url"}},
		"credentials":            {func(m *mitreden.Meeting) { m.VideoURL = "https://user:pw@video.example.org/" }, []string{"video_url meeting.video_url"}},
		"space inside":           {func(m *mitreden.Meeting) { m.VideoURL = "https://video.example.org/a b" }, []string{"video_url meeting.video_url"}},
		"bidi override":          {func(m *mitreden.Meeting) { m.VideoURL = "https://video.example.org/\u202egro" }, []string{"video_url meeting.video_url"}},
		"link too long": {func(m *mitreden.Meeting) { m.VideoURL = "https://video.example.org/" + strings.Repeat("a", 500) },
			[]string{"video_url meeting.video_url_length"}},
		"agenda text long": {func(m *mitreden.Meeting) {
			m.Agenda = []mitreden.AgendaItem{{Text: "Begrüßung"}, {Text: strings.Repeat("x", 501)}}
		}, []string{"agenda.1.text meeting.agenda_text_length"}},
		"agenda control char": {func(m *mitreden.Meeting) { m.Agenda = []mitreden.AgendaItem{{Text: "Bericht\x00"}} },
			[]string{"agenda.0.text meeting.agenda_text_chars"}},
		"recommendation id path": {func(m *mitreden.Meeting) { m.Agenda = []mitreden.AgendaItem{{RecommendationID: "../admin"}} },
			[]string{"agenda.0.recommendation_id meeting.agenda_recommendation"}},
		"too many items": {func(m *mitreden.Meeting) {
			for range mitreden.AgendaItemsMax + 1 {
				m.Agenda = append(m.Agenda, mitreden.AgendaItem{Text: "Punkt"})
			}
		}, []string{"agenda meeting.agenda_count"}},
		"minutes control char": {func(m *mitreden.Meeting) { m.Minutes = "Protokoll \u202e" }, []string{"minutes validation.text_chars"}},
		"language":             {func(m *mitreden.Meeting) { m.Lang = "fr" }, []string{"lang validation.oneof"}},
	} {
		t.Run(name, func(t *testing.T) {
			m := validMeeting()
			tc.change(m)
			if got := meetingFields(t, m); !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMeetingValidate_TrimsAndDropsEmptyAgendaItems(t *testing.T) {
	m := validMeeting()
	m.Title, m.VideoURL, m.Minutes = "  Sitzung im Juni ", " https://video.example.org/r ", "\n# Protokoll\n"
	m.Agenda = []mitreden.AgendaItem{{Text: "  "}, {Text: " Begrüßung "}, {}, {RecommendationID: " 64b7f0f0f0f0f0f0f0f0f0f0 "}}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	want := []mitreden.AgendaItem{{Text: "Begrüßung"}, {RecommendationID: "64b7f0f0f0f0f0f0f0f0f0f0"}}
	if !slices.Equal(m.Agenda, want) || m.Title != "Sitzung im Juni" || m.VideoURL != "https://video.example.org/r" || m.Minutes != "# Protokoll" {
		t.Fatalf("after Validate: %+v", m)
	}
}
