package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	nethttp "net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// The access-control matrix (ASVS 4.2.1): every route × every role, with the
// owner of the records as a role of its own. Each cell sends a valid request
// on fresh records, so an allowed cell must really succeed and a denied one
// must be denied for the right reason. A route missing from matrixRoutes
// fails the test: add the row when you add the route.

// matrixActors are the table's columns, in order.
var matrixActors = []string{"anonymous", "citizen", "owner", "moderator", "council", "admin"}

// matrixFixtures are fresh records for one cell; the owner wrote them.
type matrixFixtures struct {
	Consultation string // open, support voting, proposals and comments on
	Closed       string // closed, ready for results (only when a row asks)
	Proposal     string // by the owner, no votes or comments yet
	Comment      string // by the owner, on the consultation
	User         string // a plain citizen admins change roles of
	Session      string // another session of the owner (only when a row asks)
	Hidden       string // a comment by the owner that moderation hid
	Member       string // a fresh citizen moderators may block
	Blocked      string // a fresh citizen who is blocked
	Meeting      string // a non-public meeting of the council
	Public       string // a public meeting of the council
	Rec          string // a recommendation of the council (recFixture says in which state)
	Chair        string // a council member admins make the chair
	Notification string // the owner's notification of a comment on their proposal
	Mail         string // a mail in the outbox
	// Record is a participant record; with it Consultation, Proposal (answered)
	// and Comment, which the citizens' service entered for it.
	Record string
}

// matrixActor is a logged-in user; Token is both bearer token and session cookie.
type matrixActor struct {
	Name, Email, PW string
	User            *mitreden.User
	Token           string
}

// matrixRow is one route: how to fill in :id and the body, and what each actor gets.
type matrixRow struct {
	// ID names the fixture that :id stands for: consultation, closed, proposal, comment, user, session.
	ID string
	// Query is appended to the path.
	Query string
	// Body builds a valid body: url.Values for pages, anything JSON-able for the API.
	Body func(f *matrixFixtures, a *matrixActor) any
	// Want lists the answer per actor (anonymous citizen owner moderator council admin):
	// a status code, "login" (303 to the login form) or "303" (any other redirect).
	Want string
	// Relogin marks routes that end or replace the actor's session.
	Relogin bool
	// Password marks password changes: on success the actor's password is the new one.
	Password bool
	// Service is the answer for staff of the citizens' service (role
	// service), checked after the columns. Empty: the admin's answer on the
	// citizens' service routes (/assisted, /api/v1/assisted), which are
	// theirs, and the plain citizen's everywhere else.
	Service string
	// Settle runs after an allowed cell (wait for background work).
	Settle func(t *testing.T, e *testEnv, admin string)
}

var matrixSeq atomic.Int64

func uniqueEmail() string { return fmt.Sprintf("neu%d@example.org", matrixSeq.Add(1)) }

// uniqueName is a display name no other account has: names are unique.
func uniqueName() string { return fmt.Sprintf("Neu %d", matrixSeq.Add(1)) }

// currentPassword is what a (nil: anonymous) knows as their password.
func currentPassword(a *matrixActor) string {
	if a == nil {
		return "correct horse battery staple 42"
	}
	return a.PW
}

// nextPassword alternates between two passwords for password changes.
func nextPassword(a *matrixActor) string {
	if strings.HasSuffix(currentPassword(a), " A") {
		return "wolken ueber dem fluss B"
	}
	return "wolken ueber dem fluss A"
}

func form(kv ...string) func(*matrixFixtures, *matrixActor) any {
	return func(*matrixFixtures, *matrixActor) any {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
}

func jsonBody(m map[string]any) func(*matrixFixtures, *matrixActor) any {
	return func(*matrixFixtures, *matrixActor) any { return m }
}

func consultationFormBody(*matrixFixtures, *matrixActor) any {
	now := time.Now()
	return url.Values{"title": {"Neue Beteiligung zur Matrix"}, "summary": {"Eine Zusammenfassung mit Länge."},
		"body": {"Ein Text, der lang genug ist, um gültig zu sein."}, "topics": {"Verkehr"}, "region": {"Land"},
		"opens_at": {now.Add(-time.Hour).Format("2006-01-02T15:04")}, "closes_at": {now.Add(72 * time.Hour).Format("2006-01-02T15:04")},
		"voting_mode": {"support"}, "max_supports": {"0"}, "support_threshold": {"0"}, "proposals_enabled": {"true"}, "comments_enabled": {"true"}}
}

func consultationJSONBody(*matrixFixtures, *matrixActor) any {
	return map[string]any{"title": "Neue Beteiligung zur Matrix", "summary": "Eine Zusammenfassung mit Länge.",
		"body": "Ein Text, der lang genug ist, um gültig zu sein.", "topics": []string{"Verkehr"}, "region": "Land",
		"opens_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "closes_at": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339),
		"voting_mode": "support", "max_supports": 0, "support_threshold": 0, "proposals_enabled": true, "comments_enabled": true, "pre_moderation": false}
}

func waitReindex(t *testing.T, e *testEnv, admin string) {
	t.Helper()
	// The matrix's records grow with every cell; under the race detector on
	// a loaded machine a rebuild of them takes seconds.
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		resp := e.api("GET", "/api/v1/admin/reindex", admin, nil)
		var st struct{ Running bool }
		decodeJSON(t, resp, &st)
		if !st.Running {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("reindex did not finish")
}

const (
	all200   = "200 200 200 200 200 200"
	allUsers = "401 303 303 303 303 303"
	admin303 = "401 403 403 403 403 303"
	owner303 = "401 403 303 403 403 403"
	adminAPI = "401 403 403 403 403 200"
	ownerAPI = "401 403 200 403 403 403"
	usersAPI = "401 200 200 200 200 200"
	modPage  = "login 403 403 200 403 200"
	mod303   = "401 403 403 303 403 303"
	modAPI   = "401 403 403 200 403 200"
	// The council's workspace does not exist for anyone but members and admins.
	councilPage = "404 404 404 404 200 200"
	council303  = "404 404 404 404 303 303"
	councilAPI  = "404 404 404 404 200 200"
)

// matrixRoutes is the table. Keys are "METHOD /fiber/path".
var matrixRoutes = map[string]matrixRow{
	// Health (outside the routing table, public by design).
	"GET /healthz": {Want: all200},
	"GET /readyz":  {Want: all200},

	// Pages: account.
	"GET /":         {Want: all200},
	"GET /register": {Want: "200 303 303 303 303 303"},
	// The answer page "check your mailbox", for new and taken addresses alike.
	"POST /register": {Want: all200, Body: func(*matrixFixtures, *matrixActor) any {
		return url.Values{"email": {uniqueEmail()}, "password": {"Rheinwiesen im Herbst"}, "display_name": {uniqueName()}}
	}},
	"GET /login":     {Want: all200},
	"POST /login":    {Want: "303 303 303 303 303 303", Relogin: true, Body: form("email", "target@example.org", "password", "correct horse battery staple 42")},
	"POST /logout":   {Want: "303 303 303 303 303 303", Relogin: true},
	"POST /language": {Want: "303 303 303 303 303 303", Body: form("lang", "de")},
	"GET /profile":   {Want: "login 200 200 200 200 200"},
	"POST /profile": {Want: allUsers, Body: func(*matrixFixtures, *matrixActor) any {
		return url.Values{"display_name": {uniqueName()}}
	}},
	"POST /profile/password": {Want: allUsers, Password: true, Body: func(_ *matrixFixtures, a *matrixActor) any {
		return url.Values{"current_password": {currentPassword(a)}, "new_password": {nextPassword(a)}}
	}},
	// Another's session answers 404 like a missing one.
	"POST /profile/sessions/:id/revoke": {ID: "session", Want: "401 404 303 404 404 404"},
	// Data self-service: everyone logged in, for their own account only.
	// A deletion that went through would take the actor's account away,
	// so the cells send a wrong password and expect the form's refusal
	// (the deletion itself: userdata_test.go).
	"GET /profile/data":        {Want: "login 200 200 200 200 200"},
	"GET /profile/data/export": {Want: "login 200 200 200 200 200"},
	"GET /profile/delete":      {Want: "login 200 200 200 200 200"},
	"POST /profile/delete":     {Want: "401 422 422 422 422 422", Body: form("password", "nicht das Passwort")},
	"GET /api/v1/me/export":    {Want: usersAPI},
	"DELETE /api/v1/me":        {Want: "401 422 422 422 422 422", Body: jsonBody(map[string]any{"password": "nicht das Passwort"})},

	// One-time links: a GET shows a button and uses nothing; a bad token
	// answers 422 to everyone.
	"GET /account/verify":         {Query: "?token=abc", Want: all200},
	"POST /account/verify":        {Want: "422 422 422 422 422 422", Body: form("token", "nicht-echt")},
	"POST /account/verify/resend": {Want: allUsers, Body: form("return", "/")},
	"GET /password/forgot":        {Want: all200},
	"POST /password/forgot":       {Want: all200, Body: func(*matrixFixtures, *matrixActor) any { return url.Values{"email": {uniqueEmail()}} }},
	"GET /password/reset":         {Query: "?token=abc", Want: all200},
	"POST /password/reset":        {Want: "422 422 422 422 422 422", Body: form("token", "nicht-echt", "password", "Rheinwiesen im Herbst")},
	"GET /account/email/confirm":  {Query: "?token=abc", Want: all200},
	"POST /account/email/confirm": {Want: "422 422 422 422 422 422", Body: form("token", "nicht-echt")},
	"POST /profile/email": {Want: allUsers, Body: func(_ *matrixFixtures, a *matrixActor) any {
		return url.Values{"new_email": {uniqueEmail()}, "email_password": {currentPassword(a)}}
	}},

	// Pages: administration.
	"GET /admin/users":             {Want: "login 403 403 403 403 200"},
	"POST /admin/users/:id/roles":  {ID: "user", Want: admin303, Body: form("role", "council", "action", "grant")},
	"POST /admin/users/:id/verify": {ID: "user", Want: admin303},
	"GET /admin/search":            {Want: "login 403 403 403 403 200"},
	"POST /admin/search/reindex":   {Want: admin303, Settle: waitReindex},
	"GET /admin/outbox":            {Want: "login 403 403 403 403 200"},
	"GET /admin/outbox/:id":        {ID: "mail", Want: "login 403 403 403 403 200"},
	"POST /admin/outbox/test":      {Want: admin303},

	// Pages: participation.
	"GET /consultations":                   {Want: all200},
	"GET /consultations/new":               {Want: "login 403 403 403 403 200"},
	"POST /consultations":                  {Want: admin303, Body: consultationFormBody},
	"GET /consultations/:id":               {ID: "consultation", Want: all200},
	"GET /consultations/:id/edit":          {ID: "consultation", Want: "login 403 403 403 403 200"},
	"POST /consultations/:id":              {ID: "consultation", Want: admin303, Body: consultationFormBody},
	"POST /consultations/:id/results":      {ID: "closed", Want: admin303, Body: form("results", "Das haben wir daraus gemacht.")},
	"GET /consultations/:id/proposals/new": {ID: "consultation", Want: "login 200 200 200 200 200"},
	"POST /consultations/:id/proposals":    {ID: "consultation", Want: allUsers, Body: form("title", "Ein neuer Vorschlag", "body", "Ein Vorschlag mit genug Text darin.")},
	"POST /consultations/:id/comments":     {ID: "consultation", Want: allUsers, Body: form("body", "Ein Kommentar.")},
	"GET /proposals/:id":                   {ID: "proposal", Want: all200},
	"GET /my-contributions":                {Want: "login 200 200 200 200 200"},
	"GET /proposals/:id/edit":              {ID: "proposal", Want: "login 403 200 403 403 403"},
	"POST /proposals/:id":                  {ID: "proposal", Want: owner303, Body: form("title", "Ein geänderter Vorschlag", "body", "Ein Vorschlag mit genug neuem Text.")},
	"POST /proposals/:id/withdraw":         {ID: "proposal", Want: owner303},
	"POST /proposals/:id/answer":           {ID: "proposal", Want: admin303, Body: form("status", "accepted", "answer_text", "Wir setzen das um.")},
	"POST /proposals/:id/vote":             {ID: "proposal", Want: allUsers, Body: form("value", "support")},
	"POST /proposals/:id/vote/delete":      {ID: "proposal", Want: allUsers},
	"POST /proposals/:id/comments":         {ID: "proposal", Want: allUsers, Body: form("body", "Ein Kommentar.")},
	"GET /comments/:id":                    {ID: "comment", Want: "303 303 303 303 303 303"},
	"GET /comments/:id/reply":              {ID: "comment", Want: all200},
	"GET /comments/:id/edit":               {ID: "comment", Want: "login 403 200 403 403 403"},
	"POST /comments/:id/edit":              {ID: "comment", Want: owner303, Body: form("body", "Geändert.")},
	"POST /session/extend":                 {Want: "401 200 200 200 200 200"},
	"POST /comments/:id/delete":            {ID: "comment", Want: owner303},
	"POST /comments/:id/vote":              {ID: "comment", Want: allUsers, Body: form("value", "1")},
	"GET /search":                          {Query: "?q=Matrix", Want: all200},
	"GET /search/suggest":                  {Query: "?q=Ma", Want: all200},
	"GET /impressum":                       {Want: all200},
	"GET /datenschutz":                     {Want: all200},
	"GET /barrierefreiheit":                {Want: all200},
	"GET /leichte-sprache":                 {Want: all200},

	// API: account.
	"GET /api/v1/openapi.yaml": {Want: all200},
	"POST /api/v1/auth/register": {Want: "202 202 202 202 202 202", Body: func(*matrixFixtures, *matrixActor) any {
		return map[string]any{"email": uniqueEmail(), "password": "Rheinwiesen im Herbst", "display_name": uniqueName()}
	}},
	"POST /api/v1/auth/login":  {Want: all200, Body: jsonBody(map[string]any{"email": "target@example.org", "password": "correct horse battery staple 42"})},
	"POST /api/v1/auth/logout": {Want: "401 204 204 204 204 204", Relogin: true},
	"POST /api/v1/auth/verify": {Want: "422 422 422 422 422 422", Body: jsonBody(map[string]any{"token": "nicht-echt"})},
	"POST /api/v1/auth/password/forgot": {Want: "202 202 202 202 202 202", Body: func(*matrixFixtures, *matrixActor) any {
		return map[string]any{"email": uniqueEmail()}
	}},
	"POST /api/v1/auth/password/reset": {Want: "422 422 422 422 422 422", Body: jsonBody(map[string]any{"token": "nicht-echt", "password": "Rheinwiesen im Herbst"})},
	"POST /api/v1/auth/email/confirm":  {Want: "422 422 422 422 422 422", Body: jsonBody(map[string]any{"token": "nicht-echt"})},
	"POST /api/v1/me/verify/resend":    {Want: "401 204 204 204 204 204"},
	"POST /api/v1/me/email": {Want: "401 202 202 202 202 202", Body: func(_ *matrixFixtures, a *matrixActor) any {
		return map[string]any{"new_email": uniqueEmail(), "current_password": currentPassword(a)}
	}},
	"GET /api/v1/me": {Want: usersAPI},
	"PATCH /api/v1/me": {Want: usersAPI, Body: func(*matrixFixtures, *matrixActor) any {
		return map[string]any{"display_name": uniqueName()}
	}},
	"POST /api/v1/me/password": {Want: "401 204 204 204 204 204", Password: true, Body: func(_ *matrixFixtures, a *matrixActor) any {
		return map[string]any{"current_password": currentPassword(a), "new_password": nextPassword(a)}
	}},
	"GET /api/v1/search":                   {Query: "?q=Matrix", Want: all200},
	"POST /api/v1/admin/reindex":           {Want: "401 403 403 403 403 202", Settle: waitReindex},
	"GET /api/v1/admin/reindex":            {Want: adminAPI},
	"GET /api/v1/admin/outbox":             {Want: adminAPI},
	"GET /api/v1/users":                    {Want: adminAPI},
	"PUT /api/v1/users/:id/roles/:role":    {ID: "user", Want: adminAPI},
	"DELETE /api/v1/users/:id/roles/:role": {ID: "user", Want: adminAPI},

	// API: participation.
	"GET /api/v1/consultations":                {Want: all200},
	"POST /api/v1/consultations":               {Want: "401 403 403 403 403 201", Body: consultationJSONBody},
	"GET /api/v1/consultations/:id":            {ID: "consultation", Want: all200},
	"PATCH /api/v1/consultations/:id":          {ID: "consultation", Want: adminAPI, Body: jsonBody(map[string]any{"title": "Ein neuer Titel"})},
	"GET /api/v1/consultations/:id/proposals":  {ID: "consultation", Want: all200},
	"POST /api/v1/consultations/:id/proposals": {ID: "consultation", Want: "401 201 201 201 201 201", Body: jsonBody(map[string]any{"title": "Ein neuer Vorschlag", "body": "Ein Vorschlag mit genug Text darin."})},
	"GET /api/v1/consultations/:id/comments":   {ID: "consultation", Want: all200},
	"POST /api/v1/consultations/:id/comments":  {ID: "consultation", Want: "401 201 201 201 201 201", Body: jsonBody(map[string]any{"body": "Ein Kommentar."})},
	"GET /api/v1/proposals/:id":                {ID: "proposal", Want: all200},
	"PATCH /api/v1/proposals/:id":              {ID: "proposal", Want: ownerAPI, Body: jsonBody(map[string]any{"title": "Ein geänderter Vorschlag"})},
	"POST /api/v1/proposals/:id/answer":        {ID: "proposal", Want: adminAPI, Body: jsonBody(map[string]any{"status": "accepted", "answer": "Wir setzen das um."})},
	"PUT /api/v1/proposals/:id/vote":           {ID: "proposal", Want: usersAPI, Body: jsonBody(map[string]any{"value": "support"})},
	"DELETE /api/v1/proposals/:id/vote":        {ID: "proposal", Want: usersAPI},
	"GET /api/v1/proposals/:id/comments":       {ID: "proposal", Want: all200},
	"POST /api/v1/proposals/:id/comments":      {ID: "proposal", Want: "401 201 201 201 201 201", Body: jsonBody(map[string]any{"body": "Ein Kommentar."})},
	"PATCH /api/v1/comments/:id":               {ID: "comment", Want: ownerAPI, Body: jsonBody(map[string]any{"body": "Geändert."})},
	"DELETE /api/v1/comments/:id":              {ID: "comment", Want: "401 403 204 403 403 403"},
	"PUT /api/v1/comments/:id/vote":            {ID: "comment", Want: usersAPI, Body: jsonBody(map[string]any{"value": 1})},
	"DELETE /api/v1/comments/:id/vote":         {ID: "comment", Want: usersAPI},

	// Moderation: reports by anyone logged in but the author; decisions by
	// moderators and admins; the appeal by the author; the log public.
	"GET /proposals/:id/report":  {ID: "proposal", Want: "login 200 200 200 200 200"},
	"POST /proposals/:id/report": {ID: "proposal", Want: "401 303 409 303 303 303", Body: form("reason", "spam")},
	"GET /comments/:id/report":   {ID: "comment", Want: "login 200 200 200 200 200"},
	"POST /comments/:id/report":  {ID: "comment", Want: "401 303 409 303 303 303", Body: form("reason", "insulting", "note", "Unfreundlich.")},
	"GET /moderation":            {Want: modPage},
	"POST /moderation/items": {ID: "comment", Want: mod303, Body: func(f *matrixFixtures, _ *matrixActor) any {
		return url.Values{"item": {"comment:" + f.Comment}, "action": {"hide"}, "reason": {"Beleidigend"}}
	}},
	"GET /moderation/users/:id":          {ID: "member", Want: modPage},
	"POST /moderation/users/:id/block":   {ID: "member", Want: mod303, Body: form("reason", "Wiederholt beleidigend", "days", "7")},
	"POST /moderation/users/:id/unblock": {ID: "blocked", Want: mod303, Body: form("unblock_reason", "Einsicht gezeigt")},
	"GET /moderation/appeal/:type/:id":   {ID: "hidden", Want: "login 200 200 200 200 200"},
	"POST /moderation/appeal/:type/:id":  {ID: "hidden", Want: "401 403 303 403 403 403", Body: form("note", "Das war sachliche Kritik.")},
	"GET /moderation/log":                {Want: all200},
	"POST /api/v1/proposals/:id/reports": {ID: "proposal", Want: "401 201 409 201 201 201", Body: jsonBody(map[string]any{"reason": "spam"})},
	"POST /api/v1/comments/:id/reports":  {ID: "comment", Want: "401 201 409 201 201 201", Body: jsonBody(map[string]any{"reason": "other", "note": "Bitte prüfen."})},
	"GET /api/v1/moderation/queue":       {Want: modAPI},
	"POST /api/v1/moderation/bulk": {ID: "comment", Want: modAPI, Body: func(f *matrixFixtures, _ *matrixActor) any {
		return map[string]any{"action": "hide", "reason": "Beleidigend", "items": []map[string]string{{"type": "comment", "id": f.Comment}}}
	}},
	"POST /api/v1/moderation/items/:type/:id/appeal":  {ID: "hidden", Want: "401 403 201 403 403 403", Body: jsonBody(map[string]any{"note": "Das war sachliche Kritik."})},
	"POST /api/v1/moderation/items/:type/:id/:action": {ID: "comment", Want: modAPI, Body: jsonBody(map[string]any{"reason": "Beleidigend"})},
	"POST /api/v1/moderation/users/:id/block":         {ID: "member", Want: modAPI, Body: jsonBody(map[string]any{"reason": "Wiederholt beleidigend"})},
	"POST /api/v1/moderation/users/:id/unblock":       {ID: "blocked", Want: modAPI, Body: jsonBody(map[string]any{"reason": "Einsicht gezeigt"})},
	"GET /api/v1/moderation/log":                      {Want: all200},

	// Notifications: each person their own; the one-click unsubscribe
	// answers a link, not a session (a forged link: 400 for everyone).
	"GET /notifications":                      {Want: "login 200 200 200 200 200"},
	"POST /notifications/read-all":            {Want: allUsers},
	"GET /notifications/settings":             {Want: "login 200 200 200 200 200"},
	"POST /notifications/settings":            {Want: allUsers, Body: form("reply", "daily", "phase", "weekly")},
	"GET /notifications/unsubscribe":          {Query: "?u=64b7f0f0f0f0f0f0f0f0f0f0&k=reply&t=forged", Want: "400 400 400 400 400 400"},
	"POST /notifications/unsubscribe":         {Query: "?u=64b7f0f0f0f0f0f0f0f0f0f0&k=reply&t=forged", Want: "400 400 400 400 400 400"},
	"POST /notifications/:id/open":            {ID: "notification", Want: "401 404 303 404 404 404"},
	"POST /notifications/:id/read":            {ID: "notification", Want: "401 404 303 404 404 404"},
	"POST /proposals/:id/follow":              {ID: "proposal", Want: allUsers},
	"POST /proposals/:id/unfollow":            {ID: "proposal", Want: allUsers},
	"POST /consultations/:id/follow":          {ID: "consultation", Want: allUsers},
	"POST /consultations/:id/unfollow":        {ID: "consultation", Want: allUsers},
	"GET /api/v1/notifications":               {Want: usersAPI},
	"POST /api/v1/notifications/read-all":     {Want: usersAPI},
	"POST /api/v1/notifications/:id/read":     {ID: "notification", Want: "401 404 200 404 404 404"},
	"GET /api/v1/me/notification-settings":    {Want: usersAPI},
	"PUT /api/v1/me/notification-settings":    {Want: usersAPI, Body: jsonBody(map[string]any{"reply": "daily", "answer": "never"})},
	"PUT /api/v1/proposals/:id/follow":        {ID: "proposal", Want: usersAPI},
	"DELETE /api/v1/proposals/:id/follow":     {ID: "proposal", Want: usersAPI},
	"PUT /api/v1/consultations/:id/follow":    {ID: "consultation", Want: usersAPI},
	"DELETE /api/v1/consultations/:id/follow": {ID: "consultation", Want: usersAPI},

	// Meetings of the council: the workspace for members and admins only,
	// the public meetings for everyone.
	"GET /council/meetings":          {Want: councilPage},
	"GET /council/meetings/new":      {Want: councilPage},
	"POST /council/meetings":         {Want: council303, Body: meetingFormBody},
	"GET /council/meetings/:id":      {ID: "meeting", Want: councilPage},
	"GET /council/meetings/:id/edit": {ID: "meeting", Want: councilPage},
	"POST /council/meetings/:id":     {ID: "meeting", Want: council303, Body: meetingFormBody},
	"GET /meetings":                  {Want: all200},
	"GET /meetings/:id":              {ID: "public", Want: all200},
	"GET /api/v1/council/meetings":   {Want: councilAPI},
	"POST /api/v1/council/meetings": {Want: "404 404 404 404 201 201", Body: jsonBody(map[string]any{"title": "Sitzung aus der Matrix",
		"starts_at": "2030-05-04T14:00:00Z", "video_url": "https://video.example.org/raum", "agenda": []map[string]any{{"text": "Begrüßung"}}})},
	"GET /api/v1/council/meetings/:id":   {ID: "meeting", Want: councilAPI},
	"PATCH /api/v1/council/meetings/:id": {ID: "meeting", Want: councilAPI, Body: jsonBody(map[string]any{"title": "Geänderte Sitzung"})},
	"GET /api/v1/meetings":               {Want: all200},
	"GET /api/v1/meetings/:id":           {ID: "public", Want: all200},

	// Recommendations of the council (recFixture in council_test.go): the
	// workspace answers 404 to everyone but members and admins, the
	// anonymous and every write included; only members vote; the chair
	// (nobody here) or an admin closes a vote.
	"GET /council":                                      {Want: councilPage},
	"GET /council/recommendations/new":                  {Want: councilPage},
	"POST /council/recommendations":                     {Want: council303, Body: form("title", "Eine Empfehlung aus der Matrix", "body", "Ein Text, der genügt.")},
	"GET /council/recommendations/:id":                  {ID: "rec", Query: "?q=Besitzerin", Want: councilPage},
	"POST /council/recommendations/:id":                 {ID: "rec", Want: council303, Body: form("title", "Eine geänderte Empfehlung", "body", "Ein geänderter Text.", "base_revision", "1")},
	"GET /council/recommendations/:id/edit":             {ID: "rec", Want: councilPage},
	"GET /council/recommendations/:id/history":          {ID: "rec-history", Want: councilPage},
	"POST /council/recommendations/:id/restore":         {ID: "rec-history", Want: council303, Body: form("revision", "1")},
	"POST /council/recommendations/:id/submit":          {ID: "rec", Want: council303},
	"POST /council/recommendations/:id/vote":            {ID: "rec-review", Want: "404 404 404 404 303 403", Body: form("value", "approve")},
	"POST /council/recommendations/:id/close-vote":      {ID: "rec-review", Want: "404 404 404 404 403 303"},
	"POST /council/recommendations/:id/publish":         {ID: "rec-adopted", Want: council303},
	"POST /council/recommendations/:id/withdraw":        {ID: "rec", Want: council303},
	"POST /council/recommendations/:id/evidence":        {ID: "rec", Want: council303, Body: evidenceForm},
	"POST /council/recommendations/:id/evidence/remove": {ID: "rec-evidence", Want: council303, Body: evidenceForm},
	"POST /council/recommendations/:id/comments":        {ID: "rec", Want: council303, Body: form("body", "Ein interner Kommentar.")},
	"POST /admin/users/:id/chair":                       {ID: "chair", Want: admin303, Body: form("action", "set")},
	"GET /recommendations":                              {Want: all200},
	"GET /recommendations/:id":                          {ID: "rec-published", Want: all200},
	"GET /api/v1/council/recommendations":               {Want: councilAPI},
	"POST /api/v1/council/recommendations": {Want: "404 404 404 404 201 201", Body: jsonBody(map[string]any{"title": "Eine Empfehlung aus der Matrix",
		"body": "Ein Text, der genügt.", "topics": []string{"Verwaltung"}})},
	"GET /api/v1/council/recommendations/:id":                       {ID: "rec", Want: councilAPI},
	"PATCH /api/v1/council/recommendations/:id":                     {ID: "rec", Want: councilAPI, Body: jsonBody(map[string]any{"title": "Eine geänderte Empfehlung", "base_revision": 1})},
	"GET /api/v1/council/recommendations/:id/revisions":             {ID: "rec", Want: councilAPI},
	"POST /api/v1/council/recommendations/:id/revisions/:n/restore": {ID: "rec-history", Want: councilAPI},
	"GET /api/v1/council/recommendations/:id/diff":                  {ID: "rec-history", Query: "?from=1&to=2", Want: councilAPI},
	"POST /api/v1/council/recommendations/:id/evidence": {ID: "rec", Want: "404 404 404 404 201 201", Body: func(f *matrixFixtures, _ *matrixActor) any {
		return map[string]any{"type": "comment", "id": f.Comment, "note": "Passt."}
	}},
	"DELETE /api/v1/council/recommendations/:id/evidence/:type/:item": {ID: "rec-evidence", Want: "404 404 404 404 204 204"},
	"PUT /api/v1/council/recommendations/:id/vote":                    {ID: "rec-review", Want: "404 404 404 404 200 403", Body: jsonBody(map[string]any{"value": "approve"})},
	"POST /api/v1/council/recommendations/:id/submit":                 {ID: "rec", Want: councilAPI},
	"POST /api/v1/council/recommendations/:id/close-vote":             {ID: "rec-review", Want: "404 404 404 404 403 200"},
	"POST /api/v1/council/recommendations/:id/publish":                {ID: "rec-adopted", Want: councilAPI},
	"POST /api/v1/council/recommendations/:id/withdraw":               {ID: "rec", Want: councilAPI},
	"GET /api/v1/council/recommendations/:id/comments":                {ID: "rec", Want: councilAPI},
	"POST /api/v1/council/recommendations/:id/comments":               {ID: "rec", Want: "404 404 404 404 201 201", Body: jsonBody(map[string]any{"body": "Ein interner Kommentar."})},
	"GET /api/v1/recommendations":                                     {Want: all200},
	"GET /api/v1/recommendations/:id":                                 {ID: "rec-published", Want: all200},
	"GET /api/v1/recommendations/:id/comments":                        {ID: "rec-published", Want: all200},
	"POST /api/v1/recommendations/:id/comments":                       {ID: "rec-published", Want: "401 201 201 201 201 201", Body: jsonBody(map[string]any{"body": "Ein Kommentar zur Empfehlung."})},
	"POST /recommendations/:id/comments":                              {ID: "rec-published", Want: allUsers, Body: form("body", "Ein Kommentar zur Empfehlung.")},

	"GET /assisted":                                            {Want: staffPage},
	"GET /assisted/participants/new":                           {Want: staffPage},
	"POST /assisted/participants":                              {Want: staff303, Body: form("display_name", "Erika M.", "locality", "Musterhausen")},
	"GET /assisted/participants/:id":                           {ID: "person", Want: staffPage},
	"GET /assisted/participants/:id/:kind/new":                 {ID: "person", Want: staffPage},
	"POST /assisted/participants/:id/:kind":                    {ID: "person", Want: staff303, Body: assistedVoteForm},
	"POST /assisted/participants/:id/link":                     {ID: "person", Want: staff303, Body: form("account_email", "target@example.org")},
	"GET /assisted/letters":                                    {Want: staffPage},
	"GET /assisted/letters/:id":                                {ID: "letter", Want: staffPage},
	"POST /assisted/letters/:id/sent":                          {ID: "letter", Want: staff303},
	"GET /assisted/correct/:type/:id":                          {ID: "assisted-comment", Want: staffPage},
	"POST /assisted/correct/:type/:id":                         {ID: "assisted-comment", Want: staff303, Body: form("body", "Ein korrigierter Kommentar.")},
	"GET /consultations/:id/statistics":                        {ID: "consultation", Want: all200},
	"POST /api/v1/assisted/participants":                       {Want: "401 403 403 403 403 201", Body: jsonBody(map[string]any{"display_name": "Erika M.", "locality": "Musterhausen"})},
	"GET /api/v1/assisted/participants":                        {Query: "?q=Erika", Want: adminAPI},
	"GET /api/v1/assisted/participants/:id":                    {ID: "person", Want: adminAPI},
	"POST /api/v1/assisted/participants/:id/proposals":         {ID: "person", Want: "401 403 403 403 403 201", Body: assistedProposalJSON},
	"POST /api/v1/assisted/participants/:id/comments":          {ID: "person", Want: "401 403 403 403 403 201", Body: assistedCommentJSON},
	"PUT /api/v1/assisted/participants/:id/votes/:proposal_id": {ID: "person", Want: adminAPI, Body: jsonBody(map[string]any{"value": "support", "channel": "phone", "received_at": time.Now().Format("2006-01-02")})},
	"POST /api/v1/assisted/participants/:id/link":              {ID: "person", Want: adminAPI, Body: func(f *matrixFixtures, _ *matrixActor) any { return map[string]any{"user_id": f.User} }},
	"GET /api/v1/assisted/letters":                             {Want: adminAPI},
	"POST /api/v1/assisted/letters/:id/sent":                   {ID: "letter", Want: adminAPI},
	"GET /api/v1/consultations/:id/statistics":                 {ID: "consultation", Want: all200},
}

// serviceWant is the answer row expects for staff of the citizens'
// service: row.Service, else the admin's on the citizens' service routes
// and the plain citizen's on every other.
func serviceWant(path string, row matrixRow, want []string) string {
	switch {
	case row.Service != "":
		return row.Service
	case strings.HasPrefix(path, "/assisted") || strings.HasPrefix(path, "/api/v1/assisted"):
		return want[len(want)-1]
	default:
		return want[1]
	}
}

// The citizens' service and admins use the assisted pages.
const (
	staffPage = "login 403 403 403 403 200"
	staff303  = "401 403 403 403 403 303"
)

func today() string { return time.Now().In(berlinTZ).Format("2006-01-02") }

var berlinTZ, _ = time.LoadLocation("Europe/Berlin")

func assistedVoteForm(f *matrixFixtures, _ *matrixActor) any {
	return url.Values{"proposal_id": {"/proposals/" + f.Proposal}, "value": {"support"}, "channel": {"letter"}, "received_at": {today()}}
}

func assistedProposalJSON(f *matrixFixtures, _ *matrixActor) any {
	return map[string]any{"consultation_id": f.Consultation, "title": "Ein Vorschlag per Brief", "body": "Ein Vorschlag mit genug Text darin.",
		"channel": "letter", "received_at": today(), "reference": "AZ 1"}
}

func assistedCommentJSON(f *matrixFixtures, _ *matrixActor) any {
	return map[string]any{"proposal_id": f.Proposal, "body": "Ein Kommentar am Telefon.", "channel": "phone", "received_at": today()}
}

// evidenceForm links (or unlinks) the fixture's comment.
func evidenceForm(f *matrixFixtures, _ *matrixActor) any {
	return url.Values{"type": {"comment"}, "id": {f.Comment}, "note": {"Passt."}}
}

func meetingFormBody(*matrixFixtures, *matrixActor) any {
	return url.Values{"title": {"Sitzung aus der Matrix"}, "starts_at": {time.Now().Add(72 * time.Hour).Format("2006-01-02T15:04")},
		"place": {"Landeshaus"}, "agenda_text": {"Begrüßung", ""}, "agenda_rec": {"", ""}}
}

// matrixEnv is a server with one user per role, the owner and a target user.
type matrixEnv struct {
	*testEnv
	actors map[string]*matrixActor
	admin  *mitreden.User
	target *mitreden.User
}

func newMatrixEnv(t *testing.T) *matrixEnv {
	e := newEnv(t, withAccounts(func(c *service.AccountsConfig) { c.RegisterMaxPerIP = 1000 }))
	m := &matrixEnv{testEnv: e, actors: map[string]*matrixActor{}}
	roles := map[string][]mitreden.Role{"citizen": nil, "owner": nil, "moderator": {mitreden.RoleModerator},
		"council": {mitreden.RoleCouncil}, "admin": {mitreden.RoleAdmin}, "service": {mitreden.RoleService}}
	for _, name := range append(matrixActors[1:], "service") {
		email := name + "@example.org"
		u, pw := e.createUser(email, strings.ToUpper(name[:1])+name[1:], roles[name]...)
		a := &matrixActor{Name: name, Email: email, PW: pw, User: u}
		m.login(a)
		m.actors[name] = a
	}
	m.admin = m.actors["admin"].User
	m.target, _ = e.createUser("target@example.org", "Ziel")
	return m
}

// login gives a a fresh session.
func (m *matrixEnv) login(a *matrixActor) {
	m.t.Helper()
	l, err := m.Accounts.Login(context.Background(), service.LoginInput{Email: a.Email, Password: a.PW})
	if err != nil {
		m.t.Fatalf("login %s: %v", a.Name, err)
	}
	a.Token = l.Token
}

// fixtures writes the records row needs, fresh for each cell that may change them.
func (m *matrixEnv) fixtures(t *testing.T, row matrixRow) *matrixFixtures {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	owner := m.actors["owner"]
	newCons := func(opens, closes time.Time) string {
		c := &mitreden.Consultation{Title: "Beteiligung für die Matrix", Summary: "Eine Zusammenfassung mit Länge.",
			Body: "Ein Text, der lang genug ist, um gültig zu sein.", Region: "Land", OpensAt: opens, ClosesAt: closes,
			VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
		if err := m.Participation.CreateConsultation(ctx, m.admin, c); err != nil {
			t.Fatalf("fixture consultation: %v", err)
		}
		return c.ID
	}
	f := &matrixFixtures{User: m.target.ID}
	switch row.ID {
	case "consultation":
		f.Consultation = newCons(now.Add(-48*time.Hour), now.Add(72*time.Hour)) // opened two days ago: a letter received today (Berlin) is after it at any hour
	case "proposal":
		f.Consultation = newCons(now.Add(-48*time.Hour), now.Add(72*time.Hour)) // opened two days ago: a letter received today (Berlin) is after it at any hour
		pr := &mitreden.Proposal{Title: "Ein Vorschlag der Besitzerin", Body: "Ein Vorschlag mit genug Text darin."}
		if err := m.Participation.CreateProposal(ctx, owner.User, f.Consultation, pr); err != nil {
			t.Fatalf("fixture proposal: %v", err)
		}
		f.Proposal = pr.ID
	case "comment":
		f.Consultation = newCons(now.Add(-48*time.Hour), now.Add(72*time.Hour)) // opened two days ago: a letter received today (Berlin) is after it at any hour
		cm, err := m.Participation.AddComment(ctx, owner.User, "consultation", f.Consultation, mitreden.Comment{Body: "Ein Kommentar der Besitzerin."})
		if err != nil {
			t.Fatalf("fixture comment: %v", err)
		}
		f.Comment = cm.ID
	case "hidden":
		f.Consultation = newCons(now.Add(-48*time.Hour), now.Add(72*time.Hour)) // opened two days ago: a letter received today (Berlin) is after it at any hour
		cm, err := m.Participation.AddComment(ctx, owner.User, "consultation", f.Consultation, mitreden.Comment{Body: "Ein Kommentar, der ausgeblendet wird."})
		if err == nil {
			err = m.Participation.Moderate(ctx, m.admin, mitreden.ActionHide, service.ItemRef{Type: mitreden.ItemComment, ID: cm.ID}, "Beleidigend")
		}
		if err != nil {
			t.Fatalf("fixture hidden comment: %v", err)
		}
		f.Hidden = cm.ID
	case "member", "blocked":
		u, _ := m.createUser(uniqueEmail(), uniqueName())
		f.Member = u.ID
		if row.ID == "blocked" {
			if _, err := m.Participation.Block(ctx, m.admin, u.ID, "Beleidigend", time.Time{}); err != nil {
				t.Fatalf("fixture block: %v", err)
			}
			f.Blocked, f.Member = u.ID, ""
		}
	case "meeting", "public":
		mt := &mitreden.Meeting{Title: "Sitzung für die Matrix", StartsAt: now.Add(48 * time.Hour), Place: "Landeshaus", Public: row.ID == "public",
			Agenda: []mitreden.AgendaItem{{Text: "Begrüßung", RecommendationID: "64b7f0f0f0f0f0f0f0f0f0f0"}}}
		if err := m.Meetings.CreateMeeting(ctx, m.admin, mt); err != nil {
			t.Fatalf("fixture meeting: %v", err)
		}
		f.Meeting, f.Public = mt.ID, mt.ID
	case "rec", "rec-history", "rec-review", "rec-adopted", "rec-published", "rec-evidence":
		f.Consultation = newCons(now.Add(-48*time.Hour), now.Add(72*time.Hour)) // opened two days ago: a letter received today (Berlin) is after it at any hour
		cm, err := m.Participation.AddComment(ctx, owner.User, "consultation", f.Consultation, mitreden.Comment{Body: "Ein Kommentar der Besitzerin."})
		if err != nil {
			t.Fatalf("fixture comment: %v", err)
		}
		f.Comment = cm.ID
		f.Rec = m.recFixture(t, row.ID, f.Comment)
	case "chair":
		f.Chair = m.actors["council"].User.ID
	case "notification":
		f.Consultation = newCons(now.Add(-48*time.Hour), now.Add(72*time.Hour)) // opened two days ago: a letter received today (Berlin) is after it at any hour
		pr := &mitreden.Proposal{Title: "Ein Vorschlag der Besitzerin", Body: "Ein Vorschlag mit genug Text darin."}
		if err := m.Participation.CreateProposal(ctx, owner.User, f.Consultation, pr); err != nil {
			t.Fatalf("fixture proposal: %v", err)
		}
		if _, err := m.Participation.AddComment(ctx, m.admin, "proposal", pr.ID, mitreden.Comment{Body: "Ein Kommentar für die Besitzerin."}); err != nil {
			t.Fatalf("fixture comment: %v", err)
		}
		if _, err := m.Jobs.RunDue(ctx); err != nil {
			t.Fatalf("fixture fan-out: %v", err)
		}
		pg, err := m.Notifications.ReadNotifications(ctx, owner.User, 1, 1)
		if err != nil || len(pg.Items) == 0 {
			t.Fatalf("fixture notification: %v", err)
		}
		f.Notification = pg.Items[0].ID
	case "mail":
		key := "matrix:" + uniqueEmail()
		if err := m.Mailer.SendMail(ctx, mitreden.OutgoingMail{Key: key, To: owner.Email, Template: "test"}); err != nil {
			t.Fatalf("fixture mail: %v", err)
		}
		f.Mail = service.MailID(key)
	case "person", "letter", "assisted-comment":
		f.Consultation = newCons(now.Add(-48*time.Hour), now.Add(72*time.Hour)) // opened two days ago: a letter received today (Berlin) is after it at any hour
		r := &mitreden.ParticipantRecord{DisplayName: "Erika M.", Locality: "Musterhausen", Address: "Hauptstraße 1"}
		if err := m.Assisted.CreateRecord(ctx, m.admin, r); err != nil {
			t.Fatalf("fixture record: %v", err)
		}
		f.Record = r.ID
		e := mitreden.AssistedEntry{Channel: mitreden.ChannelLetter, ReceivedAt: now.Add(-time.Minute)}
		pr := &mitreden.Proposal{Title: "Ein Vorschlag per Brief", Body: "Ein Vorschlag mit genug Text darin."}
		if err := m.Assisted.EnterProposal(ctx, m.admin, r.ID, f.Consultation, e, pr); err != nil {
			t.Fatalf("fixture assisted proposal: %v", err)
		}
		f.Proposal = pr.ID
		cm, err := m.Assisted.EnterComment(ctx, m.admin, r.ID, pr.ID, e, mitreden.Comment{Body: "Ein Kommentar per Brief."})
		if err != nil {
			t.Fatalf("fixture assisted comment: %v", err)
		}
		f.Comment = cm.ID
		if _, err := m.Participation.AnswerProposal(ctx, m.admin, pr.ID, mitreden.StatusAccepted, "Wir setzen das um."); err != nil {
			t.Fatalf("fixture answer: %v", err)
		}
	case "closed":
		f.Closed = newCons(now.Add(-72*time.Hour), now.Add(-time.Hour))
	case "session":
		l, err := m.Accounts.Login(ctx, service.LoginInput{Email: owner.Email, Password: owner.PW})
		if err != nil {
			t.Fatalf("fixture session: %v", err)
		}
		f.Session = l.Session.ID
	}
	return f
}

// matrixPath fills in the route's parameters.
func matrixPath(route string, row matrixRow, f *matrixFixtures, id string) string {
	if id == "" {
		id = map[string]string{"consultation": f.Consultation, "closed": f.Closed, "proposal": f.Proposal,
			"comment": f.Comment, "user": f.User, "session": f.Session, "hidden": f.Hidden, "member": f.Member, "blocked": f.Blocked,
			"meeting": f.Meeting, "public": f.Public, "chair": f.Chair, "notification": f.Notification, "mail": f.Mail,
			"person": f.Record, "letter": f.Proposal, "assisted-comment": f.Comment}[row.ID]
		if strings.HasPrefix(row.ID, "rec") {
			id = f.Rec
		}
	}
	p := strings.ReplaceAll(route, ":id", url.PathEscape(id))
	p = strings.ReplaceAll(p, ":proposal_id", url.PathEscape(f.Proposal))
	p = strings.ReplaceAll(p, ":kind", "votes")
	p = strings.ReplaceAll(p, ":type", "comment")
	p = strings.ReplaceAll(p, ":item", url.PathEscape(f.Comment))
	p = strings.ReplaceAll(p, ":n", "1")
	p = strings.ReplaceAll(p, ":action", "hide")
	return strings.ReplaceAll(p, ":role", "council") + row.Query
}

// send makes one request as a (nil: anonymous): API calls with the bearer
// token, pages as a browser with the session cookie and a CSRF token.
func (m *matrixEnv) send(method, path string, a *matrixActor, body any) *nethttp.Response {
	m.t.Helper()
	if strings.HasPrefix(path, "/api/") || path == "/healthz" || path == "/readyz" {
		tok := ""
		if a != nil {
			tok = a.Token
		}
		return m.api(method, path, tok, body)
	}
	b := m.browser()
	if a != nil {
		b.jar.SetCookies(base, []*nethttp.Cookie{{Name: "mitreden_session", Value: a.Token, Path: "/"}})
	}
	if method == "GET" {
		resp, _ := b.get(path)
		return resp
	}
	vals, _ := body.(url.Values)
	if vals == nil {
		vals = url.Values{}
	}
	vals.Set("_csrf", b.csrf("/login"))
	resp, _ := b.post(path, vals)
	return resp
}

// matches tells whether resp is what want says.
func matches(resp *nethttp.Response, want string) bool {
	loc := resp.Header.Get("Location")
	switch want {
	case "login":
		return resp.StatusCode == 303 && strings.HasPrefix(loc, "/login")
	case "303":
		return resp.StatusCode == 303 && !strings.HasPrefix(loc, "/login")
	}
	return fmt.Sprint(resp.StatusCode) == want
}

func TestMatrix_AccessControlCoversEveryRoute(t *testing.T) {
	m := newMatrixEnv(t)
	routes := []string{"GET /healthz", "GET /readyz"}
	for _, r := range m.Server.Routes() {
		routes = append(routes, r.Method()+" "+r.Path())
	}
	seen := map[string]bool{}
	for _, route := range routes {
		seen[route] = true
		row, ok := matrixRoutes[route]
		if !ok {
			t.Errorf("%s is not in the access-control matrix (matrixRoutes in matrix_test.go): add its row", route)
			continue
		}
		want := strings.Fields(row.Want)
		if len(want) != len(matrixActors) {
			t.Errorf("%s: Want needs %d columns, has %q", route, len(matrixActors), row.Want)
			continue
		}
		method, path, _ := strings.Cut(route, " ")
		var f *matrixFixtures
		want = append(want, serviceWant(path, row, want))
		for i, name := range append(matrixActors, "service") {
			a := m.actors[name]              // nil for anonymous
			if f == nil || method != "GET" { // GET changes nothing, so its cells share records
				f = m.fixtures(t, row)
			}
			var body any
			if row.Body != nil {
				body = row.Body(f, a)
			}
			resp := m.send(method, matrixPath(path, row, f, ""), a, body)
			if !matches(resp, want[i]) {
				t.Errorf("%s as %s: got %d (Location %q), want %s: %.200s", route, name, resp.StatusCode,
					resp.Header.Get("Location"), want[i], readBody(resp))
			}
			ok := resp.StatusCode < 400
			if ok && row.Settle != nil {
				row.Settle(t, m.testEnv, m.actors["admin"].Token)
			}
			if a != nil && ok && row.Password {
				a.PW = nextPassword(a)
			}
			if a != nil && (row.Relogin || row.Password) {
				m.login(a)
			}
		}
	}
	for route := range matrixRoutes {
		if !seen[route] {
			t.Errorf("matrix row %s matches no route: remove or fix it", route)
		}
	}
}

// TestMatrix_IDsThatAreNotObjectIDsAre404 sends every route with an :id a
// valid request for an id that cannot exist, as admin (whom no role check
// stops): the answer is 404, never 500 or a driver message.
func TestMatrix_IDsThatAreNotObjectIDsAre404(t *testing.T) {
	m := newMatrixEnv(t)
	admin := m.actors["admin"]
	checked := 0
	for _, r := range m.Server.Routes() {
		route := r.Method() + " " + r.Path()
		row, ok := matrixRoutes[route]
		if !ok || !strings.Contains(r.Path(), ":id") {
			continue
		}
		f := &matrixFixtures{} // the ids are made up
		for _, id := range []string{"not-an-id", "000000000000000000000000", `{"$ne":""}`, "ZZZZZZZZZZZZZZZZZZZZZZZZ"} {
			var body any
			if row.Body != nil {
				body = row.Body(f, admin)
			}
			resp := m.send(r.Method(), matrixPath(r.Path(), row, f, id), admin, body)
			text := readBody(resp)
			if resp.StatusCode != 404 {
				t.Errorf("%s with id %q: %d, want 404: %.200s", route, id, resp.StatusCode, text)
			}
			for _, leak := range []string{"mongo", "bson", "objectid", "driver"} {
				if strings.Contains(strings.ToLower(text), leak) {
					t.Errorf("%s with id %q leaks %q", route, id, leak)
				}
			}
			if strings.HasPrefix(r.Path(), "/api/") {
				var p problemDoc
				if err := json.Unmarshal([]byte(text), &p); err != nil || p.Status != 404 || p.RequestID == "" {
					t.Errorf("%s with id %q: not a 404 problem: %s", route, id, text)
				}
			}
			checked++
		}
		if row.Relogin || row.Password {
			m.login(admin)
		}
	}
	if checked < 40 {
		t.Fatalf("only %d requests checked", checked)
	}
}
