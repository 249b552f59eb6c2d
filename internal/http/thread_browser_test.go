package http_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// TestBrowser_LongThreadPagesWithoutJavaScript opens a proposal with more
// than one page of comments without JavaScript, at 1280 and at 320 pixels:
// the first page shows 50 top-level comments with their replies, the
// "more comments" link is reached and followed by keyboard alone, and a
// link to a comment on the second page opens that page scrolled to it.
// With MITREDEN_SHOTS set it saves screenshots of both pages at both widths.
func TestBrowser_LongThreadPagesWithoutJavaScript(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	erika, epw := e.createUser("erika@example.org", "Erika")
	now := time.Now().UTC()
	c := &mitreden.Consultation{Title: "Welche Dienste zuerst online?", Summary: "Sagen Sie uns, was zuerst digital werden soll.",
		Body: "Das Land will die wichtigsten Leistungen online anbieten.", Region: "Land", OpensAt: now.Add(-time.Hour),
		ClosesAt: now.Add(48 * time.Hour), VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.Participation.CreateConsultation(ctx, admin, c); err != nil {
		t.Fatal(err)
	}
	pr := &mitreden.Proposal{Title: "Wohngeld online beantragen", Body: "Bitte das Wohngeld vollständig online beantragen können."}
	if err := e.Participation.CreateProposal(ctx, erika, c.ID, pr); err != nil {
		t.Fatal(err)
	}
	// 60 top-level comments, every fifth with a reply: 72 in all.
	var onPage2, replyOnPage2 string
	for i := range 60 {
		cm, err := e.Participation.AddComment(ctx, erika, "proposal", pr.ID,
			mitreden.Comment{Body: fmt.Sprintf("Beitrag Nummer %d zum Wohngeld.", i+1), Alignment: mitreden.Alignments[i%3]})
		if err != nil {
			t.Fatal(err)
		}
		if i == 55 {
			onPage2 = cm.ID
		}
		if i%5 == 0 {
			r, err := e.Participation.AddComment(ctx, admin, "proposal", pr.ID, mitreden.Comment{Body: "Danke für den Hinweis.", ParentID: cm.ID})
			if err != nil {
				t.Fatal(err)
			}
			if i == 55 {
				replyOnPage2 = r.ID
			}
		}
	}
	top := `#comments ol.comment-list:not(.comment-list--nested) > li.comment`
	for _, width := range []int64{1280, 320} {
		b := newBrowser(t, e, "de", withoutJS())
		b.viewport(width, 900)
		b.visit("/proposals/" + pr.ID)
		if n := b.count(top); n != 50 {
			t.Fatalf("%dpx: %d top-level comments on the first page, want 50", width, n)
		}
		if n := b.count(`#comments li.comment`); n != 60 {
			t.Errorf("%dpx: %d comments with replies on the first page, want 60", width, n)
		}
		if got := b.text("#comments-title"); !strings.Contains(got, "(72)") {
			t.Errorf("%dpx: heading %q does not count all 72 comments", width, got)
		}
		if b.overflowsHorizontally() {
			t.Errorf("%dpx: the first page scrolls sideways", width)
		}
		b.screenshot(fmt.Sprintf("thread-page1-%d", width))
		// Keyboard only: Tab to the link, Enter follows it.
		for i := 0; b.focused() != "#comments-more"; i++ {
			if i > 300 {
				t.Fatalf("%dpx: Tab never reached the more-comments link", width)
			}
			b.press("\t")
		}
		b.press("\r")
		for i := 0; !strings.Contains(b.url(), "cpage=2"); i++ {
			if i > 100 {
				t.Fatalf("%dpx: Enter on the more-comments link did not open page 2 (at %s)", width, b.url())
			}
			time.Sleep(50 * time.Millisecond)
		}
		b.checkPage()
		if n := b.count(top); n != 10 || b.count("#comment-"+onPage2) != 1 || b.count("#comment-"+replyOnPage2) != 1 {
			t.Errorf("%dpx: page 2 shows %d top-level comments, want the last 10 with their replies", width, n)
		}
		if b.count("#comments-more") != 0 || b.count("#comments-earlier") != 1 {
			t.Errorf("%dpx: page 2 links on or not back", width)
		}
		if b.overflowsHorizontally() {
			t.Errorf("%dpx: the second page scrolls sideways", width)
		}
		b.screenshot(fmt.Sprintf("thread-page2-%d", width))
	}

	// A link to one reply on the second page opens that page at the reply.
	b := newBrowser(t, e, "de", withoutJS())
	b.visit("/comments/" + replyOnPage2)
	if u := b.url(); !strings.Contains(u, "/proposals/"+pr.ID+"?cpage=2#comment-"+replyOnPage2) {
		t.Fatalf("comment link opened %s", u)
	}
	inView := fmt.Sprintf(`(function(r){ return r.top >= 0 && r.top < window.innerHeight })(document.getElementById(%s).getBoundingClientRect())`,
		jsString("comment-"+replyOnPage2))
	if !eval[bool](b, inView) {
		t.Error("the linked comment is not scrolled into view")
	}

	// Logged in, a comment's reply link opens its reply page, whose form
	// answers it and brings the reader back to the new reply.
	b.visit("/login")
	b.fill("#email", "erika@example.org")
	b.fill("#password", epw)
	b.submit(`form[action="/login"] button[type="submit"]`)
	b.visit("/proposals/" + pr.ID + "?cpage=2")
	b.screenshot("thread-page2-loggedin-1280")
	if st := b.submit(`#comment-` + onPage2 + ` a[href="/comments/` + onPage2 + `/reply"]`); st != 200 {
		t.Fatalf("reply page: status %d", st)
	}
	b.fill("#reply-body", "Das sehe ich genauso.")
	b.submit(`form.comment-form button[type="submit"]`)
	// The page of the reply, at its confirmation (stand_browser_test.go).
	if u := b.url(); !strings.Contains(u, "/proposals/"+pr.ID+"?cpage=2#confirmation") || !strings.Contains(b.text("#comments"), "Das sehe ich genauso.") {
		t.Errorf("after replying: at %s", u)
	}
}

// TestBrowser_MoreCommentsInPlace follows the more-comments link with
// JavaScript on: htmx appends the next page below the first instead of
// loading a new page, moves the focus to the new comments, and the address
// names the page, so reloading or sharing it shows the same comments.
func TestBrowser_MoreCommentsInPlace(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	now := time.Now().UTC()
	c := &mitreden.Consultation{Title: "Welche Dienste zuerst online?", Summary: "Sagen Sie uns, was zuerst digital werden soll.",
		Body: "Das Land will die wichtigsten Leistungen online anbieten.", Region: "Land", OpensAt: now.Add(-time.Hour),
		ClosesAt: now.Add(48 * time.Hour), VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.Participation.CreateConsultation(ctx, admin, c); err != nil {
		t.Fatal(err)
	}
	pr := &mitreden.Proposal{Title: "Wohngeld online beantragen", Body: "Bitte das Wohngeld vollständig online beantragen können."}
	if err := e.Participation.CreateProposal(ctx, admin, c.ID, pr); err != nil {
		t.Fatal(err)
	}
	for i := range 55 {
		if _, err := e.Participation.AddComment(ctx, admin, "proposal", pr.ID, mitreden.Comment{Body: fmt.Sprintf("Beitrag Nummer %d.", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowser(t, e, "de")
	b.visit("/proposals/" + pr.ID)
	b.run(chromedp.Focus(chromedp.CSS("#comments-more")))
	b.press("\r")
	top := `#comments li.comment`
	for i := 0; b.count(top) != 55; i++ {
		if i > 100 {
			t.Fatalf("the next page was not appended: %d comments shown", b.count(top))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if b.count("nav.comment-pager") != 1 || b.count("#comments-more") != 0 || b.count("#comments-earlier") != 1 {
		t.Error("after appending the last page: the pagers are not those of the last page")
	}
	if f := eval[bool](b, `document.activeElement.matches("#comment-page-2 > ol.comment-list")`); !f {
		t.Errorf("focus after appending is on %s, not on the new comments", b.focused())
	}
	if u := b.url(); !strings.Contains(u, "cpage=2") {
		t.Errorf("the address does not name the page shown: %s", u)
	}
	b.checkA11y()
}
