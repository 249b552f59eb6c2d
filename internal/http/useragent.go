package http

import (
	"strings"
	"time"
)

// userAgentBrowsers are checked in order: many browsers also name the ones
// they derive from (Edge says "Chrome" and "Safari", Chrome says "Safari"),
// so the more specific token comes first.
var userAgentBrowsers = []struct{ token, name string }{
	{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"}, {"Edge/", "Edge"},
	{"OPR/", "Opera"}, {"OPiOS/", "Opera"}, {"Opera", "Opera"},
	{"SamsungBrowser/", "Samsung Internet"}, {"Vivaldi/", "Vivaldi"}, {"YaBrowser/", "Yandex"},
	{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
	{"CriOS/", "Chrome"}, {"HeadlessChrome/", "Chrome"}, {"Chromium/", "Chromium"}, {"Chrome/", "Chrome"},
	{"Safari/", "Safari"}, {"Trident/", "Internet Explorer"}, {"MSIE ", "Internet Explorer"},
}

// userAgentSystems are checked in order: Android and ChromeOS say "Linux",
// iPhones say "like Mac OS X".
var userAgentSystems = []struct{ token, name string }{
	{"Windows", "Windows"}, {"Android", "Android"}, {"iPhone", "iOS"}, {"iPod", "iOS"}, {"iPad", "iPadOS"},
	{"CrOS", "ChromeOS"}, {"Mac OS X", "macOS"}, {"Macintosh", "macOS"},
	{"Ubuntu", "Linux"}, {"Fedora", "Linux"}, {"Linux", "Linux"}, {"X11", "Linux"}, {"FreeBSD", "FreeBSD"},
}

// parseUserAgent names the browser and operating system of a User-Agent
// header well enough for a person to recognise their own device; "" where
// it cannot tell. A client that is not a browser (curl, an app) is named by
// its first product token. Only a list of well-known tokens is read, so no
// dependency and no database of versions is needed.
func parseUserAgent(ua string) (browser, system string) {
	for _, s := range userAgentSystems {
		if strings.Contains(ua, s.token) {
			system = s.name
			break
		}
	}
	for _, b := range userAgentBrowsers {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	if browser == "Safari" && !strings.Contains(ua, "Version/") && system != "iOS" && system != "iPadOS" && system != "macOS" {
		browser = "" // Safari's token without Safari's marks: some embedded view
	}
	if browser == "" && !strings.HasPrefix(ua, "Mozilla/") {
		browser = productName(ua)
	}
	return browser, system
}

// productName is the name of a User-Agent's first product token ("curl" of
// "curl/8.5.0"), if it looks like a name: short, letters, digits and - . _.
func productName(ua string) string {
	name, _, _ := strings.Cut(strings.TrimSpace(ua), "/")
	name, _, _ = strings.Cut(name, " ")
	if name == "" || len(name) > 30 {
		return ""
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return ""
		}
	}
	return name
}

// describeDevice says in lang which browser on which system a session came
// from ("Firefox auf Linux").
func (c *Catalog) describeDevice(lang, ua string) string {
	browser, system := parseUserAgent(ua)
	switch {
	case browser != "" && system != "":
		return c.T(lang, "profile.device", map[string]any{"browser": browser, "system": system})
	case browser != "":
		return browser
	case system != "":
		return c.T(lang, "profile.device_unknown_browser", map[string]any{"system": system})
	}
	return c.T(lang, "profile.device_unknown", nil)
}

// timeAgo says in lang how long before now t was ("vor 5 Minuten").
func (c *Catalog) timeAgo(lang string, t, now time.Time) string {
	d := now.Sub(t)
	n := func(unit time.Duration) map[string]any { return map[string]any{"n": int(d / unit)} }
	switch {
	case d < time.Minute:
		return c.T(lang, "time.just_now", nil)
	case d < 2*time.Minute:
		return c.T(lang, "time.minute_ago", nil)
	case d < time.Hour:
		return c.T(lang, "time.minutes_ago", n(time.Minute))
	case d < 2*time.Hour:
		return c.T(lang, "time.hour_ago", nil)
	case d < 24*time.Hour:
		return c.T(lang, "time.hours_ago", n(time.Hour))
	case d < 48*time.Hour:
		return c.T(lang, "time.day_ago", nil)
	}
	return c.T(lang, "time.days_ago", n(24*time.Hour))
}
