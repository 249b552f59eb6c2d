package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runBinary runs the built binary with a hard deadline, so a hang fails the
// test instead of stalling it.
func runBinary(t *testing.T, timeout time.Duration, env []string, args ...string) (string, time.Duration, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = env
	cmd.WaitDelay = time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%v did not finish within %s (hang?): %s", args, timeout, out)
	}
	noRaceReport(t, string(out))
	return string(out), time.Since(start), err
}

// stopServer sends SIGTERM and waits at most limit for the process to exit.
func stopServer(t *testing.T, s *server, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
	case <-time.After(limit):
		t.Fatalf("no exit within %s of SIGTERM:\n%s", limit, s.stderr.String())
	}
	if s.err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", s.err, s.stderr.String())
	}
	return time.Since(start)
}

// logLines parses the captured stderr; every line must be one JSON object.
func logLines(t *testing.T, s *server) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s.stderr.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Errorf("log line is not JSON: %q", sc.Text())
			continue
		}
		lines = append(lines, line)
	}
	return lines
}

func TestProcess_SecondProcessRefusesHeldDataDir(t *testing.T) {
	needBinary(t)
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)
	for _, args := range [][]string{{"user", "list"}, {"serve"}, {"user", "create", "--email", "x@example.org", "--name", "Xaver"}} {
		env := baseEnv("MITREDEN_DATA_DIR="+dir, "MITREDEN_ADDR="+freePort(t))
		out, took, err := runBinary(t, 10*time.Second, env, args...)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() == 0 {
			t.Fatalf("%v on a held data dir: err=%v, want a non-zero exit: %s", args, err, out)
		}
		if took > 5*time.Second || !strings.Contains(out, "data directory "+dir+" is in use by another mitreden process") {
			t.Fatalf("%v: after %s: %q; want a refusal naming the dir within 5 s", args, took, out)
		}
	}
	// The refused attempts did not disturb the running server.
	if resp, body := s.get(t, "/readyz"); resp.StatusCode != 200 {
		t.Fatalf("readyz after refusals: %d %s", resp.StatusCode, body)
	}
}

func TestProcess_AcknowledgedWritesSurviveKill9(t *testing.T) {
	needBinary(t)
	t.Parallel()
	dir := t.TempDir()
	const password = "Zeche Zollverein bei Nacht"
	var emails []string
	loginAll := func(s *server) {
		t.Helper()
		for _, email := range emails {
			if resp, body := s.postJSON(t, "/api/v1/auth/login", loginJSON(email, password)); resp.StatusCode != 200 {
				t.Fatalf("after kill -9, %s cannot log in: %d %s", email, resp.StatusCode, body)
			}
		}
	}
	for round := 0; round < 3; round++ {
		s := startServer(t, dir)
		loginAll(s)
		// Several users in a row; the process dies right after the last 202.
		for i := 0; i < 3; i++ {
			email := fmt.Sprintf("kill%d-%d@example.org", round, i)
			resp, body := s.postJSON(t, "/api/v1/auth/register", registerJSON(email, password))
			if resp.StatusCode != 202 {
				t.Fatalf("register %s: %d %s", email, resp.StatusCode, body)
			}
			emails = append(emails, email)
		}
		s.kill9(t)
	}
	s := startServer(t, dir)
	loginAll(s)
	// The check can fail: a wrong password is refused.
	if resp, _ := s.postJSON(t, "/api/v1/auth/login", loginJSON(emails[0], password+"?")); resp.StatusCode != 401 {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
}

func TestProcess_GracefulShutdownDrainsInFlightRequests(t *testing.T) {
	needBinary(t)
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)
	addr := strings.TrimPrefix(s.base, "http://")

	// A slow client: its connection is served (a first request answered), then
	// it sends half of a registration and the rest only after SIGTERM.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	if _, err := conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: " + addr + "\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("first request on the slow connection: %v %v", resp, err)
	} else {
		s.record(resp)
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	body := registerJSON("slow@example.org", "Ruhrgebiet im Herbstlicht")
	head := fmt.Sprintf("POST /api/v1/auth/register HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", addr, len(body))
	if _, err := conn.Write([]byte(head + body[:10])); err != nil {
		t.Fatal(err)
	}

	// Load: concurrent registrations, each on its own connection.
	const n = 8
	type result struct {
		email  string
		status int
		err    error
	}
	results := make(chan result, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			email := fmt.Sprintf("drain%d@example.org", i)
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 15 * time.Second}
			resp, err := client.Post(s.base+"/api/v1/auth/register", "application/json",
				strings.NewReader(registerJSON(email, "Ruhrgebiet im Herbstlicht")))
			r := result{email: email, err: err}
			if err == nil {
				r.status = resp.StatusCode
				_, r.err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			results <- r
		}(i)
	}
	time.Sleep(100 * time.Millisecond)

	sigterm := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused while the slow request keeps the process alive.
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Since(sigterm) > 3*time.Second {
			t.Fatal("still accepting new connections 3 s after SIGTERM")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case <-s.exited:
		t.Fatalf("exited with a request in flight:\n%s", s.stderr.String())
	default:
	}
	if _, err := conn.Write([]byte(body[10:])); err != nil {
		t.Fatalf("finishing the in-flight request: %v", err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the in-flight request got no answer after SIGTERM: %v\n%s", err, s.stderr.String())
	}
	s.record(resp)
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 202 {
		t.Fatalf("in-flight registration: %d", resp.StatusCode)
	}
	acked := []string{"slow@example.org"}

	select {
	case <-s.exited:
	case <-time.After(10*time.Second - time.Since(sigterm)):
		t.Fatalf("no exit within 10 s of SIGTERM:\n%s", s.stderr.String())
	}
	if s.err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", s.err, s.stderr.String())
	}
	t.Logf("exit %s after SIGTERM", time.Since(sigterm))
	for i := 0; i < n; i++ {
		r := <-results
		switch {
		case r.err != nil:
			// Never acknowledged (the connection was still in the accept
			// queue when the listener closed): the client knows to retry.
			t.Logf("%s: %v", r.email, r.err)
		case r.status == 202:
			acked = append(acked, r.email)
		default:
			t.Errorf("%s: status %d during shutdown; want 202 or no answer", r.email, r.status)
		}
	}
	logs := s.stderr.String()
	if i, j := strings.Index(logs, `"msg":"shutting down"`), strings.Index(logs, `"msg":"stopped"`); i < 0 || j < i {
		t.Errorf("want \"shutting down\" then \"stopped\" in the log:\n%s", logs)
	}
	// The lock is released: the data dir opens again at once, and every
	// acknowledged registration is there.
	code, out, stderr := runCLI(t, map[string]string{"MITREDEN_DATA_DIR": dir}, "", "user", "list")
	if code != 0 {
		t.Fatalf("data dir not usable right after shutdown: %s", stderr)
	}
	for _, email := range acked {
		if !strings.Contains(out, email) {
			t.Errorf("acknowledged registration %s is missing after graceful shutdown", email)
		}
	}
}

func TestProcess_SlowClientDoesNotBlockShutdown(t *testing.T) {
	needBinary(t)
	// fasthttp counts a connection as active from accept: without the
	// server closing quiet connections, a browser preconnect or a stalled
	// request held the shutdown until the 10 s read timeout.
	t.Parallel()
	s := startServer(t, t.TempDir())
	// A connection that sent nothing (a browser preconnect) and one that sent half a request.
	for _, partial := range []string{"", "GET /healthz HTTP/1.1\r\nHost: x\r\n"} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.Write([]byte(partial)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	took := stopServer(t, s, 5*time.Second)
	t.Logf("exit %s after SIGTERM with slow clients", took)
	if !strings.Contains(s.stderr.String(), `"msg":"stopped"`) {
		t.Errorf("no stopped line:\n%s", s.stderr.String())
	}
}

func TestProcess_Readyz(t *testing.T) {
	needBinary(t)
	t.Parallel()
	s := startServer(t, t.TempDir())
	resp, body := s.get(t, "/readyz")
	var got struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("readyz body %q: %v", body, err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") ||
		got.Status != "ok" || got.Checks["store"] != "ok" || got.Checks["search"] != "ok" {
		t.Fatalf("readyz: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

func TestProcess_OneLogLinePerRequestWithoutSecrets(t *testing.T) {
	needBinary(t)
	t.Parallel()
	s := startServer(t, t.TempDir())
	const email, password = "log@example.org", "Rheinufer im Frühling"
	if resp, body := s.postJSON(t, "/api/v1/auth/register", registerJSON(email, password)); resp.StatusCode != 202 {
		t.Fatalf("register: %d %s", resp.StatusCode, body)
	}
	resp, body := s.postJSON(t, "/api/v1/auth/login", loginJSON(email, password))
	var login struct{ Token string }
	if err := json.Unmarshal(body, &login); err != nil || resp.StatusCode != 200 || login.Token == "" {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	req, _ := http.NewRequest("GET", s.base+"/api/v1/me?token="+url.QueryEscape(login.Token), nil)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	if resp, body := s.do(t, nil, req); resp.StatusCode != 200 {
		t.Fatalf("me with bearer: %d %s", resp.StatusCode, body)
	}
	if resp, _ := s.postJSON(t, "/api/v1/auth/login", loginJSON(email, "Falsches Passwort 123")); resp.StatusCode != 401 {
		t.Fatalf("wrong login: %d", resp.StatusCode)
	}

	// The HTML login sets a session cookie and a CSRF cookie.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	req, _ = http.NewRequest("GET", s.base+"/login", nil)
	_, page := s.do(t, browser, req)
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field on the login page")
	}
	csrf := string(m[1])
	form := url.Values{"email": {email}, "password": {password}, "_csrf": {csrf}}
	req, _ = http.NewRequest("POST", s.base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if resp, body := s.do(t, browser, req); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("form login: %d %s", resp.StatusCode, body)
	}
	req, _ = http.NewRequest("GET", s.base+"/profile", nil)
	if resp, _ := s.do(t, browser, req); resp.StatusCode != 200 {
		t.Fatalf("profile with session cookie: %d", resp.StatusCode)
	}
	u, _ := url.Parse(s.base)
	secrets := map[string]string{"password": password, "bearer token": login.Token, "csrf token": csrf}
	for _, c := range jar.Cookies(u) {
		secrets["cookie "+c.Name] = c.Value
	}
	if len(secrets) < 5 {
		t.Fatalf("expected a session and a CSRF cookie, have %v", jar.Cookies(u))
	}

	stopServer(t, s, 10*time.Second)
	logs := s.stderr.String()
	for what, v := range secrets {
		if len(v) >= 8 && strings.Contains(logs, v) {
			t.Errorf("the log contains the %s", what)
		}
	}
	if strings.Contains(logs, "Bearer") {
		t.Errorf("the log contains an Authorization header")
	}

	// One request line per answered request, carrying its X-Request-Id.
	var logged []string
	for _, line := range logLines(t, s) {
		if line["msg"] != "request" {
			continue
		}
		rid, _ := line["request_id"].(string)
		logged = append(logged, rid)
		for _, k := range []string{"method", "path", "status", "duration_ms"} {
			if _, ok := line[k]; !ok {
				t.Errorf("request line without %s: %v", k, line)
			}
		}
		if p, _ := line["path"].(string); strings.Contains(p, "?") {
			t.Errorf("request line logs a query string: %v", line)
		}
	}
	answered := s.requestIDs()
	for _, rid := range answered {
		if len(rid) < 8 {
			t.Fatalf("answer without a proper X-Request-Id: %q", rid)
		}
	}
	sort.Strings(logged)
	sort.Strings(answered)
	if strings.Join(logged, " ") != strings.Join(answered, " ") {
		t.Fatalf("request ids in the log\n%v\ndiffer from the X-Request-Id headers\n%v", logged, answered)
	}
}
