package http_test

import (
	"fmt"
	nethttp "net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// meetingActors are one logged-in browser and API token per role.
type meetingActors struct {
	e       *testEnv
	pw      string
	browser map[string]*browser
	token   map[string]string
}

// meetingRoles are the people who visit the meetings: those outside the
// workspace first.
var meetingRoles = []string{"anonymous", "citizen", "moderator", "council", "admin"}

func newMeetingActors(t *testing.T, e *testEnv) *meetingActors {
	t.Helper()
	a := &meetingActors{e: e, browser: map[string]*browser{"anonymous": e.browser()}, token: map[string]string{"anonymous": ""}}
	roles := map[string][]mitreden.Role{"citizen": nil, "moderator": {mitreden.RoleModerator}, "council": {mitreden.RoleCouncil},
		"admin": {mitreden.RoleAdmin}}
	for _, name := range meetingRoles[1:] {
		email := name + "@example.org"
		_, a.pw = e.createUser(email, "Konto "+name, roles[name]...)
		b := e.browser()
		b.loginForm(email, a.pw)
		b.get("/") // shows the login's one-time confirmation
		a.browser[name], a.token[name] = b, e.login(email, a.pw)
	}
	return a
}

// isMember tells whether a role works in the council's workspace.
func isMember(role string) bool { return role == "council" || role == "admin" }

// createMeetingAPI schedules a meeting through the API as the council member.
func (a *meetingActors) createMeetingAPI(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	resp := a.e.api("POST", "/api/v1/council/meetings", a.token["council"], body)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, readBody(resp))
	}
	var out map[string]any
	decodeJSON(t, resp, &out)
	if resp.Header.Get("Location") != "/api/v1/council/meetings/"+out["id"].(string) {
		t.Fatalf("Location %q", resp.Header.Get("Location"))
	}
	return out
}

// requestIDs are the parts of an answer that differ between any two.
var requestIDs = regexp.MustCompile(`(Vorgangsnummer: |"request_id":")[A-Za-z0-9_-]+`)

// TestMeetings_WorkspaceIsAnUnknownAddressToOthers: to anonymous visitors,
// citizens and moderators, every page and endpoint of the workspace
// answers exactly what an address that does not exist answers, existing
// meeting or not, valid input or not; members and admins get it.
func TestMeetings_WorkspaceIsAnUnknownAddressToOthers(t *testing.T) {
	e := newEnv(t)
	a := newMeetingActors(t, e)
	secret := a.createMeetingAPI(t, map[string]any{"title": "Geheime Vorbesprechung", "starts_at": time.Now().Add(48 * time.Hour).Format(time.RFC3339),
		"place": "Landeshaus"})
	id := secret["id"].(string)
	pages := []string{"/council/meetings", "/council/meetings/new", "/council/meetings/" + id, "/council/meetings/" + id + "/edit"}
	posts := []string{"/council/meetings", "/council/meetings/" + id}
	apis := []struct{ method, path string }{{"GET", "/api/v1/council/meetings"}, {"POST", "/api/v1/council/meetings"},
		{"GET", "/api/v1/council/meetings/" + id}, {"PATCH", "/api/v1/council/meetings/" + id}}
	for _, role := range meetingRoles {
		b, tok := a.browser[role], a.token[role]
		same := func(what string, resp *nethttp.Response, unknown *nethttp.Response) {
			t.Helper()
			got, want := readBody(resp), readBody(unknown)
			if want == "" {
				t.Fatalf("%s: empty answer", what)
			}
			// The language switch returns to the address asked for.
			got = strings.ReplaceAll(got, resp.Request.URL.Path, "PATH")
			want = strings.ReplaceAll(want, unknown.Request.URL.Path, "PATH")
			if isMember(role) {
				if resp.StatusCode >= 400 {
					t.Errorf("%s %s: %d %.300s", role, what, resp.StatusCode, got)
				}
				return
			}
			if resp.StatusCode != 404 || unknown.StatusCode != 404 {
				t.Errorf("%s %s: %d (unknown address: %d), want 404", role, what, resp.StatusCode, unknown.StatusCode)
			}
			got, want = requestIDs.ReplaceAllString(got, "${1}ID"), requestIDs.ReplaceAllString(want, "${1}ID")
			if got != want {
				t.Errorf("%s %s differs from an unknown address:\n%s\n---\n%s", role, what, got, want)
			}
			if strings.Contains(got, "Geheime") || strings.Contains(got, "agenda_text") || strings.Contains(got, "Übernahme") {
				t.Errorf("%s %s shows a meeting: %s", role, what, got)
			}
		}
		for _, p := range pages {
			req, _ := nethttp.NewRequest("GET", p, nil)
			resp := b.send(req)
			req, _ = nethttp.NewRequest("GET", strings.Replace(p, "/council/meetings", "/council/nirgends", 1), nil)
			same("GET "+p, resp, b.send(req))
		}
		for _, p := range posts {
			form := url.Values{"_csrf": {b.csrf("/login")}, "title": {"Übernahme"}, "starts_at": {"2030-01-01T10:00"}, "place": {"X"}}
			req, _ := nethttp.NewRequest("POST", p, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp := b.send(req)
			req, _ = nethttp.NewRequest("POST", strings.Replace(p, "/council/meetings", "/council/nirgends", 1), strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			same("POST "+p, resp, b.send(req))
			// Invalid input does not give the form away either.
			form.Set("title", "")
			if resp, _ := b.post(p, form); !isMember(role) && resp.StatusCode != 404 {
				t.Errorf("%s invalid POST %s: %d", role, p, resp.StatusCode)
			}
		}
		for _, r := range apis {
			body := map[string]any{"title": "Übernahme durch Fremde"}
			if r.method == "POST" {
				body = map[string]any{"title": "Sitzung von außen", "starts_at": "2030-01-01T10:00:00Z", "place": "X"}
			}
			if r.method == "GET" {
				body = nil
			}
			resp := e.api(r.method, r.path, tok, body)
			unknown := e.api(r.method, strings.Replace(r.path, "/council/meetings", "/council/nirgends", 1), tok, body)
			same(r.method+" "+r.path, resp, unknown)
		}
	}
	// Nothing from outside changed it.
	resp := e.api("GET", "/api/v1/council/meetings/"+id, a.token["admin"], nil)
	var got map[string]any
	decodeJSON(t, resp, &got)
	if !strings.HasPrefix(got["title"].(string), "Geheime") && !strings.HasPrefix(got["title"].(string), "Übernahme durch Fremde") {
		t.Fatalf("title %q", got["title"])
	}
}

func TestMeetings_API(t *testing.T) {
	e := newEnv(t)
	a := newMeetingActors(t, e)
	now := time.Now().UTC()
	past := a.createMeetingAPI(t, map[string]any{"title": "Öffentliche Sitzung im Mai", "starts_at": now.Add(-48 * time.Hour).Format(time.RFC3339),
		"place": "Landeshaus", "video_url": "https://video.example.org/digitalrat", "public": true,
		"agenda":  []map[string]any{{"text": "Begrüßung"}, {"text": "Offene Daten", "recommendation_id": "64b7f0f0f0f0f0f0f0f0f0f0"}, {"text": " "}},
		"minutes": "Beschlossen: **Offene Daten** zuerst.\n\n<script>alert(1)</script>"})
	if past["version"] != 1.0 || len(past["agenda"].([]any)) != 2 || !strings.Contains(past["minutes_html"].(string), "<strong>Offene Daten</strong>") ||
		strings.Contains(past["minutes_html"].(string), "<script") || past["lang"] != "de" {
		t.Fatalf("created: %v", past)
	}
	item := past["agenda"].([]any)[1].(map[string]any)
	if item["recommendation_id"] != "64b7f0f0f0f0f0f0f0f0f0f0" || item["recommendation"] != true {
		t.Fatalf("agenda item: %v", item)
	}
	secret := a.createMeetingAPI(t, map[string]any{"title": "Nichtöffentliche Vorbesprechung", "starts_at": now.Add(24 * time.Hour).Format(time.RFC3339),
		"video_url": "https://video.example.org/intern"})
	soon := a.createMeetingAPI(t, map[string]any{"title": "Öffentliche Sitzung im Juni", "starts_at": now.Add(72 * time.Hour).Format(time.RFC3339),
		"place": "Rathaus", "public": true})

	// Validation: field errors, translated, with the item's number.
	resp := e.api("POST", "/api/v1/council/meetings", a.token["council"], map[string]any{"title": "Sitz",
		"starts_at": now.Add(time.Hour).Format(time.RFC3339), "video_url": "javascript:alert(1)", "minutes": "Zu früh",
		"agenda": []map[string]any{{"text": "Gut"}, {"recommendation_id": "../admin"}}})
	var prob problemDoc
	decodeJSON(t, resp, &prob)
	fields := map[string]string{}
	for _, f := range prob.Errors {
		fields[f.Field] = f.Message
	}
	if resp.StatusCode != 422 || len(fields) != 4 || !strings.Contains(fields["agenda.1.recommendation_id"], "Punkt 2") ||
		fields["minutes"] == "" || fields["video_url"] == "" || fields["title"] == "" {
		t.Fatalf("invalid create: %d %v", resp.StatusCode, fields)
	}
	if resp := e.api("POST", "/api/v1/council/meetings", a.token["council"], `{"title":"Sitzung","created_by":"x"}`); resp.StatusCode != 400 {
		t.Fatalf("unknown field: %d", resp.StatusCode)
	}

	// PATCH: omitted fields stay; a stale version is refused.
	id := soon["id"].(string)
	resp = e.api("PATCH", "/api/v1/council/meetings/"+id, a.token["admin"], map[string]any{"place": "Rathaus, Saal 2", "version": 1})
	var patched map[string]any
	decodeJSON(t, resp, &patched)
	if resp.StatusCode != 200 || patched["place"] != "Rathaus, Saal 2" || patched["title"] != "Öffentliche Sitzung im Juni" || patched["version"] != 2.0 {
		t.Fatalf("patch: %d %v", resp.StatusCode, patched)
	}
	resp = e.api("PATCH", "/api/v1/council/meetings/"+id, a.token["council"], map[string]any{"place": "Woanders", "version": 1})
	decodeJSON(t, resp, &prob)
	if resp.StatusCode != 409 || !strings.Contains(prob.Detail, "inzwischen geändert") {
		t.Fatalf("stale patch: %d %v", resp.StatusCode, prob)
	}

	// Lists: the workspace has all, the public the public ones.
	list := func(path, tok string) []string {
		t.Helper()
		resp := e.api("GET", path, tok, nil)
		var l struct {
			Items []map[string]any
			Total int
		}
		decodeJSON(t, resp, &l)
		var out []string
		for _, it := range l.Items {
			out = append(out, it["id"].(string))
		}
		if resp.StatusCode != 200 || (l.Total != len(out) && !strings.Contains(path, "page=")) {
			t.Fatalf("%s: %d, total %d of %d", path, resp.StatusCode, l.Total, len(out))
		}
		return out
	}
	for _, tc := range []struct {
		path, tok string
		want      []string
	}{
		{"/api/v1/council/meetings", a.token["council"], []string{secret["id"].(string), id}},
		{"/api/v1/council/meetings?when=past", a.token["admin"], []string{past["id"].(string)}},
		{"/api/v1/meetings", "", []string{id}},
		{"/api/v1/meetings?when=past", a.token["citizen"], []string{past["id"].(string)}},
		{"/api/v1/meetings?when=upcoming&per_page=1&page=2", a.token["council"], nil},
	} {
		if got := list(tc.path, tc.tok); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, want %v", tc.path, got, tc.want)
		}
	}
	if resp := e.api("GET", "/api/v1/meetings?when=gestern", "", nil); resp.StatusCode != 422 {
		t.Fatalf("when=gestern: %d", resp.StatusCode)
	}

	// The public meeting without its links; the other one is not there.
	for _, role := range meetingRoles {
		resp := e.api("GET", "/api/v1/meetings/"+past["id"].(string), a.token[role], nil)
		body := readBody(resp)
		if resp.StatusCode != 200 || strings.Contains(body, "64b7f0f0f0f0f0f0f0f0f0f0") || strings.Contains(body, "recommendation_id") ||
			!strings.Contains(body, `"recommendation":true`) || !strings.Contains(body, "https://video.example.org/digitalrat") {
			t.Errorf("%s public meeting: %d %s", role, resp.StatusCode, body)
		}
		if !strings.Contains(body, fmt.Sprintf(`"edit":{"allowed":%v`, isMember(role))) {
			t.Errorf("%s public meeting permissions: %s", role, body)
		}
		if resp := e.api("GET", "/api/v1/meetings/"+secret["id"].(string), a.token[role], nil); resp.StatusCode != 404 {
			t.Errorf("%s non-public meeting on the public API: %d", role, resp.StatusCode)
		}
	}
}

// agendaTexts are the agenda items a meeting page shows.
func agendaTexts(doc *goquery.Document) []string {
	var out []string
	doc.Find("ol.agenda li").Each(func(_ int, li *goquery.Selection) { out = append(out, strings.Join(strings.Fields(li.Text()), " ")) })
	return out
}

func TestMeetings_PagesFormsAndPublicPages(t *testing.T) {
	e := newEnv(t)
	a := newMeetingActors(t, e)
	member := a.browser["council"]

	// The navigation leads members to the workspace, everyone to the public meetings.
	for _, role := range meetingRoles {
		_, doc := a.browser[role].get("/meetings")
		if got := doc.Find(`nav a[href="/council"]`).Length() == 1; got != isMember(role) {
			t.Errorf("%s: workspace link shown %v", role, got)
		}
		if doc.Find(`footer a[href="/meetings"]`).Length() != 1 {
			t.Errorf("%s: no footer link to the public meetings", role)
		}
	}
	_, doc := member.get("/council/meetings")
	if doc.Find(`nav.workspace-nav a[href="/council/meetings"][aria-current="page"]`).Length() != 1 ||
		doc.Find(`a[href="/council/meetings/new"]`).Length() != 1 || doc.Find("h1").Text() != "Sitzungen des Digitalrats" {
		t.Fatalf("workspace list: %s", doc.Find("main").Text())
	}

	// The form: every input labelled; invalid input comes back with the
	// errors linked to their inputs.
	tok := member.csrf("/council/meetings/new")
	_, doc = member.get("/council/meetings/new")
	doc.Find("main form input:not([type=hidden]), main form textarea, main form select").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		if id == "" || doc.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("input %q has no label", id)
		}
	})
	if n := doc.Find(`input[name="agenda_text"]`).Length(); n != 5 {
		t.Fatalf("%d agenda rows, want 5", n)
	}
	starts := time.Now().Add(7*24*time.Hour).Format("2006-01-02") + "T17:00"
	long := strings.Repeat("Tagesordnung ", 40) + "Ende"
	vals := url.Values{"_csrf": {tok}, "title": {"Sitzung im Sommer"}, "starts_at": {starts}, "place": {""},
		"video_url": {"ftp://video.example.org"}, "public": {"true"}, "minutes": {"Zu früh"},
		"agenda_text": {"", "Begrüßung", "", long, ""}, "agenda_rec": {"", "", "", "", "nicht/gültig"}}
	resp, doc := member.post("/council/meetings", vals)
	if resp.StatusCode != 422 {
		t.Fatalf("invalid form: %d", resp.StatusCode)
	}
	for _, href := range []string{"#video_url", "#minutes", "#agenda-1-text", "#agenda-2-recommendation_id"} {
		if doc.Find(`#error-summary a[href="`+href+`"]`).Length() != 1 {
			t.Errorf("no error linked to %s: %s", href, doc.Find("#error-summary").Text())
		}
	}
	// The rows come back without the empty ones, each value in place.
	for id, want := range map[string]string{"#title": "Sitzung im Sommer", "#starts_at": starts, "#video_url": "ftp://video.example.org",
		"#agenda-0-text": "Begrüßung", "#agenda-1-text": long, "#agenda-2-recommendation_id": "nicht/gültig",
		"#agenda-3-text": ""} {
		if got := inputValue(doc, id); got != want {
			t.Errorf("%s came back as %q, want %q", id, got, want)
		}
	}
	if _, ok := doc.Find("#public").Attr("checked"); !ok || doc.Find("textarea#minutes").Text() != "Zu früh" {
		t.Error("public or minutes not kept")
	}
	if v, _ := doc.Find("#agenda-1-text").Attr("aria-describedby"); v != "agenda-1-text-error" {
		t.Errorf("agenda error not described: %q", v)
	}

	// Sent right, the meeting is there with its agenda.
	vals = url.Values{"_csrf": {tok}, "title": {"Sitzung im Sommer"}, "starts_at": {starts}, "place": {"Landeshaus, Raum 3"},
		"video_url": {"https://video.example.org/sommer"}, "public": {"true"},
		"agenda_text": {"Begrüßung", "", "Offene Daten"}, "agenda_rec": {"", "64b7f0f0f0f0f0f0f0f0f0f1", "64b7f0f0f0f0f0f0f0f0f0f0"}}
	resp, _ = member.post("/council/meetings", vals)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.HasPrefix(loc, "/council/meetings/") {
		t.Fatalf("create: %d %s", resp.StatusCode, loc)
	}
	id := strings.TrimPrefix(loc, "/council/meetings/")
	_, doc = member.get(loc)
	want := []string{"Begrüßung", "Empfehlung 64b7f0f0f0f0f0f0f0f0f0f1", "Offene Daten – Empfehlung 64b7f0f0f0f0f0f0f0f0f0f0"}
	if got := agendaTexts(doc); fmt.Sprint(got) != fmt.Sprint(want) || doc.Find(`a[href="/council/recommendations/64b7f0f0f0f0f0f0f0f0f0f0"]`).Length() != 1 {
		t.Fatalf("workspace agenda %q, want %q", got, want)
	}
	if !strings.Contains(doc.Find("#status").Text(), "Die Sitzung ist angelegt") || doc.Find(`a[href="/meetings/`+id+`"]`).Length() != 1 ||
		doc.Find(`a[href="https://video.example.org/sommer"]`).Length() != 1 || !strings.Contains(doc.Text(), "Das Protokoll folgt nach der Sitzung") {
		t.Fatalf("meeting page: %s", doc.Find("main").Text())
	}

	// A non-public meeting, already held, with minutes.
	heldAt := time.Now().Add(-3 * 24 * time.Hour).In(berlinZone(t)).Format("2006-01-02T15:04")
	resp, _ = member.post("/council/meetings", url.Values{"_csrf": {tok}, "title": {"Interne Vorbesprechung"}, "starts_at": {heldAt},
		"place": {"Landeshaus"}, "minutes": {"Vertraulich: *Haushalt*"}, "agenda_text": {"Haushalt"}, "agenda_rec": {""}})
	if resp.StatusCode != 303 {
		t.Fatalf("create held meeting: %d", resp.StatusCode)
	}
	internal := strings.TrimPrefix(resp.Header.Get("Location"), "/council/meetings/")

	// The public sees the public meeting, its agenda without links, and
	// not the other one.
	for _, role := range meetingRoles {
		b := a.browser[role]
		resp, doc := b.get("/meetings")
		if resp.StatusCode != 200 || doc.Find(`a[href="/meetings/`+id+`"]`).Length() != 1 || strings.Contains(doc.Text(), "Interne Vorbesprechung") {
			t.Errorf("%s: public list %d: %s", role, resp.StatusCode, doc.Find("main").Text())
		}
		resp, doc = b.get("/meetings/" + id)
		want := []string{"Begrüßung", "Beratung einer Empfehlung des Digitalrats", "Offene Daten"}
		if got := agendaTexts(doc); resp.StatusCode != 200 || fmt.Sprint(got) != fmt.Sprint(want) || strings.Contains(doc.Text(), "64b7f0") ||
			doc.Find(`a[href^="/council/recommendations"]`).Length() != 0 {
			t.Errorf("%s: public meeting %d, agenda %q", role, resp.StatusCode, got)
		}
		if got := doc.Find(`a[href="/council/meetings/`+id+`"]`).Length() == 1; got != isMember(role) {
			t.Errorf("%s: workspace link on the public page %v", role, got)
		}
		if resp, doc := b.get("/meetings/" + internal); resp.StatusCode != 404 || strings.Contains(doc.Text(), "Haushalt") {
			t.Errorf("%s: non-public meeting on the public page: %d", role, resp.StatusCode)
		}
	}

	// Editing: the form shows what is stored; two members saving on the
	// same version: the second gets its input back with the newer version.
	_, doc = member.get("/council/meetings/" + internal + "/edit")
	if inputValue(doc, "#title") != "Interne Vorbesprechung" || inputValue(doc, `input[name="version"]`) != "1" ||
		inputValue(doc, "#agenda-0-text") != "Haushalt" || doc.Find("textarea#minutes").Text() != "Vertraulich: *Haushalt*" {
		t.Fatalf("edit form: %s", doc.Find("form").Text())
	}
	edit := url.Values{"_csrf": {tok}, "version": {"1"}, "title": {"Interne Vorbesprechung"}, "starts_at": {heldAt}, "place": {"Landeshaus"},
		"minutes": {"Vertraulich: *Haushalt* beschlossen"}, "agenda_text": {"Haushalt"}, "agenda_rec": {""}}
	admin := a.browser["admin"]
	edit.Set("_csrf", admin.csrf("/council/meetings"))
	if resp, _ := admin.post("/council/meetings/"+internal, edit); resp.StatusCode != 303 {
		t.Fatalf("first save: %d", resp.StatusCode)
	}
	edit.Set("_csrf", tok)
	edit.Set("minutes", "Meine Fassung des Protokolls")
	resp, doc = member.post("/council/meetings/"+internal, edit)
	if resp.StatusCode != 409 || doc.Find("textarea#minutes").Text() != "Meine Fassung des Protokolls" || inputValue(doc, `input[name="version"]`) != "2" ||
		!strings.Contains(doc.Find("#error-summary").Text(), "inzwischen geändert") {
		t.Fatalf("stale save: %d %s", resp.StatusCode, doc.Find("#error-summary").Text())
	}
	edit.Set("version", "2")
	if resp, _ := member.post("/council/meetings/"+internal, edit); resp.StatusCode != 303 {
		t.Fatalf("save again: %d", resp.StatusCode)
	}
	_, doc = member.get("/council/meetings/" + internal)
	if !strings.Contains(doc.Find(".prose").Text(), "Meine Fassung des Protokolls") || !strings.Contains(doc.Text(), "Nicht öffentlich") {
		t.Fatalf("after saving again: %s", doc.Find("main").Text())
	}
}

func berlinZone(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestMeetings_FormKeptWhenTheSessionEnded: a member's meeting form sent
// after the session ended comes back whole with a login that sends it; a
// stale token brings it back to send again. Nobody else gets it: without
// a session that ended, or as a citizen with a stale token, the answer is
// the workspace's 404.
func TestMeetings_FormKeptWhenTheSessionEnded(t *testing.T) {
	e := newEnv(t)
	a := newMeetingActors(t, e)
	starts := time.Now().Add(10*24*time.Hour).Format("2006-01-02") + "T10:00"
	form := func(tok string) url.Values {
		return url.Values{"_csrf": {tok}, "title": {"Sitzung nach der Pause"}, "starts_at": {starts}, "place": {"Landeshaus"},
			"public": {"true"}, "agenda_text": {"Bericht", ""}, "agenda_rec": {"", ""}}
	}
	kept := func(t *testing.T, doc *goquery.Document) {
		t.Helper()
		if inputValue(doc, "#title") != "Sitzung nach der Pause" || inputValue(doc, "#starts_at") != starts || inputValue(doc, "#agenda-0-text") != "Bericht" {
			t.Errorf("not kept: %s", doc.Find("form").Text())
		}
		if _, ok := doc.Find("#public").Attr("checked"); !ok {
			t.Error("public not kept")
		}
	}

	b := e.browser()
	b.loginForm("council@example.org", a.pw)
	tok := b.csrf("/council/meetings/new")
	later := time.Now().Add(2 * time.Hour)
	e.Now.Store(&later)
	resp, doc := b.post("/council/meetings", form(tok))
	if resp.StatusCode != 401 || doc.Find(`form[action="/council/meetings"] input[name="password"]`).Length() != 1 ||
		!strings.Contains(doc.Find("#error-summary").Text(), "Ihre Anmeldung ist abgelaufen") {
		t.Fatalf("ended session: %d %s", resp.StatusCode, doc.Find("main").Text())
	}
	kept(t, doc)
	vals := form(inputValue(doc, `form[action="/council/meetings"] input[name="_csrf"]`))
	vals.Set("email", "council@example.org")
	vals.Set("password", "falsch falsch falsch")
	resp, doc = b.post("/council/meetings", vals)
	if resp.StatusCode != 401 {
		t.Fatalf("wrong password from the kept form: %d", resp.StatusCode)
	}
	kept(t, doc)
	vals.Set("_csrf", inputValue(doc, `form[action="/council/meetings"] input[name="_csrf"]`))
	vals.Set("password", a.pw)
	resp, _ = b.post("/council/meetings", vals)
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/council/meetings/") {
		t.Fatalf("login from the kept form: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	e.Now.Store(nil)

	// A stale token: a member gets the form back; a citizen the 404.
	member := a.browser["council"]
	resp, doc = member.post("/council/meetings", form("veraltet"))
	if resp.StatusCode != 403 || doc.Find(`form[action="/council/meetings"]`).Length() != 1 {
		t.Fatalf("member, stale token: %d", resp.StatusCode)
	}
	kept(t, doc)
	for _, role := range []string{"anonymous", "citizen", "moderator"} {
		if resp, doc := a.browser[role].post("/council/meetings", form("veraltet")); resp.StatusCode != 404 || strings.Contains(doc.Text(), "Sitzung nach der Pause") {
			t.Errorf("%s, stale token: %d", role, resp.StatusCode)
		}
		f := form(a.browser[role].csrf("/login"))
		if resp, _ := a.browser[role].post("/council/meetings", f); resp.StatusCode != 404 {
			t.Errorf("%s: %d", role, resp.StatusCode)
		}
	}
	// A citizen who logs in from a kept form gets the 404 too, not the form.
	c := e.browser()
	f := form(c.csrf("/login"))
	f.Set("email", "citizen@example.org")
	f.Set("password", a.pw)
	if resp, _ := c.post("/council/meetings", f); resp.StatusCode != 404 {
		t.Errorf("citizen logging in from a kept form: %d", resp.StatusCode)
	}
}
