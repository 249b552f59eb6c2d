package http_test

import (
	"strings"
	"testing"
)

// After staff link a letter writer's record to their new account, "Meine
// Beiträge" lists what staff entered for the record too, each with how it
// reached the office; before the link it does not.
func TestAssistedMine_LinkedRecordsEntriesShowWithTheirChannel(t *testing.T) {
	a := newAssistedEnv(t)
	rid := a.record(t, map[string]any{"display_name": "Carla C.", "locality": "Musterhausen"})["id"].(string)
	resp := a.api("POST", "/api/v1/assisted/participants/"+rid+"/proposals", a.staff, map[string]any{"consultation_id": a.cid,
		"title": "Sitzbänke am Marktplatz", "body": "Am Marktplatz fehlen Sitzbänke für ältere Menschen.", "channel": "letter",
		"received_at": todayBerlin()})
	if resp.StatusCode != 201 {
		t.Fatalf("enter proposal: %d %s", resp.StatusCode, readBody(resp))
	}
	var pr struct{ ID string }
	decodeJSON(t, resp, &pr)
	resp = a.api("POST", "/api/v1/assisted/participants/"+rid+"/comments", a.staff, map[string]any{"proposal_id": pr.ID,
		"body": "Am Telefon ergänzt: auch mit Lehne.", "channel": "phone", "received_at": todayBerlin()})
	if resp.StatusCode != 201 {
		t.Fatalf("enter comment: %d %s", resp.StatusCode, readBody(resp))
	}
	b := a.browser()
	b.loginForm("citizen@example.org", a.pw)
	if _, doc := b.get("/my-contributions"); doc.Find("#entered").Length() != 0 {
		t.Fatal("before the link the page lists the record's entries")
	}
	if resp := a.api("POST", "/api/v1/assisted/participants/"+rid+"/link", a.staff, map[string]any{"user_id": a.citizenUser.ID}); resp.StatusCode != 200 {
		t.Fatalf("link: %d %s", resp.StatusCode, readBody(resp))
	}
	resp, doc := b.get("/my-contributions")
	if resp.StatusCode != 200 {
		t.Fatalf("my contributions: %d", resp.StatusCode)
	}
	sec := doc.Find("#entered")
	items := sec.Find("li")
	if items.Length() != 2 || sec.Find(`a[href="/proposals/`+pr.ID+`"]`).Length() != 1 || doc.Find(`nav a[href="#entered"]`).Length() != 1 {
		t.Fatalf("entered section: %q", sec.Text())
	}
	text := sec.Text()
	for _, want := range []string{"Sitzbänke am Marktplatz", "eingegangen per Brief am", "eingegangen per Telefon am", "Am Telefon ergänzt"} {
		if !strings.Contains(text, want) {
			t.Errorf("the section does not say %q: %q", want, text)
		}
	}
	if strings.Contains(text, "Sabine Service") {
		t.Error("the section names the staff member")
	}
}
