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

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// The browser harness: Debian's Chromium drives the real Fiber app on a
// loopback port. Every page a session lands on (visit or submit) is checked
// for the layout basics (html lang, one h1, a skip link to #main) and with
// axe-core for WCAG 2.1 A/AA; any violation fails the test with its rule,
// impact, selectors and page URL.
//
// Usage, for new journeys (consultations, search, ...):
//
//	e := newEnv(t)
//	b := newBrowser(t, e, "de")           // Accept-Language de; newBrowser(t, e, "de", withoutJS()) for a no-JS tab
//	b.visit("/register")                  // navigate, check basics and axe, return the HTTP status
//	b.fill("#email", "erika@example.org") // set an input's value
//	b.submit(`form[action="/register"] button[type="submit"]`) // click, wait for the next page, check it
//	b.text("main"); b.attr("html", "lang"); b.count("h1"); b.focused(); b.url()
//	b.screenshot("register")              // PNG in $MITREDEN_SHOTS when set
//	b.viewport(320, 800); b.overflowsHorizontally(); b.press("\t")
//
// checkPage also fails on error summary links to missing fields. Tabs emulate
// prefers-reduced-motion (no smooth scrolling, so clicks land where the node
// is). A no-JS tab turns scripts on only while axe runs; the page's own
// scripts never run.
//
// One Chromium process serves the whole package (started on first use, stopped
// in TestMain); each session gets its own browser context, so cookies never
// leak between sessions. Sessions of one test share the test's server.

// axeTags are the rule sets every page must pass.
const axeTags = `['wcag2a','wcag2aa','wcag21a','wcag21aa']`

// browserTimeout bounds one browser step (a navigation, an axe run).
const browserTimeout = 30 * time.Second

var axeSource = sync.OnceValues(func() (string, error) { return nodeModule("axe-core", "axe.min.js") })

// htmlcsSource is HTML_CodeSniffer, the second checker: it knows techniques
// axe does not test (and the reverse), as the WCAG2AA standard of pa11y.
var htmlcsSource = sync.OnceValues(func() (string, error) { return nodeModule("@pa11y/html_codesniffer", "build", "HTMLCS.js") })

// nodeModule reads a file of web/node_modules, which scripts/assets.sh
// installs from web/package.json.
func nodeModule(path ...string) (string, error) {
	_, file, _, _ := goruntime.Caller(0)
	b, err := os.ReadFile(filepath.Join(append([]string{filepath.Dir(file), "..", "..", "web", "node_modules"}, path...)...))
	return string(b), err
}

// htmlcsIgnored lists the HTML_CodeSniffer errors the suite tolerates, each
// with its reason: an error of the checker itself, or one on pages whose
// owners fix it (remove the entry then). Msg "" tolerates every message of
// Code.
var htmlcsIgnored = []struct{ Code, Msg, Why string }{
	{Code: "WCAG2AA.Principle1.Guideline1_3.1_3_5.H98",
		Msg: "Invalid autocomplete value: username. Element does not belong to Text control group.",
		Why: "a false positive: HTML allows autocomplete=username on type=email (its Username control group), " +
			"which password managers need on the login form"},
}

// htmlcsTolerated reports whether htmlcsIgnored lists e.
func htmlcsTolerated(e htmlcsError) bool {
	for _, ig := range htmlcsIgnored {
		if ig.Code == e.Code && (ig.Msg == "" || ig.Msg == e.Msg) {
			return true
		}
	}
	return false
}

// chromium is the package's one browser process.
var chromium struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	err    error
}

// TestMain stops the shared Chromium after the package's tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if chromium.cancel != nil {
		chromium.cancel()
	}
	os.Exit(code)
}

// chromiumPath finds the browser, or skips the test; under CI (where
// scripts/test.sh installs Chromium) a missing browser fails instead.
func chromiumPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("MITREDEN_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium not found at %s (scripts/test.sh installs it): %v", p, err)
		}
		t.Skipf("chromium not found at %s; scripts/test.sh installs it", p)
	}
	return p
}

// sharedChromium starts the package's Chromium on first use.
func sharedChromium(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	chromium.once.Do(func() {
		dir, err := os.MkdirTemp("", "mitreden-chromium-")
		if err != nil {
			chromium.err = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path), chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true),
			chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
			chromedp.Flag("no-first-run", true), chromedp.UserDataDir(dir), chromedp.WindowSize(1280, 900))
		actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelB := chromedp.NewContext(actx)
		chromium.ctx = ctx
		chromium.cancel = func() { cancelB(); cancelA(); os.RemoveAll(dir) }
		// The first run starts the browser; it must not carry a timeout.
		chromium.err = chromedp.Do(ctx)
	})
	if chromium.err != nil {
		t.Fatalf("start chromium: %v", chromium.err)
	}
	return chromium.ctx
}

// servedEnvs maps a test environment to the base URL it is served on, so
// several sessions of one test share one listener.
var servedEnvs sync.Map

func serve(e *testEnv) string {
	if u, ok := servedEnvs.Load(e); ok {
		return u.(string)
	}
	u := e.listen()
	servedEnvs.Store(e, u)
	e.t.Cleanup(func() { servedEnvs.Delete(e) })
	return u
}

// browserSession is one Chromium tab, in its own browser context (own
// cookies), on a served test environment. See the top of this file.
type browserSession struct {
	t    *testing.T
	ctx  context.Context
	base string
	axe  string
	// htmlcs is the source of HTML_CodeSniffer.
	htmlcs string
	noJS   bool
}

// sessionOption configures a browser session.
type sessionOption func(*browserSession)

// withoutJS disables JavaScript in the tab, as some users and screen-reader
// setups do; every flow must still work.
func withoutJS() sessionOption { return func(b *browserSession) { b.noJS = true } }

// newBrowser opens a tab that sends Accept-Language lang.
func newBrowser(t *testing.T, e *testEnv, lang string, opts ...sessionOption) *browserSession {
	t.Helper()
	root := sharedChromium(t)
	axe, err := axeSource()
	if err != nil {
		t.Fatalf("axe-core missing (run scripts/assets.sh): %v", err)
	}
	htmlcs, err := htmlcsSource()
	if err != nil {
		t.Fatalf("HTML_CodeSniffer missing (run scripts/assets.sh): %v", err)
	}
	b := &browserSession{t: t, base: serve(e), axe: axe, htmlcs: htmlcs}
	for _, o := range opts {
		o(b)
	}
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	b.ctx = ctx
	// The first call creates the tab; it must not carry a timeout.
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}}); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	// Reduced motion turns off KERN's smooth scrolling, so a click lands
	// where the node is and not where it was mid-scroll.
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}}); err != nil {
		t.Fatalf("emulate reduced motion: %v", err)
	}
	if b.noJS {
		b.scripts(false)
	}
	return b
}

// scripts turns JavaScript execution in the tab on or off.
func (b *browserSession) scripts(on bool) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on}); err != nil {
		b.t.Fatalf("set script execution: %v", err)
	}
}

// run runs actions that return nothing; an error fails the test.
func (b *browserSession) run(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// browserRun runs one action and returns its value; an error fails the test.
func browserRun[T any](b *browserSession, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// eval evaluates a JavaScript expression in the page. It works with
// JavaScript disabled too: DevTools evaluation is not page script.
func eval[T any](b *browserSession, expr string) T {
	b.t.Helper()
	return browserRun(b, chromedp.Evaluate[T](expr))
}

// visit loads path, checks the page and returns the HTTP status.
func (b *browserSession) visit(path string) int {
	b.t.Helper()
	resp := browserRun(b, chromedp.NavigateResponse(b.base+path))
	b.checkPage()
	return status(resp)
}

// submit clicks the element sel (a submit button or a link), waits for the
// next page, checks it and returns its HTTP status.
func (b *browserSession) submit(sel string) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("submit %s on %s: %v", sel, b.url(), err)
	}
	b.checkPage()
	return status(resp)
}

func status(r *network.Response) int {
	if r == nil {
		return 0
	}
	return int(r.Status)
}

// fill sets the value of the input or textarea sel.
func (b *browserSession) fill(sel, value string) {
	b.t.Helper()
	if !eval[bool](b, fmt.Sprintf(`(function(el){ if (!el) return false; el.value = %s; return true })(document.querySelector(%s))`, jsString(value), jsString(sel))) {
		b.t.Fatalf("no field %s on %s", sel, b.url())
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// url returns the address of the current page. A page being left for
// another cannot answer (Chrome drops its context; pages sent with no-store
// are not kept for the back button, so theirs goes at once): then it asks
// again, once the next page is there.
func (b *browserSession) url() string {
	b.t.Helper()
	for range 50 {
		ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
		loc, err := chromedp.Run(ctx, chromedp.Location())
		cancel()
		if err == nil {
			return loc
		}
		if !strings.Contains(err.Error(), "navigated or closed") {
			b.t.Fatalf("browser: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.t.Fatal("browser: the page kept navigating")
	return ""
}

// text returns the rendered text of the first node matching sel ("" if none).
func (b *browserSession) text(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%s)||{innerText:""}).innerText`, jsString(sel)))
}

// attr returns an attribute of the first node matching sel ("" if none).
func (b *browserSession) attr(sel, name string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%s)||{getAttribute:()=>""}).getAttribute(%s)||""`, jsString(sel), jsString(name)))
}

// count returns how many nodes match sel.
func (b *browserSession) count(sel string) int {
	b.t.Helper()
	return eval[int](b, fmt.Sprintf(`document.querySelectorAll(%s).length`, jsString(sel)))
}

// focused describes the focused element: "#id", or the tag name without an id.
func (b *browserSession) focused() string {
	b.t.Helper()
	return eval[string](b, `(function(el){ return el.id ? "#" + el.id : el.tagName.toLowerCase() })(document.activeElement)`)
}

// press sends a key ("\t" for Tab, "\r" for Enter) to the focused element.
func (b *browserSession) press(key string) {
	b.t.Helper()
	b.run(chromedp.KeyEvent(key))
}

// viewport resizes the tab's layout viewport (CSS pixels).
func (b *browserSession) viewport(width, height int64) {
	b.t.Helper()
	b.run(chromedp.EmulateViewport(width, height))
}

// overflowsHorizontally reports whether the page scrolls sideways.
func (b *browserSession) overflowsHorizontally() bool {
	b.t.Helper()
	return eval[bool](b, `document.documentElement.scrollWidth > document.documentElement.clientWidth`)
}

// screenshot writes a full-page PNG to $MITREDEN_SHOTS/name.png when the
// variable is set (for a human look at the layout); otherwise it does nothing.
func (b *browserSession) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("MITREDEN_SHOTS")
	if dir == "" {
		return
	}
	png := browserRun(b, chromedp.FullScreenshot(100))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// pageBasics is what checkPage reads from every page.
type pageBasics struct {
	Lang     string
	H1       int
	Title    string
	SkipHref string
	Main     bool
	// DeadLinks are error summary links whose field is missing.
	DeadLinks []string
}

// checkPage checks what every page of the layout must have, then runs axe.
func (b *browserSession) checkPage() {
	b.t.Helper()
	// A test that waited for the address to change (Enter on a link) may
	// come here while the new document is still being parsed.
	for i := 0; i < 100 && !eval[bool](b, `document.readyState === "complete"`); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	basics := eval[pageBasics](b, `({
		lang: document.documentElement.lang,
		h1: document.querySelectorAll("h1").length,
		title: document.title,
		skipHref: (function(a){ return a && a.matches("a.skip-link") ? a.getAttribute("href") : "" })(document.querySelector("body a[href]")),
		main: !!document.querySelector("main#main[tabindex='-1']"),
		deadLinks: Array.from(document.querySelectorAll("#error-summary a[href^='#']")).map(a => a.getAttribute("href")).filter(h => !document.getElementById(h.slice(1)))
	})`)
	loc := b.url()
	if basics.Lang != "de" && basics.Lang != "en" {
		b.t.Errorf("%s: <html lang=%q>", loc, basics.Lang)
	}
	if basics.H1 != 1 {
		b.t.Errorf("%s: %d h1 elements, want exactly 1", loc, basics.H1)
	}
	if strings.TrimSpace(basics.Title) == "" {
		b.t.Errorf("%s: empty <title>", loc)
	}
	if basics.SkipHref != "#main" || !basics.Main {
		b.t.Errorf("%s: the first link is not a skip link to a focusable main#main (href %q, main %v)", loc, basics.SkipHref, basics.Main)
	}
	if len(basics.DeadLinks) > 0 {
		b.t.Errorf("%s: error summary links to missing fields %v", loc, basics.DeadLinks)
	}
	b.checkA11y()
}

// axeViolation is the part of an axe-core result a failure message needs.
type axeViolation struct {
	ID, Impact, Help string
	Nodes            []struct {
		Target         []any
		FailureSummary string
	}
}

// htmlcsError is an error HTML_CodeSniffer reports (its type 1; warnings
// and notices ask for a human's judgement and do not fail).
type htmlcsError struct {
	Code, Msg, Selector string
}

// htmlcsScript runs HTML_CodeSniffer's WCAG2AA standard on the document and
// resolves to its errors, each with a CSS path to its element.
const htmlcsScript = `;new Promise((resolve, reject) => {
	const path = el => {
		if (!el || el.nodeType !== 1) return "(document)";
		const parts = [];
		for (; el && el.nodeType === 1 && parts.length < 6; el = el.parentElement) {
			if (el.id) { parts.unshift("#" + CSS.escape(el.id)); break; }
			let part = el.localName;
			const same = el.parentElement ? Array.from(el.parentElement.children).filter(c => c.localName === el.localName) : [];
			if (same.length > 1) part += ":nth-of-type(" + (same.indexOf(el) + 1) + ")";
			parts.unshift(part);
		}
		return parts.join(" > ");
	};
	HTMLCS.process("WCAG2AA", document, () => resolve(HTMLCS.getMessages().filter(m => m.type === 1)
		.map(m => ({code: m.code, msg: m.msg, selector: path(m.element)}))), () => reject(new Error("HTML_CodeSniffer failed")), "en");
})`

// checkA11y runs axe-core and HTML_CodeSniffer on the current page; each
// axe violation and each HTML_CodeSniffer error fails the test.
func (b *browserSession) checkA11y() {
	b.t.Helper()
	if b.noJS {
		// axe needs timers, which do not run while scripts are off. The
		// page's own scripts were skipped at load and stay skipped.
		b.scripts(true)
		defer b.scripts(false)
	}
	b.checkHTMLCS()
	script := b.axe + `;axe.run(document, {runOnly: {type: 'tag', values: ` + axeTags + `}, resultTypes: ['violations']}).then(r => r.violations)`
	violations := browserRun(b, chromedp.Evaluate[[]axeViolation](script, chromedp.EvalAwaitPromise))
	if len(violations) == 0 {
		return
	}
	loc := b.url()
	for _, v := range violations {
		var nodes []string
		for _, n := range v.Nodes {
			nodes = append(nodes, fmt.Sprint(n.Target...)+" ("+strings.ReplaceAll(n.FailureSummary, "\n", " ")+")")
		}
		b.t.Errorf("axe %s [%s] on %s: %s:\n\t%s", v.ID, v.Impact, loc, v.Help, strings.Join(nodes, "\n\t"))
	}
}

// checkHTMLCS runs HTML_CodeSniffer (WCAG2AA) on the current page; each
// error not in htmlcsIgnored fails the test with its code, message and
// element. Scripts must be on (checkA11y sees to it).
func (b *browserSession) checkHTMLCS() {
	b.t.Helper()
	var loc string
	for _, e := range b.htmlcsErrors() {
		if htmlcsTolerated(e) {
			continue
		}
		if loc == "" {
			loc = b.url()
		}
		b.t.Errorf("HTML_CodeSniffer %s on %s: %s\n\t%s", e.Code, loc, e.Msg, e.Selector)
	}
}

// htmlcsErrors returns every error HTML_CodeSniffer finds on the page.
func (b *browserSession) htmlcsErrors() []htmlcsError {
	b.t.Helper()
	return browserRun(b, chromedp.Evaluate[[]htmlcsError](b.htmlcs+htmlcsScript, chromedp.EvalAwaitPromise))
}

// TestBrowser_HTMLCodeSnifferReportsErrors checks that the second checker
// runs and reports what it finds, code, message and element, on a page with
// a known error (an image without a text alternative), so a checker that
// silently found nothing cannot pass for a clean page.
func TestBrowser_HTMLCodeSnifferReportsErrors(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, e, "de")
	b.visit("/")
	if errs := b.htmlcsErrors(); len(errs) != 0 && !htmlcsTolerated(errs[0]) {
		t.Fatalf("the home page has HTML_CodeSniffer errors: %+v", errs)
	}
	eval[bool](b, `(function(){ const img = document.createElement("img"); img.id = "no-alt"; img.src = "/static/none.png";
		document.querySelector("main").append(img); return true })()`)
	var found bool
	for _, e := range b.htmlcsErrors() {
		found = found || strings.Contains(e.Code, "1_1_1.H37") && e.Selector == "#no-alt" && e.Msg != ""
	}
	if !found {
		t.Errorf("HTML_CodeSniffer did not report the image without alt: %+v", b.htmlcsErrors())
	}
}

// TestBrowser_PagesPassAxeInBothLanguages visits every public and account
// page in German and (through the header's language switch) in English.
func TestBrowser_PagesPassAxeInBothLanguages(t *testing.T) {
	e := newEnv(t)
	for _, lang := range []string{"de", "en"} {
		t.Run(lang, func(t *testing.T) {
			admin := "admin-" + lang + "@example.org"
			_, apw := e.createUser(admin, "Admina "+lang, mitreden.RoleAdmin)
			b := newBrowser(t, e, "de")
			wantLang := func(path string) {
				t.Helper()
				want := lang
				if path == "/leichte-sprache" {
					want = "de" // Leichte Sprache exists only in German
				}
				if got := b.attr("html", "lang"); got != want {
					t.Errorf("%s: <html lang=%q>, want %q", path, got, want)
				}
			}
			b.visit("/")
			if lang == "en" {
				b.submit(`form.lang-switch button[value="en"]`)
				wantLang("/")
			}
			b.screenshot("home-" + lang)
			for _, p := range []string{"/", "/register", "/login", "/consultations", "/search?q=Digitalisierung",
				"/barrierefreiheit", "/impressum", "/datenschutz", "/leichte-sprache"} {
				if st := b.visit(p); st != 200 {
					t.Errorf("%s: status %d", p, st)
				}
				wantLang(p)
			}
			if st := b.visit("/nicht-da"); st != 404 {
				t.Errorf("/nicht-da: status %d, want 404", st)
			}
			wantLang("/nicht-da")

			// Register with errors: the summary takes focus, lists every
			// error and links to its field, which says it is invalid.
			b.visit("/register")
			b.fill("#email", "kaputt")
			if st := b.submit(`form[action="/register"] button[type="submit"]`); st != 422 {
				t.Errorf("register with errors: status %d, want 422", st)
			}
			wantLang("/register")
			b.screenshot("register-errors-" + lang)
			if f := b.focused(); f != "#error-summary" {
				t.Errorf("focus after a failed submit is on %s, want #error-summary", f)
			}
			for _, f := range []string{"email", "display_name", "password"} {
				if n := b.count(`#error-summary a[href="#` + f + `"]`); n != 1 {
					t.Errorf("error summary has %d links to #%s, want 1", n, f)
				}
				if b.attr("#"+f, "aria-invalid") != "true" || !strings.Contains(b.attr("#"+f, "aria-describedby"), f+"-error") || b.text("#"+f+"-error") == "" {
					t.Errorf("#%s is not marked invalid with its error message", f)
				}
			}
			b.run(chromedp.Click(chromedp.CSS(`#error-summary a[href="#password"]`)))
			if f := b.focused(); f != "#password" {
				t.Errorf("the summary link to #password moved focus to %s", f)
			}

			// Log in as admin through the form and visit the private pages.
			b.visit("/login")
			b.fill("#email", admin)
			b.fill("#password", apw)
			if st := b.submit(`form[action="/login"] button[type="submit"]`); st != 200 {
				t.Fatalf("login: status %d at %s", st, b.url())
			}
			if lang == "en" {
				// The account's language (de) wins over the cookie until the
				// user switches, which also stores it in the profile.
				b.submit(`form.lang-switch button[value="en"]`)
			}
			for _, p := range []string{"/profile", "/admin/users", "/admin/search", "/consultations/new"} {
				if st := b.visit(p); st != 200 {
					t.Errorf("%s: status %d", p, st)
				}
				wantLang(p)
			}
			b.visit("/admin/users")
			if !strings.Contains(b.text("main"), admin) {
				t.Errorf("admin users page does not list %s", admin)
			}
		})
	}
}

// TestBrowser_AcceptLanguageAndSkipLink checks that the browser's language
// picks English without a switch, and that the skip link is the first Tab stop
// and moves focus to the main content.
func TestBrowser_AcceptLanguageAndSkipLink(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, e, "en-GB,en;q=0.9,de;q=0.5")
	b.visit("/")
	if got := b.attr("html", "lang"); got != "en" {
		t.Errorf("Accept-Language en: <html lang=%q>", got)
	}
	b.press("\t")
	if !eval[bool](b, `document.activeElement.matches("a.skip-link")`) {
		t.Fatalf("first Tab stop is %s, not the skip link", b.focused())
	}
	if !eval[bool](b, `(function(r){ return r.left >= 0 && r.top >= 0 && r.width > 0 })(document.activeElement.getBoundingClientRect())`) {
		t.Error("the focused skip link is not visible")
	}
	b.press("\r")
	if f := b.focused(); f != "#main" {
		t.Errorf("the skip link moved focus to %s, want #main", f)
	}
}

// TestBrowser_WorksWithoutJavaScript registers, logs out, logs in, switches
// the language and fails a form with JavaScript disabled.
func TestBrowser_WorksWithoutJavaScript(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, e, "de", withoutJS())
	b.visit("/")
	if eval[string](b, `typeof htmx`) != "undefined" {
		t.Fatal("JavaScript ran: htmx is loaded")
	}
	b.visit("/register")
	b.fill("#email", "ohne-js@example.org")
	b.fill("#display_name", "Ohne Skript")
	b.fill("#password", "Sonnenblumen am Rhein")
	if st := b.submit(`form[action="/register"] button[type="submit"]`); st != 200 {
		t.Fatalf("register: status %d at %s: %s", st, b.url(), b.text("main"))
	}
	// The answer page says to check the mailbox and links to the login.
	b.submit(`main a[href^="/login"]`)
	b.fill("#email", "ohne-js@example.org")
	b.fill("#password", "Sonnenblumen am Rhein")
	b.submit(`form[action="/login"] button[type="submit"]`)
	if b.count(`form[action="/logout"]`) != 1 {
		t.Fatal("not logged in after registering")
	}
	b.submit(`form[action="/logout"] button`)
	if b.count(`form[action="/logout"]`) != 0 {
		t.Fatal("still logged in after logging out")
	}
	b.visit("/login")
	b.fill("#email", "ohne-js@example.org")
	b.fill("#password", "falsch und falsch")
	if st := b.submit(`form[action="/login"] button[type="submit"]`); st != 401 {
		t.Errorf("wrong password: status %d, want 401", st)
	}
	if f := b.focused(); f != "#error-summary" {
		t.Errorf("without JS, focus after a failed login is on %s, want #error-summary", f)
	}
	b.fill("#password", "Sonnenblumen am Rhein")
	b.submit(`form[action="/login"] button[type="submit"]`)
	if st := b.visit("/profile"); st != 200 || b.attr("#display_name", "value") != "Ohne Skript" {
		t.Fatalf("profile after login: status %d, name %q", st, b.attr("#display_name", "value"))
	}
	b.submit(`form.lang-switch button[value="en"]`)
	if got := b.attr("html", "lang"); got != "en" || !strings.HasSuffix(b.url(), "/profile") {
		t.Errorf("language switch without JS: lang %q at %s", got, b.url())
	}
}

// TestBrowser_ReflowsAt320Pixels checks WCAG 1.4.10 (axe cannot): at 320 CSS
// pixels wide no page scrolls sideways; wide tables scroll on their own.
func TestBrowser_ReflowsAt320Pixels(t *testing.T) {
	e := newEnv(t)
	_, pw := e.createUser("admin@example.org", "Administratorin mit langem Namen", mitreden.RoleAdmin)
	b := newBrowser(t, e, "de")
	b.viewport(320, 800)
	reflows := func() {
		t.Helper()
		if b.overflowsHorizontally() {
			t.Errorf("%s scrolls sideways at 320px", b.url())
		}
	}
	b.visit("/")
	reflows()
	b.visit("/register")
	b.submit(`form[action="/register"] button[type="submit"]`)
	reflows()
	b.visit("/login")
	b.fill("#email", "admin@example.org")
	b.fill("#password", pw)
	b.submit(`form[action="/login"] button[type="submit"]`)
	for _, p := range []string{"/profile", "/admin/users"} {
		b.visit(p)
		reflows()
	}
}
