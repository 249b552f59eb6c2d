package http

import (
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// meetingJSON is a meeting in the API: in the workspace with the
// recommendations its agenda links, publicly without them.
type meetingJSON struct {
	ID          string                    `json:"id"`
	Title       string                    `json:"title"`
	StartsAt    time.Time                 `json:"starts_at"`
	Place       string                    `json:"place"`
	VideoURL    string                    `json:"video_url"`
	Public      bool                      `json:"public"`
	Agenda      []agendaItemJSON          `json:"agenda"`
	Minutes     string                    `json:"minutes"`
	MinutesHTML string                    `json:"minutes_html"`
	Lang        string                    `json:"lang"`
	Version     int                       `json:"version"`
	CreatedAt   time.Time                 `json:"created_at"`
	UpdatedAt   time.Time                 `json:"updated_at"`
	Permissions map[string]permissionJSON `json:"permissions"`
}

// agendaItemJSON is an agenda item; RecommendationID and
// RecommendationTitle only in the workspace.
type agendaItemJSON struct {
	Text                string `json:"text"`
	Recommendation      bool   `json:"recommendation"`
	RecommendationID    string `json:"recommendation_id,omitempty"`
	RecommendationTitle string `json:"recommendation_title,omitempty"`
}

func (s *Server) meetingJSONOf(c *fiber.Ctx, it *service.MeetingItem) meetingJSON {
	m := it.Meeting
	j := meetingJSON{ID: m.ID, Title: m.Title, StartsAt: m.StartsAt, Place: m.Place, VideoURL: m.VideoURL, Public: m.Public,
		Agenda: []agendaItemJSON{}, Minutes: m.Minutes, MinutesHTML: string(storedHTML(m.MinutesHTML, m.Minutes, m.HTMLVersion)),
		Lang: m.Lang, Version: m.Version, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
		Permissions: s.permissionsJSON(c, map[string]mitreden.Permission{"edit": it.CanEdit})}
	for _, a := range it.Items {
		j.Agenda = append(j.Agenda, agendaItemJSON{Text: a.Text, Recommendation: a.Recommendation,
			RecommendationID: a.RecommendationID, RecommendationTitle: a.RecommendationTitle})
	}
	return j
}

// meetingListQuery asks for one part of a list of meetings.
type meetingListQuery struct {
	When    string `query:"when" validate:"max=20"`
	Page    int    `query:"page" validate:"min=0"`
	PerPage int    `query:"per_page" validate:"min=0,max=100"`
}

// query checks when against service.MeetingWhens ("" is upcoming).
func (q *meetingListQuery) query() (service.MeetingQuery, error) {
	if q.When == "" {
		q.When = service.MeetingsUpcoming
	}
	if !slices.Contains(service.MeetingWhens, q.When) {
		return service.MeetingQuery{}, mitreden.Invalid(mitreden.FieldError{Field: "when", Code: "oneof", Message: "validation.oneof"})
	}
	return service.MeetingQuery{When: q.When, Page: q.Page, PerPage: q.PerPage}, nil
}

func (s *Server) meetingListJSON(c *fiber.Ctx, read func(service.MeetingQuery) (*service.MeetingList, error)) error {
	var q meetingListQuery
	if err := s.parseQuery(c, &q); err != nil {
		return err
	}
	mq, err := q.query()
	if err != nil {
		return err
	}
	l, err := read(mq)
	if err != nil {
		return err
	}
	items, total := l.Upcoming, l.UpcomingTotal
	if mq.When == service.MeetingsPast {
		items, total = l.Past, l.PastTotal
	}
	out := listJSON[meetingJSON]{Items: []meetingJSON{}, Total: total, Page: l.Page, PerPage: l.PerPage}
	for _, it := range items {
		out.Items = append(out.Items, s.meetingJSONOf(c, it))
	}
	return sendJSON(c, fiber.StatusOK, out)
}

func (s *Server) apiMeetings(c *fiber.Ctx) error {
	return s.meetingListJSON(c, func(q service.MeetingQuery) (*service.MeetingList, error) {
		return s.deps.Meetings.ReadMeetings(c.UserContext(), userOf(c), q)
	})
}

func (s *Server) apiPublicMeetings(c *fiber.Ctx) error {
	return s.meetingListJSON(c, func(q service.MeetingQuery) (*service.MeetingList, error) {
		return s.deps.Meetings.ReadPublicMeetings(c.UserContext(), userOf(c), q)
	})
}

// apiMeetingAnswer answers with meeting id as the workspace shows it.
func (s *Server) apiMeetingAnswer(c *fiber.Ctx, status int, id string) error {
	it, err := s.deps.Meetings.ReadMeeting(c.UserContext(), userOf(c), id)
	if err != nil {
		return err
	}
	if status == fiber.StatusCreated {
		c.Location("/api/v1/council/meetings/" + id)
	}
	return sendJSON(c, status, s.meetingJSONOf(c, it))
}

func (s *Server) apiMeeting(c *fiber.Ctx) error {
	return s.apiMeetingAnswer(c, fiber.StatusOK, c.Params("id"))
}

func (s *Server) apiPublicMeeting(c *fiber.Ctx) error {
	it, err := s.deps.Meetings.ReadPublicMeeting(c.UserContext(), userOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, s.meetingJSONOf(c, it))
}

func (s *Server) apiMeetingCreate(c *fiber.Ctx) error {
	var req meetingRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	m := &mitreden.Meeting{}
	if err := req.apply(m); err != nil {
		return err
	}
	m.Version = 0
	if err := s.deps.Meetings.CreateMeeting(c.UserContext(), userOf(c), m); err != nil {
		return err
	}
	return s.apiMeetingAnswer(c, fiber.StatusCreated, m.ID)
}

func (s *Server) apiMeetingUpdate(c *fiber.Ctx) error {
	var req meetingRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	it, err := s.deps.Meetings.ReadMeeting(c.UserContext(), userOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	m := it.Meeting
	// A PATCH without a version changes what it read just now.
	if err := req.apply(m); err != nil {
		return err
	}
	if err := s.deps.Meetings.UpdateMeeting(c.UserContext(), userOf(c), m); err != nil {
		return err
	}
	return s.apiMeetingAnswer(c, fiber.StatusOK, m.ID)
}
