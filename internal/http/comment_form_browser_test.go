package http_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mitreden/mitreden/internal/service"
)

// browserLogin logs b in through the login form.
func browserLogin(b *browserSession, email, pw string) {
	b.t.Helper()
	b.visit("/login")
	b.fill("#email", email)
	b.fill("#password", pw)
	if st := b.submit(`form[action="/login"] button[type="submit"]`); st != 200 {
		b.t.Fatalf("login: status %d at %s", st, b.url())
	}
}

// waitForJS polls the JavaScript condition cond until it holds or d passes.
func waitForJS(b *browserSession, cond string, d time.Duration) bool {
	b.t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if eval[bool](b, cond) {
			return true
		}
	}
	return false
}

// viewportShot is b.screenshot of what the viewport shows: a modal dialog
// is placed in the viewport, which a full-page shot resizes.
func viewportShot(b *browserSession, name string) {
	b.t.Helper()
	dir := os.Getenv("MITREDEN_SHOTS")
	if dir == "" {
		return
	}
	png := browserRun(b, chromedp.CaptureScreenshot())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// A comment or reply that is empty or too long comes back with the focus
// on the error summary, which links to the field; the field says what is
// wrong and holds the text as typed. The limit shows before it is hit, and
// with JavaScript a counter says what is left, announcing only when the
// count crosses a threshold. At 1280 and 320 pixels.
func TestBrowser_CommentErrorsKeepText(t *testing.T) {
	e := newEnv(t)
	f := newCommentFixture(t, e)
	for _, mode := range []string{"js", "nojs"} {
		t.Run(mode, func(t *testing.T) {
			var opts []sessionOption
			if mode == "nojs" {
				opts = append(opts, withoutJS())
			}
			b := newBrowser(t, e, "de", opts...)
			browserLogin(b, f.email, f.pw)
			for _, width := range []int64{1280, 320} {
				b.viewport(width, 900)
				b.visit("/proposals/" + f.proposal)
				form := `form.comment-form[action="/proposals/` + f.proposal + `/comments"]`
				if !strings.Contains(b.text(form), "Höchstens 5.000 Zeichen.") {
					t.Errorf("%d px: the comment form does not tell the limit: %q", width, b.text(form))
				}
				if got := b.text("#new-comment-body-count"); (mode == "js") != (got == "Noch 5.000 Zeichen") {
					t.Errorf("%d px, %s: counter %q", width, mode, got)
				}
				// Empty.
				if st := b.submit(form + ` button[type="submit"]`); st != 422 {
					t.Fatalf("%d px: empty comment: status %d", width, st)
				}
				if fc := b.focused(); fc != "#error-summary" {
					t.Errorf("%d px: focus after an empty comment is on %s, want #error-summary", width, fc)
				}
				if b.count(`#error-summary a[href="#new-comment-body"]`) != 1 || b.attr("#new-comment-body", "aria-invalid") != "true" ||
					!strings.Contains(b.text("#new-comment-body-error"), "Bitte schreiben Sie Ihren Text.") {
					t.Errorf("%d px: the empty comment's error is not linked and shown at the field: %q", width, b.text("#error-summary"))
				}
				// Too long: the text comes back whole.
				long := strings.Repeat("Ein langer Satz über das Wohngeld. ", 180) // 6,300 characters
				b.fill("#new-comment-body", long)
				if st := b.submit(form + ` button[type="submit"]`); st != 422 {
					t.Fatalf("%d px: long comment: status %d", width, st)
				}
				if got := eval[string](b, `document.querySelector("#new-comment-body").value`); got != long {
					t.Errorf("%d px: the long text came back with %d characters, want %d", width, len([]rune(got)), len([]rune(long)))
				}
				if fc := b.focused(); fc != "#error-summary" {
					t.Errorf("%d px: focus after a long comment is on %s, want #error-summary", width, fc)
				}
				if msg := b.text("#new-comment-body-error"); !strings.Contains(msg, "1.299 Zeichen zu lang") {
					t.Errorf("%d px: the error does not say by how much: %q", width, msg)
				}
				if mode == "js" && b.text("#new-comment-body-count") != "1.299 Zeichen zu viel" {
					t.Errorf("%d px: counter over the limit: %q", width, b.text("#new-comment-body-count"))
				}
				if b.overflowsHorizontally() {
					t.Errorf("%d px: the page scrolls sideways", width)
				}
				b.screenshot(fmt.Sprintf("comment-too-long-%s-%d", mode, width))
				// The summary's link takes the keyboard to the field.
				b.run(chromedp.Focus(chromedp.CSS(`#error-summary a[href="#new-comment-body"]`)))
				b.press("\r")
				if fc := b.focused(); fc != "#new-comment-body" {
					t.Errorf("%d px: the summary link moved focus to %s", width, fc)
				}
			}
			b.viewport(1280, 900)

			// The reply page, the same way.
			b.visit("/comments/" + f.comment + "/reply")
			long := strings.Repeat("x", 5001)
			b.fill("#reply-body", long)
			if st := b.submit(`form.comment-form button[type="submit"]`); st != 422 {
				t.Fatalf("long reply: status %d", st)
			}
			if fc := b.focused(); fc != "#error-summary" || eval[string](b, `document.querySelector("#reply-body").value`) != long ||
				b.count(`#error-summary a[href="#reply-body"]`) != 1 || !strings.Contains(b.text("#reply-body-error"), "1 Zeichen zu lang") {
				t.Errorf("long reply: focus on %s, summary %q", fc, b.text("#error-summary"))
			}
			b.screenshot("reply-too-long-" + mode)

			if mode != "js" {
				if b.count("#char-count-status, .char-count") != 0 {
					t.Error("a counter without JavaScript")
				}
				return
			}
			// The live region speaks when the count crosses a threshold and
			// typing pauses, once, not at every keystroke.
			b.visit("/proposals/" + f.proposal)
			eval[bool](b, `(function(){
				window.__announced = [];
				var ta = document.querySelector("#new-comment-body");
				ta.focus();
				ta.value = "a".repeat(4890);
				ta.dispatchEvent(new Event("input"));
				var live = document.querySelector("#char-count-status");
				new MutationObserver(function(){ window.__announced.push(live.textContent) }).observe(live, {childList: true, characterData: true, subtree: true});
				for (var i = 0; i < 20; i++) { ta.value += "b"; ta.dispatchEvent(new Event("input")); }
				return true })()`)
			if !waitForJS(b, `window.__announced.length > 0`, 5*time.Second) {
				t.Fatal("crossing 100 characters left was not announced")
			}
			time.Sleep(1500 * time.Millisecond)
			if got := eval[[]string](b, `window.__announced`); len(got) != 1 || got[0] != "Noch 90 Zeichen" {
				t.Errorf("announcements after 21 keystrokes below 100 left: %q, want once \"Noch 90 Zeichen\"", got)
			}
			if r := b.attr("#char-count-status", "aria-live"); r != "polite" {
				t.Errorf("the counter's live region is %q, want polite", r)
			}
			if !strings.Contains(b.attr("#new-comment-body", "aria-describedby"), "new-comment-body-count") {
				t.Error("the counter does not describe the field")
			}
			b.checkA11y()
		})
	}
}

// A comment sent after the session ended comes back with its text and a
// login in the same form; logging in there publishes it. Never a bare
// "Keine Berechtigung", with JavaScript and without.
func TestBrowser_ExpiredSessionKeepsText(t *testing.T) {
	e := newEnv(t)
	f := newCommentFixture(t, e)
	for _, mode := range []string{"js", "nojs"} {
		t.Run(mode, func(t *testing.T) {
			e.Now.Store(nil)
			var opts []sessionOption
			if mode == "nojs" {
				opts = append(opts, withoutJS())
			}
			b := newBrowser(t, e, "de", opts...)
			browserLogin(b, f.email, f.pw)
			b.visit("/comments/" + f.comment + "/reply")
			text := "Der Mietnachweis fehlt noch, " + mode + "."
			b.fill("#reply-body", text)
			later := time.Now().Add(2 * time.Hour) // away from the desk
			e.Now.Store(&later)
			if st := b.submit(`form.comment-form button[type="submit"]`); st != 401 {
				t.Fatalf("after the session ended: status %d: %s", st, b.text("main"))
			}
			if h := b.text("h1"); h != "Ihr Text ist erhalten" {
				t.Errorf("heading %q", h)
			}
			if fc := b.focused(); fc != "#error-summary" {
				t.Errorf("focus on %s, want #error-summary", fc)
			}
			if got := eval[string](b, `document.querySelector("#draft-body").value`); got != text {
				t.Fatalf("the text came back as %q", got)
			}
			for _, width := range []int64{1280, 320} {
				b.viewport(width, 900)
				if b.overflowsHorizontally() {
					t.Errorf("%d px: the draft page scrolls sideways", width)
				}
				b.screenshot(fmt.Sprintf("draft-%s-%d", mode, width))
			}
			b.viewport(1280, 900)
			b.fill("#draft-email", f.email)
			b.fill("#draft-password", f.pw)
			if st := b.submit(`form.comment-form button[type="submit"]`); st != 200 {
				t.Fatalf("log in from the draft: status %d at %s", st, b.url())
			}
			if !strings.Contains(b.url(), "/proposals/"+f.proposal) || !strings.Contains(b.text("#comments"), text) {
				t.Errorf("after logging in the reply is not on the proposal page: %s", b.url())
			}
			if b.count(`form[action="/logout"]`) != 1 {
				t.Error("not logged in after the draft's login")
			}
		})
	}
}

// Before the session ends a dialog warns and offers to extend it; the
// button keeps the person logged in, the focus goes back to the text, and
// the new time is announced and shown at the form. Without JavaScript the
// form says until when it stays valid.
func TestBrowser_SessionWarning(t *testing.T) {
	// A short idle timeout, so the warning comes within seconds.
	e := newEnv(t, withAccounts(func(c *service.AccountsConfig) { c.SessionIdle = 16 * time.Second }))
	f := newCommentFixture(t, e)

	nojs := newBrowser(t, e, "de", withoutJS())
	browserLogin(nojs, f.email, f.pw)
	nojs.visit("/proposals/" + f.proposal)
	if !strings.HasPrefix(nojs.text(`[data-session-until]`), "Dieses Formular bleibt bis ") || nojs.count("dialog[open]") != 0 {
		t.Errorf("without JavaScript: validity note %q", nojs.text(`[data-session-until]`))
	}

	b := newBrowser(t, e, "de")
	browserLogin(b, f.email, f.pw)
	b.visit("/proposals/" + f.proposal)
	b.run(chromedp.Focus(chromedp.CSS("#new-comment-body")))
	b.run(chromedp.SendKeys("#new-comment-body", "Ich schreibe noch"))
	if !waitForJS(b, `document.querySelector("dialog.session-warning").open`, 30*time.Second) {
		t.Fatal("no warning before the session ended")
	}
	if !eval[bool](b, `document.activeElement.matches("dialog.session-warning [data-session-extend]")`) {
		t.Errorf("focus in the open warning is on %s, want its extend button", b.focused())
	}
	b.checkA11y()
	for _, width := range []int64{1280, 320} {
		b.viewport(width, 700)
		viewportShot(b, fmt.Sprintf("session-warning-%d", width))
	}
	b.viewport(1280, 900)
	b.press("\r")
	if !waitForJS(b, `!document.querySelector("dialog.session-warning").open`, 10*time.Second) {
		t.Fatalf("the warning stayed open: %q", b.text("dialog.session-warning"))
	}
	if fc := b.focused(); fc != "#new-comment-body" {
		t.Errorf("focus after extending is on %s, want back on the text", fc)
	}
	if got := b.text("#session-status"); !strings.HasPrefix(got, "Sie bleiben bis ") {
		t.Errorf("the extension was not announced: %q", got)
	}
	// The session outlives its first end: a request after it still finds it.
	time.Sleep(8 * time.Second)
	if st := b.visit("/profile"); st != 200 || b.count(`form[action="/logout"]`) != 1 {
		t.Errorf("after extending, the session ended anyway (status %d at %s)", st, b.url())
	}
}
