package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Browser tests of "say where people stand" (issue 10); the handler tests
// are in stand_test.go.

// axNode is what Chromium's accessibility tree says about the first node
// matching sel: its computed name and whether it is pressed.
func (b *browserSession) axNode(sel string) (name, pressed string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	obj, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: "document.querySelector(" + jsString(sel) + ")"})
	if err != nil || obj.Result == nil || obj.Result.ObjectID == "" {
		b.t.Fatalf("no node %s on %s: %v", sel, b.url(), err)
	}
	no := false
	tree, err := chromedp.Call(ctx, accessibility.GetPartialAXTree, accessibility.GetPartialAXTreeParams{ObjectID: obj.Result.ObjectID, FetchRelatives: &no})
	if err != nil || len(tree.Nodes) == 0 {
		b.t.Fatalf("accessibility tree of %s: %v", sel, err)
	}
	n := tree.Nodes[0]
	if n.Name != nil {
		_ = json.Unmarshal(n.Name.Value, &name)
	}
	for _, p := range n.Properties {
		if p.Name == "pressed" && p.Value != nil {
			pressed = strings.Trim(string(p.Value.Value), `"`)
		}
	}
	return name, pressed
}

// inViewport reports whether the first node matching sel is wholly in view
// (give or take the fraction of a pixel a scroll to a fragment leaves).
func (b *browserSession) inViewport(sel string) bool {
	b.t.Helper()
	return eval[bool](b, fmt.Sprintf(`(function(el){ if (!el) return false; const r = el.getBoundingClientRect();
		return r.top >= -1 && r.bottom <= innerHeight + 1 && r.left >= 0 && r.right <= innerWidth })(document.querySelector(%s))`, jsString(sel)))
}

// checkConfirmed checks, after a write, that the address ends at the
// confirmation, that the focus is on it and it is in view inside within,
// that it says want as a status message, and that the top of the page is
// silent.
func (b *browserSession) checkConfirmed(what, within, want string) {
	b.t.Helper()
	if u := b.url(); !strings.HasSuffix(u, "#confirmation") {
		b.t.Errorf("%s: landed on %s, want #confirmation", what, u)
	}
	if fc := b.focused(); fc != "#confirmation" {
		b.t.Errorf("%s: focus on %s, want #confirmation", what, fc)
	}
	if got := strings.TrimSpace(b.text("#confirmation")); got != want {
		b.t.Errorf("%s: confirmation %q, want %q", what, got, want)
	}
	if r := b.attr("#confirmation", "role"); r != "status" {
		b.t.Errorf("%s: confirmation role %q", what, r)
	}
	if !eval[bool](b, fmt.Sprintf(`!!document.querySelector(%s)`, jsString(within+" #confirmation"))) {
		b.t.Errorf("%s: the confirmation is not inside %s", what, within)
	}
	if !b.inViewport("#confirmation") {
		b.t.Errorf("%s: the confirmation is out of view: %s", what, eval[string](b, `JSON.stringify(document.querySelector("#confirmation").getBoundingClientRect())`))
	}
	if got := strings.TrimSpace(b.text("#status")); got != "" {
		b.t.Errorf("%s: a message at the top of the page: %q", what, got)
	}
}

// After supporting, withdrawing, commenting and marking a comment helpful,
// with and without JavaScript, at 1280 and 320 pixels, by keyboard: the
// confirmation is next to the button or the comment, in view, and has the
// focus (so a screen reader reads it), and nothing is said at the top.
func TestBrowser_ConfirmationWhereTheFocusIs(t *testing.T) {
	e := newEnv(t)
	f := newStandFixture(t, e)
	for _, mode := range []string{"js", "nojs"} {
		t.Run(mode, func(t *testing.T) {
			var opts []sessionOption
			if mode == "nojs" {
				opts = append(opts, withoutJS())
			}
			b := newBrowser(t, e, "de", opts...)
			browserLogin(b, f.email, f.pw)
			for _, width := range []int64{1280, 320} {
				b.viewport(width, 800)
				at := fmt.Sprintf("%s %d px", mode, width)
				b.visit("/proposals/" + f.proposal)
				b.submitByKey(`form[action="/proposals/` + f.proposal + `/vote"] button[type="submit"]`)
				b.checkConfirmed(at+" support", ".vote-box", "Ihre Unterstützung wurde gespeichert.")
				viewportShot(b, fmt.Sprintf("confirm-support-%s-%d", mode, width))
				// Tab goes on from the confirmation to what follows it.
				b.press("\t")
				if fc := b.focused(); fc == "#confirmation" || fc == "body" {
					t.Errorf("%s: Tab from the confirmation went to %s", at, fc)
				}
				b.submitByKey(`form[action="/proposals/` + f.proposal + `/vote/delete"] button[type="submit"]`)
				b.checkConfirmed(at+" withdrawal", ".vote-box", "Ihre Unterstützung wurde zurückgenommen.")

				text := fmt.Sprintf("Ein Sonnensegel wäre schön (%s).", at)
				b.fill("#new-comment-body", text)
				b.submitByKey(`form.comment-form[action="/proposals/` + f.proposal + `/comments"] button[type="submit"]`)
				b.checkConfirmed(at+" comment", "li.comment", "Ihr Kommentar wurde veröffentlicht.")
				if got := eval[string](b, `document.querySelector("#confirmation").closest("li.comment").querySelector(".prose").innerText`); !strings.Contains(got, text) {
					t.Errorf("%s: the confirmation is in the comment %q, not the new one", at, got)
				}
				viewportShot(b, fmt.Sprintf("confirm-comment-%s-%d", mode, width))

				up := `form[action="/comments/` + f.comment + `/vote"] button[name="value"]:first-of-type`
				b.submitByKey(up)
				b.checkConfirmed(at+" helpful", "#comment-"+f.comment, "Ihre Bewertung wurde gespeichert.")
				if p := b.attr(up, "aria-pressed"); p != "true" {
					t.Errorf("%s: helpful is not pressed after pressing it: %q", at, p)
				}
				viewportShot(b, fmt.Sprintf("confirm-helpful-%s-%d", mode, width))
				b.submitByKey(up)
				b.checkConfirmed(at+" helpful again", "#comment-"+f.comment, "Ihre Bewertung wurde gespeichert.")
				if b.overflowsHorizontally() {
					t.Errorf("%s: the page scrolls sideways", at)
				}
			}
		})
	}
}

// A pressed helpful button looks pressed (filled, bold, ticked: more than a
// colour) and says so; its visible label is short and its name holds the
// label first and whose comment it is once, with and without JavaScript.
func TestBrowser_HelpfulButtonsLookPressed(t *testing.T) {
	e := newEnv(t)
	f := newStandFixture(t, e)
	for _, mode := range []string{"js", "nojs"} {
		t.Run(mode, func(t *testing.T) {
			var opts []sessionOption
			if mode == "nojs" {
				opts = append(opts, withoutJS())
			}
			b := newBrowser(t, e, "de", opts...)
			browserLogin(b, f.email, f.pw)
			b.visit("/proposals/" + f.proposal)
			up := `form[action="/comments/` + f.comment + `/vote"] button[name="value"]:first-of-type`
			down := `form[action="/comments/` + f.comment + `/vote"] button[name="value"]:last-of-type`
			if name, pressed := b.axNode(up); name != "Hilfreich (1) – Kommentar von Anna" || pressed != "false" {
				t.Errorf("helpful: name %q, pressed %q", name, pressed)
			}
			if name, _ := b.axNode(down); name != "Nicht hilfreich (0) – Kommentar von Anna" {
				t.Errorf("not helpful: name %q", name)
			}
			visible := func(sel string) string {
				return eval[string](b, fmt.Sprintf(`(function(el){ const c = el.cloneNode(true); c.querySelectorAll(".kern-sr-only").forEach(s => s.remove());
					return c.textContent.trim() })(document.querySelector(%s))`, jsString(sel)))
			}
			if got := visible(up); got != "Hilfreich (1)" {
				t.Errorf("visible label %q, want Hilfreich (1)", got)
			}
			style := func(sel string) string {
				return eval[string](b, fmt.Sprintf(`(function(el){ const s = getComputedStyle(el), l = getComputedStyle(el.querySelector(".kern-label"));
					return [s.backgroundColor, s.borderTopWidth, l.fontWeight, l.textDecorationLine].join(" ") })(document.querySelector(%s))`, jsString(sel)))
			}
			before := style(up)
			b.submitByKey(up)
			if name, pressed := b.axNode(up); name != "Hilfreich (2) – Kommentar von Anna" || pressed != "true" {
				t.Errorf("pressed helpful: name %q, pressed %q", name, pressed)
			}
			if got := visible(up); got != "✓Hilfreich (2)" {
				t.Errorf("pressed visible label %q, want a tick and Hilfreich (2)", got)
			}
			after := style(up)
			if after == before || !strings.Contains(after, " 700 ") || strings.HasPrefix(after, "rgba(0, 0, 0, 0)") {
				t.Errorf("the pressed button does not look pressed: %q, before %q", after, before)
			}
			b.screenshot("helpful-pressed-" + mode)
			// Back to unpressed, by keyboard.
			b.submitByKey(up)
			if _, pressed := b.axNode(up); pressed != "false" {
				t.Errorf("helpful pressed again: %q", pressed)
			}
		})
	}
}

// A closed and an evaluated consultation say the phase and what comes next
// where the support button was, without inviting anyone to log in; the
// badges "Qualifiziert" and "Abgelehnt" are explained; at 320 and 1280
// pixels, with and without JavaScript.
func TestBrowser_PhaseNotesSayWhatComesNext(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	author, _ := e.createUser("anna@example.org", "Anna")
	supporter, _ := e.createUser("erika@example.org", "Erika")
	now := time.Now().UTC()
	closedC, closedP := phaseFixture(t, e, admin, author, supporter, mitreden.VotingSupport, now.Add(-10*24*time.Hour), now.Add(-time.Hour), false)
	evalC, evalP := phaseFixture(t, e, admin, author, supporter, mitreden.VotingSupport, now.Add(-10*24*time.Hour), now.Add(-2*time.Hour), true)
	for _, mode := range []string{"js", "nojs"} {
		t.Run(mode, func(t *testing.T) {
			var opts []sessionOption
			if mode == "nojs" {
				opts = append(opts, withoutJS())
			}
			b := newBrowser(t, e, "de", opts...)
			for _, width := range []int64{1280, 320} {
				b.viewport(width, 800)
				for _, pg := range []struct{ name, path, want string }{
					{"closed-consultation", "/consultations/" + closedC, "die Ergebnisse werden ausgewertet"},
					{"closed-proposal", "/proposals/" + closedP, "die Ergebnisse werden ausgewertet"},
					{"evaluated-consultation", "/consultations/" + evalC, "Ausgewertet am"},
					{"evaluated-proposal", "/proposals/" + evalP, "Ausgewertet am"},
				} {
					at := fmt.Sprintf("%s %s %d px", mode, pg.name, width)
					b.visit(pg.path)
					if got := b.text(".phase-note"); !strings.Contains(got, pg.want) {
						t.Errorf("%s: phase note %q, want %q", at, got, pg.want)
					}
					if n := b.count(`main a[href^="/login"]`); n != 0 {
						t.Errorf("%s: %d invitations to log in", at, n)
					}
					if strings.HasPrefix(pg.name, "evaluated-proposal") {
						if got := b.text(".status-note"); !strings.Contains(got, "Qualifiziert: hat die Schwelle von 2 Unterstützungen erreicht.") || !strings.Contains(got, "Abgelehnt:") {
							t.Errorf("%s: status note %q", at, got)
						}
						// The note's link takes the keyboard to the results.
						if b.count(`.phase-note a`) != 1 {
							t.Fatalf("%s: no link to the results", at)
						}
						b.submitByKey(`.phase-note a`)
						if !strings.HasSuffix(b.url(), "/consultations/"+evalC+"#results") || !b.inViewport("#results-title") {
							t.Errorf("%s: the results link led to %s", at, b.url())
						}
					}
					if b.overflowsHorizontally() {
						t.Errorf("%s: the page scrolls sideways", at)
					}
					b.screenshot(fmt.Sprintf("phase-%s-%s-%d", pg.name, mode, width))
				}
			}
		})
	}
}
