package http

import (
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// Meetings (Sitzungen) of the council: the workspace's list, form and page
// of each meeting, for members and admins only, and the public list and
// page of the public meetings with their minutes. The workspace answers
// everyone else 404, as an unknown address does (requireCouncil); the
// service decides again on every call.

func (s *Server) meetingRoutes() {
	s.add("GET", "/council/meetings", s.requireCouncil, s.handleMeetings)
	s.add("GET", "/council/meetings/new", s.requireCouncil, s.handleMeetingNew)
	s.add("POST", "/council/meetings", s.councilKeepDraft, s.requireCouncil, s.handleMeetingCreate)
	s.add("GET", "/council/meetings/:id", s.requireCouncil, s.handleMeeting)
	s.add("GET", "/council/meetings/:id/edit", s.requireCouncil, s.handleMeetingEdit)
	s.add("POST", "/council/meetings/:id", s.councilKeepDraft, s.requireCouncil, s.handleMeetingUpdate)
	s.add("GET", "/meetings", s.handlePublicMeetings)
	s.add("GET", "/meetings/:id", s.handlePublicMeeting)

	s.add("GET", "/api/v1/council/meetings", s.requireCouncil, s.apiMeetings)
	s.add("POST", "/api/v1/council/meetings", s.requireCouncil, s.apiMeetingCreate)
	s.add("GET", "/api/v1/council/meetings/:id", s.requireCouncil, s.apiMeeting)
	s.add("PATCH", "/api/v1/council/meetings/:id", s.requireCouncil, s.apiMeetingUpdate)
	s.add("GET", "/api/v1/meetings", s.apiPublicMeetings)
	s.add("GET", "/api/v1/meetings/:id", s.apiPublicMeeting)
}

// requireCouncil admits members and admins to a route of the council's
// workspace; everyone else gets the 404 of an unknown address, logged in
// or not, so that the workspace cannot be discovered.
func (s *Server) requireCouncil(c *fiber.Ctx) error {
	if err := s.deps.Meetings.Workspace(userOf(c)); err != nil {
		return err
	}
	return c.Next()
}

// councilKeepDraft keeps the text of a workspace form whose session ended
// (requireUserKeepDraft: the form comes back with a login). Only a request
// that shows a session had been there (its cookie) or that carries the
// login of the kept form gets that page; anyone else goes on to
// requireCouncil's 404.
func (s *Server) councilKeepDraft(c *fiber.Ctx) error {
	if userOf(c) != nil || !s.mayKeepCouncilDraft(c) {
		return c.Next()
	}
	return s.requireUserKeepDraft(c)
}

// mayKeepCouncilDraft tells whether a workspace form may come back as a
// kept draft: to a member or admin (a stale token), or to a browser whose
// session ended or that logs in from the kept form.
func (s *Server) mayKeepCouncilDraft(c *fiber.Ctx) bool {
	if u := userOf(c); u != nil {
		return s.deps.Meetings.Workspace(u) == nil
	}
	return c.Cookies(s.cookieName("session")) != "" || formBodyValue(c, "email") != "" || formBodyValue(c, "password") != ""
}

// councilDraftKind is draftKind for the workspace's addresses (parts of
// the path split at "/"): "meeting" (a new one), "meeting-edit", or "".
func councilDraftKind(parts []string) string {
	switch {
	case len(parts) == 3 && parts[2] == "meetings":
		return "meeting"
	case len(parts) == 4 && parts[2] == "meetings" && parts[3] != "":
		return "meeting-edit"
	}
	return ""
}

// isCouncilDraft tells whether a kept draft's kind is a workspace form.
func isCouncilDraft(kind string) bool { return kind == "meeting" || kind == "meeting-edit" }

// renderMeetingDraft shows a meeting form that could not be taken (its
// session ended, its token was stale) in the form itself, with the login
// when the session ended.
func (s *Server) renderMeetingDraft(c *fiber.Ctx, p *Page, kind string, status int) error {
	var req meetingRequest
	_ = c.BodyParser(&req)
	req.fromForm()
	id, back := "", "/council/meetings"
	if kind == "meeting-edit" {
		id = strings.Split(c.Path(), "/")[3]
		back = "/council/meetings/" + url.PathEscape(id)
	}
	s.meetingForm(p, id, req.values())
	data := p.Data.(fiber.Map)
	data["Draft"], data["Login"], data["Back"] = true, p.User == nil, back
	return s.render(c, status, "meetings/form", p)
}

// meetingRequest creates or changes a meeting: the form and the JSON body.
// A field a JSON PATCH leaves out is nil and stays as it is.
type meetingRequest struct {
	Title    *string    `form:"title" json:"title" validate:"omitempty,max=1000"`
	StartsAt *localTime `form:"starts_at" json:"starts_at"`
	Place    *string    `form:"place" json:"place" validate:"omitempty,max=1000"`
	VideoURL *string    `form:"video_url" json:"video_url" validate:"omitempty,max=2000"`
	Public   *bool      `form:"public" json:"public"`
	// Agenda is the JSON agenda; the form sends its rows as two lists of
	// equal length (AgendaText, AgendaRec), one entry per row.
	Agenda     *[]agendaItemRequest `form:"-" json:"agenda" validate:"omitempty,max=100,dive"`
	AgendaText []string             `form:"agenda_text" json:"-" validate:"max=100,dive,max=2000"`
	AgendaRec  []string             `form:"agenda_rec" json:"-" validate:"max=100,dive,max=200"`
	Minutes    *string              `form:"minutes" json:"minutes" validate:"omitempty,max=200000"`
	// Lang is the language of the texts: "de", "en", or "" to detect it.
	Lang *string `form:"lang" json:"lang" validate:"omitempty,content_lang"`
	// Version is the version the edit was made on (an edit form's, or
	// optional in a PATCH).
	Version *number `form:"version" json:"version"`
}

// agendaItemRequest is one agenda item in JSON.
type agendaItemRequest struct {
	Text             string `json:"text" validate:"max=2000"`
	RecommendationID string `json:"recommendation_id" validate:"max=200"`
}

// fromForm reads a form, whose unchecked box is absent, and turns its rows
// into the agenda, leaving out the empty ones (the form shows spare rows),
// so the rows shown again and the field errors count alike.
func (r *meetingRequest) fromForm() {
	if r.Public == nil {
		f := false
		r.Public = &f
	}
	agenda := []agendaItemRequest{}
	for i, text := range r.AgendaText {
		it := agendaItemRequest{Text: strings.TrimSpace(text)}
		if i < len(r.AgendaRec) {
			it.RecommendationID = strings.TrimSpace(r.AgendaRec[i])
		}
		if it.Text != "" || it.RecommendationID != "" {
			agenda = append(agenda, it)
		}
	}
	r.Agenda = &agenda
}

// apply writes the given fields into m.
func (r *meetingRequest) apply(m *mitreden.Meeting) error {
	setString(&m.Title, r.Title)
	setString(&m.Place, r.Place)
	setString(&m.VideoURL, r.VideoURL)
	setString(&m.Minutes, r.Minutes)
	setBool(&m.Public, r.Public)
	var agendaTexts []*string
	if r.Agenda != nil {
		m.Agenda = make([]mitreden.AgendaItem, 0, len(*r.Agenda))
		for i, a := range *r.Agenda {
			m.Agenda = append(m.Agenda, mitreden.AgendaItem{Text: a.Text, RecommendationID: a.RecommendationID})
			agendaTexts = append(agendaTexts, &(*r.Agenda)[i].Text)
		}
	}
	setLang(&m.Lang, r.Lang, append([]*string{r.Title, r.Minutes}, agendaTexts...)...)
	if r.StartsAt != nil {
		m.StartsAt = r.StartsAt.t
	}
	if r.Version != nil {
		if r.Version.bad {
			return mitreden.Invalid(mitreden.FieldError{Field: "version", Code: "number", Message: "validation.number"})
		}
		m.Version = r.Version.n
	}
	return nil
}

// values are the inputs as submitted, for the form shown again.
func (r *meetingRequest) values() map[string]string {
	v := map[string]string{}
	for k, s := range map[string]*string{"title": r.Title, "place": r.Place, "video_url": r.VideoURL, "minutes": r.Minutes, "lang": r.Lang} {
		if s != nil {
			v[k] = *s
		}
	}
	if r.StartsAt != nil {
		v["starts_at"] = r.StartsAt.raw
	}
	if r.Public != nil {
		v["public"] = checked(*r.Public)
	}
	if r.Version != nil {
		v["version"] = r.Version.raw
	}
	if r.Agenda != nil {
		for i, a := range *r.Agenda {
			v[agendaKey(i, "text")], v[agendaKey(i, "rec")] = a.Text, a.RecommendationID
		}
	}
	return v
}

// agendaKey is the form value key of row i's text or recommendation.
func agendaKey(i int, field string) string { return "agenda_" + field + "_" + strconv.Itoa(i) }

// meetingFormValues are the inputs of the form for m.
func meetingFormValues(m *mitreden.Meeting) map[string]string {
	v := map[string]string{"title": m.Title, "starts_at": formatLocal(m.StartsAt), "place": m.Place, "video_url": m.VideoURL,
		"public": checked(m.Public), "minutes": m.Minutes, "lang": m.Lang}
	if m.Version > 0 {
		v["version"] = strconv.Itoa(m.Version)
	}
	for i, a := range m.Agenda {
		v[agendaKey(i, "text")], v[agendaKey(i, "rec")] = a.Text, a.RecommendationID
	}
	return v
}

// agendaRowView is one row of the agenda in the form.
type agendaRowView struct {
	N                int // from 1
	TextID, RecID    string
	Text, Rec        string
	TextErr, RecErr  string
	Legend, RecLabel string
}

// agendaSpareRows is how many empty rows the form offers beyond the
// items, agendaMinRows how many it offers at least.
const (
	agendaSpareRows = 3
	agendaMinRows   = 5
)

// agendaRows builds the form's agenda rows from p's values and errors.
func agendaRows(p *Page) []agendaRowView {
	n := 0
	for p.Values[agendaKey(n, "text")] != "" || p.Values[agendaKey(n, "rec")] != "" {
		n++
	}
	rows := min(max(n+agendaSpareRows, agendaMinRows), mitreden.AgendaItemsMax)
	rows = max(rows, n)
	out := make([]agendaRowView, rows)
	for i := range out {
		r := agendaRowView{N: i + 1, TextID: agendaInputID(i, "text"), RecID: agendaInputID(i, "recommendation_id"),
			Text: p.Values[agendaKey(i, "text")], Rec: p.Values[agendaKey(i, "rec")]}
		r.TextErr, r.RecErr = p.FieldError(r.TextID), p.FieldError(r.RecID)
		out[i] = r
	}
	return out
}

// agendaInputID is the id of the input of agenda item i's field.
func agendaInputID(i int, field string) string { return fmt.Sprintf("agenda-%d-%s", i, field) }

// meetingFormIDs maps the field errors of the agenda to the ids of their
// inputs.
var meetingFormIDs = func() map[string]string {
	ids := map[string]string{}
	for i := range mitreden.AgendaItemsMax + agendaSpareRows {
		for _, f := range []string{"text", "recommendation_id"} {
			ids[mitreden.AgendaField(i, f)] = agendaInputID(i, f)
		}
	}
	ids["agenda"] = agendaInputID(0, "text")
	return ids
}()

// meetingForm makes p the form that schedules a meeting (id "") or
// changes meeting id, adding values to what p holds.
func (s *Server) meetingForm(p *Page, id string, values map[string]string) {
	title, action, submit := "meetings.new_title", "/council/meetings", "meetings.submit_new"
	if id != "" {
		title, action, submit = "meetings.edit_title", "/council/meetings/"+url.PathEscape(id), "meetings.save"
	}
	p.Title = p.Tr(title)
	for k, v := range values {
		p.Values[k] = v
	}
	p.Data = fiber.Map{"Action": action, "Submit": p.Tr(submit), "Agenda": agendaRows(p), "ID": id,
		"Back": map[bool]string{true: "/council/meetings", false: "/council/meetings/" + url.PathEscape(id)}[id == ""]}
}

func (s *Server) renderMeetingForm(c *fiber.Ctx, status int, id string, values map[string]string, err error) error {
	p := s.page(c, "")
	s.fillForm(p, values, err, meetingFormIDs)
	s.meetingForm(p, id, nil)
	return s.render(c, status, "meetings/form", p)
}

func (s *Server) handleMeetingNew(c *fiber.Ctx) error {
	m, err := s.deps.Meetings.NewMeeting(userOf(c))
	if err != nil {
		return err
	}
	return s.renderMeetingForm(c, fiber.StatusOK, "", meetingFormValues(m), nil)
}

// parseMeetingForm reads the meeting form into m.
func (s *Server) parseMeetingForm(c *fiber.Ctx, m *mitreden.Meeting) (*meetingRequest, error) {
	var req meetingRequest
	err := s.parseForm(c, &req)
	req.fromForm()
	if err != nil {
		return &req, err
	}
	return &req, req.apply(m)
}

func (s *Server) handleMeetingCreate(c *fiber.Ctx) error {
	m := &mitreden.Meeting{}
	req, err := s.parseMeetingForm(c, m)
	if err == nil {
		err = s.deps.Meetings.CreateMeeting(c.UserContext(), userOf(c), m)
	}
	if formFailed(err) {
		return s.renderMeetingForm(c, formStatus(err), "", req.values(), err)
	} else if err != nil {
		return err
	}
	s.flash(c, "meetings.created")
	return c.Redirect("/council/meetings/"+m.ID, fiber.StatusSeeOther)
}

func (s *Server) handleMeetingEdit(c *fiber.Ctx) error {
	it, err := s.deps.Meetings.ReadMeeting(c.UserContext(), userOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	return s.renderMeetingForm(c, fiber.StatusOK, it.ID, meetingFormValues(it.Meeting), nil)
}

func (s *Server) handleMeetingUpdate(c *fiber.Ctx) error {
	id := c.Params("id")
	m := &mitreden.Meeting{ID: id}
	req, err := s.parseMeetingForm(c, m)
	if err == nil {
		err = s.deps.Meetings.UpdateMeeting(c.UserContext(), userOf(c), m)
	}
	if mitreden.ErrorCode(err) == mitreden.ECONFLICT {
		// Saved by another member meanwhile: the input comes back with
		// the version now stored, so that saving again replaces it
		// knowingly.
		cur, rerr := s.deps.Meetings.ReadMeeting(c.UserContext(), userOf(c), id)
		if rerr != nil {
			return rerr
		}
		values := req.values()
		values["version"] = strconv.Itoa(cur.Version)
		return s.renderMeetingForm(c, fiber.StatusConflict, id, values, fieldless(err))
	}
	if formFailed(err) {
		return s.renderMeetingForm(c, formStatus(err), id, req.values(), err)
	} else if err != nil {
		return err
	}
	s.flash(c, "meetings.updated")
	return c.Redirect("/council/meetings/"+id, fiber.StatusSeeOther)
}

// meetingView is a meeting as its pages show it.
type meetingView struct {
	ID, Title, Lang string
	StartsAt        time.Time
	Place, VideoURL string
	Public, Started bool
	Agenda          []agendaView
	MinutesHTML     template.HTML
	UpdatedAt       time.Time
	// URL is the meeting's page where the list is (workspace or public),
	// EditURL its form (members and admins), WorkspaceURL and PublicURL
	// its page in the workspace and on the public pages ("" where the
	// viewer has none).
	URL, EditURL, WorkspaceURL, PublicURL string
}

// agendaView is an agenda item as a page shows it: its text, and a link to
// the recommendation it links in the workspace (RecURL, RecLabel) or, on a
// public page, only that it links one.
type agendaView struct {
	Text           string
	Recommendation bool
	RecURL         string
	RecTitle       string
	RecID          string
}

// meetingViewOf builds the view of it; workspace tells which pages it is
// shown on.
func meetingViewOf(it *service.MeetingItem, workspace bool) meetingView {
	m := it.Meeting
	v := meetingView{ID: m.ID, Title: m.Title, Lang: m.Lang, StartsAt: m.StartsAt, Place: m.Place, VideoURL: m.VideoURL,
		Public: m.Public, Started: it.Started, MinutesHTML: storedHTML(m.MinutesHTML, m.Minutes, m.HTMLVersion), UpdatedAt: m.UpdatedAt}
	id := url.PathEscape(m.ID)
	if m.Public {
		v.PublicURL = "/meetings/" + id
	}
	if it.CanEdit.Allowed() || workspace {
		v.WorkspaceURL = "/council/meetings/" + id
	}
	if it.CanEdit.Allowed() {
		v.EditURL = "/council/meetings/" + id + "/edit"
	}
	v.URL = v.PublicURL
	if workspace {
		v.URL = v.WorkspaceURL
	}
	for _, a := range it.Items {
		av := agendaView{Text: a.Text, Recommendation: a.Recommendation}
		if workspace && a.RecommendationID != "" {
			av.RecURL, av.RecTitle, av.RecID = "/council/recommendations/"+url.PathEscape(a.RecommendationID), a.RecommendationTitle, a.RecommendationID
		}
		v.Agenda = append(v.Agenda, av)
	}
	return v
}

// meetingListView is a list page of meetings.
type meetingListView struct {
	Upcoming, Past           []meetingView
	UpcomingTotal, PastTotal int
	// UpcomingMore tells that more meetings are coming than are shown.
	UpcomingMore bool
	CanCreate    bool
	Workspace    bool
}

func (s *Server) meetingListPage(c *fiber.Ctx, l *service.MeetingList, workspace bool, title string) error {
	p := s.page(c, title)
	v := meetingListView{UpcomingTotal: l.UpcomingTotal, PastTotal: l.PastTotal, UpcomingMore: l.UpcomingTotal > len(l.Upcoming),
		CanCreate: l.CanCreate.Allowed(), Workspace: workspace}
	for _, it := range l.Upcoming {
		v.Upcoming = append(v.Upcoming, meetingViewOf(it, workspace))
	}
	for _, it := range l.Past {
		v.Past = append(v.Past, meetingViewOf(it, workspace))
	}
	p.Data = v
	p.Pager = newPager(c, l.Page, l.PerPage, l.PastTotal)
	return s.render(c, fiber.StatusOK, "meetings/list", p)
}

// meetingPageQuery is the page of past meetings a list shows.
type meetingPageQuery struct {
	Page int `query:"page" validate:"min=0"`
}

func (s *Server) handleMeetings(c *fiber.Ctx) error {
	var q meetingPageQuery
	if err := s.parseQuery(c, &q); err != nil {
		return err
	}
	l, err := s.deps.Meetings.ReadMeetings(c.UserContext(), userOf(c), service.MeetingQuery{Page: q.Page})
	if err != nil {
		return err
	}
	return s.meetingListPage(c, l, true, "meetings.title")
}

func (s *Server) handlePublicMeetings(c *fiber.Ctx) error {
	var q meetingPageQuery
	if err := s.parseQuery(c, &q); err != nil {
		return err
	}
	l, err := s.deps.Meetings.ReadPublicMeetings(c.UserContext(), userOf(c), service.MeetingQuery{Page: q.Page})
	if err != nil {
		return err
	}
	return s.meetingListPage(c, l, false, "meetings.public_title")
}

func (s *Server) meetingPage(c *fiber.Ctx, it *service.MeetingItem, workspace bool) error {
	p := s.page(c, "")
	p.Title, p.TitleLang = it.Title, it.Lang
	p.Data = fiber.Map{"Meeting": meetingViewOf(it, workspace), "Workspace": workspace}
	return s.render(c, fiber.StatusOK, "meetings/show", p)
}

func (s *Server) handleMeeting(c *fiber.Ctx) error {
	it, err := s.deps.Meetings.ReadMeeting(c.UserContext(), userOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	return s.meetingPage(c, it, true)
}

func (s *Server) handlePublicMeeting(c *fiber.Ctx) error {
	it, err := s.deps.Meetings.ReadPublicMeeting(c.UserContext(), userOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	return s.meetingPage(c, it, false)
}
