package http_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// newConsultationAPI creates a consultation through the API as admin.
func newConsultationAPI(t *testing.T, e *testEnv, admin string, mod map[string]any) string {
	t.Helper()
	body := map[string]any{"title": "Welche Dienste zuerst online?", "summary": "Sagen Sie uns, was zuerst digital werden soll.",
		"body": "Das Land will die wichtigsten Leistungen online anbieten.", "topics": []string{"Verwaltung"}, "region": "Land",
		"opens_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "closes_at": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339),
		"voting_mode": "support", "max_supports": 0, "support_threshold": 2, "proposals_enabled": true, "comments_enabled": true, "pre_moderation": false}
	for k, v := range mod {
		body[k] = v
	}
	resp := e.api("POST", "/api/v1/consultations", admin, body)
	if resp.StatusCode != 201 {
		t.Fatalf("create consultation: %d %s", resp.StatusCode, readBody(resp))
	}
	var out struct{ ID, Phase string }
	decodeJSON(t, resp, &out)
	if out.Phase != "open" {
		t.Fatalf("phase %q", out.Phase)
	}
	return out.ID
}

func TestParticipationAPI_Journey(t *testing.T) {
	e := newEnv(t)
	_, apw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	_, p1 := e.createUser("erika@example.org", "Erika")
	_, p2 := e.createUser("jonas@example.org", "Jonas")
	admin, erika, jonas := e.login("admin@example.org", apw), e.login("erika@example.org", p1), e.login("jonas@example.org", p2)

	readProblem(t, e.api("POST", "/api/v1/consultations", erika, map[string]any{"title": "x"}), 403)
	readProblem(t, e.api("POST", "/api/v1/consultations", "", map[string]any{"title": "x"}), 401)
	p := readProblem(t, e.api("POST", "/api/v1/consultations", admin, map[string]any{"title": "x", "voting_mode": "support"}), 422)
	if len(p.Errors) < 3 {
		t.Fatalf("consultation validation: %+v", p.Errors)
	}
	cid := newConsultationAPI(t, e, admin, nil)
	resp := e.api("GET", "/api/v1/consultations?phase=open", "", nil)
	var list struct{ Total int }
	decodeJSON(t, resp, &list)
	if list.Total != 1 {
		t.Fatalf("open consultations: %d", list.Total)
	}

	// Proposals: validation, creation, XSS rendered inert.
	readProblem(t, e.api("POST", "/api/v1/consultations/"+cid+"/proposals", erika, map[string]any{"title": "kurz", "body": "zu kurz"}), 422)
	resp = e.api("POST", "/api/v1/consultations/"+cid+"/proposals", erika, map[string]any{"title": "Wohngeld online beantragen",
		"body": "Bitte das Wohngeld **vollständig** online. <script>alert(1)</script> [x](javascript:alert(1))", "topics": []string{"Soziales"}})
	if resp.StatusCode != 201 {
		t.Fatalf("proposal: %d %s", resp.StatusCode, readBody(resp))
	}
	var pr struct {
		ID, BodyHTML string `json:"-"`
	}
	var prJSON map[string]any
	decodeJSON(t, resp, &prJSON)
	pr.ID = prJSON["id"].(string)
	if html := prJSON["body_html"].(string); strings.Contains(html, "<script") || strings.Contains(html, "javascript:") || !strings.Contains(html, "<strong>") {
		t.Fatalf("body_html %q", html)
	}
	readProblem(t, e.api("GET", "/api/v1/proposals/kein-id", "", nil), 404)
	readProblem(t, e.api("GET", "/api/v1/consultations/000000000000000000000000", "", nil), 404)

	// Votes: changed, then unchanged; tally from the counter.
	for i, want := range []bool{true, false} {
		resp = e.api("PUT", "/api/v1/proposals/"+pr.ID+"/vote", jonas, map[string]string{"value": "support"})
		var v struct {
			Changed bool
			Tally   map[string]int
		}
		decodeJSON(t, resp, &v)
		if resp.StatusCode != 200 || v.Changed != want || v.Tally["support"] != 1 {
			t.Fatalf("vote %d: %d %+v", i, resp.StatusCode, v)
		}
	}
	readProblem(t, e.api("PUT", "/api/v1/proposals/"+pr.ID+"/vote", jonas, map[string]string{"value": "yes"}), 422)
	readProblem(t, e.api("PUT", "/api/v1/proposals/"+pr.ID+"/vote", "", map[string]string{"value": "support"}), 401)
	// The author can no longer edit a supported proposal.
	p = readProblem(t, e.api("PATCH", "/api/v1/proposals/"+pr.ID, erika, map[string]string{"title": "Wohngeld digital beantragen"}), 409)
	if !strings.Contains(p.Detail, "unterstützt") {
		t.Fatalf("edit-locked detail %q", p.Detail)
	}

	// Comments with a reply; the author edits and deletes.
	resp = e.api("POST", "/api/v1/proposals/"+pr.ID+"/comments", jonas, map[string]string{"body": "Gute Idee!", "alignment": "for"})
	var cm struct{ ID string }
	decodeJSON(t, resp, &cm)
	if resp.StatusCode != 201 {
		t.Fatalf("comment: %d", resp.StatusCode)
	}
	if resp := e.api("POST", "/api/v1/proposals/"+pr.ID+"/comments", erika, map[string]string{"body": "Danke!", "parent_id": cm.ID}); resp.StatusCode != 201 {
		t.Fatalf("reply: %d", resp.StatusCode)
	}
	readProblem(t, e.api("PATCH", "/api/v1/comments/"+cm.ID, erika, map[string]string{"body": "fremd"}), 403)
	if resp := e.api("PATCH", "/api/v1/comments/"+cm.ID, jonas, map[string]string{"body": "Sehr gute Idee!"}); resp.StatusCode != 200 {
		t.Fatalf("edit comment: %d", resp.StatusCode)
	}
	if resp := e.api("PUT", "/api/v1/comments/"+cm.ID+"/vote", erika, map[string]int{"value": 1}); resp.StatusCode != 200 {
		t.Fatalf("comment vote: %d", resp.StatusCode)
	}
	readProblem(t, e.api("PUT", "/api/v1/comments/"+cm.ID+"/vote", erika, map[string]int{"value": 5}), 422)
	if resp := e.api("DELETE", "/api/v1/comments/"+cm.ID, jonas, nil); resp.StatusCode != 204 {
		t.Fatalf("delete comment: %d", resp.StatusCode)
	}
	resp = e.api("GET", "/api/v1/proposals/"+pr.ID+"/comments", "", nil)
	var comments struct {
		Items []struct {
			ID, Body string
			Deleted  bool
			Depth    int
		}
	}
	decodeJSON(t, resp, &comments)
	if len(comments.Items) != 2 || !comments.Items[0].Deleted || comments.Items[0].Body != "" || comments.Items[1].Depth != 1 {
		t.Fatalf("comments after delete: %+v", comments.Items)
	}

	// Official answer.
	readProblem(t, e.api("POST", "/api/v1/proposals/"+pr.ID+"/answer", admin, map[string]string{"status": "rejected"}), 422)
	resp = e.api("POST", "/api/v1/proposals/"+pr.ID+"/answer", admin, map[string]string{"status": "accepted", "answer": "Wird umgesetzt."})
	decodeJSON(t, resp, &prJSON)
	if resp.StatusCode != 200 || prJSON["status"] != "accepted" || prJSON["answer"] == nil {
		t.Fatalf("answer: %d %+v", resp.StatusCode, prJSON)
	}
	readProblem(t, e.api("POST", "/api/v1/proposals/"+pr.ID+"/answer", erika, map[string]string{"status": "accepted"}), 403)

	// Closing the consultation refuses writing with a sentence that says when.
	resp = e.api("PATCH", "/api/v1/consultations/"+cid, admin, map[string]string{"opens_at": time.Now().Add(-72 * time.Hour).UTC().Format(time.RFC3339),
		"closes_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)})
	if resp.StatusCode != 200 {
		t.Fatalf("close: %d %s", resp.StatusCode, readBody(resp))
	}
	p = readProblem(t, e.api("PUT", "/api/v1/proposals/"+pr.ID+"/vote", erika, map[string]string{"value": "support"}), 409)
	if !strings.Contains(p.Detail, "beendet") {
		t.Fatalf("closed detail %q", p.Detail)
	}
	readProblem(t, e.api("POST", "/api/v1/consultations/"+cid+"/proposals", erika, map[string]any{"title": "Noch ein Vorschlag", "body": "Dieser Vorschlag kommt zu spät."}), 409)
}

func TestParticipationAPI_SupportLimitNamesTheLimit(t *testing.T) {
	e := newEnv(t)
	_, apw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	_, upw := e.createUser("ute@example.org", "Ute")
	admin, ute := e.login("admin@example.org", apw), e.login("ute@example.org", upw)
	cid := newConsultationAPI(t, e, admin, map[string]any{"max_supports": 2})
	var ids []string
	for i := 0; i < 3; i++ {
		resp := e.api("POST", "/api/v1/consultations/"+cid+"/proposals", admin, map[string]any{"title": fmt.Sprintf("Vorschlag Nummer %d", i),
			"body": "Ein Vorschlag mit ausreichend langem Text."})
		var out struct{ ID string }
		decodeJSON(t, resp, &out)
		ids = append(ids, out.ID)
	}
	for _, id := range ids[:2] {
		if resp := e.api("PUT", "/api/v1/proposals/"+id+"/vote", ute, map[string]string{"value": "support"}); resp.StatusCode != 200 {
			t.Fatalf("vote: %d", resp.StatusCode)
		}
	}
	p := readProblem(t, e.api("PUT", "/api/v1/proposals/"+ids[2]+"/vote", ute, map[string]string{"value": "support"}), 409)
	if !strings.Contains(p.Detail, "2") {
		t.Fatalf("limit detail %q", p.Detail)
	}
	if resp := e.api("DELETE", "/api/v1/proposals/"+ids[0]+"/vote", ute, nil); resp.StatusCode != 200 {
		t.Fatalf("unvote: %d", resp.StatusCode)
	}
	if resp := e.api("PUT", "/api/v1/proposals/"+ids[2]+"/vote", ute, map[string]string{"value": "support"}); resp.StatusCode != 200 {
		t.Fatalf("vote after freeing: %d", resp.StatusCode)
	}
}

func TestParticipationPages_RenderAndRefuse(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	c := &mitreden.Consultation{Title: "Breitband auf dem Land", Summary: "Wo fehlt schnelles Internet in Ihrer Region?",
		Body: "Wir sammeln Vorschläge für den Ausbau.", OpensAt: time.Now().Add(time.Hour), ClosesAt: time.Now().Add(48 * time.Hour),
		VotingMode: "support", ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.Participation.CreateConsultation(context.Background(), admin, c); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	_, doc := b.get("/consultations")
	checkPage(t, "/consultations", doc, "de")
	if !strings.Contains(doc.Text(), "Breitband auf dem Land") {
		t.Fatal("consultation missing from list")
	}
	resp, doc := b.get("/consultations/" + c.ID)
	checkPage(t, "/consultations/id", doc, "de")
	if resp.StatusCode != 200 || !strings.Contains(doc.Find(".timeline").Text(), "Demnächst") || !strings.Contains(doc.Text(), "Die Beteiligung beginnt am") {
		t.Fatalf("upcoming page: %d %s", resp.StatusCode, doc.Find("main").Text())
	}
	if resp, _ := b.get("/consultations/kein-id"); resp.StatusCode != 404 {
		t.Fatalf("bad id: %d", resp.StatusCode)
	}
	if resp, _ := b.get("/proposals/000000000000000000000000"); resp.StatusCode != 404 {
		t.Fatalf("unknown proposal: %d", resp.StatusCode)
	}
}

// TestLists_HugePageNumbers asks every list for a page number whose offset
// would overflow: an empty page, never an error.
func TestLists_HugePageNumbers(t *testing.T) {
	e := newEnv(t)
	_, apw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	admin := e.login("admin@example.org", apw)
	cid := newConsultationAPI(t, e, admin, nil)
	if resp := e.api("POST", "/api/v1/consultations/"+cid+"/proposals", admin, map[string]any{"title": "Wohngeld online beantragen",
		"body": "Bitte das Wohngeld vollständig online beantragen können.", "topics": []string{"Soziales"}}); resp.StatusCode != 201 {
		t.Fatalf("proposal: %d %s", resp.StatusCode, readBody(resp))
	}
	const huge = "4611686018427387904"
	for _, path := range []string{"/api/v1/consultations", "/api/v1/consultations/" + cid + "/proposals",
		"/api/v1/consultations/" + cid + "/proposals?sort=random", "/api/v1/consultations/" + cid + "/proposals?sort=newest", "/api/v1/users"} {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		resp := e.api("GET", path+sep+"page="+huge, admin, nil)
		var list struct {
			Items []any
			Total int
		}
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, readBody(resp))
		}
		decodeJSON(t, resp, &list)
		if len(list.Items) != 0 || list.Total == 0 {
			t.Fatalf("%s: %d items of %d", path, len(list.Items), list.Total)
		}
	}
	for _, path := range []string{"/consultations?page=" + huge, "/consultations/" + cid + "?page=" + huge} {
		if resp, _ := e.browser().get(path); resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
	readProblem(t, e.api("GET", "/api/v1/search?q=Wohngeld&page="+huge, "", nil), 422)
}
