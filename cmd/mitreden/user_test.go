package main

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// checkLogin opens the data dir in-process and logs in through the accounts
// service; it returns the error of the login.
func checkLogin(t *testing.T, dataDir, email, password string) error {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = dataDir
	e, err := open(context.Background(), cfg, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	_, err = e.accounts.Login(context.Background(), loginIn(email, password))
	return err
}

// noMessageKeys fails when an operator message shows raw catalogue keys.
func noMessageKeys(t *testing.T, msg string) {
	t.Helper()
	if k := regexp.MustCompile(`\b(error|validation|account)\.[a-z_]+\b`).FindString(msg); k != "" {
		t.Errorf("message shows the untranslated key %q: %q", k, msg)
	}
}

func TestUserCreate_PasswordFromStdinWithRepeatedRoles(t *testing.T) {
	env := map[string]string{"MITREDEN_DATA_DIR": t.TempDir()}
	const pw = "Kartoffelsalat mit Gurke"
	code, out, stderr := runCLI(t, env, pw+"\n", "user", "create", "--email", "admin@example.org", "--name", "Admina",
		"--role", "admin", "--role", "council", "--password-stdin")
	if code != 0 || !strings.Contains(out, "admin@example.org") || !strings.Contains(out, "citizen,council,admin") {
		t.Fatalf("create: %d %q %q", code, out, stderr)
	}
	if strings.Contains(out, pw) || strings.Contains(out, "password") {
		t.Fatalf("a password given on stdin must not be printed: %q", out)
	}
	if err := checkLogin(t, env["MITREDEN_DATA_DIR"], "admin@example.org", pw); err != nil {
		t.Fatalf("login with the stdin password: %v", err)
	}
	if err := checkLogin(t, env["MITREDEN_DATA_DIR"], "admin@example.org", pw+"!"); mitreden.ErrorCode(err) != mitreden.EUNAUTHORIZED {
		t.Fatalf("login with a wrong password: %v", err)
	}
}

func TestUserCreate_GeneratedPasswordIsShownOnceAndWorks(t *testing.T) {
	env := map[string]string{"MITREDEN_DATA_DIR": t.TempDir()}
	code, out, stderr := runCLI(t, env, "", "user", "create", "--email", "gen@example.org", "--name", "Generiert")
	if code != 0 {
		t.Fatalf("create: %d %q", code, stderr)
	}
	m := regexp.MustCompile(`(?m)^password \(shown once\): (\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no generated password in %q", out)
	}
	pw := m[1]
	if strings.Count(out, pw) != 1 || len(pw) < 16 {
		t.Fatalf("generated password %q must be long and printed exactly once: %q", pw, out)
	}
	if err := checkLogin(t, env["MITREDEN_DATA_DIR"], "gen@example.org", pw); err != nil {
		t.Fatalf("the generated password does not log in: %v", err)
	}
	// A second generated password differs (it is random, not derived).
	_, out2, _ := runCLI(t, env, "", "user", "create", "--email", "gen2@example.org", "--name", "Generiert 2")
	if strings.Contains(out2, pw) {
		t.Fatalf("two generated passwords are equal")
	}
}

func TestUserCreate_Refusals(t *testing.T) {
	env := map[string]string{"MITREDEN_DATA_DIR": t.TempDir()}
	if code, _, stderr := runCLI(t, env, "Kartoffelsalat mit Gurke\n", "user", "create", "--email", "taken@example.org",
		"--name", "Erste", "--password-stdin"); code != 0 {
		t.Fatalf("create: %s", stderr)
	}
	cases := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"bad role", "", []string{"--email", "r@example.org", "--name", "Rolle", "--role", "king"}, 2, `unknown role "king"`},
		{"no email", "", []string{"--name", "Niemand"}, 2, "--email"},
		{"no name", "", []string{"--email", "n@example.org"}, 2, "--name"},
		{"common password", "passwort123456\n", []string{"--email", "weak@example.org", "--name", "Schwach", "--password-stdin"}, 1,
			"password: This password is too common"},
		{"short password", "kurz\n", []string{"--email", "short@example.org", "--name", "Kurz", "--password-stdin"}, 1,
			"password: The password must be 12 to 128 characters long"},
		{"empty stdin", "", []string{"--email", "empty@example.org", "--name", "Leer", "--password-stdin"}, 1, "no password on standard input"},
		{"bad email", "", []string{"--email", "not-an-email", "--name", "Falsch"}, 1, "email: Please enter a valid email address"},
		{"duplicate email", "", []string{"--email", "TAKEN@example.org", "--name", "Zweite"}, 1, "There is already an account with this email address"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, env, tc.stdin, append([]string{"user", "create"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.want)
			}
			if strings.Contains(out, "created") {
				t.Fatalf("refused create printed %q", out)
			}
			noMessageKeys(t, stderr)
			if tc.stdin != "" && strings.Contains(stderr, strings.TrimSpace(tc.stdin)) {
				t.Errorf("the message echoes the password: %q", stderr)
			}
		})
	}
	_, out, _ := runCLI(t, env, "", "user", "list")
	if strings.Count(out, "@example.org") != 1 {
		t.Fatalf("refused creates left users behind:\n%s", out)
	}
}

func TestUserGrantRevokeList(t *testing.T) {
	env := map[string]string{"MITREDEN_DATA_DIR": t.TempDir()}
	for _, u := range [][]string{{"admin@example.org", "Admina", "admin"}, {"mod@example.org", "Moderato", "citizen"}} {
		if code, _, stderr := runCLI(t, env, "", "user", "create", "--email", u[0], "--name", u[1], "--role", u[2]); code != 0 {
			t.Fatalf("create %s: %s", u[0], stderr)
		}
	}
	listed := func(args ...string) string {
		t.Helper()
		code, out, stderr := runCLI(t, env, "", append([]string{"user", "list"}, args...)...)
		if code != 0 || !strings.HasPrefix(out, "ID") {
			t.Fatalf("list %v: %d %q %q", args, code, out, stderr)
		}
		return out
	}
	if out := listed(); !strings.Contains(out, "admin@example.org") || !strings.Contains(out, "mod@example.org") {
		t.Fatalf("list all:\n%s", out)
	}
	if out := listed("--role", "moderator"); strings.Contains(out, "@") {
		t.Fatalf("nobody is a moderator yet:\n%s", out)
	}

	code, out, stderr := runCLI(t, env, "", "user", "grant", "--email", "MOD@example.org", "--role", "moderator")
	if code != 0 || out != "mod@example.org now has roles citizen,moderator\n" {
		t.Fatalf("grant: %d %q %q", code, out, stderr)
	}
	if out := listed("--role", "moderator"); !strings.Contains(out, "mod@example.org") || strings.Contains(out, "admin@example.org") {
		t.Fatalf("list moderators after grant:\n%s", out)
	}
	if out := listed("--role", "admin"); !strings.Contains(out, "admin@example.org") || strings.Contains(out, "mod@example.org") {
		t.Fatalf("list admins:\n%s", out)
	}

	code, out, stderr = runCLI(t, env, "", "user", "revoke", "--email", "mod@example.org", "--role", "moderator")
	if code != 0 || out != "mod@example.org now has roles citizen\n" {
		t.Fatalf("revoke: %d %q %q", code, out, stderr)
	}
	if out := listed("--role", "moderator"); strings.Contains(out, "mod@example.org") {
		t.Fatalf("still a moderator after revoke:\n%s", out)
	}

	code, _, stderr = runCLI(t, env, "", "user", "grant", "--email", "nobody@example.org", "--role", "admin")
	if code != 1 || !strings.Contains(stderr, "no user with email nobody@example.org") {
		t.Fatalf("grant to unknown user: %d %q", code, stderr)
	}
	for _, args := range [][]string{
		{"user"},
		{"user", "frob"},
		{"user", "grant", "--email", "mod@example.org"},
		{"user", "grant", "--email", "mod@example.org", "--role", "admin", "--role", "council"},
		{"user", "revoke", "--role", "admin"},
		{"user", "list", "--role", "emperor"},
	} {
		if code, _, stderr := runCLI(t, env, "", args...); code != 2 || stderr == "" {
			t.Errorf("%v: exit %d %q, want 2 with a message", args, code, stderr)
		}
	}
}

// userState opens the data dir in-process and reads the account by address.
func userState(t *testing.T, dataDir, email string) *mitreden.User {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = dataDir
	e, err := open(context.Background(), cfg, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	u, err := e.accounts.FindUserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUserVerify_MarksAnUnverifiedAccountVerified(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"MITREDEN_DATA_DIR": dir}
	// A person registered themselves, and their verification mail never came.
	cfg := DefaultConfig()
	cfg.DataDir = dir
	e, err := open(context.Background(), cfg, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.accounts.Register(context.Background(), service.RegisterInput{Email: "ohne.post@example.org",
		Password: "Kartoffelsalat mit Gurke", DisplayName: "Ohne Post"}, ""); err != nil {
		t.Fatal(err)
	}
	e.close()
	if !userState(t, dir, "ohne.post@example.org").Unverified {
		t.Fatal("a self-registered account starts unverified")
	}

	code, out, stderr := runCLI(t, env, "", "user", "verify", "OHNE.POST@example.org")
	if code != 0 || out != "ohne.post@example.org is now verified\n" {
		t.Fatalf("verify: %d %q %q", code, out, stderr)
	}
	if u := userState(t, dir, "ohne.post@example.org"); u.Unverified || u.VerifiedAt.IsZero() {
		t.Fatalf("still unverified after verify: %+v", u)
	}
	// Again, with the address after a flag: nothing to do, and it says so.
	code, out, stderr = runCLI(t, env, "", "user", "verify", "--data-dir", dir, "ohne.post@example.org")
	if code != 0 || out != "ohne.post@example.org was already verified\n" {
		t.Fatalf("verify again: %d %q %q", code, out, stderr)
	}

	code, _, stderr = runCLI(t, env, "", "user", "verify", "niemand@example.org")
	if code != 1 || !strings.Contains(stderr, "no user with email niemand@example.org") {
		t.Fatalf("verify an unknown address: %d %q", code, stderr)
	}
	for _, args := range [][]string{
		{"user", "verify"},
		{"user", "verify", "a@example.org", "b@example.org"},
	} {
		if code, _, stderr := runCLI(t, env, "", args...); code != 2 || stderr == "" {
			t.Errorf("%v: exit %d %q, want 2 with a message", args, code, stderr)
		}
	}
}
