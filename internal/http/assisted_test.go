package http_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// assistedEnv is a server with an open consultation, an admin, a member of
// the citizens' service and a citizen, each with a token.
type assistedEnv struct {
	*testEnv
	pw                     string
	admin, staff, citizen  string
	cid                    string
	staffUser, citizenUser *mitreden.User
}

func newAssistedEnv(t *testing.T) *assistedEnv {
	t.Helper()
	e := newEnv(t)
	_, pw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	su, _ := e.createUser("service@example.org", "Sabine Service", mitreden.RoleService)
	cu, _ := e.createUser("citizen@example.org", "Carla Citizen")
	a := &assistedEnv{testEnv: e, pw: pw, staffUser: su, citizenUser: cu}
	a.admin, a.staff, a.citizen = e.login("admin@example.org", pw), e.login("service@example.org", pw), e.login("citizen@example.org", pw)
	a.cid = newConsultationAPI(t, e, a.admin, nil)
	return a
}

func (a *assistedEnv) record(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	resp := a.api("POST", "/api/v1/assisted/participants", a.staff, body)
	if resp.StatusCode != 201 {
		t.Fatalf("record: %d %s", resp.StatusCode, readBody(resp))
	}
	var out map[string]any
	decodeJSON(t, resp, &out)
	return out
}

func todayBerlin() string { return time.Now().In(berlinTZ).Format("2006-01-02") }

func TestAssistedAPI_EntriesCarryTheChannelNeverTheStaffFields(t *testing.T) {
	a := newAssistedEnv(t)
	rec := a.record(t, map[string]any{"display_name": "Erika Mustermann", "anonymous": true, "locality": "Musterhausen",
		"address": "Hauptstraße 1", "phone": "0211 123456"})
	if rec["public_name"] != "Bürgerin/Bürger aus Musterhausen" {
		t.Fatalf("public name %v", rec["public_name"])
	}
	rid := rec["id"].(string)
	// A citizen and a moderator-less account may not.
	if resp := a.api("POST", "/api/v1/assisted/participants", a.citizen, map[string]any{"display_name": "X Y"}); resp.StatusCode != 403 {
		t.Fatalf("citizen creates a record: %d", resp.StatusCode)
	}
	resp := a.api("POST", "/api/v1/assisted/participants/"+rid+"/proposals", a.staff, map[string]any{"consultation_id": a.cid,
		"title": "Sitzbänke am Marktplatz", "body": "Am Marktplatz fehlen Sitzbänke für ältere Menschen.", "channel": "letter",
		"received_at": todayBerlin(), "reference": "AZ 7/26"})
	if resp.StatusCode != 201 {
		t.Fatalf("enter proposal: %d %s", resp.StatusCode, readBody(resp))
	}
	var pr struct {
		ID, Channel string
		ReceivedAt  *time.Time `json:"received_at"`
		Author      struct {
			DisplayName string `json:"display_name"`
		}
	}
	decodeJSON(t, resp, &pr)
	if pr.Channel != "letter" || pr.ReceivedAt == nil || pr.Author.DisplayName != "Bürgerin/Bürger aus Musterhausen" {
		t.Fatalf("proposal %+v", pr)
	}
	public := readBody(a.api("GET", "/api/v1/proposals/"+pr.ID, "", nil))
	list := readBody(a.api("GET", "/api/v1/consultations/"+a.cid+"/proposals", "", nil))
	for _, body := range []string{public, list} {
		// The author's id is the record's pseudonymous voter key, as an
		// account's id is; what the record holds stays with staff.
		for _, secret := range []string{"AZ 7/26", "Sabine", "Erika", "Hauptstraße", "0211", "reference", "entered_by"} {
			if strings.Contains(body, secret) {
				t.Errorf("public JSON shows %q: %s", secret, body)
			}
		}
	}
	// A comment by phone, and an online comment says online.
	resp = a.api("POST", "/api/v1/assisted/participants/"+rid+"/comments", a.staff, map[string]any{"proposal_id": pr.ID,
		"body": "Am Telefon: auch Schatten wäre gut.", "channel": "phone", "received_at": todayBerlin()})
	if resp.StatusCode != 201 {
		t.Fatalf("enter comment: %d %s", resp.StatusCode, readBody(resp))
	}
	if resp := a.api("POST", "/api/v1/proposals/"+pr.ID+"/comments", a.citizen, map[string]any{"body": "Online dazu."}); resp.StatusCode != 201 {
		t.Fatalf("online comment: %d", resp.StatusCode)
	}
	var comments struct {
		Items []struct{ Body, Channel string }
	}
	decodeJSON(t, a.api("GET", "/api/v1/proposals/"+pr.ID+"/comments", "", nil), &comments)
	channels := map[string]string{}
	for _, c := range comments.Items {
		channels[c.Body] = c.Channel
	}
	if channels["Am Telefon: auch Schatten wäre gut."] != "phone" || channels["Online dazu."] != "online" {
		t.Fatalf("comment channels %v", channels)
	}
	// A support in person; the statistics split by channel.
	resp = a.api("PUT", "/api/v1/assisted/participants/"+rid+"/votes/"+pr.ID, a.staff, map[string]any{"value": "support", "channel": "in_person", "received_at": todayBerlin()})
	if resp.StatusCode != 200 {
		t.Fatalf("enter vote: %d %s", resp.StatusCode, readBody(resp))
	}
	var st struct {
		Channels []struct {
			Channel                    string
			Proposals, Comments, Votes int
		}
		Total struct{ Proposals, Comments, Votes int }
	}
	decodeJSON(t, a.api("GET", "/api/v1/consultations/"+a.cid+"/statistics", "", nil), &st)
	by := map[string][3]int{}
	for _, c := range st.Channels {
		by[c.Channel] = [3]int{c.Proposals, c.Comments, c.Votes}
	}
	if by["letter"] != [3]int{1, 0, 0} || by["phone"] != [3]int{0, 1, 0} || by["in_person"] != [3]int{0, 0, 1} || by["online"] != [3]int{0, 1, 0} || st.Total.Comments != 2 {
		t.Fatalf("statistics %+v", st)
	}
	// The record's audit, for staff only.
	var rr struct {
		Audit []struct{ Action, Reference string }
	}
	decodeJSON(t, a.api("GET", "/api/v1/assisted/participants/"+rid, a.staff, nil), &rr)
	if len(rr.Audit) != 4 || rr.Audit[2].Action != "proposal" || rr.Audit[2].Reference != "AZ 7/26" {
		t.Fatalf("audit %+v", rr.Audit)
	}
	if resp := a.api("GET", "/api/v1/assisted/participants/"+rid, a.citizen, nil); resp.StatusCode != 403 {
		t.Fatalf("citizen reads a record: %d", resp.StatusCode)
	}
}

func TestAssistedAPI_RefusalsSayWhy(t *testing.T) {
	a := newAssistedEnv(t)
	rid := a.record(t, map[string]any{"display_name": "Hans K."})["id"].(string)
	// Received before the consultation opened: 409 with the reason.
	resp := a.api("POST", "/api/v1/assisted/participants/"+rid+"/proposals", a.staff, map[string]any{"consultation_id": a.cid,
		"title": "Sitzbänke am Marktplatz", "body": "Am Marktplatz fehlen Sitzbänke für ältere Menschen.", "channel": "letter",
		"received_at": time.Now().AddDate(0, 0, -3).Format("2006-01-02")})
	var p problemDoc
	decodeJSON(t, resp, &p)
	if resp.StatusCode != 409 || !strings.Contains(p.Detail, "bevor das Verfahren") {
		t.Fatalf("received before open: %d %+v", resp.StatusCode, p)
	}
	// A bad date, a channel that is none and a short title: 422 naming each.
	resp = a.api("POST", "/api/v1/assisted/participants/"+rid+"/proposals", a.staff, map[string]any{"consultation_id": a.cid,
		"title": "Kurz", "body": "Am Marktplatz fehlen Sitzbänke für ältere Menschen.", "channel": "fax", "received_at": "gestern"})
	if resp.StatusCode != 422 {
		t.Fatalf("bad date: %d", resp.StatusCode)
	}
	resp = a.api("POST", "/api/v1/assisted/participants/"+rid+"/proposals", a.staff, map[string]any{"consultation_id": a.cid,
		"title": "Kurz", "body": "Am Marktplatz fehlen Sitzbänke für ältere Menschen.", "channel": "fax", "received_at": todayBerlin()})
	decodeJSON(t, resp, &p)
	if resp.StatusCode != 422 || len(p.Errors) != 2 {
		t.Fatalf("invalid entry: %d %+v", resp.StatusCode, p)
	}
	// Linking to an account that does not exist, then twice to different ones.
	if resp := a.api("POST", "/api/v1/assisted/participants/"+rid+"/link", a.staff, map[string]any{"user_id": "000000000000000000000000"}); resp.StatusCode != 422 {
		t.Fatalf("link to nobody: %d", resp.StatusCode)
	}
	if resp := a.api("POST", "/api/v1/assisted/participants/"+rid+"/link", a.staff, map[string]any{"user_id": a.citizenUser.ID}); resp.StatusCode != 200 {
		t.Fatalf("link: %d %s", resp.StatusCode, readBody(resp))
	}
	if resp := a.api("POST", "/api/v1/assisted/participants/"+rid+"/link", a.staff, map[string]any{"user_id": a.staffUser.ID}); resp.StatusCode != 409 {
		t.Fatalf("link elsewhere: %d", resp.StatusCode)
	}
}

func TestAssistedPages_FormsKeepInputAndTheRoleShowsTranslated(t *testing.T) {
	a := newAssistedEnv(t)
	rid := a.record(t, map[string]any{"display_name": "Grete L.", "locality": "Musterhausen"})["id"].(string)
	b := a.browser()
	b.loginForm("service@example.org", a.pw)
	if resp, doc := b.get("/assisted"); resp.StatusCode != 200 || !strings.Contains(doc.Find("main").Text(), "Grete L.") {
		t.Fatalf("staff home: %d", resp.StatusCode)
	}
	path := "/assisted/participants/" + rid + "/proposals"
	tok := b.csrf(path + "/new")
	// A date received in the future: the form comes back with everything.
	future := time.Now().AddDate(0, 0, 3).Format("2006-01-02")
	resp, doc := b.post(path, url.Values{"_csrf": {tok}, "channel": {"letter"}, "received_at": {future}, "consultation_id": {a.cid},
		"title": {"Sitzbänke am Marktplatz"}, "body": {"Am Marktplatz fehlen Sitzbänke für ältere Menschen."}, "reference": {"AZ 9"}})
	if resp.StatusCode != 422 {
		t.Fatalf("future date: %d", resp.StatusCode)
	}
	if v, _ := doc.Find("#title").Attr("value"); v != "Sitzbänke am Marktplatz" || doc.Find("#body").Text() != "Am Marktplatz fehlen Sitzbänke für ältere Menschen." ||
		!strings.Contains(doc.Find("#error-summary").Text(), "nicht in der Zukunft") {
		t.Fatalf("form not kept: title %q summary %q", v, doc.Find("#error-summary").Text())
	}
	if _, ok := doc.Find("#channel-letter").Attr("checked"); !ok {
		t.Error("channel not kept")
	}
	resp, _ = b.post(path, url.Values{"_csrf": {tok}, "channel": {"letter"}, "received_at": {todayBerlin()}, "consultation_id": {a.cid},
		"title": {"Sitzbänke am Marktplatz"}, "body": {"Am Marktplatz fehlen Sitzbänke für ältere Menschen."}})
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/proposals/") {
		t.Fatalf("entered: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	pid := strings.TrimPrefix(resp.Header.Get("Location"), "/proposals/")
	_, doc = b.get("/proposals/" + pid)
	if got := doc.Find(".provenance").Text(); !strings.Contains(got, "eingegangen per Brief am") {
		t.Fatalf("provenance %q", got)
	}
	// A correction keeps the original and is shown.
	tok = b.csrf("/assisted/correct/proposal/" + pid)
	resp, _ = b.post("/assisted/correct/proposal/"+pid, url.Values{"_csrf": {tok}, "title": {"Sitzbänke am Marktplatz, bitte"},
		"body": {"Am Marktplatz fehlen Sitzbänke für ältere Menschen, und Schatten."}})
	if resp.StatusCode != 303 {
		t.Fatalf("correction: %d", resp.StatusCode)
	}
	_, doc = b.get("/proposals/" + pid)
	if got := doc.Find(".provenance").Text(); !strings.Contains(got, "korrigiert am") {
		t.Fatalf("after correction %q", got)
	}
	_, doc = b.get("/assisted/correct/proposal/" + pid)
	if !strings.Contains(doc.Find("blockquote").Text(), "Am Marktplatz fehlen Sitzbänke für ältere Menschen.") {
		t.Fatalf("original not shown: %q", doc.Find("blockquote").Text())
	}
	// Citizens see neither page nor navigation entry.
	c := a.browser()
	c.loginForm("citizen@example.org", a.pw)
	if resp, _ := c.get("/assisted"); resp.StatusCode != 403 {
		t.Fatalf("citizen: %d", resp.StatusCode)
	}
	if _, doc := c.get("/"); doc.Find(`nav a[href="/assisted"]`).Length() != 0 {
		t.Error("citizen sees the citizens' service in the navigation")
	}
	if _, doc := b.get("/"); doc.Find(`nav a[href="/assisted"]`).Length() != 1 {
		t.Error("staff miss the citizens' service in the navigation")
	}
	// The role shows translated where admins grant it (the English text is
	// checked with every key by the catalogue test).
	ad := a.browser()
	ad.loginForm("admin@example.org", a.pw)
	_, doc = ad.get("/admin/users")
	if !strings.Contains(doc.Find("main table").Text(), "Bürgerservice") || strings.Contains(doc.Find("main").Text(), "role.service") {
		t.Errorf("the admin list lacks the role: %q", doc.Find("main table").Text())
	}
}
