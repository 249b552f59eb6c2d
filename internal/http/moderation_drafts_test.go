package http_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// Nothing typed is lost on the moderation forms and the results form
// either: sent after the session ended, each comes back with its text and
// its other choices, and a login in the same form sends it.
func TestModerationDrafts_ExpiredSessionKeepsText(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, pw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	admin, _ := e.Accounts.Login(ctx, service.LoginInput{Email: "admin@example.org", Password: pw})
	now := time.Now()
	c := &mitreden.Consultation{Title: "Beteiligung zu Radwegen", Summary: "Wo fehlen sichere Radwege?",
		Body: "Die Stadt plant neue Radwege und fragt nach Ihren Vorschlägen.", OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(72 * time.Hour),
		VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
	closed := &mitreden.Consultation{Title: "Abgeschlossene Beteiligung", Summary: "Eine Beteiligung, die schon vorbei ist.",
		Body: "Die Beteiligung ist beendet, die Ergebnisse folgen.", OpensAt: now.Add(-72 * time.Hour), ClosesAt: now.Add(-time.Hour),
		VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
	for _, cc := range []*mitreden.Consultation{c, closed} {
		if err := e.Participation.CreateConsultation(ctx, admin.User, cc); err != nil {
			t.Fatal(err)
		}
	}
	author, authorPW := e.createUser("autorin@example.org", "Autorin")
	cm, err := e.Participation.AddComment(ctx, author, "consultation", c.ID, mitreden.Comment{Body: "Ein Kommentar zum Prüfen."})
	if err != nil {
		t.Fatal(err)
	}
	hidden, err := e.Participation.AddComment(ctx, author, "consultation", c.ID, mitreden.Comment{Body: "Ein ausgeblendeter Kommentar."})
	if err == nil {
		err = e.Participation.Moderate(ctx, admin.User, mitreden.ActionHide, service.ItemRef{Type: mitreden.ItemComment, ID: hidden.ID}, "Beleidigend")
	}
	if err != nil {
		t.Fatal(err)
	}
	blocked, _ := e.createUser("gesperrt@example.org", "Gesperrt")
	if _, err := e.Participation.Block(ctx, admin.User, blocked.ID, "Spam", time.Time{}); err != nil {
		t.Fatal(err)
	}
	target, _ := e.createUser("ziel@example.org", "Ziel")
	_, modPW := e.createUser("moderation@example.org", "Moderation", mitreden.RoleModerator)
	_, mod2PW := e.createUser("moderation2@example.org", "Moderation Zwei", mitreden.RoleModerator)
	_, mod3PW := e.createUser("moderation3@example.org", "Moderation Drei", mitreden.RoleModerator)
	_, citPW := e.createUser("buergerin@example.org", "Bürgerin")
	_, admin2PW := e.createUser("admin2@example.org", "Admin Zwei", mitreden.RoleAdmin)

	text := "Ein langer Text, der\nnicht verloren gehen darf – mit Umlauten: äöü."
	cases := []struct {
		name, email, pw, page, action, field string
		extra                                url.Values
		wantHidden                           map[string]string
	}{
		{"report", "buergerin@example.org", citPW, "/comments/" + cm.ID + "/report", "/comments/" + cm.ID + "/report", "note",
			url.Values{"reason": {"insulting"}}, map[string]string{"reason": "insulting"}},
		{"queue decision", "moderation@example.org", modPW, "/moderation", "/moderation/items", "reason",
			url.Values{"item": {"comment:" + cm.ID}, "action": {"hide"}}, map[string]string{"item": "comment:" + cm.ID, "action": "hide"}},
		{"block", "moderation2@example.org", mod2PW, "/moderation/users/" + target.ID, "/moderation/users/" + target.ID + "/block", "reason",
			url.Values{"days": {"7"}}, map[string]string{"days": "7"}},
		{"unblock", "moderation3@example.org", mod3PW, "/moderation/users/" + blocked.ID, "/moderation/users/" + blocked.ID + "/unblock", "unblock_reason",
			nil, nil},
		{"appeal", "autorin@example.org", authorPW, "/moderation/appeal/comment/" + hidden.ID, "/moderation/appeal/comment/" + hidden.ID, "note",
			nil, nil},
		{"results", "admin2@example.org", admin2PW, "/consultations/" + closed.ID, "/consultations/" + closed.ID + "/results", "results",
			nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.Now.Store(nil)
			b := e.browser()
			b.loginForm(tc.email, tc.pw)
			tok := b.csrf(tc.page)
			later := time.Now().Add(2 * time.Hour) // away from the desk
			e.Now.Store(&later)
			defer e.Now.Store(nil)
			vals := url.Values{"_csrf": {tok}, tc.field: {text}}
			for k, v := range tc.extra {
				vals[k] = v
			}
			resp, doc := b.post(tc.action, vals)
			form := doc.Find(`form[action="` + tc.action + `"]`)
			if resp.StatusCode != 401 || form.Length() != 1 {
				t.Fatalf("status %d, %d forms: %.300s", resp.StatusCode, form.Length(), doc.Find("main").Text())
			}
			if got := form.Find(`textarea[name="` + tc.field + `"]`).Text(); got != text {
				t.Errorf("text %q, want %q", got, text)
			}
			for name, want := range tc.wantHidden {
				if v, _ := form.Find(`input[type="hidden"][name="` + name + `"]`).Attr("value"); v != want {
					t.Errorf("hidden %s = %q, want %q", name, v, want)
				}
			}
			if form.Find(`input[name="email"]`).Length() != 1 || form.Find(`input[name="password"]`).Length() != 1 {
				t.Fatal("the form offers no login")
			}
			// The login in the same form sends it.
			tok2, _ := form.Find(`input[name="_csrf"]`).Attr("value")
			vals.Set("_csrf", tok2)
			vals.Set("email", tc.email)
			vals.Set("password", tc.pw)
			if resp, doc := b.post(tc.action, vals); resp.StatusCode != 303 {
				t.Fatalf("sent after login: %d %.300s", resp.StatusCode, doc.Find("main").Text())
			}
		})
	}
}
