package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// binPath is the mitreden binary built once for the process tests; empty in
// -short mode, where those tests skip.
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
			args := []string{"build", "-o", binPath}
			if raceDetector {
				// The server's own goroutines run under the detector too;
				// a report in a process's output fails its test.
				args = append(args, "-race")
			}
			out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
			if err != nil {
				fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
				return 1
			}
		}
		return m.Run()
	}()
	os.Exit(code)
}

// needBinary skips a test that runs the mitreden binary when TestMain did
// not build it, which is under -short.
func needBinary(t *testing.T) {
	t.Helper()
	if binPath == "" {
		t.Skip("runs the mitreden binary, which is not built under go test -short")
	}
}

// raceDetector is set when the tests run with -race (race_test.go).
var raceDetector bool

// noRaceReport fails the test when a process built with -race reported a
// data race in its output.
func noRaceReport(t *testing.T, output string) {
	t.Helper()
	if i := strings.Index(output, "WARNING: DATA RACE"); i >= 0 {
		t.Errorf("the mitreden process reported a data race:\n%s", output[i:])
	}
}

func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// runCLI runs one verb in-process with env as the only environment.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	return runCLIContext(t, context.Background(), env, stdin, args...)
}

func runCLIContext(t *testing.T, ctx context.Context, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, args, strings.NewReader(stdin), &out, &errb, envFunc(env))
	return code, out.String(), errb.String()
}

// syncBuffer is a bytes.Buffer a child process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is a running `mitreden serve` process.
type server struct {
	cmd    *exec.Cmd
	base   string
	stderr *syncBuffer
	exited chan struct{} // closed when the process has been waited for
	err    error         // the Wait result, valid once exited is closed

	mu   sync.Mutex
	rids []string // X-Request-Id of every answer the test received
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

// baseEnv is the environment of a test process: no MITREDEN_/MONGODB_/MEILI_
// settings leak in from the developer's shell.
func baseEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "MITREDEN_") || strings.HasPrefix(kv, "MONGODB_") || strings.HasPrefix(kv, "MEILI_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// startServer starts `mitreden serve` on a free port and waits for /healthz.
// The process is killed when the test ends if it is still running.
func startServer(t *testing.T, dataDir string, extraEnv ...string) *server {
	t.Helper()
	return startServerArgs(t, dataDir, []string{"serve"}, extraEnv...)
}

// startServerArgs is startServer with the binary's arguments given.
func startServerArgs(t *testing.T, dataDir string, args []string, extraEnv ...string) *server {
	t.Helper()
	needBinary(t)
	addr := freePort(t)
	cmd := exec.Command(binPath, args...)
	cmd.Env = baseEnv(append([]string{"MITREDEN_DATA_DIR=" + dataDir, "MITREDEN_ADDR=" + addr,
		"MITREDEN_BASE_URL=http://" + addr, "MITREDEN_REGISTER_MAX_PER_IP=1000", "MITREDEN_LOGIN_MAX_PER_IP=1000",
		// Tests write from one address faster than people do.
		"MITREDEN_WRITE_MAX_PER_IP=100000", "MITREDEN_COMMENT_MAX_PER_MINUTE=100000", "MITREDEN_PROPOSAL_MAX_PER_DAY=100000",
		// People these tests register take part at once (no mail to verify).
		"MITREDEN_VERIFY_EMAIL=false"}, extraEnv...)...)
	s := &server{cmd: cmd, base: "http://" + addr, stderr: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-s.exited
		noRaceReport(t, s.stderr.String())
	})
	// A bound against hangs only: serve --demo seeds first, which takes
	// long with the race detector on a busy machine.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			s.record(resp)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		select {
		case <-s.exited:
			t.Fatalf("server exited during start-up: %v\n%s", s.err, s.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %s", s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) record(resp *http.Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rids = append(s.rids, resp.Header.Get("X-Request-Id"))
}

// requestIDs returns the X-Request-Id of every answer received so far.
func (s *server) requestIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.rids...)
}

// do sends req with client (http.DefaultClient when nil), records the
// request id and returns the answer with its body read.
func (s *server) do(t *testing.T, client *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	s.record(resp)
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return resp, b
}

func (s *server) postJSON(t *testing.T, path, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", s.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return s.do(t, nil, req)
}

func (s *server) get(t *testing.T, path string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", s.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.do(t, nil, req)
}

// kill9 kills the process without giving it a chance to flush anything.
func (s *server) kill9(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.exited
}

// registerJSON is the body of POST /api/v1/auth/register.
func registerJSON(email, password string) string {
	// Display names are unique: derive one from the address.
	name := "Testperson " + strings.NewReplacer("@", " ", ".", " ").Replace(email)
	return fmt.Sprintf(`{"email":%q,"password":%q,"display_name":%q}`, email, password, name)
}

func loginJSON(email, password string) string {
	return fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)
}
