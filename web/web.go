// Package web holds the server-rendered templates, the message catalogues and
// the static assets (KERN UX styles and fonts, htmx), embedded into the binary.
package web

import "embed"

// Templates holds the html/template files under templates/.
//
//go:embed templates
var Templates embed.FS

// Static holds CSS, fonts and scripts served under /static. The vendor folder
// is filled by scripts/build.sh from the npm packages.
//
//go:embed static
var Static embed.FS

// Mail holds the mail templates under mail/: layout.html and one folder per
// language (see service.Mailer). The files are named one by one, so the
// partials starting with "_" are embedded too.
//
//go:embed mail/layout.html mail/*/*
var Mail embed.FS

// Locales holds one JSON message catalogue per language.
//
//go:embed locales/*.json
var Locales embed.FS
