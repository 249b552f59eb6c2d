package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// The browser harness: a real Chromium (Debian's) drives the real server on a
// loopback port; axe-core is injected into every page visited and any WCAG
// 2.1 A/AA violation fails the test with its rule, selectors and page.

var axeSource = sync.OnceValues(func() (string, error) {
	_, file, _, _ := goruntime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "web", "node_modules", "axe-core", "axe.min.js"))
	return string(b), err
})

// chromiumPath finds the browser or skips (fails under CI, where scripts/test.sh installs it).
func chromiumPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("MITREDEN_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium not found at %s", p)
		}
		t.Skipf("chromium not found at %s; scripts/test.sh installs it", p)
	}
	return p
}

// browserSession is one headless Chromium tab on a served test environment.
// Use visit, fill and submit to drive it; every page it lands on is checked
// with axe. Future journeys (consultations, search) reuse it.
type browserSession struct {
	t    *testing.T
	ctx  context.Context
	base string
	axe  string
}

// newBrowser starts Chromium for the test; lang sets Accept-Language.
func newBrowser(t *testing.T, e *testEnv, lang string) *browserSession {
	t.Helper()
	path := chromiumPath(t)
	axe, err := axeSource()
	if err != nil {
		t.Fatalf("axe-core missing (run scripts/assets.sh): %v", err)
	}
	base := e.listen()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900), chromedp.Flag("lang", lang))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}}); err != nil {
		t.Fatal(err)
	}
	return &browserSession{t: t, ctx: ctx, base: base, axe: axe}
}

// run executes actions that return nothing.
func (b *browserSession) run(steps ...chromedp.Action[chromedp.Void]) { b.t.Helper(); b.do(steps...) }

func (b *browserSession) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

func browserRun[T any](b *browserSession, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// visit loads path and checks it with axe.
func (b *browserSession) visit(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("body")))
	b.checkA11y()
}

// checkA11y runs axe-core on the current page; violations fail the test.
func (b *browserSession) checkA11y() {
	b.t.Helper()
	loc := browserRun(b, chromedp.Location())
	var res struct {
		Violations []struct {
			ID, Impact, Help string
			Nodes            []struct{ Target []any }
		}
	}
	script := b.axe + `;axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa']}}).then(r => JSON.stringify({violations: r.violations}))`
	out := browserRun(b, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		b.t.Fatalf("axe result: %v", err)
	}
	for _, v := range res.Violations {
		var targets []string
		for _, n := range v.Nodes {
			targets = append(targets, fmt.Sprint(n.Target...))
		}
		b.t.Errorf("axe %s (%s) on %s: %s: %s", v.ID, v.Impact, loc, v.Help, strings.Join(targets, " | "))
	}
}

// text returns the text of the first node matching the CSS selector.
func (b *browserSession) text(sel string) string {
	b.t.Helper()
	return browserRun(b, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)||{innerText:""}).innerText`, sel)))
}

// attr returns an attribute of the first node matching the CSS selector.
func (b *browserSession) attr(sel, name string) string {
	b.t.Helper()
	return browserRun(b, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)||{getAttribute:()=>""}).getAttribute(%q)||""`, sel, name)))
}

// fill types value into the input (clearing it first).
func (b *browserSession) fill(sel, value string) {
	b.t.Helper()
	ok := browserRun(b, chromedp.Evaluate[bool](fmt.Sprintf(`(function(el){ if (!el) return false; el.value = %q; return true })(document.querySelector(%q))`, value, sel)))
	if !ok {
		b.t.Fatalf("no input %s", sel)
	}
}

// submit clicks sel, waits for the next page and checks it with axe.
func (b *browserSession) submit(sel string) {
	b.t.Helper()
	browserRun(b, chromedp.Evaluate[bool](`window.__mitredenOld = true`))
	b.do(chromedp.Click(chromedp.CSS(sel)))
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && window.__mitredenOld !== true`))
		cancel()
		if err == nil && done {
			break
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("no new page after clicking %s", sel)
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.checkA11y()
}

func (b *browserSession) count(sel string) int {
	b.t.Helper()
	return browserRun(b, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
}

func TestBrowser_PagesPassAxeInBothLanguages(t *testing.T) {
	e := newEnv(t)
	_, apw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	for _, lang := range []string{"de", "en"} {
		t.Run(lang, func(t *testing.T) {
			b := newBrowser(t, e, lang)
			for _, p := range []string{"/", "/register", "/login", "/barrierefreiheit", "/impressum", "/datenschutz", "/leichte-sprache", "/search?q=Digitalisierung", "/nicht-da"} {
				b.visit(p)
				wantLang := lang
				if p == "/leichte-sprache" {
					wantLang = "de"
				}
				if got := b.attr("html", "lang"); got != wantLang {
					t.Errorf("%s: lang=%q, want %q", p, got, wantLang)
				}
				if n := b.count("h1"); n != 1 {
					t.Errorf("%s: %d h1", p, n)
				}
			}
			// Register with errors: the summary lists them and links to the fields.
			b.visit("/register")
			b.fill("#email", "kaputt")
			b.submit(`form[action="/register"] button[type="submit"]`)
			for _, f := range []string{"email", "display_name", "password"} {
				if n := b.count(`#error-summary a[href="#` + f + `"]`); n != 1 {
					t.Errorf("error summary lacks the link to %s", f)
				}
			}
			// The summary is focusable so keyboard and screen-reader users land on it.
			if b.attr("#error-summary", "tabindex") != "-1" {
				t.Error("error summary not focusable")
			}
			// Log in as admin and visit the private pages.
			b.visit("/login")
			b.fill("#email", "admin@example.org")
			b.fill("#password", apw)
			b.submit(`form[action="/login"] button[type="submit"]`)
			for _, p := range []string{"/profile", "/admin/users", "/admin/search", "/consultations/new", "/consultations"} {
				b.visit(p)
			}
			if lang == "de" {
				// The language switch in the header changes the page language.
				b.visit("/")
				b.submit(`form.lang-switch button[value="en"]`)
				if got := b.attr("html", "lang"); got != "en" {
					t.Errorf("after switch lang=%q", got)
				}
			}
		})
	}
}
