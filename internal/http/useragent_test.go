package http

import (
	"testing"
	"time"
)

// TestParseUserAgent reads the User-Agent headers of today's common
// browsers, where each also names the browsers it derives from.
func TestParseUserAgent(t *testing.T) {
	for _, tc := range []struct{ ua, browser, system string }{
		{"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox", "Linux"},
		{"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox", "Linux"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome", "Windows"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67", "Edge", "Windows"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15", "Safari", "macOS"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox", "macOS"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "Safari", "iOS"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1", "Chrome", "iOS"},
		{"Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15", "Firefox", "iPadOS"},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36", "Chrome", "Android"},
		{"Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36", "Samsung Internet", "Android"},
		{"Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0", "Firefox", "Android"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36 OPR/109.0.0.0", "Opera", "Windows"},
		{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome", "ChromeOS"},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36", "Chrome", "Linux"},
		{"Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko", "Internet Explorer", "Windows"},
		{"curl/8.5.0", "curl", ""},
		{"Go-http-client/1.1", "Go-http-client", ""},
		{"", "", ""},
		{"Mozilla/5.0 (compatible)", "", ""},
		{"<script>alert(1)</script>", "", ""},
		{"Mozilla/5.0 (Linux x86_64) AppleWebKit/537.36 Safari/537.36", "", "Linux"},
	} {
		b, s := parseUserAgent(tc.ua)
		if b != tc.browser || s != tc.system {
			t.Errorf("%q: %q on %q, want %q on %q", tc.ua, b, s, tc.browser, tc.system)
		}
	}
}

// TestDescribeDeviceAndTimeAgo checks the words the profile shows in both
// languages, including the singulars.
func TestDescribeDeviceAndTimeAgo(t *testing.T) {
	cat := &Catalog{msgs: map[string]map[string]string{
		"de": {"profile.device": "{browser} auf {system}", "profile.device_unknown_browser": "Browser auf {system}", "profile.device_unknown": "Unbekanntes Gerät",
			"time.just_now": "gerade eben", "time.minute_ago": "vor einer Minute", "time.minutes_ago": "vor {n} Minuten",
			"time.hour_ago": "vor einer Stunde", "time.hours_ago": "vor {n} Stunden", "time.day_ago": "vor einem Tag", "time.days_ago": "vor {n} Tagen"},
	}}
	for ua, want := range map[string]string{
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0": "Firefox auf Linux",
		"curl/8.5.0": "curl",
		"Mozilla/5.0 (Linux x86_64) AppleWebKit/537.36 Safari/537.36": "Browser auf Linux",
		"": "Unbekanntes Gerät",
	} {
		if got := cat.describeDevice("de", ua); got != want {
			t.Errorf("%q: %q, want %q", ua, got, want)
		}
	}
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		-time.Minute: "gerade eben", 30 * time.Second: "gerade eben", 90 * time.Second: "vor einer Minute",
		5*time.Minute + 59*time.Second: "vor 5 Minuten", 61 * time.Minute: "vor einer Stunde", 5 * time.Hour: "vor 5 Stunden",
		30 * time.Hour: "vor einem Tag", 72 * time.Hour: "vor 3 Tagen",
	} {
		if got := cat.timeAgo("de", now.Add(-d), now); got != want {
			t.Errorf("%v ago: %q, want %q", d, got, want)
		}
	}
}

// TestErrorBackLink checks which page an error page leads back to.
func TestErrorBackLink(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		status       int
		href, label  string
	}{
		{"POST", "/proposals/abc123/vote", 409, "/proposals/abc123", "error.back_proposal"},
		{"POST", "/consultations/abc123/comments", 401, "/consultations/abc123", "error.back_consultation"},
		{"GET", "/consultations/abc123/edit", 403, "/consultations/abc123", "error.back_consultation"},
		{"POST", "/comments/c1/edit", 409, "/comments/c1", "error.back_comment"},
		{"POST", "/consultations/abc123", 422, "/consultations/abc123", "error.back_consultation"},
		{"GET", "/consultations/abc123", 403, "", ""},
		{"GET", "/proposals/abc123", 404, "", ""},
		{"POST", "/proposals/abc123/vote", 404, "", ""},
		{"POST", "/proposals/abc123/vote", 500, "", ""},
		{"GET", "/consultations/new", 403, "", ""},
		{"POST", "/consultations", 403, "", ""},
		{"POST", "/proposals/a%22b/vote", 409, "", ""},
		{"POST", "/login", 429, "/login", "error.back_login"},
		{"POST", "/profile/password", 403, "/profile", "error.back_profile"},
		{"POST", "/admin/users/u1/roles", 422, "/admin/users", "error.back_admin_users"},
		{"POST", "/logout", 403, "", ""},
		{"GET", "/admin/users", 403, "", ""},
		{"GET", "/", 400, "", ""},
	} {
		href, label := errorBackLink(tc.method, tc.path, tc.status)
		if href != tc.href || label != tc.label {
			t.Errorf("%s %s %d: %q %q, want %q %q", tc.method, tc.path, tc.status, href, label, tc.href, tc.label)
		}
	}
}
