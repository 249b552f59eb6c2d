package http_test

import (
	"context"
	nethttp "net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	mhttp "github.com/mitreden/mitreden/internal/http"
	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// noteFixture is a consultation with anna's proposal, and bert and cem
// who take part, each with a session for the API.
type noteFixture struct {
	e                *testEnv
	cons, proposal   string
	anna, bert, cem  *mitreden.User
	annaTok, bertTok string
	annaPW, bertPW   string
	admin            *mitreden.User
	adminTok         string
}

func newNoteFixture(t *testing.T) *noteFixture {
	t.Helper()
	e := newEnv(t)
	f := &noteFixture{e: e}
	ctx := context.Background()
	f.anna, f.annaPW = e.createUser("anna@example.org", "Anna Adler")
	f.bert, f.bertPW = e.createUser("bert@example.org", "Bert Bach")
	f.cem, _ = e.createUser("cem@example.org", "Cem Cakir")
	var apw string
	f.admin, apw = e.createUser("admin@example.org", "Ada Admin", mitreden.RoleAdmin)
	f.annaTok, f.bertTok, f.adminTok = e.login("anna@example.org", f.annaPW), e.login("bert@example.org", f.bertPW), e.login("admin@example.org", apw)
	now := time.Now().UTC()
	c := &mitreden.Consultation{Title: "Lärmschutz an der Bahnstrecke", Summary: "Wo stört der Lärm am meisten?", Body: "Die Stadt plant Lärmschutz und fragt Sie.",
		Region: "Stadt", OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(72 * time.Hour), VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.Participation.CreateConsultation(ctx, f.admin, c); err != nil {
		t.Fatal(err)
	}
	pr := &mitreden.Proposal{Title: "Flüsterbremsen für Güterzüge", Body: "Güterzüge mit Flüsterbremsen wären deutlich leiser."}
	if err := e.Participation.CreateProposal(ctx, f.anna, c.ID, pr); err != nil {
		t.Fatal(err)
	}
	f.cons, f.proposal = c.ID, pr.ID
	return f
}

// comment posts a comment by the API and returns its id.
func (f *noteFixture) comment(tok, body, parent string) string {
	f.e.t.Helper()
	in := map[string]any{"body": body}
	if parent != "" {
		in["parent_id"] = parent
	}
	resp := f.e.api("POST", "/api/v1/proposals/"+f.proposal+"/comments", tok, in)
	if resp.StatusCode != 201 {
		f.e.t.Fatalf("comment: %d %s", resp.StatusCode, readBody(resp))
	}
	var out struct{ ID string }
	decodeJSON(f.e.t, resp, &out)
	return out.ID
}

// headerLink is the header's link to the notifications.
func headerLink(doc *goquery.Document) *goquery.Selection {
	return doc.Find(`header nav a[href="/notifications"]`)
}

func TestNotifications_HeaderListAndMarkReadWithoutJavaScript(t *testing.T) {
	f := newNoteFixture(t)
	e := f.e
	// Visitors have no link (and cost no lookup).
	_, doc := e.browser().get("/")
	if headerLink(doc).Length() != 0 {
		t.Fatal("visitor sees the notifications link")
	}
	anna := e.browser()
	anna.loginForm("anna@example.org", f.annaPW)
	_, doc = anna.get("/")
	if got := strings.TrimSpace(headerLink(doc).Text()); got != "Benachrichtigungen" {
		t.Fatalf("header without notifications: %q", got)
	}
	first := f.comment(f.bertTok, "Flüsterbremsen helfen sehr, bitte schnell.", "")
	f.comment(f.bertTok, "Und Schienenstegdämpfer dazu.", "")
	e.runJobs()
	_, doc = anna.get("/consultations/" + f.cons)
	if got := strings.Join(strings.Fields(headerLink(doc).Text()), " "); got != "Benachrichtigungen (2)" {
		t.Fatalf("header: %q", got)
	}
	resp, doc := anna.get("/notifications")
	if resp.StatusCode != 200 || doc.Find("h1").Text() != "Benachrichtigungen" {
		t.Fatalf("list: %d %q", resp.StatusCode, doc.Find("h1").Text())
	}
	items := doc.Find("ol.notification-list > li")
	if items.Length() != 2 || items.Filter(".notification--unread").Length() != 2 {
		t.Fatalf("items: %d", items.Length())
	}
	text := strings.TrimSpace(items.Last().Find(`form[action$="/open"] button`).Text())
	if text != "Bert Bach hat Ihren Vorschlag „Flüsterbremsen für Güterzüge“ kommentiert." {
		t.Fatalf("item text: %q", text)
	}
	if aria, _ := headerLink(doc).Attr("aria-current"); aria != "page" {
		t.Fatal("the list is not marked current in the header")
	}
	// Opening one marks it read and leads to the comment.
	open, _ := items.Last().Find(`form[action$="/open"]`).Attr("action")
	tok := anna.csrf("/notifications")
	resp, _ = anna.post(open, url.Values{"_csrf": {tok}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || loc != "/comments/"+first {
		t.Fatalf("open: %d %s", resp.StatusCode, loc)
	}
	_, doc = anna.get("/notifications")
	if doc.Find("li.notification--unread").Length() != 1 || !strings.Contains(headerLink(doc).Text(), "(1") {
		t.Fatalf("after opening: %d unread", doc.Find("li.notification--unread").Length())
	}
	// The button marks the other read; the flash says so.
	read, _ := doc.Find(`li.notification--unread form[action$="/read"]`).Attr("action")
	resp, _ = anna.post(read, url.Values{"_csrf": {tok}, "page": {"1"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/notifications" {
		t.Fatalf("read: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, doc = anna.get("/notifications")
	if doc.Find("li.notification--unread").Length() != 0 || strings.Contains(headerLink(doc).Text(), "(") ||
		!strings.Contains(doc.Find("#status").Text(), "als gelesen markiert") {
		t.Fatalf("after read: header %q status %q", headerLink(doc).Text(), doc.Find("#status").Text())
	}
	// Mark all read; someone else's notification is not found.
	f.comment(f.bertTok, "Noch ein Gedanke dazu.", "")
	e.runJobs()
	resp, _ = anna.post("/notifications/read-all", url.Values{"_csrf": {tok}})
	if resp.StatusCode != 303 {
		t.Fatalf("read-all: %d", resp.StatusCode)
	}
	_, doc = anna.get("/notifications")
	if doc.Find("li.notification--unread").Length() != 0 || doc.Find("li.notification").Length() != 3 {
		t.Fatal("read-all left unread ones")
	}
	id, _ := doc.Find("li.notification").First().Attr("id")
	bert := e.browser()
	bert.loginForm("bert@example.org", f.bertPW)
	resp, _ = bert.post("/notifications/"+strings.TrimPrefix(id, "n-")+"/read", url.Values{"_csrf": {bert.csrf("/notifications")}})
	if resp.StatusCode != 404 {
		t.Fatalf("someone else's notification: %d", resp.StatusCode)
	}
}

func TestNotifications_SettingsFormKeepsInputAndSaves(t *testing.T) {
	f := newNoteFixture(t)
	anna := f.e.browser()
	anna.loginForm("anna@example.org", f.annaPW)
	resp, doc := anna.get("/notifications/settings")
	if resp.StatusCode != 200 {
		t.Fatalf("settings: %d", resp.StatusCode)
	}
	sets := doc.Find("form fieldset")
	if sets.Length() != len(mitreden.NotificationKinds) || sets.Find("legend").Length() != len(mitreden.NotificationKinds) ||
		sets.Find(`input[type="radio"]`).Length() != 4*len(mitreden.NotificationKinds) {
		t.Fatalf("fieldsets %d", sets.Length())
	}
	for kind, want := range map[string]string{"reply": "immediately", "answer": "immediately", "comment": "daily", "phase": "daily"} {
		if v, _ := doc.Find(`input[name="` + kind + `"]:checked`).Attr("value"); v != want {
			t.Fatalf("%s checked %q, want %q", kind, v, want)
		}
		for _, m := range mitreden.MailModes {
			if doc.Find(`label[for="mode-`+kind+`-`+string(m)+`"]`).Length() != 1 {
				t.Fatalf("no label for %s %s", kind, m)
			}
		}
	}
	tok := anna.csrf("/notifications/settings")
	resp, doc = anna.post("/notifications/settings", url.Values{"_csrf": {tok}, "reply": {"weekly"}, "comment": {"sometimes"}})
	if resp.StatusCode != 422 {
		t.Fatalf("bad mode: %d", resp.StatusCode)
	}
	if v, _ := doc.Find(`input[name="reply"]:checked`).Attr("value"); v != "weekly" {
		t.Fatalf("reply not kept: %q", v)
	}
	if href, _ := doc.Find(".kern-alert a, [role=alert] a").First().Attr("href"); href != "#mode-comment" {
		t.Fatalf("error summary links %q", href)
	}
	if d, _ := doc.Find("#mode-comment").Attr("aria-describedby"); d != "mode-comment-error" {
		t.Fatalf("fieldset not described by its error: %q", d)
	}
	resp, _ = anna.post("/notifications/settings", url.Values{"_csrf": {tok}, "reply": {"weekly"}, "comment": {"never"}})
	if resp.StatusCode != 303 {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	got := f.e.api("GET", "/api/v1/me/notification-settings", f.annaTok, nil)
	var modes map[string]string
	decodeJSON(t, got, &modes)
	if modes["reply"] != "weekly" || modes["comment"] != "never" || modes["answer"] != "immediately" {
		t.Fatalf("stored: %v", modes)
	}
}

func TestNotifications_API(t *testing.T) {
	f := newNoteFixture(t)
	e := f.e
	cm := f.comment(f.annaTok, "Ich ergänze: auch nachts.", "")
	f.comment(f.bertTok, "Das stimmt, nachts ist es am schlimmsten.", cm)
	e.runJobs()
	resp := e.api("GET", "/api/v1/notifications?page=1&per_page=10", f.bertTok, nil)
	var empty struct{ Items []any }
	decodeJSON(t, resp, &empty)
	if len(empty.Items) != 0 {
		t.Fatalf("bert replied and is notified: %v", empty.Items)
	}
	var list struct {
		Items []struct {
			ID, Kind, URL, Title, Summary string
			Read                          bool
		}
		Total, Unread, Page int
		PerPage             int `json:"per_page"`
	}
	resp = e.api("GET", "/api/v1/notifications", f.annaTok, nil)
	decodeJSON(t, resp, &list)
	if list.Total != 1 || list.Unread != 1 || list.Page != 1 || list.PerPage != 20 || len(list.Items) != 1 {
		t.Fatalf("list: %+v", list)
	}
	it := list.Items[0]
	if it.Kind != "reply" || it.Read || it.Title != "Flüsterbremsen für Güterzüge" || !strings.HasPrefix(it.URL, "/comments/") ||
		it.Summary != "Bert Bach hat auf Ihren Kommentar zu „Flüsterbremsen für Güterzüge“ geantwortet." {
		t.Fatalf("item: %+v", it)
	}
	if resp := e.api("POST", "/api/v1/notifications/"+it.ID+"/read", f.bertTok, nil); resp.StatusCode != 404 {
		t.Fatalf("bert reads anna's: %d", resp.StatusCode)
	}
	resp = e.api("POST", "/api/v1/notifications/"+it.ID+"/read", f.annaTok, nil)
	var unread struct{ Unread int }
	decodeJSON(t, resp, &unread)
	if resp.StatusCode != 200 || unread.Unread != 0 {
		t.Fatalf("read: %d %d", resp.StatusCode, unread.Unread)
	}
	if resp := e.api("POST", "/api/v1/notifications/read-all", f.annaTok, nil); resp.StatusCode != 200 {
		t.Fatalf("read-all: %d", resp.StatusCode)
	}
	if resp := e.api("GET", "/api/v1/notifications", "", nil); resp.StatusCode != 401 {
		t.Fatalf("anonymous: %d", resp.StatusCode)
	}
	// Settings: partial updates, unknown kinds and modes refused.
	resp = e.api("PUT", "/api/v1/me/notification-settings", f.annaTok, map[string]any{"reply": "daily"})
	var modes map[string]string
	decodeJSON(t, resp, &modes)
	if resp.StatusCode != 200 || modes["reply"] != "daily" || modes["answer"] != "immediately" || len(modes) != 6 {
		t.Fatalf("put settings: %d %v", resp.StatusCode, modes)
	}
	if resp := e.api("PUT", "/api/v1/me/notification-settings", f.annaTok, map[string]any{"gossip": "daily"}); resp.StatusCode != 400 ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("unknown kind: %d", resp.StatusCode)
	}
	if resp := e.api("PUT", "/api/v1/me/notification-settings", f.annaTok, map[string]any{"reply": "hourly"}); resp.StatusCode != 422 {
		t.Fatalf("unknown mode: %d", resp.StatusCode)
	}
	// Following: idempotent, 404 for nothing, and it notifies of answers.
	for i := 0; i < 2; i++ {
		resp = e.api("PUT", "/api/v1/proposals/"+f.proposal+"/follow", f.bertTok, nil)
		var fl struct {
			Following bool
		}
		decodeJSON(t, resp, &fl)
		if resp.StatusCode != 200 || !fl.Following {
			t.Fatalf("follow: %d", resp.StatusCode)
		}
	}
	if resp := e.api("PUT", "/api/v1/proposals/64b7f0f0f0f0f0f0f0f0f0f0/follow", f.bertTok, nil); resp.StatusCode != 404 {
		t.Fatalf("follow of nothing: %d", resp.StatusCode)
	}
	if resp := e.api("PUT", "/api/v1/consultations/"+f.cons+"/follow", f.bertTok, nil); resp.StatusCode != 200 {
		t.Fatalf("follow consultation: %d", resp.StatusCode)
	}
	if resp := e.api("DELETE", "/api/v1/consultations/"+f.cons+"/follow", f.bertTok, nil); resp.StatusCode != 200 {
		t.Fatalf("unfollow consultation: %d", resp.StatusCode)
	}
	if resp := e.api("POST", "/api/v1/proposals/"+f.proposal+"/answer", f.adminTok, map[string]any{"status": "accepted", "answer": "Wird beantragt."}); resp.StatusCode != 200 {
		t.Fatalf("answer: %d %s", resp.StatusCode, readBody(resp))
	}
	e.runJobs()
	resp = e.api("GET", "/api/v1/notifications", f.bertTok, nil)
	decodeJSON(t, resp, &list)
	if len(list.Items) != 1 || list.Items[0].Kind != "answer" || list.Items[0].Summary != "Der Vorschlag „Flüsterbremsen für Güterzüge“ hat einen neuen Stand: Angenommen." {
		t.Fatalf("bert after the answer: %+v", list.Items)
	}
	if m := e.lastMail("bert@example.org"); !strings.Contains(m.Subject, "Flüsterbremsen für Güterzüge") || m.Unsubscribe == "" {
		t.Fatalf("answer mail: %+v", m)
	}
	if resp := e.api("DELETE", "/api/v1/proposals/"+f.proposal+"/follow", f.bertTok, nil); resp.StatusCode != 200 {
		t.Fatalf("unfollow: %d", resp.StatusCode)
	}
	if resp := e.api("DELETE", "/api/v1/consultations/64b7f0f0f0f0f0f0f0f0f0f0/follow", f.bertTok, nil); resp.StatusCode != 404 {
		t.Fatalf("unfollow of nothing: %d", resp.StatusCode)
	}
}

func TestNotifications_FollowButtonsOnThePages(t *testing.T) {
	f := newNoteFixture(t)
	e := f.e
	_, doc := e.browser().get("/proposals/" + f.proposal)
	if doc.Find(".follow-form").Length() != 0 {
		t.Fatal("visitor sees a follow button")
	}
	bert := e.browser()
	bert.loginForm("bert@example.org", f.bertPW)
	for _, page := range []string{"/proposals/" + f.proposal, "/consultations/" + f.cons} {
		_, doc := bert.get(page)
		form := doc.Find("form.follow-form")
		if action, _ := form.Attr("action"); action != page+"/follow" || strings.TrimSpace(form.Find("button").Text()) != "Folgen" {
			t.Fatalf("%s: follow form %q", page, action)
		}
		resp, _ := bert.post(page+"/follow", url.Values{"_csrf": {bert.csrf(page)}})
		if resp.StatusCode != 303 || resp.Header.Get("Location") != page+"#confirmation" {
			t.Fatalf("%s follow: %d %s", page, resp.StatusCode, resp.Header.Get("Location"))
		}
		_, doc = bert.get(page)
		form = doc.Find("form.follow-form")
		if action, _ := form.Attr("action"); action != page+"/unfollow" || strings.TrimSpace(form.Find("button").Text()) != "Nicht mehr folgen" ||
			doc.Find("#confirmation").Length() != 1 {
			t.Fatalf("%s after follow: %q", page, action)
		}
		resp, _ = bert.post(page+"/unfollow", url.Values{"_csrf": {bert.csrf(page)}})
		if resp.StatusCode != 303 {
			t.Fatalf("%s unfollow: %d", page, resp.StatusCode)
		}
		_, doc = bert.get(page)
		if action, _ := doc.Find("form.follow-form").Attr("action"); action != page+"/follow" {
			t.Fatalf("%s after unfollow: %q", page, action)
		}
	}
	// The author follows her proposal from the start.
	anna := e.browser()
	anna.loginForm("anna@example.org", f.annaPW)
	_, doc = anna.get("/proposals/" + f.proposal)
	if action, _ := doc.Find("form.follow-form").Attr("action"); !strings.HasSuffix(action, "/unfollow") {
		t.Fatalf("author's form: %q", action)
	}
}

func TestNotifications_OneClickUnsubscribe(t *testing.T) {
	f := newNoteFixture(t)
	e := f.e
	f.comment(f.annaTok, "Mein Kommentar, auf den jemand antwortet.", "")
	var list struct{ Items []struct{ ID string } }
	decodeJSON(t, e.api("GET", "/api/v1/proposals/"+f.proposal+"/comments", "", nil), &list)
	f.comment(f.bertTok, "Eine Antwort an Anna.", list.Items[0].ID)
	e.runJobs()
	m := e.lastMail("anna@example.org")
	link, err := url.Parse(m.Unsubscribe)
	if err != nil || link.Path != "/notifications/unsubscribe" || link.Query().Get("k") != "reply" {
		t.Fatalf("unsubscribe link %q", m.Unsubscribe)
	}
	if !strings.Contains(m.Text, m.Unsubscribe) {
		t.Fatal("the mail's text lacks the link")
	}
	local := link.Path + "?" + link.RawQuery
	// Opening the link (a scanner, a preview) changes nothing.
	resp, doc := e.browser().get(local)
	if resp.StatusCode != 200 || doc.Find(`main form[action^="/notifications/unsubscribe"] button`).Length() != 1 {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
	modes := func() map[string]string {
		var out map[string]string
		decodeJSON(t, e.api("GET", "/api/v1/me/notification-settings", f.annaTok, nil), &out)
		return out
	}
	if modes()["reply"] != "immediately" {
		t.Fatal("GET unsubscribed")
	}
	// A forged token is refused.
	forged := strings.Replace(local, "t="+link.Query().Get("t"), "t=AAAA", 1)
	req, _ := nethttp.NewRequest("POST", forged, strings.NewReader("List-Unsubscribe=One-Click"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp := e.do(req); resp.StatusCode != 400 {
		t.Fatalf("forged: %d", resp.StatusCode)
	}
	// The mail client's one-click POST: no cookie, no CSRF token.
	req, _ = nethttp.NewRequest("POST", local, strings.NewReader("List-Unsubscribe=One-Click"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp = e.do(req)
	if resp.StatusCode != 200 || !strings.Contains(readBody(resp), "Abbestellt") {
		t.Fatalf("one-click: %d", resp.StatusCode)
	}
	if got := modes(); got["reply"] != "never" || got["answer"] != "immediately" {
		t.Fatalf("after one-click: %v", got)
	}
	// The page's button, from a browser with a session, does the same.
	b := e.browser()
	b.loginForm("bert@example.org", f.bertPW)
	resp, _ = b.post(local, url.Values{"List-Unsubscribe": {"One-Click"}})
	if resp.StatusCode != 200 {
		t.Fatalf("button: %d", resp.StatusCode)
	}
}

// countingNotes counts the counter reads of the notifications store.
type countingNotes struct {
	mitreden.NotificationStore
	counts atomic.Int64
}

func (s *countingNotes) CountNotifications(ctx context.Context, userID string) (mitreden.NotificationCounts, error) {
	s.counts.Add(1)
	return s.NotificationStore.CountNotifications(ctx, userID)
}

// TestNotifications_HeaderCostsOneLookupForPeopleAndNoneForVisitors
// serves the pages through a notifications service whose store counts
// the header's reads.
func TestNotifications_HeaderCostsOneLookupForPeopleAndNoneForVisitors(t *testing.T) {
	f := newNoteFixture(t)
	e := f.e
	store := &countingNotes{NotificationStore: e.DB.Notifications()}
	notes := service.NewNotifications(store, e.DB.Notifications(), e.DB.Participation(), e.DB.Users(), e.Jobs, nil, nil, nil,
		service.NotificationsConfig{Secret: []byte(strings.Repeat("k", 32))})
	srv, err := mhttp.New(mhttp.Config{BaseURL: "http://127.0.0.1:8080", Secret: []byte(strings.Repeat("k", 32))},
		mhttp.Deps{Accounts: e.Accounts, Store: e.DB, Searcher: e.Searcher, Participation: e.Participation, Notifications: notes})
	if err != nil {
		t.Fatal(err)
	}
	f.comment(f.bertTok, "Ein Kommentar für Annas Zähler.", "")
	e.runJobs()
	for _, path := range []string{"/", "/consultations/" + f.cons, "/proposals/" + f.proposal, "/notifications", "/notifications/settings"} {
		for _, who := range []struct {
			name, token string
			want        int64
		}{{"visitor", "", 0}, {"anna", f.annaTok, 1}} {
			if who.token == "" && strings.HasPrefix(path, "/notifications") {
				continue
			}
			req, _ := nethttp.NewRequest("GET", path, nil)
			if who.token != "" {
				req.AddCookie(&nethttp.Cookie{Name: "mitreden_session", Value: who.token})
			}
			before := store.counts.Load()
			resp, err := srv.App().Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(resp)
			got := store.counts.Load() - before
			want := who.want
			if resp.StatusCode != 200 || got != want {
				t.Fatalf("%s %s: status %d, %d counter reads, want %d", who.name, path, resp.StatusCode, got, want)
			}
			if who.token != "" && !strings.Contains(body, "Benachrichtigungen <span class=\"notification-count\">(1)</span>") {
				t.Fatalf("%s %s: no count in the header", who.name, path)
			}
		}
	}
}
