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

// refusedFixture is what a comment can be refused on while it is typed:
// a consultation that closes in ten minutes with a proposal, and an open
// one with a proposal and a comment by the admin, who can switch its
// comments off and delete the comment.
type refusedFixture struct {
	admin                  *mitreden.User
	closing, open          *mitreden.Consultation
	closingProposal, reply string
}

func newRefusedFixture(t *testing.T, e *testEnv, admin *mitreden.User, suffix string) *refusedFixture {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	f := &refusedFixture{admin: admin}
	for i, c := range []**mitreden.Consultation{&f.closing, &f.open} {
		*c = &mitreden.Consultation{Title: "Radwege in der Altstadt " + suffix + fmt.Sprint(i), Summary: "Wo fehlen Radwege?",
			Body: "Die Stadt plant neue Radwege.", OpensAt: now.Add(-24 * time.Hour), ClosesAt: now.Add(10 * time.Minute),
			VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
		if i == 1 {
			(*c).ClosesAt = now.Add(30 * 24 * time.Hour)
		}
		if err := e.Participation.CreateConsultation(ctx, admin, *c); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []*mitreden.Consultation{f.closing, f.open} {
		pr := &mitreden.Proposal{Title: "Radweg am Markt", Body: "Bitte einen Radweg über den Marktplatz."}
		if err := e.Participation.CreateProposal(ctx, admin, c.ID, pr); err != nil {
			t.Fatal(err)
		}
		if c == f.closing {
			f.closingProposal = pr.ID
			continue
		}
		cm, err := e.Participation.AddComment(ctx, admin, "proposal", pr.ID, mitreden.Comment{Body: "Und am Bahnhof?"})
		if err != nil {
			t.Fatal(err)
		}
		f.reply = cm.ID
	}
	return f
}

// A comment or reply refused for a reason that came up while it was typed
// (the consultation closed, comments were switched off, the comment
// answered was deleted) comes back on the page it was written on: the
// reason in the error summary, which has the focus, and the text in a
// read-only field to copy, since writing is no longer possible there. With
// JavaScript and without, at 1280 and 320 pixels.
func TestBrowser_CommentRefusedKeepsText(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	e.createUser("erika@example.org", "Erika")
	ctx := context.Background()
	for _, mode := range []string{"js", "nojs"} {
		t.Run(mode, func(t *testing.T) {
			e.Now.Store(nil)
			defer e.Now.Store(nil)
			f := newRefusedFixture(t, e, admin, mode)
			var opts []sessionOption
			if mode == "nojs" {
				opts = append(opts, withoutJS())
			}
			b := newBrowser(t, e, "de", opts...)
			browserLogin(b, "erika@example.org", "correct horse battery staple 42")

			for _, c := range []struct {
				name, page, field string
				// meanwhile happens while the text is typed (comments are
				// switched off last: the reply is in the same consultation).
				meanwhile func()
				status    int
				reason    string
			}{
				{"consultation closed", "/proposals/" + f.closingProposal, "new-comment-body", func() {
					later := time.Now().Add(15 * time.Minute)
					e.Now.Store(&later)
				}, 409, "Das Beteiligungsverfahren ist seit"},
				{"comment deleted", "/comments/" + f.reply + "/reply", "reply-body", func() {
					if err := e.Participation.DeleteComment(ctx, f.admin, f.reply); err != nil {
						t.Fatal(err)
					}
				}, 409, "Dieser Kommentar wurde gelöscht"},
				{"comments switched off", "/consultations/" + f.open.ID, "new-comment-body", func() {
					off := *f.open
					off.CommentsEnabled = false
					if err := e.Participation.UpdateConsultation(ctx, f.admin, &off); err != nil {
						t.Fatal(err)
					}
				}, 409, "keine Kommentare vorgesehen"},
			} {
				b.viewport(1280, 900)
				b.visit(c.page)
				heading := b.text("main h1")
				text := "Mein Vorschlag zum Radweg, " + c.name + ", " + mode + ".\nZweite Zeile."
				b.fill("#"+c.field, text)
				c.meanwhile()
				if st := b.submit(`form.comment-form button[type="submit"]`); st != c.status {
					t.Fatalf("%s: status %d, want %d: %s", c.name, st, c.status, b.text("main"))
				}
				if h := b.text("main h1"); h != heading {
					t.Errorf("%s: on a page headed %q, not on the page it was written on (%q)", c.name, h, heading)
				}
				if fc := b.focused(); fc != "#error-summary" {
					t.Errorf("%s: focus on %s, want #error-summary", c.name, fc)
				}
				summary := b.text("#error-summary")
				if !strings.Contains(summary, "Ihr Beitrag wurde nicht veröffentlicht") || !strings.Contains(summary, c.reason) {
					t.Errorf("%s: summary %q does not explain the refusal (%q)", c.name, summary, c.reason)
				}
				if b.count(`#error-summary a[href="#`+c.field+`"]`) != 1 {
					t.Errorf("%s: the summary does not lead to the text", c.name)
				}
				if got := eval[string](b, `document.querySelector("#`+c.field+`").value`); got != text {
					t.Errorf("%s: the text came back as %q, want %q", c.name, got, text)
				}
				if !eval[bool](b, `document.querySelector("#`+c.field+`").readOnly`) {
					t.Errorf("%s: the kept text is in a field that looks sendable", c.name)
				}
				if n := b.count(`form.comment-form`); n != 0 {
					t.Errorf("%s: %d comment forms offered where writing is no longer possible", c.name, n)
				}
				for _, width := range []int64{1280, 320} {
					b.viewport(width, 900)
					if b.overflowsHorizontally() {
						t.Errorf("%s: %d px: the page scrolls sideways", c.name, width)
					}
					b.screenshot(fmt.Sprintf("comment-refused-%s-%s-%d", strings.ReplaceAll(c.name, " ", "-"), mode, width))
				}
				// The summary's link takes the keyboard to the text.
				b.viewport(1280, 900)
				b.run(chromedp.Focus(chromedp.CSS(`#error-summary a[href="#` + c.field + `"]`)))
				b.press("\r")
				if fc := b.focused(); fc != "#"+c.field {
					t.Errorf("%s: the summary's link moved the focus to %s", c.name, fc)
				}
			}
		})
	}
}
