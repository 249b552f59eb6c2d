package http_test

import (
	"fmt"
	nethttp "net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/service"
)

// TestPostingLimits_APIAndForms posts as an account younger than a day:
// half of the five comments a minute and ten proposals a day, and at most
// three links a contribution; the refusals say why and until when, in the
// API and at the form.
func TestPostingLimits_APIAndForms(t *testing.T) {
	e := newGuardedEnv(t, service.GuardsConfig{WriteMaxPerIP: 1 << 20})
	e.freeze()
	f := newCommentFixture(t, e) // erika's account is new
	token := e.login(f.email, f.pw)
	comment := func(body string) *nethttp.Response {
		return e.api("POST", "/api/v1/proposals/"+f.proposal+"/comments", token, map[string]string{"body": body})
	}
	links := "Quellen: https://a.de, www.b.de, <http://c.de> und [d](https://d.de)."
	p := readProblem(t, comment(links), 422)
	if len(p.Errors) != 1 || p.Errors[0].Field != "body" || p.Errors[0].Code != "links" || !strings.Contains(p.Errors[0].Message, "höchstens 3 Links") {
		t.Fatalf("four links: %+v", p)
	}
	for i := range 3 {
		if resp := comment(fmt.Sprintf("Kommentar %d", i)); resp.StatusCode != 201 {
			t.Fatalf("comment %d of 3: %d %s", i+1, resp.StatusCode, readBody(resp))
		}
	}
	resp := comment("Einer zu viel")
	p = readProblem(t, resp, 429)
	if resp.Header.Get("Retry-After") != "20" || !strings.Contains(p.Detail, "erlaubt sind 3 in der Minute") || !strings.Contains(p.Detail, "Ihren nächsten Kommentar können Sie ab ") {
		t.Fatalf("fourth comment: Retry-After %q, %+v", resp.Header.Get("Retry-After"), p)
	}
	// The form: the link rule at the field, with the text kept; the
	// posting limit in the summary, with the text kept too.
	b := e.browser()
	b.loginForm(f.email, f.pw)
	tok := b.csrf("/proposals/" + f.proposal)
	resp, doc := b.post("/proposals/"+f.proposal+"/comments", url.Values{"_csrf": {tok}, "body": {links}})
	if resp.StatusCode != 422 || doc.Find("#new-comment-body").Text() != links ||
		!strings.Contains(doc.Find("#new-comment-body-error").Text(), "höchstens 3 Links") {
		t.Fatalf("form with four links: %d %q", resp.StatusCode, doc.Find("#new-comment-body-error").Text())
	}
	fieldLinked(t, "four links", doc, "new-comment-body")
	resp, doc = b.post("/proposals/"+f.proposal+"/comments", url.Values{"_csrf": {tok}, "body": {"Noch einer"}})
	// Beyond the limit the page comes back with the text kept and says
	// until when: nothing typed is lost.
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "20" || doc.Find("#new-comment-body").Text() != "Noch einer" ||
		!strings.Contains(doc.Find("main").Text(), "Ihren nächsten Kommentar können Sie ab ") {
		t.Fatalf("form beyond the limit: %d %q %q", resp.StatusCode, resp.Header.Get("Retry-After"), doc.Find("#new-comment-body").Text())
	}
	e.advance(20 * time.Second)
	if resp := comment("Wieder erlaubt"); resp.StatusCode != 201 {
		t.Fatalf("when Retry-After said: %d %s", resp.StatusCode, readBody(resp))
	}
	// Proposals: the fixture's one and four more make five of a new
	// account's day; one comes back every 24/5 hours.
	for i := range 4 {
		resp := e.api("POST", "/api/v1/consultations/"+f.cons+"/proposals", token, map[string]any{"title": fmt.Sprintf("Vorschlag Nummer %d", i), "body": "Ein ausführlicher Vorschlag mit genug Text."})
		if resp.StatusCode != 201 {
			t.Fatalf("proposal %d: %d %s", i+2, resp.StatusCode, readBody(resp))
		}
	}
	resp = e.api("POST", "/api/v1/consultations/"+f.cons+"/proposals", token, map[string]any{"title": "Einer zu viel heute", "body": "Ein ausführlicher Vorschlag mit genug Text."})
	p = readProblem(t, resp, 429)
	if ra, _ := strconv.Atoi(resp.Header.Get("Retry-After")); ra <= 4*3600 || ra > int((24*time.Hour/5).Seconds()) || !strings.Contains(p.Detail, "erlaubt sind 5 am Tag") {
		t.Fatalf("sixth proposal: Retry-After %q, %+v", resp.Header.Get("Retry-After"), p)
	}
}
