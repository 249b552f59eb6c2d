package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binPath is the mitreden binary built once for the process tests.
var binPath string

func TestMain(m *testing.M) {
	flag.Parse()
	code := func() int {
		if !testing.Short() {
			dir, err := os.MkdirTemp("", "mitreden-bin")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer os.RemoveAll(dir)
			binPath = filepath.Join(dir, "mitreden")
			out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
			if err != nil {
				fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
				return 1
			}
		}
		return m.Run()
	}()
	os.Exit(code)
}

func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb, envFunc(env))
	return code, out.String(), errb.String()
}

func TestConfig_ValidationNamesTheSetting(t *testing.T) {
	cases := map[string]string{
		"MITREDEN_ADDR":                  "no-port",
		"MITREDEN_BASE_URL":              "ftp://x",
		"MONGODB_URI":                    "postgres://x",
		"MONGODB_DATABASE":               "bad$name",
		"MEILI_URL":                      "not a url",
		"MITREDEN_TRUSTED_PROXIES":       "10.0.0.1,banana",
		"MITREDEN_SECRET":                "short",
		"MITREDEN_LOGIN_MAX_PER_ACCOUNT": "five",
		"MITREDEN_LOGIN_MAX_PER_IP":      "0",
		"MITREDEN_LOGIN_WINDOW":          "forever",
		"MITREDEN_SESSION_IDLE":          "0s",
		"MITREDEN_LOG_LEVEL":             "loud",
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"MITREDEN_DATA_DIR": t.TempDir(), name: value}
			code, _, stderr := runCLI(t, env, "", "serve")
			if code != 2 || !strings.Contains(stderr, name) {
				t.Fatalf("exit %d, stderr %q; want 2 naming %s", code, stderr, name)
			}
		})
	}
	if err := func() error { c := DefaultConfig(); return c.Validate() }(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	code, _, stderr := runCLI(t, map[string]string{"MITREDEN_DATA_DIR": t.TempDir()}, "", "serve", "--base-url", "http://x/path")
	if code != 2 || !strings.Contains(stderr, "MITREDEN_BASE_URL") {
		t.Fatalf("flag override not validated: %d %q", code, stderr)
	}
	if code, _, _ := runCLI(t, nil, "", "frobnicate"); code != 2 {
		t.Fatalf("unknown verb exit %d", code)
	}
	if code, out, _ := runCLI(t, nil, "", "version"); code != 0 || !strings.HasPrefix(out, "mitreden ") {
		t.Fatalf("version: %d %q", code, out)
	}
}

func TestUserVerbs(t *testing.T) {
	env := map[string]string{"MITREDEN_DATA_DIR": t.TempDir()}
	code, out, stderr := runCLI(t, env, "Kartoffelsalat mit Gurke\n", "user", "create", "--email", "admin@example.org", "--name", "Admina", "--role", "admin", "--role", "council", "--password-stdin")
	if code != 0 || !strings.Contains(out, "citizen,council,admin") || strings.Contains(out, "Kartoffelsalat") {
		t.Fatalf("create: %d %q %q", code, out, stderr)
	}
	code, out, _ = runCLI(t, env, "", "user", "create", "--email", "gen@example.org", "--name", "Generiert")
	if code != 0 || !strings.Contains(out, "password (shown once): ") {
		t.Fatalf("generated: %d %q", code, out)
	}
	pw := strings.TrimSpace(out[strings.Index(out, "shown once): ")+len("shown once): "):])
	e, err := open(context.Background(), func() Config { c := DefaultConfig(); c.DataDir = env["MITREDEN_DATA_DIR"]; return c }(), newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.accounts.Login(context.Background(), loginIn("gen@example.org", pw)); err != nil {
		t.Fatalf("generated password does not log in: %v", err)
	}
	e.close()
	if code, _, stderr = runCLI(t, env, "", "user", "create", "--email", "x@example.org", "--name", "X", "--role", "king"); code != 2 || !strings.Contains(stderr, "king") {
		t.Fatalf("bad role: %d %q", code, stderr)
	}
	if code, _, stderr = runCLI(t, env, "passwort123456\n", "user", "create", "--email", "weak@example.org", "--name", "Weak", "--password-stdin"); code != 1 || !strings.Contains(stderr, "password") {
		t.Fatalf("weak password: %d %q", code, stderr)
	}
	if code, _, stderr = runCLI(t, env, "", "user", "create", "--email", "ADMIN@example.org", "--name", "Dup"); code != 1 || !strings.Contains(stderr, "account.email_taken") {
		t.Fatalf("duplicate: %d %q", code, stderr)
	}
	if code, out, _ = runCLI(t, env, "", "user", "grant", "--email", "gen@example.org", "--role", "moderator"); code != 0 || !strings.Contains(out, "moderator") {
		t.Fatalf("grant: %d %q", code, out)
	}
	if code, out, _ = runCLI(t, env, "", "user", "revoke", "--email", "gen@example.org", "--role", "moderator"); code != 0 || strings.Contains(out, "moderator") {
		t.Fatalf("revoke: %d %q", code, out)
	}
	if code, out, _ = runCLI(t, env, "", "user", "list", "--role", "admin"); code != 0 || !strings.Contains(out, "admin@example.org") || strings.Contains(out, "gen@example.org") {
		t.Fatalf("list: %d %q", code, out)
	}
}

// server is a running mitreden process.
type server struct {
	cmd    *exec.Cmd
	base   string
	stderr *bytes.Buffer
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startServer(t *testing.T, dataDir string) *server {
	t.Helper()
	if binPath == "" {
		t.Skip("process tests need the binary (not in -short mode)")
	}
	addr := freePort(t)
	cmd := exec.Command(binPath, "serve")
	cmd.Env = append(os.Environ(), "MITREDEN_DATA_DIR="+dataDir, "MITREDEN_ADDR="+addr, "MITREDEN_BASE_URL=http://"+addr)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, base: "http://" + addr, stderr: &stderr}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func postJSON(t *testing.T, url, body string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestProcess_SecondProcessRefusesHeldDataDir(t *testing.T) {
	dir := t.TempDir()
	startServer(t, dir)
	cmd := exec.Command(binPath, "user", "list")
	cmd.Env = append(os.Environ(), "MITREDEN_DATA_DIR="+dir)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err == nil || time.Since(start) > 5*time.Second || !strings.Contains(string(out), "in use by another mitreden process") {
		t.Fatalf("second process: err=%v after %s: %s", err, time.Since(start), out)
	}
}

func TestProcess_AcknowledgedWritesSurviveKill9(t *testing.T) {
	dir := t.TempDir()
	var emails []string
	for round := 0; round < 3; round++ {
		s := startServer(t, dir)
		email := fmt.Sprintf("kill%d@example.org", round)
		resp, body := postJSON(t, s.base+"/api/v1/auth/register", `{"email":"`+email+`","password":"Zeche Zollverein bei Nacht","display_name":"Kill Test"}`)
		if resp.StatusCode != 201 {
			t.Fatalf("register: %d %s", resp.StatusCode, body)
		}
		emails = append(emails, email)
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
		_ = s.cmd.Wait()
	}
	s := startServer(t, dir)
	for _, email := range emails {
		resp, body := postJSON(t, s.base+"/api/v1/auth/login", `{"email":"`+email+`","password":"Zeche Zollverein bei Nacht"}`)
		if resp.StatusCode != 200 {
			t.Fatalf("after kill -9, %s cannot log in: %d %s", email, resp.StatusCode, body)
		}
	}
}

func TestProcess_GracefulShutdownAndLogs(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	password := "Rheinufer im Frühling"
	resp, _ := postJSON(t, s.base+"/api/v1/auth/register", `{"email":"log@example.org","password":"`+password+`","display_name":"Log"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("register: %d", resp.StatusCode)
	}
	resp, body := postJSON(t, s.base+"/api/v1/auth/login", `{"email":"log@example.org","password":"`+password+`"}`)
	var login struct{ Token string }
	_ = json.Unmarshal(body, &login)
	rid := resp.Header.Get("X-Request-Id")
	if login.Token == "" || rid == "" {
		t.Fatalf("login: %s", body)
	}
	ready, err := http.Get(s.base + "/readyz")
	if err != nil || ready.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", err, ready)
	}
	ready.Body.Close()
	start := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, s.stderr.String())
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("shutdown took %s", time.Since(start))
	}
	logs := s.stderr.String()
	if !strings.Contains(logs, `"msg":"stopped"`) {
		t.Errorf("no stopped line: %s", logs)
	}
	found := false
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "request" && line["request_id"] == rid {
			found = true
		}
	}
	if !found {
		t.Errorf("no request log line with request_id %s", rid)
	}
	for _, secret := range []string{password, login.Token} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain a secret")
		}
	}
	// The lock is released: the data dir opens again at once.
	code, _, stderr := runCLI(t, map[string]string{"MITREDEN_DATA_DIR": dir}, "", "user", "list")
	if code != 0 {
		t.Fatalf("data dir still held: %s", stderr)
	}
}
