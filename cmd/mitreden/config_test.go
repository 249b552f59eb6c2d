package main

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// cancelled is a context that is already done: a verb that got past
// validation fails at once (exit 1) instead of serving.
func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestConfig_BadSettingExits2AndNamesIt(t *testing.T) {
	cases := []struct {
		name, value string
		secret      string // a part of value that must not be echoed
	}{
		{name: "MITREDEN_ADDR", value: "no-port"},
		{name: "MITREDEN_ADDR", value: "127.0.0.1:"},
		{name: "MITREDEN_ADDR", value: "127.0.0.1:http"},
		{name: "MITREDEN_ADDR", value: "127.0.0.1:99999"},
		{name: "MITREDEN_BASE_URL", value: "http://example.org/beteiligung"},
		{name: "MITREDEN_BASE_URL", value: "ftp://example.org"},
		{name: "MITREDEN_BASE_URL", value: "javascript:alert(1)"},
		{name: "MITREDEN_BASE_URL", value: "example.org"},
		{name: "MITREDEN_BASE_URL", value: "https://example.org/?lang=de"},
		{name: "MONGODB_URI", value: "postgres://admin:hunter2hunter2@db/mitreden", secret: "hunter2hunter2"},
		{name: "MONGODB_URI", value: "localhost:27017"},
		{name: "MONGODB_DATABASE", value: "mit$reden"},
		{name: "MONGODB_DATABASE", value: "mit.reden"},
		{name: "MONGODB_DATABASE", value: "mit reden"},
		{name: "MONGODB_DATABASE", value: strings.Repeat("m", 61)},
		{name: "MEILI_URL", value: "not a url"},
		{name: "MEILI_URL", value: "ftp://meili:7700"},
		{name: "MITREDEN_TRUSTED_PROXIES", value: "10.0.0.1, banana"},
		{name: "MITREDEN_TRUSTED_PROXIES", value: "10.0.0.0/33"},
		{name: "MITREDEN_SECRET", value: "kurz-und-geheim", secret: "kurz-und-geheim"},
		{name: "MITREDEN_SECRET", value: strings.Repeat("g", 31), secret: strings.Repeat("g", 31)},
		{name: "MITREDEN_LOGIN_MAX_PER_ACCOUNT", value: "five"},
		{name: "MITREDEN_LOGIN_MAX_PER_ACCOUNT", value: "0"},
		{name: "MITREDEN_LOGIN_MAX_PER_IP", value: "0"},
		{name: "MITREDEN_LOGIN_MAX_PER_IP", value: "-3"},
		{name: "MITREDEN_REGISTER_MAX_PER_IP", value: "0"},
		{name: "MITREDEN_REGISTER_MAX_PER_IP", value: "1.5"},
		{name: "MITREDEN_COMMENT_MAX_PER_MINUTE", value: "0"},
		{name: "MITREDEN_COMMENT_MAX_PER_MINUTE", value: "many"},
		{name: "MITREDEN_PROPOSAL_MAX_PER_DAY", value: "-1"},
		{name: "MITREDEN_WRITE_MAX_PER_IP", value: "0"},
		{name: "MITREDEN_WRITE_MAX_PER_IP", value: "1e6"},
		{name: "MITREDEN_REPORT_HIDE_THRESHOLD", value: "0"},
		{name: "MITREDEN_REPORT_HIDE_THRESHOLD", value: "drei"},
		{name: "MITREDEN_COUNCIL_QUORUM_PERCENT", value: "0"},
		{name: "MITREDEN_COUNCIL_QUORUM_PERCENT", value: "100"},
		{name: "MITREDEN_COUNCIL_QUORUM_PERCENT", value: "half"},
		{name: "MITREDEN_LATE_ENTRY_DAYS", value: "-1"},
		{name: "MITREDEN_LATE_ENTRY_DAYS", value: "366"},
		{name: "MITREDEN_LATE_ENTRY_DAYS", value: "zwei Wochen"},
		{name: "MITREDEN_DIGEST_HOUR", value: "0"},
		{name: "MITREDEN_DIGEST_HOUR", value: "24"},
		{name: "MITREDEN_DIGEST_HOUR", value: "7 Uhr"},
		{name: "MITREDEN_LOGIN_WINDOW", value: "forever"},
		{name: "MITREDEN_LOGIN_WINDOW", value: "15"},
		{name: "MITREDEN_LOGIN_WINDOW", value: "0s"},
		{name: "MITREDEN_SESSION_IDLE", value: "500ms"},
		{name: "MITREDEN_SESSION_IDLE", value: "30 minutes"},
		{name: "MITREDEN_SESSION_ABSOLUTE", value: "-1h"},
		{name: "MITREDEN_PPROF_ADDR", value: "0.0.0.0:6060"},
		{name: "MITREDEN_PPROF_ADDR", value: "localhost"},
		{name: "MITREDEN_LOG_LEVEL", value: "loud"},
		{name: "MITREDEN_LOG_LEVEL", value: "INFO"},
	}
	for _, verb := range [][]string{{"serve"}, {"user", "list"}} {
		for _, tc := range cases {
			t.Run(strings.Join(verb, "_")+"/"+tc.name+"="+tc.value, func(t *testing.T) {
				dataDir := filepath.Join(t.TempDir(), "data")
				env := map[string]string{"MITREDEN_DATA_DIR": dataDir, tc.name: tc.value}
				code, out, stderr := runCLIContext(t, cancelled(), env, "", verb...)
				if code != 2 || !strings.Contains(stderr, tc.name) {
					t.Fatalf("exit %d, stderr %q; want 2 and a message naming %s", code, stderr, tc.name)
				}
				if strings.Count(strings.TrimSpace(stderr), "\n") != 0 || out != "" {
					t.Errorf("want one line on stderr and nothing on stdout, got %q / %q", stderr, out)
				}
				if tc.secret != "" && strings.Contains(stderr, tc.secret) {
					t.Errorf("the message echoes a secret: %q", stderr)
				}
				if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
					t.Errorf("a bad setting must be refused before the data dir is touched (stat: %v)", err)
				}
			})
		}
	}
}

func TestConfig_DefaultsAreValid(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	// All defaults and no environment: validation passes, so a cancelled
	// start fails with 1 (cannot open), not 2 (bad setting).
	code, _, stderr := runCLIContext(t, cancelled(), map[string]string{"MITREDEN_DATA_DIR": t.TempDir()}, "", "user", "list")
	if code == 2 {
		t.Fatalf("defaults rejected as a usage error: %s", stderr)
	}
}

func TestConfig_GoodValuesAreAccepted(t *testing.T) {
	env := map[string]string{
		"MITREDEN_ADDR":                   "[::1]:0",
		"MITREDEN_BASE_URL":               "https://beteiligung.example.de/",
		"MITREDEN_DATA_DIR":               "/var/lib/mitreden",
		"MONGODB_URI":                     "mongodb+srv://cluster.example.net/",
		"MONGODB_DATABASE":                "mitreden_pilot-2",
		"MEILI_URL":                       "http://127.0.0.1:7700",
		"MEILI_API_KEY":                   "key",
		"MITREDEN_TRUSTED_PROXIES":        " 10.0.0.0/8, 192.168.1.1 ,,::1 ",
		"MITREDEN_SECRET":                 strings.Repeat("s", 32),
		"MITREDEN_LOG_LEVEL":              "debug",
		"MITREDEN_PPROF_ADDR":             "127.0.0.1:6060",
		"MITREDEN_LOGIN_MAX_PER_ACCOUNT":  "1",
		"MITREDEN_LOGIN_MAX_PER_IP":       "200",
		"MITREDEN_LOGIN_WINDOW":           "1s",
		"MITREDEN_REGISTER_MAX_PER_IP":    "3",
		"MITREDEN_COMMENT_MAX_PER_MINUTE": "7",
		"MITREDEN_PROPOSAL_MAX_PER_DAY":   "2",
		"MITREDEN_WRITE_MAX_PER_IP":       "1000000",
		"MITREDEN_REPORT_HIDE_THRESHOLD":  "5",
		"MITREDEN_HOLD_WORDS":             " Schwachkopf, ,dumme Sache ",
		"MITREDEN_COUNCIL_QUORUM_PERCENT": "66",
		"MITREDEN_LATE_ENTRY_DAYS":        "7",
		"MITREDEN_DIGEST_HOUR":            "6",
		"MITREDEN_SESSION_IDLE":           "45m",
		"MITREDEN_SESSION_ABSOLUTE":       "24h",
	}
	c := DefaultConfig()
	if err := c.LoadEnv(envFunc(env)); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := Config{
		Addr: "[::1]:0", BaseURL: "https://beteiligung.example.de", DataDir: "/var/lib/mitreden",
		MongoURI: "mongodb+srv://cluster.example.net/", MongoDatabase: "mitreden_pilot-2",
		MeiliURL: "http://127.0.0.1:7700", MeiliAPIKey: "key",
		TrustedProxies: []string{"10.0.0.0/8", "192.168.1.1", "::1"},
		ContactEmail:   DefaultConfig().ContactEmail, Secret: strings.Repeat("s", 32), LogLevel: "debug", PprofAddr: "127.0.0.1:6060",
		Operator:           DefaultConfig().Operator,
		LoginMaxPerAccount: 1, LoginMaxPerIP: 200, LoginWindow: time.Second, RegisterMaxPerIP: 3, VerifyEmail: true,
		CommentMaxPerMinute: 7, ProposalMaxPerDay: 2, WriteMaxPerIP: 1000000,
		ReportHideThreshold: 5, HoldWords: []string{"Schwachkopf", "dumme Sache"}, CouncilQuorumPercent: 66, DigestHour: 6,
		LateEntryDays: 7, SessionIdle: 45 * time.Minute, SessionAbsolute: 24 * time.Hour,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("loaded\n%+v\nwant\n%+v", c, want)
	}
}

func TestConfig_FlagsOverrideEnv(t *testing.T) {
	c := DefaultConfig()
	if err := c.LoadEnv(envFunc(map[string]string{"MITREDEN_ADDR": "127.0.0.1:1111",
		"MITREDEN_BASE_URL": "http://env.example", "MITREDEN_DATA_DIR": "/env"})); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.Flags(fs)
	if err := fs.Parse([]string{"--addr", "127.0.0.1:2222", "--data-dir", "/flag"}); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:2222" || c.DataDir != "/flag" || c.BaseURL != "http://env.example" {
		t.Fatalf("flags did not override env (or overrode unset ones): %+v", c)
	}
}

func TestConfig_FlagsOverrideEnvThroughRun(t *testing.T) {
	// A bad value from the environment is replaced by a good flag...
	env := map[string]string{"MITREDEN_DATA_DIR": t.TempDir(), "MITREDEN_BASE_URL": "ftp://env.example"}
	code, _, stderr := runCLIContext(t, cancelled(), env, "", "serve", "--base-url", "http://flag.example")
	if code == 2 || strings.Contains(stderr, "MITREDEN_BASE_URL") {
		t.Fatalf("flag did not override the env value: exit %d, %q", code, stderr)
	}
	// ...and a bad flag is refused although the environment is fine.
	env["MITREDEN_BASE_URL"] = "http://env.example"
	code, _, stderr = runCLIContext(t, cancelled(), env, "", "serve", "--base-url", "http://flag.example/path")
	if code != 2 || !strings.Contains(stderr, "MITREDEN_BASE_URL") || !strings.Contains(stderr, "flag.example/path") {
		t.Fatalf("bad flag: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCLIContext(t, cancelled(), env, "", "serve", "--addr", "nowhere")
	if code != 2 || !strings.Contains(stderr, "MITREDEN_ADDR") {
		t.Fatalf("bad --addr: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCLIContext(t, cancelled(), env, "", "serve", "--data-dir", "")
	if code != 2 || !strings.Contains(stderr, "MITREDEN_DATA_DIR") {
		t.Fatalf("empty --data-dir: exit %d, %q", code, stderr)
	}
	// --data-dir of a user verb wins over MITREDEN_DATA_DIR: the user lands in the flag's dir.
	flagDir := t.TempDir()
	code, _, stderr = runCLI(t, env, "", "user", "create", "--email", "flag@example.org", "--name", "Flagge", "--data-dir", flagDir)
	if code != 0 {
		t.Fatalf("create with --data-dir: %d %s", code, stderr)
	}
	if _, out, _ := runCLI(t, map[string]string{"MITREDEN_DATA_DIR": flagDir}, "", "user", "list"); !strings.Contains(out, "flag@example.org") {
		t.Fatalf("user not in the --data-dir store: %q", out)
	}
	if _, out, _ := runCLI(t, env, "", "user", "list"); strings.Contains(out, "flag@example.org") {
		t.Fatalf("user landed in MITREDEN_DATA_DIR although --data-dir was given: %q", out)
	}
}

func TestRun_UsageErrors(t *testing.T) {
	if code, out, _ := runCLI(t, nil, ""); code != 0 || !strings.Contains(out, "Usage:") {
		t.Fatalf("no args: %d %q", code, out)
	}
	if code, _, stderr := runCLI(t, nil, "", "frobnicate"); code != 2 || !strings.Contains(stderr, "frobnicate") {
		t.Fatalf("unknown verb: %d %q", code, stderr)
	}
	if code, _, stderr := runCLIContext(t, cancelled(), map[string]string{"MITREDEN_DATA_DIR": t.TempDir()}, "", "serve", "--no-such-flag"); code != 2 || !strings.Contains(stderr, "no-such-flag") {
		t.Fatalf("unknown flag: %d %q", code, stderr)
	}
}

func TestRun_VersionPrints(t *testing.T) {
	code, out, stderr := runCLI(t, nil, "", "version")
	if code != 0 || out != "mitreden "+Version+"\n" || stderr != "" {
		t.Fatalf("version: %d %q %q", code, out, stderr)
	}
}
