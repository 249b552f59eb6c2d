package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config holds every operator setting. Defaults come first, then environment
// variables, then flags; Validate names the first bad setting.
type Config struct {
	Addr           string
	BaseURL        string
	DataDir        string
	MongoURI       string
	MongoDatabase  string
	MeiliURL       string
	MeiliAPIKey    string
	TrustedProxies []string
	ContactEmail   string // feedback contact of the accessibility statement; defaults to Operator.Email
	Secret         string
	LogLevel       string
	// PprofAddr, when set, serves net/http/pprof there (loopback only), to
	// profile a running server.
	PprofAddr string

	// Operator holds the facts the imprint, privacy notice and accessibility
	// statement state (config_legal.go).
	Operator OperatorSettings

	LoginMaxPerAccount int
	LoginMaxPerIP      int
	LoginWindow        time.Duration
	RegisterMaxPerIP   int
	// VerifyEmail makes self-registered accounts confirm their address
	// before they propose, comment or vote (MITREDEN_VERIFY_EMAIL).
	VerifyEmail bool
	// CommentMaxPerMinute, ProposalMaxPerDay and WriteMaxPerIP are the
	// automatic guards on writing (service.GuardsConfig).
	CommentMaxPerMinute int
	ProposalMaxPerDay   int
	WriteMaxPerIP       int
	// ReportHideThreshold is how many reports from distinct people hide a
	// contribution pending review; HoldWords hold a contribution that
	// contains one of them for review (service.ModerationConfig).
	ReportHideThreshold int
	HoldWords           []string
	// CouncilQuorumPercent is the share of all council members that must
	// have voted, more than it, for a vote on a recommendation to count
	// (service.CouncilConfig).
	CouncilQuorumPercent int
	// DigestHour is the hour (Europe/Berlin) the daily notification
	// digest goes out, and on Mondays the weekly one
	// (service.NotificationsConfig).
	DigestHour int
	// LateEntryDays is how many days after a consultation closed staff may
	// still enter what was received before the close (service.Assisted).
	LateEntryDays   int
	SessionIdle     time.Duration
	SessionAbsolute time.Duration
	// SMTPURL is the mail server (smtp:// with STARTTLS, smtps:// with
	// implicit TLS); empty delivers into the outbox in the data dir.
	// MailFrom is the From address (mail.go).
	SMTPURL  string
	MailFrom string
}

// DefaultConfig returns the settings for a local pilot.
func DefaultConfig() Config {
	return Config{
		Addr: "127.0.0.1:8080", BaseURL: "http://127.0.0.1:8080", DataDir: "./data", MongoDatabase: "mitreden",
		LogLevel: "info", Operator: OperatorSettings{EnforcementBody: DefaultEnforcementBody},
		LoginMaxPerAccount: 5, LoginMaxPerIP: 20, LoginWindow: 15 * time.Minute, RegisterMaxPerIP: 10, VerifyEmail: true,
		CommentMaxPerMinute: 5, ProposalMaxPerDay: 10, WriteMaxPerIP: 100, ReportHideThreshold: 3, CouncilQuorumPercent: 50,
		DigestHour: 7, LateEntryDays: 14, SessionIdle: 30 * time.Minute, SessionAbsolute: 12 * time.Hour,
	}
}

// envSetting binds one environment variable to a config field.
type envSetting struct {
	name string
	set  func(c *Config, v string) error
}

func setInt(p func(c *Config) *int) func(c *Config, v string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return errors.New("must be a whole number")
		}
		*p(c) = n
		return nil
	}
}

func setDuration(p func(c *Config) *time.Duration) func(c *Config, v string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return errors.New("must be a duration such as 15m or 12h")
		}
		*p(c) = d
		return nil
	}
}

func setString(p func(c *Config) *string) func(c *Config, v string) error {
	return func(c *Config, v string) error { *p(c) = v; return nil }
}

// envSettings lists every environment variable the binary reads.
var envSettings = []envSetting{
	{"MITREDEN_ADDR", setString(func(c *Config) *string { return &c.Addr })},
	{"MITREDEN_BASE_URL", setString(func(c *Config) *string { return &c.BaseURL })},
	{"MITREDEN_DATA_DIR", setString(func(c *Config) *string { return &c.DataDir })},
	{"MONGODB_URI", setString(func(c *Config) *string { return &c.MongoURI })},
	{"MONGODB_DATABASE", setString(func(c *Config) *string { return &c.MongoDatabase })},
	{"MEILI_URL", setString(func(c *Config) *string { return &c.MeiliURL })},
	{"MEILI_API_KEY", setString(func(c *Config) *string { return &c.MeiliAPIKey })},
	{"MITREDEN_CONTACT_EMAIL", setString(func(c *Config) *string { return &c.ContactEmail })},
	{"MITREDEN_OPERATOR_NAME", setString(func(c *Config) *string { return &c.Operator.Name })},
	{"MITREDEN_OPERATOR_ADDRESS", setString(func(c *Config) *string { return &c.Operator.Address })},
	{"MITREDEN_OPERATOR_PHONE", setString(func(c *Config) *string { return &c.Operator.Phone })},
	{"MITREDEN_OPERATOR_EMAIL", setString(func(c *Config) *string { return &c.Operator.Email })},
	{"MITREDEN_DATA_PROTECTION_OFFICER", setString(func(c *Config) *string { return &c.Operator.DataProtectionOfficer })},
	{"MITREDEN_SUPERVISORY_AUTHORITY", setString(func(c *Config) *string { return &c.Operator.SupervisoryAuthority })},
	{"MITREDEN_ACCESSIBILITY_REVIEWED", setString(func(c *Config) *string { return &c.Operator.AccessibilityReviewed })},
	{"MITREDEN_ACCESSIBILITY_BARRIERS", setString(func(c *Config) *string { return &c.Operator.KnownBarriers })},
	{"MITREDEN_ENFORCEMENT_BODY", setString(func(c *Config) *string { return &c.Operator.EnforcementBody })},
	{"MITREDEN_SECRET", setString(func(c *Config) *string { return &c.Secret })},
	{"MITREDEN_LOG_LEVEL", setString(func(c *Config) *string { return &c.LogLevel })},
	{"MITREDEN_PPROF_ADDR", setString(func(c *Config) *string { return &c.PprofAddr })},
	{"MITREDEN_TRUSTED_PROXIES", func(c *Config, v string) error {
		c.TrustedProxies = nil
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
		}
		return nil
	}},
	{"MITREDEN_LOGIN_MAX_PER_ACCOUNT", setInt(func(c *Config) *int { return &c.LoginMaxPerAccount })},
	{"MITREDEN_LOGIN_MAX_PER_IP", setInt(func(c *Config) *int { return &c.LoginMaxPerIP })},
	{"MITREDEN_LOGIN_WINDOW", setDuration(func(c *Config) *time.Duration { return &c.LoginWindow })},
	{"MITREDEN_REGISTER_MAX_PER_IP", setInt(func(c *Config) *int { return &c.RegisterMaxPerIP })},
	{"MITREDEN_VERIFY_EMAIL", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("must be true or false")
		}
		c.VerifyEmail = b
		return nil
	}},
	{"MITREDEN_COMMENT_MAX_PER_MINUTE", setInt(func(c *Config) *int { return &c.CommentMaxPerMinute })},
	{"MITREDEN_PROPOSAL_MAX_PER_DAY", setInt(func(c *Config) *int { return &c.ProposalMaxPerDay })},
	{"MITREDEN_WRITE_MAX_PER_IP", setInt(func(c *Config) *int { return &c.WriteMaxPerIP })},
	{"MITREDEN_REPORT_HIDE_THRESHOLD", setInt(func(c *Config) *int { return &c.ReportHideThreshold })},
	{"MITREDEN_HOLD_WORDS", func(c *Config, v string) error {
		c.HoldWords = nil
		for _, w := range strings.Split(v, ",") {
			if w = strings.TrimSpace(w); w != "" {
				c.HoldWords = append(c.HoldWords, w)
			}
		}
		return nil
	}},
	{"MITREDEN_COUNCIL_QUORUM_PERCENT", setInt(func(c *Config) *int { return &c.CouncilQuorumPercent })},
	{"MITREDEN_DIGEST_HOUR", setInt(func(c *Config) *int { return &c.DigestHour })},
	{"MITREDEN_LATE_ENTRY_DAYS", setInt(func(c *Config) *int { return &c.LateEntryDays })},
	{"MITREDEN_SESSION_IDLE", setDuration(func(c *Config) *time.Duration { return &c.SessionIdle })},
	{"MITREDEN_SESSION_ABSOLUTE", setDuration(func(c *Config) *time.Duration { return &c.SessionAbsolute })},
	{"MITREDEN_SMTP_URL", setString(func(c *Config) *string { return &c.SMTPURL })},
	{"MITREDEN_MAIL_FROM", setString(func(c *Config) *string { return &c.MailFrom })},
}

// LoadEnv applies environment variables to c.
func (c *Config) LoadEnv(getenv func(string) string) error {
	for _, s := range envSettings {
		if v := getenv(s.name); v != "" {
			if err := s.set(c, v); err != nil {
				return fmt.Errorf("setting %s=%q: %v", s.name, v, err)
			}
		}
	}
	return nil
}

// Flags registers the common flags on fs.
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (MITREDEN_ADDR)")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public URL (MITREDEN_BASE_URL)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "data directory (MITREDEN_DATA_DIR)")
}

// Validate checks every setting and names the bad one.
func (c *Config) Validate() error {
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		return fmt.Errorf("setting MITREDEN_ADDR=%q: must be host:port, e.g. 127.0.0.1:8080", c.Addr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("setting MITREDEN_ADDR=%q: port %q is not a number from 0 to 65535", c.Addr, port)
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return fmt.Errorf("setting MITREDEN_BASE_URL=%q: must be an absolute http(s) URL without a path, query or fragment", c.BaseURL)
	}
	c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	if c.DataDir == "" {
		return errors.New("setting MITREDEN_DATA_DIR: must not be empty")
	}
	if c.MongoURI != "" && !strings.HasPrefix(c.MongoURI, "mongodb://") && !strings.HasPrefix(c.MongoURI, "mongodb+srv://") {
		return errors.New("setting MONGODB_URI: must start with mongodb:// or mongodb+srv://")
	}
	if c.MongoDatabase == "" || strings.ContainsAny(c.MongoDatabase, `/\. "$`) || len(c.MongoDatabase) > 60 {
		return fmt.Errorf("setting MONGODB_DATABASE=%q: must be a plain name without / \\ . space \" $", c.MongoDatabase)
	}
	if c.MeiliURL != "" {
		if mu, err := url.Parse(c.MeiliURL); err != nil || (mu.Scheme != "http" && mu.Scheme != "https") || mu.Host == "" {
			return fmt.Errorf("setting MEILI_URL=%q: must be an http(s) URL", c.MeiliURL)
		}
		// The Meilisearch index is named after the database; index names
		// allow fewer characters than database names.
		if strings.IndexFunc(c.MongoDatabase, func(r rune) bool {
			return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '_'
		}) >= 0 {
			return fmt.Errorf("setting MONGODB_DATABASE=%q: with MEILI_URL it names the search index too, so only letters a-z, digits, - and _", c.MongoDatabase)
		}
	}
	for _, p := range c.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return fmt.Errorf("setting MITREDEN_TRUSTED_PROXIES: %q is neither an IP address nor a CIDR range", p)
			}
		}
	}
	if c.Secret != "" && len(c.Secret) < 32 {
		return errors.New("setting MITREDEN_SECRET: must be at least 32 characters")
	}
	for name, n := range map[string]int{"MITREDEN_LOGIN_MAX_PER_ACCOUNT": c.LoginMaxPerAccount,
		"MITREDEN_LOGIN_MAX_PER_IP": c.LoginMaxPerIP, "MITREDEN_REGISTER_MAX_PER_IP": c.RegisterMaxPerIP,
		"MITREDEN_COMMENT_MAX_PER_MINUTE": c.CommentMaxPerMinute, "MITREDEN_PROPOSAL_MAX_PER_DAY": c.ProposalMaxPerDay,
		"MITREDEN_WRITE_MAX_PER_IP": c.WriteMaxPerIP, "MITREDEN_REPORT_HIDE_THRESHOLD": c.ReportHideThreshold} {
		if n < 1 {
			return fmt.Errorf("setting %s=%d: must be at least 1", name, n)
		}
	}
	if c.LateEntryDays < 0 || c.LateEntryDays > 365 {
		return fmt.Errorf("setting MITREDEN_LATE_ENTRY_DAYS=%d: must be from 0 to 365 (days after the close in which letters received before it may be entered)", c.LateEntryDays)
	}
	if c.DigestHour < 1 || c.DigestHour > 23 {
		return fmt.Errorf("setting MITREDEN_DIGEST_HOUR=%d: must be from 1 to 23 (the hour in Europe/Berlin the notification digests go out)", c.DigestHour)
	}
	if c.CouncilQuorumPercent < 1 || c.CouncilQuorumPercent > 99 {
		return fmt.Errorf("setting MITREDEN_COUNCIL_QUORUM_PERCENT=%d: must be from 1 to 99 (more than this share of all members must vote)", c.CouncilQuorumPercent)
	}
	for name, d := range map[string]time.Duration{"MITREDEN_LOGIN_WINDOW": c.LoginWindow,
		"MITREDEN_SESSION_IDLE": c.SessionIdle, "MITREDEN_SESSION_ABSOLUTE": c.SessionAbsolute} {
		if d < time.Second {
			return fmt.Errorf("setting %s=%s: must be at least 1s", name, d)
		}
	}
	if c.PprofAddr != "" {
		// Profiles reveal memory contents: never outside the machine.
		if h, _, err := net.SplitHostPort(c.PprofAddr); err != nil || !net.ParseIP(h).IsLoopback() {
			return fmt.Errorf("setting MITREDEN_PPROF_ADDR=%q: must be a loopback host:port, e.g. 127.0.0.1:6060", c.PprofAddr)
		}
	}
	if c.ContactEmail != "" {
		if err := checkEmail(c.ContactEmail); err != nil {
			return fmt.Errorf("setting MITREDEN_CONTACT_EMAIL=%q: %v", c.ContactEmail, err)
		}
	}
	if err := c.Operator.validate(); err != nil {
		return err
	}
	if err := c.validateMail(); err != nil {
		return err
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("setting MITREDEN_LOG_LEVEL=%q: must be debug, info, warn or error", c.LogLevel)
	}
	return nil
}

// LoadSecret returns MITREDEN_SECRET, or the secret generated once into the
// data dir (so restarts keep CSRF tokens valid).
func (c *Config) LoadSecret() ([]byte, error) {
	if c.Secret != "" {
		return []byte(c.Secret), nil
	}
	path := filepath.Join(c.DataDir, "secret.key")
	if b, err := os.ReadFile(path); err == nil && len(b) >= 64 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, err
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return nil, err
	}
	s := hex.EncodeToString(buf)
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return nil, err
	}
	return []byte(s), nil
}
