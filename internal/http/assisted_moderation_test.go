package http_test

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// A reported contribution staff entered for a participant record has no
// account behind it to block: the queue links its author to the record for
// staff and nowhere for a moderator, never to a page that answers 404.
func TestAssistedModeration_QueueLinksARecordAuthorToItsRecordOrNowhere(t *testing.T) {
	a := newAssistedEnv(t)
	a.createUser("moderation@example.org", "Moritz Moderation", mitreden.RoleModerator)
	rid := a.record(t, map[string]any{"display_name": "Erika Mustermann", "locality": "Musterhausen", "address": "Hauptstraße 1"})["id"].(string)
	resp := a.api("POST", "/api/v1/assisted/participants/"+rid+"/proposals", a.staff, map[string]any{"consultation_id": a.cid,
		"title": "Sitzbänke am Marktplatz", "body": "Am Marktplatz fehlen Sitzbänke für ältere Menschen.", "channel": "letter",
		"received_at": todayBerlin()})
	if resp.StatusCode != 201 {
		t.Fatalf("enter proposal: %d %s", resp.StatusCode, readBody(resp))
	}
	var pr struct{ ID string }
	decodeJSON(t, resp, &pr)
	if resp := a.api("POST", "/api/v1/proposals/"+pr.ID+"/reports", a.citizen, map[string]any{"reason": "spam"}); resp.StatusCode != 201 {
		t.Fatalf("report: %d %s", resp.StatusCode, readBody(resp))
	}

	mod := a.browser()
	mod.loginForm("moderation@example.org", a.pw)
	resp, doc := mod.get("/moderation")
	if resp.StatusCode != 200 {
		t.Fatalf("moderator queue: %d", resp.StatusCode)
	}
	footer := doc.Find("blockquote footer").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.Contains(s.Text(), "Erika Mustermann")
	})
	if footer.Length() != 1 {
		t.Fatalf("the record's proposal is not in the queue: %q", doc.Find("main").Text())
	}
	if !strings.Contains(footer.Text(), "vom Bürgerservice erfasst") {
		t.Errorf("moderator: the author is not marked as entered by the citizens' service: %q", footer.Text())
	}
	if n := footer.Find("a[href^='/moderation/users/'], a[href^='/assisted/']").Length(); n != 0 {
		t.Errorf("moderator: %d author links for a record, want none", n)
	}

	admin := a.browser()
	admin.loginForm("admin@example.org", a.pw)
	_, doc = admin.get("/moderation")
	link := doc.Find("blockquote footer a[href='/assisted/participants/" + rid + "']")
	if link.Length() != 1 || doc.Find("a[href^='/moderation/users/"+mitreden.RecordVoterPrefix+"']").Length() != 0 {
		t.Fatalf("admin: record link %d, want 1 and no link to /moderation/users/rec-…", link.Length())
	}
	if resp, _ := admin.get("/assisted/participants/" + rid); resp.StatusCode != 200 {
		t.Fatalf("the record link answers %d", resp.StatusCode)
	}
}
