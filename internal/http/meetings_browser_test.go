package http_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// TestBrowser_MeetingsJourney: a council member schedules a public meeting
// that took place yesterday, with an agenda (a text, a linked
// recommendation) and minutes, through the workspace's form (first at 320
// pixels without JavaScript and with a mistake, then at 1280); a citizen
// finds it among the public meetings at both widths, with its minutes and
// without the link to the recommendation, and does not find the
// non-public meeting, whose address answers 404. axe and HTML_CodeSniffer
// check every page (visit and submit).
func TestBrowser_MeetingsJourney(t *testing.T) {
	e := newEnv(t)
	member, pw := e.createUser("rat@example.org", "Rita Rat", mitreden.RoleCouncil)
	e.createUser("buerger@example.org", "Bernd Bürger")
	internal := &mitreden.Meeting{Title: "Vertrauliche Vorbesprechung", StartsAt: time.Now().Add(-48 * time.Hour), Place: "Landeshaus",
		Minutes: "Haushaltsfragen, vertraulich."}
	if err := e.Meetings.CreateMeeting(context.Background(), member, internal); err != nil {
		t.Fatal(err)
	}
	yesterday := time.Now().Add(-24*time.Hour).In(berlinZone(t)).Format("2006-01-02") + "T17:00"

	// 1. At 320 pixels without JavaScript: the form, a mistake, the
	// summary linking to the field.
	rat := newBrowser(t, e, "de", withoutJS())
	rat.viewport(320, 900)
	browserLogin(rat, "rat@example.org", pw)
	rat.visit("/council/meetings")
	reflows(t, rat, "workspace list at 320 px")
	if rat.count(`nav.workspace-nav a[href="/council/meetings"][aria-current="page"]`) != 1 {
		t.Error("the workspace navigation does not mark the meetings")
	}
	if st := rat.submit(`a[href="/council/meetings/new"]`); st != 200 {
		t.Fatalf("new meeting form: %d", st)
	}
	reflows(t, rat, "meeting form at 320 px")
	rat.fill("#title", "Öffentliche Sitzung zu offenen Daten")
	rat.fill("#starts_at", yesterday)
	rat.fill("#video_url", "video.example.org/digitalrat")
	if st := rat.submit(`main form button[type="submit"]`); st != 422 {
		t.Fatalf("form with a mistake: %d", st)
	}
	if rat.count(`#error-summary a[href="#video_url"]`) != 1 || inputValueIn(rat, "#title") != "Öffentliche Sitzung zu offenen Daten" {
		t.Fatalf("summary %q", rat.text("#error-summary"))
	}
	reflows(t, rat, "meeting form with errors at 320 px")
	rat.screenshot("meeting-form-error-320")

	// 2. At 1280 pixels with JavaScript: the meeting is scheduled.
	rat.scripts(true)
	rat.viewport(1280, 900)
	rat.fill("#video_url", "https://video.example.org/digitalrat")
	rat.fill("#place", "Landeshaus, Raum 3")
	rat.choose("public")
	rat.fill("#agenda-0-text", "Begrüßung und Bericht")
	rat.fill("#agenda-1-text", "Offene Daten zuerst")
	rat.fill("#agenda-1-recommendation_id", "64b7f0f0f0f0f0f0f0f0f0f0")
	rat.fill("#minutes", "## Beschlüsse\n\n- Der Rat empfiehlt, **offene Daten** zuerst zu veröffentlichen.")
	st := rat.submit(`main form button[type="submit"]`)
	_, id, ok := strings.Cut(rat.url(), "/council/meetings/")
	if st != 200 || !ok || strings.Contains(id, "/") {
		t.Fatalf("scheduling: %d at %s: %s", st, rat.url(), rat.text("#error-summary"))
	}
	if got := rat.text("ol.agenda"); !strings.Contains(got, "Offene Daten zuerst – Empfehlung 64b7f0f0f0f0f0f0f0f0f0f0") {
		t.Errorf("workspace agenda %q", got)
	}
	if !strings.Contains(rat.text(".prose"), "offene Daten zuerst zu veröffentlichen") || rat.count(".prose h2") != 1 {
		t.Errorf("minutes %q", rat.text(".prose"))
	}
	rat.screenshot("meeting-1280")
	rat.viewport(320, 900)
	rat.visit("/council/meetings/" + id)
	reflows(t, rat, "meeting page at 320 px")
	rat.visit("/council/meetings/" + id + "/edit")
	reflows(t, rat, "edit form at 320 px")

	// 3. A citizen finds the public meeting, not the other one.
	for _, w := range []int64{1280, 320} {
		at := fmt.Sprintf("citizen at %d px", w)
		b := newBrowser(t, e, "de")
		b.viewport(w, 900)
		browserLogin(b, "buerger@example.org", pw)
		if b.count(`a[href="/council"]`) != 0 {
			t.Errorf("%s: the workspace is in the navigation", at)
		}
		if st := b.submit(`footer a[href="/meetings"]`); st != 200 {
			t.Fatalf("%s: public meetings: %d", at, st)
		}
		reflows(t, b, at+", list")
		if b.count(`a[href="/meetings/`+id+`"]`) != 1 || strings.Contains(b.text("main"), "Vertrauliche") {
			t.Errorf("%s: list %q", at, b.text("main"))
		}
		if st := b.submit(`a[href="/meetings/` + id + `"]`); st != 200 {
			t.Fatalf("%s: meeting: %d", at, st)
		}
		reflows(t, b, at+", meeting")
		b.screenshot(fmt.Sprintf("public-meeting-%d", w))
		if got := b.text("ol.agenda"); !strings.Contains(got, "Offene Daten zuerst") || strings.Contains(got, "64b7f0") || b.count(`a[href^="/council/"]`) != 0 {
			t.Errorf("%s: public agenda %q", at, got)
		}
		if !strings.Contains(b.text(".prose"), "offene Daten zuerst zu veröffentlichen") || b.count(`a[href="https://video.example.org/digitalrat"]`) != 1 {
			t.Errorf("%s: minutes %q", at, b.text(".prose"))
		}
		if st := b.visit("/meetings/" + internal.ID); st != 404 || strings.Contains(b.text("main"), "Haushalt") {
			t.Errorf("%s: the non-public meeting: %d", at, st)
		}
		if st := b.visit("/council/meetings/" + internal.ID); st != 404 {
			t.Errorf("%s: the workspace: %d", at, st)
		}
	}
}

// inputValueIn is the current value of the input sel.
func inputValueIn(b *browserSession, sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(function(el){ return el ? el.value : "" })(document.querySelector(%s))`, jsString(sel)))
}
