package service_test

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// noteEnv is moderation's environment with notifications wired to a real
// job runner and mailer on the test's store.
type noteEnv struct {
	*modEnv
	n    *service.Notifications
	mail *testMailer
}

var noteSecret = []byte("0123456789abcdef0123456789abcdef")

func newNotes(t testing.TB) *noteEnv {
	t.Helper()
	e := &noteEnv{modEnv: &modEnv{partEnv: newPart(t)}}
	e.p.SetUsers(e.db.Users())
	e.mail = newTestMailer(t, e.db, e.clk.Now)
	e.n = service.NewNotifications(e.db.Notifications(), e.db.Notifications(), e.db.Participation(), e.db.Users(), e.mail.Jobs, e.mail.Mailer,
		e.clk.Now, slog.New(slog.NewTextHandler(io.Discard, nil)), service.NotificationsConfig{BaseURL: "https://mitreden.example", Secret: noteSecret})
	e.n.Attach(e.p)
	return e
}

// run runs every due job (fan-outs, digests, mails).
func (e *noteEnv) run(t testing.TB) {
	t.Helper()
	if _, err := e.mail.Jobs.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// inbox returns u's notifications, newest first, and the unread count.
func (e *noteEnv) inbox(t testing.TB, u *mitreden.User) ([]*mitreden.Notification, int) {
	t.Helper()
	pg, err := e.n.ReadNotifications(context.Background(), u, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Items) != pg.Total {
		t.Fatalf("%s: %d items but total %d", u.DisplayName, len(pg.Items), pg.Total)
	}
	return pg.Items, pg.Unread
}

func kinds(ns []*mitreden.Notification) string {
	var ks []string
	for _, n := range ns {
		ks = append(ks, n.Kind)
	}
	return strings.Join(ks, ",")
}

func TestNotify_CommentsAndRepliesReachAuthorsButNotTheActor(t *testing.T) {
	e := newNotes(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	anna, bert, cem := e.account(t, "anna"), e.account(t, "bert"), e.account(t, "cem")
	pr := e.proposal(t, c, anna, "Mehr Bänke im Stadtpark")

	own, err := e.p.AddComment(ctx, anna, "proposal", pr.ID, mitreden.Comment{Body: "Meine eigene Ergänzung zum Vorschlag."})
	if err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if ns, _ := e.inbox(t, anna); len(ns) != 0 {
		t.Fatalf("own comment notified the author: %s", kinds(ns))
	}
	bc := e.comment(t, c, pr, bert, "Gute Idee, am besten im Schatten.")
	e.run(t)
	ns, unread := e.inbox(t, anna)
	if kinds(ns) != "comment" || unread != 1 || ns[0].URL != "/comments/"+bc.ID || ns[0].Title != pr.Title || ns[0].ActorName != bert.DisplayName ||
		ns[0].ConsultationTitle != c.Title || ns[0].Excerpt != "Gute Idee, am besten im Schatten." {
		t.Fatalf("author after bert's comment: %s unread %d %+v", kinds(ns), unread, ns)
	}
	// Comments go in the daily digest by default: no mail yet.
	if got := e.mail.mails(anna.Email); len(got) != 0 {
		t.Fatalf("comment mailed at once: %v", got[0].Subject)
	}
	// Anna replies to Bert: Bert hears of it at once, Anna of nothing.
	if _, err := e.p.AddComment(ctx, anna, "proposal", pr.ID, mitreden.Comment{Body: "Danke, das nehme ich auf.", ParentID: bc.ID}); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if ns, _ := e.inbox(t, bert); kinds(ns) != "reply" {
		t.Fatalf("bert: %s", kinds(ns))
	}
	if ns, _ := e.inbox(t, anna); len(ns) != 1 {
		t.Fatalf("anna heard of her own reply: %s", kinds(ns))
	}
	m := e.mail.lastMail(bert.Email)
	if !strings.Contains(m.Subject, "Antwort auf Ihren Kommentar") || !strings.Contains(m.Text, "Konto anna hat auf Ihren Kommentar geantwortet") ||
		!strings.Contains(m.Text, "https://mitreden.example/comments/") || !strings.Contains(m.Text, "Danke, das nehme ich auf.") || !strings.HasPrefix(m.Unsubscribe, "https://mitreden.example/notifications/unsubscribe?") {
		t.Fatalf("reply mail: %q\n%s\n%s", m.Subject, m.Text, m.Unsubscribe)
	}
	// Cem replies to Bert: Bert gets a reply, Anna a comment on her
	// proposal, in one event each.
	if _, err := e.p.AddComment(ctx, cem, "proposal", pr.ID, mitreden.Comment{Body: "Und bitte mit Lehne.", ParentID: bc.ID}); err != nil {
		t.Fatal(err)
	}
	// A reply to one's own comment tells nobody.
	if _, err := e.p.AddComment(ctx, anna, "proposal", pr.ID, mitreden.Comment{Body: "Nachtrag zu meinem Kommentar.", ParentID: own.ID}); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if ns, unread := e.inbox(t, bert); kinds(ns) != "reply,reply" || unread != 2 {
		t.Fatalf("bert: %s unread %d", kinds(ns), unread)
	}
	if ns, _ := e.inbox(t, anna); kinds(ns) != "comment,comment" {
		t.Fatalf("anna: %s", kinds(ns))
	}
	if ns, _ := e.inbox(t, cem); len(ns) != 0 {
		t.Fatalf("cem: %s", kinds(ns))
	}
}

func TestNotify_AnswerReachesAuthorSupportersAndFollowersOnceEvenOnRetry(t *testing.T) {
	e := newNotes(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	author := e.account(t, "autorin")
	pr := e.proposal(t, c, author, "Radweg an der Ringstraße")
	var fans []*mitreden.User
	for _, n := range []string{"s1", "s2", "s3"} {
		u := e.account(t, n)
		if _, err := e.p.Vote(ctx, u, pr.ID, "support"); err != nil {
			t.Fatal(err)
		}
		fans = append(fans, u)
	}
	follower := e.account(t, "f1")
	for _, u := range []*mitreden.User{follower, fans[0]} { // a supporter who follows too
		if err := e.n.Follow(ctx, u, mitreden.FollowProposal, pr.ID); err != nil {
			t.Fatal(err)
		}
	}
	bystander := e.account(t, "x1")
	// The admin supports it too: answering, the admin is the actor.
	admin := e.account(t, "admin", mitreden.RoleAdmin)
	if _, err := e.p.Vote(ctx, admin, pr.ID, "support"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.AnswerProposal(ctx, admin, pr.ID, mitreden.StatusAccepted, "Wird 2027 gebaut."); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	for _, u := range append([]*mitreden.User{author, follower}, fans...) {
		ns, unread := e.inbox(t, u)
		if kinds(ns) != "answer" || unread != 1 || ns[0].Status != mitreden.StatusAccepted || ns[0].URL != "/proposals/"+pr.ID {
			t.Fatalf("%s: %s unread %d", u.DisplayName, kinds(ns), unread)
		}
		if got := e.mail.mails(u.Email); len(got) != 1 || !strings.Contains(got[0].Text, "ist jetzt: angenommen") ||
			!strings.Contains(got[0].Text, "Wird 2027 gebaut.") || !strings.Contains(got[0].HTML, "Wird 2027 gebaut.") {
			t.Fatalf("%s got %d mails", u.DisplayName, len(got))
		}
	}
	for _, u := range []*mitreden.User{bystander, admin} {
		if ns, _ := e.inbox(t, u); len(ns) != 0 {
			t.Fatalf("%s notified: %s", u.DisplayName, kinds(ns))
		}
	}
	// The fan-out runs again (a worker died after its work): nothing twice.
	jobs, err := e.db.Jobs().FindJob(ctx, "notify:"+firstEvent(t, e, author))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.n.HandleNotify(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	for _, u := range append([]*mitreden.User{author, follower}, fans...) {
		if ns, unread := e.inbox(t, u); len(ns) != 1 || unread != 1 {
			t.Fatalf("%s after retry: %d notifications, unread %d", u.DisplayName, len(ns), unread)
		}
		if got := e.mail.mails(u.Email); len(got) != 1 {
			t.Fatalf("%s after retry: %d mails", u.DisplayName, len(got))
		}
	}
}

// firstEvent returns the event id of u's newest notification.
func firstEvent(t *testing.T, e *noteEnv, u *mitreden.User) string {
	t.Helper()
	ns, _ := e.inbox(t, u)
	if len(ns) == 0 {
		t.Fatal("no notification")
	}
	return ns[0].EventID
}

func TestNotify_SettingsDecideTheMailNotTheNotification(t *testing.T) {
	e := newNotes(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	author, quiet, weekly := e.account(t, "autor"), e.account(t, "leise"), e.account(t, "woche")
	pr := e.proposal(t, c, author, "Spielplatz erneuern")
	for _, u := range []*mitreden.User{quiet, weekly} {
		if _, err := e.p.Vote(ctx, u, pr.ID, "support"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.n.SaveSettings(ctx, quiet, map[string]mitreden.MailMode{mitreden.NotifyAnswer: mitreden.MailNever}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.n.SaveSettings(ctx, weekly, map[string]mitreden.MailMode{mitreden.NotifyAnswer: mitreden.MailWeekly}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.n.SaveSettings(ctx, weekly, map[string]mitreden.MailMode{"answer": "sometimes"}); mitreden.ErrorCode(err) != mitreden.EINVALID {
		t.Fatalf("unknown mode: %v", err)
	}
	if _, err := e.n.SaveSettings(ctx, weekly, map[string]mitreden.MailMode{"gossip": mitreden.MailNever}); mitreden.ErrorCode(err) != mitreden.EINVALID {
		t.Fatalf("unknown kind: %v", err)
	}
	got, err := e.n.Settings(ctx, weekly)
	if err != nil {
		t.Fatal(err)
	}
	if got[mitreden.NotifyAnswer] != mitreden.MailWeekly || got[mitreden.NotifyReply] != mitreden.MailImmediately || got[mitreden.NotifyPhase] != mitreden.MailDaily {
		t.Fatalf("settings: %v", got)
	}
	if _, err := e.p.AnswerProposal(ctx, e.admin, pr.ID, mitreden.StatusInReview, ""); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	for _, u := range []*mitreden.User{quiet, weekly} {
		if ns, _ := e.inbox(t, u); kinds(ns) != "answer" {
			t.Fatalf("%s: %s", u.DisplayName, kinds(ns))
		}
		if m := e.mail.mails(u.Email); len(m) != 0 {
			t.Fatalf("%s mailed at once: %s", u.DisplayName, m[0].Subject)
		}
	}
	if m := e.mail.mails(author.Email); len(m) != 1 {
		t.Fatalf("author: %d mails", len(m))
	}
	// The daily digest leaves the weekly one; the weekly one takes it,
	// the "never" one never comes.
	e.clk.now = time.Date(2026, 6, 8, 5, 30, 0, 0, time.UTC) // Monday 07:30 in Berlin
	if err := e.n.Schedule(ctx); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if m := e.mail.mails(quiet.Email); len(m) != 0 {
		t.Fatalf("never: %d mails", len(m))
	}
	m := e.mail.mails(weekly.Email)
	if len(m) != 1 || !strings.Contains(m[0].Subject, "Wochenübersicht") || !strings.Contains(m[0].Text, "Spielplatz erneuern") ||
		!strings.Contains(m[0].Text, "digest-weekly") {
		t.Fatalf("weekly digest: %d mails %+v", len(m), m)
	}
}

func TestDigest_OncePerPeriodGroupedByConsultationWithTwoInstances(t *testing.T) {
	e := newNotes(t)
	ctx := context.Background()
	c1 := e.consultation(t, func(c *mitreden.Consultation) { c.Title = "Radverkehr in der Innenstadt" })
	c2 := e.consultation(t, func(c *mitreden.Consultation) { c.Title = "Neue Bibliothek im Norden" })
	anna := e.account(t, "anna")
	p1, p2 := e.proposal(t, c1, anna, "Fahrradstraße Nord"), e.proposal(t, c2, anna, "Lesesaal mit Garten")
	bert := e.account(t, "bert")
	e.comment(t, c1, p1, bert, "Unbedingt, mit Vorrang für Räder.")
	e.comment(t, c2, p2, bert, "Bitte auch sonntags offen.")
	e.comment(t, c1, p1, bert, "Und mit Beleuchtung.")
	e.run(t)
	// Anna follows both consultations since she proposed in them: their
	// opening an hour ago is news to her as well.
	if err := e.n.Schedule(ctx); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if ns, _ := e.inbox(t, anna); kinds(ns) != "comment,comment,comment,phase,phase" {
		t.Fatalf("anna: %s", kinds(ns))
	}
	// A second instance runs its own scheduler and worker on the same store.
	other := newTestMailer(t, e.db, e.clk.Now)
	n2 := service.NewNotifications(e.db.Notifications(), e.db.Notifications(), e.db.Participation(), e.db.Users(), other.Jobs, other.Mailer,
		e.clk.Now, nil, service.NotificationsConfig{BaseURL: "https://mitreden.example", Secret: noteSecret})
	// Before 07:00 in Berlin yesterday's digest is due (nothing was before it).
	e.clk.now = time.Date(2026, 6, 2, 4, 0, 0, 0, time.UTC)
	for _, n := range []*service.Notifications{e.n, n2} {
		if err := n.Schedule(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := other.Jobs.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if m := e.mail.mails(anna.Email); len(m) != 0 {
		t.Fatalf("digest before its hour: %s", m[0].Subject)
	}
	e.clk.now = time.Date(2026, 6, 2, 5, 1, 0, 0, time.UTC) // 07:01 in Berlin
	for _, n := range []*service.Notifications{e.n, n2, e.n} {
		if err := n.Schedule(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := other.Jobs.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if j, err := e.db.Jobs().FindJob(ctx, "digest:daily:2026-06-02"); err != nil || j.State != mitreden.JobDone {
		t.Fatalf("digest job: %+v %v", j, err)
	}
	m := e.mail.mails(anna.Email)
	if len(m) != 1 {
		t.Fatalf("anna got %d digests", len(m))
	}
	txt := m[0].Text
	i1, i2 := strings.Index(txt, "== Radverkehr in der Innenstadt =="), strings.Index(txt, "== Neue Bibliothek im Norden ==")
	if !strings.Contains(m[0].Subject, "Tagesübersicht: 5 Benachrichtigungen") || i1 < 0 || i2 < 0 || i1 > i2 ||
		strings.Count(txt, "Fahrradstraße Nord") != 2 || strings.Count(txt, "Lesesaal mit Garten") != 1 ||
		strings.Count(txt[i1:i2], "Radverkehr in der Innenstadt“ ist jetzt offen") != 1 || strings.Contains(txt[i1:i2], "Lesesaal") {
		t.Fatalf("digest:\n%s\n%s", m[0].Subject, txt)
	}
	if !strings.Contains(m[0].HTML, "<h2") || !strings.Contains(m[0].Unsubscribe, "k=digest-daily") {
		t.Fatalf("digest html or unsubscribe: %s", m[0].Unsubscribe)
	}
	// The next day's digest has nothing new for anna.
	e.clk.now = e.clk.now.Add(24 * time.Hour)
	if err := e.n.Schedule(ctx); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if m := e.mail.mails(anna.Email); len(m) != 1 {
		t.Fatalf("anna got %d digests after the next day", len(m))
	}
}

func TestNotify_PhaseChangesReachFollowers(t *testing.T) {
	e := newNotes(t)
	ctx := context.Background()
	c := e.consultation(t, func(c *mitreden.Consultation) {
		c.OpensAt, c.ClosesAt = e.clk.now.Add(time.Hour), e.clk.now.Add(3*time.Hour)
	})
	fan, author := e.account(t, "fan"), e.account(t, "autor")
	if err := e.n.Follow(ctx, fan, mitreden.FollowConsultation, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.n.Follow(ctx, fan, mitreden.FollowConsultation, c.ID); err != nil { // twice is once
		t.Fatal(err)
	}
	if err := e.n.Follow(ctx, fan, mitreden.FollowConsultation, "000000000000000000000000"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("follow of nothing: %v", err)
	}
	if err := e.n.Schedule(ctx); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if ns, _ := e.inbox(t, fan); len(ns) != 0 {
		t.Fatalf("before opening: %s", kinds(ns))
	}
	e.clk.now = e.clk.now.Add(2 * time.Hour)
	for i := 0; i < 2; i++ {
		if err := e.n.Schedule(ctx); err != nil {
			t.Fatal(err)
		}
		e.run(t)
	}
	pr := e.proposal(t, c, author, "Ein Vorschlag zur Beteiligung")
	ns, _ := e.inbox(t, fan)
	if kinds(ns) != "phase" || ns[0].Phase != string(mitreden.PhaseOpen) {
		t.Fatalf("opened: %s", kinds(ns))
	}
	// The author follows what they proposed in, and the proposal.
	for _, f := range []struct{ typ, id string }{{mitreden.FollowConsultation, c.ID}, {mitreden.FollowProposal, pr.ID}} {
		if ok, err := e.n.Following(ctx, author, f.typ, f.id); err != nil || !ok {
			t.Fatalf("author follows %s: %v %v", f.typ, ok, err)
		}
	}
	e.clk.now = e.clk.now.Add(2 * time.Hour)
	if err := e.n.Schedule(ctx); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if _, err := e.p.PublishResults(ctx, e.admin, c.ID, "Wir setzen drei Vorschläge um."); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	ns, _ = e.inbox(t, fan)
	if kinds(ns) != "phase,phase,phase" || ns[0].Phase != string(mitreden.PhaseEvaluated) || ns[1].Phase != string(mitreden.PhaseClosed) {
		t.Fatalf("closed and evaluated: %s", kinds(ns))
	}
	if ns, _ := e.inbox(t, author); kinds(ns) != "phase,phase" {
		t.Fatalf("author: %s", kinds(ns))
	}
	if err := e.n.Unfollow(ctx, fan, mitreden.FollowConsultation, c.ID); err != nil {
		t.Fatal(err)
	}
	if ok, _ := e.n.Following(ctx, fan, mitreden.FollowConsultation, c.ID); ok {
		t.Fatal("still following")
	}
}

func TestNotify_ModerationDecisionsReachTheAuthor(t *testing.T) {
	e := newNotes(t)
	ctx := context.Background()
	e.mod = e.account(t, "mod1", mitreden.RoleModerator)
	c := e.consultation(t, nil)
	author, reporter := e.account(t, "autorin"), e.account(t, "melder")
	pr := e.proposal(t, c, author, "Parkplätze zu Grünflächen")
	cm := e.comment(t, c, pr, author, "Ein Kommentar, den jemand meldet.")
	e.run(t)
	// Reports dismissed before anyone hid the item: the author never heard
	// of them and hears of nothing.
	if err := e.p.Report(ctx, reporter, mitreden.ItemComment, cm.ID, mitreden.Report{Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	if err := e.p.Moderate(ctx, e.mod, mitreden.ActionApprove, service.ItemRef{Type: mitreden.ItemComment, ID: cm.ID}, "Kein Spam."); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if ns, _ := e.inbox(t, author); len(ns) != 0 {
		t.Fatalf("dismissed reports: %s", kinds(ns))
	}
	if err := e.p.Moderate(ctx, e.mod, mitreden.ActionHide, service.ItemRef{Type: mitreden.ItemProposal, ID: pr.ID}, "Persönliche Daten."); err != nil {
		t.Fatal(err)
	}
	if err := e.p.Moderate(ctx, e.mod, mitreden.ActionUnhide, service.ItemRef{Type: mitreden.ItemProposal, ID: pr.ID}, "Bereinigt."); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	ns, _ := e.inbox(t, author)
	if kinds(ns) != "moderation,moderation" || ns[0].Action != mitreden.ActionUnhide || ns[1].Action != mitreden.ActionHide || ns[0].Title != pr.Title {
		t.Fatalf("author: %s %+v", kinds(ns), ns)
	}
	if ns, _ := e.inbox(t, e.mod); len(ns) != 0 {
		t.Fatalf("moderator: %s", kinds(ns))
	}
	// A held comment released: its author hears, and the proposal's
	// author hears of the comment then.
	c2 := e.consultation(t, func(c *mitreden.Consultation) { c.PreModeration = true })
	pr2 := e.proposal(t, c2, e.account(t, "vorab"), "Vorab geprüfter Vorschlag")
	writer := e.account(t, "schreiber")
	e.mod2 = e.account(t, "mod2", mitreden.RoleModerator)
	e.run(t)
	q, _, err := e.p.ReadQueue(ctx, e.mod, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range q {
		if err := e.p.Moderate(ctx, e.mod, mitreden.ActionApprove, service.ItemRef{Type: it.ItemType, ID: it.ItemID}, "In Ordnung."); err != nil {
			t.Fatal(err)
		}
	}
	held, err := e.p.AddComment(ctx, writer, "proposal", pr2.ID, mitreden.Comment{Body: "Ein zurückgehaltener Kommentar."})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.p.Moderate(ctx, e.mod2, mitreden.ActionApprove, service.ItemRef{Type: mitreden.ItemComment, ID: held.ID}, "Passt."); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if ns, _ := e.inbox(t, writer); kinds(ns) != "moderation" || ns[0].Action != mitreden.ActionApprove {
		t.Fatalf("writer: %s", kinds(ns))
	}
}

func TestNotifications_ReadMarkAndPages(t *testing.T) {
	e := newNotes(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	anna := e.account(t, "anna")
	pr := e.proposal(t, c, anna, "Bäume für die Hauptstraße")
	for i := 0; i < 25; i++ {
		e.comment(t, c, pr, e.account(t, "k"+string(rune('a'+i))), "Ein Kommentar von vielen zum Vorschlag.")
		e.clk.now = e.clk.now.Add(time.Minute)
	}
	e.run(t)
	if _, err := e.n.ReadNotifications(ctx, nil, 1, 20); mitreden.ErrorCode(err) != mitreden.EUNAUTHORIZED {
		t.Fatalf("visitor: %v", err)
	}
	p1, err := e.n.ReadNotifications(ctx, anna, 1, 20)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := e.n.ReadNotifications(ctx, anna, 2, 20)
	if err != nil {
		t.Fatal(err)
	}
	if p1.Total != 25 || p1.Unread != 25 || len(p1.Items) != 20 || len(p2.Items) != 5 || p1.Pages() != 2 ||
		!p1.Items[0].CreatedAt.After(p1.Items[19].CreatedAt) || !p1.Items[19].CreatedAt.After(p2.Items[0].CreatedAt) {
		t.Fatalf("pages: total %d unread %d items %d+%d", p1.Total, p1.Unread, len(p1.Items), len(p2.Items))
	}
	bert := e.account(t, "bert")
	if err := e.n.MarkRead(ctx, bert, p1.Items[0].ID); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("someone else's: %v", err)
	}
	nt, err := e.n.OpenNotification(ctx, anna, p1.Items[0].ID)
	if err != nil || !nt.Read || nt.URL == "" {
		t.Fatalf("open: %+v %v", nt, err)
	}
	if err := e.n.MarkRead(ctx, anna, p1.Items[0].ID); err != nil { // again: no error, no second count
		t.Fatal(err)
	}
	if got := e.n.Unread(ctx, anna); got != 24 {
		t.Fatalf("unread after one: %d", got)
	}
	if err := e.n.MarkAllRead(ctx, anna); err != nil {
		t.Fatal(err)
	}
	if got := e.n.Unread(ctx, anna); got != 0 {
		t.Fatalf("unread after all: %d", got)
	}
	if e.n.Unread(ctx, nil) != 0 {
		t.Fatal("visitor has unread")
	}
	// Export and erase for the data self-service.
	if err := e.n.Follow(ctx, anna, mitreden.FollowConsultation, c.ID); err != nil {
		t.Fatal(err)
	}
	x, err := e.n.ExportUser(ctx, anna.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Notifications) != 25 || len(x.Follows) != 2 || x.Settings[mitreden.NotifyReply] != mitreden.MailImmediately || !x.Notifications[0].Read {
		t.Fatalf("export: %d notifications, %d follows, %v", len(x.Notifications), len(x.Follows), x.Settings)
	}
	if err := e.n.EraseUser(ctx, anna.ID); err != nil {
		t.Fatal(err)
	}
	x, err = e.n.ExportUser(ctx, anna.ID)
	if err != nil || len(x.Notifications)+len(x.Follows) != 0 {
		t.Fatalf("after erase: %+v %v", x, err)
	}
	if pg, _ := e.n.ReadNotifications(ctx, anna, 1, 20); pg.Total != 0 {
		t.Fatalf("counter after erase: %d", pg.Total)
	}
}

func TestUnsubscribe_SignedLinkSetsNeverAndNothingElse(t *testing.T) {
	e := newNotes(t)
	ctx := context.Background()
	anna := e.account(t, "anna")
	link, err := url.Parse(e.n.UnsubscribeURL(anna.ID, mitreden.NotifyReply))
	if err != nil {
		t.Fatal(err)
	}
	q := link.Query()
	if q.Get("u") != anna.ID || q.Get("k") != mitreden.NotifyReply || q.Get("t") == "" {
		t.Fatalf("link: %s", link)
	}
	for _, bad := range []struct{ u, k, t string }{
		{anna.ID, mitreden.NotifyReply, q.Get("t") + "x"},
		{anna.ID, mitreden.NotifyAnswer, q.Get("t")}, // another kind
		{"someone", mitreden.NotifyReply, q.Get("t")},
		{anna.ID, "everything", q.Get("t")},
	} {
		if err := e.n.Unsubscribe(ctx, bad.u, bad.k, bad.t); mitreden.ErrorCode(err) != mitreden.EINVALID {
			t.Fatalf("%+v: %v", bad, err)
		}
	}
	if err := e.n.Unsubscribe(ctx, anna.ID, mitreden.NotifyReply, q.Get("t")); err != nil {
		t.Fatal(err)
	}
	got, _ := e.n.Settings(ctx, anna)
	if got[mitreden.NotifyReply] != mitreden.MailNever || got[mitreden.NotifyAnswer] != mitreden.MailImmediately {
		t.Fatalf("after unsubscribe: %v", got)
	}
	// A digest's link ends every kind that digest carried.
	dl, _ := url.Parse(e.n.UnsubscribeURL(anna.ID, service.UnsubscribeDaily))
	if err := e.n.Unsubscribe(ctx, anna.ID, service.UnsubscribeDaily, dl.Query().Get("t")); err != nil {
		t.Fatal(err)
	}
	got, _ = e.n.Settings(ctx, anna)
	for _, k := range []string{mitreden.NotifyComment, mitreden.NotifyPhase, mitreden.NotifyModeration, mitreden.NotifyCitation} {
		if got[k] != mitreden.MailNever {
			t.Fatalf("%s after the digest's link: %s", k, got[k])
		}
	}
	if got[mitreden.NotifyAnswer] != mitreden.MailImmediately {
		t.Fatalf("answer after the digest's link: %s", got[mitreden.NotifyAnswer])
	}
}

func TestNotify_PublishedRecommendationTellsTheCitedAuthors(t *testing.T) {
	ce := newCouncil(t)
	ctx := context.Background()
	tm := newTestMailer(t, ce.db, ce.clk.Now)
	n := service.NewNotifications(ce.db.Notifications(), ce.db.Notifications(), ce.db.Participation(), ce.db.Users(), tm.Jobs, tm.Mailer,
		ce.clk.Now, nil, service.NotificationsConfig{BaseURL: "https://mitreden.example", Secret: noteSecret})
	n.Attach(ce.p)
	n.AttachCouncil(ce.c)
	c := ce.consultation(t, nil)
	citizen, commenter := ce.account(t, "ideengeberin"), ce.account(t, "kommentator")
	pr := ce.proposal(t, c, citizen, "Alle Formulare auch in Leichter Sprache")
	cm := ce.comment(t, c, pr, commenter, "Und bitte auch in Gebärdensprache erklärt.")
	own := ce.comment(t, c, pr, ce.a, "Ein Ratsmitglied schreibt selbst mit.")
	r := ce.draft(t, ce.a, "Leichte Sprache in allen Online-Diensten")
	for _, ev := range []mitreden.Evidence{{Type: "proposal", ItemID: pr.ID}, {Type: "comment", ItemID: cm.ID}, {Type: "comment", ItemID: own.ID}} {
		if _, err := ce.c.AddEvidence(ctx, ce.b, r.ID, ev); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ce.c.Submit(ctx, ce.a, r.ID); err != nil {
		t.Fatal(err)
	}
	for _, who := range []*mitreden.User{ce.a, ce.b} {
		if err := ce.c.Vote(ctx, who, r.ID, mitreden.CouncilApprove); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ce.c.CloseVote(ctx, ce.admin, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ce.c.Publish(ctx, ce.a, r.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := tm.Jobs.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*mitreden.User{citizen, commenter} {
		pg, err := n.ReadNotifications(ctx, u, 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		var cites []*mitreden.Notification
		for _, it := range pg.Items {
			if it.Kind == mitreden.NotifyCitation {
				cites = append(cites, it)
			}
		}
		if len(cites) != 1 || cites[0].URL != "/recommendations/"+r.ID || cites[0].Title != r.Title {
			t.Fatalf("%s: %s", u.DisplayName, kinds(pg.Items))
		}
	}
	// The member who published is not told of citing their own comment.
	pg, err := n.ReadNotifications(ctx, ce.a, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range pg.Items {
		if it.Kind == mitreden.NotifyCitation {
			t.Fatalf("the publisher is told of their own citation")
		}
	}
}

func TestNotify_MailsInTheRecipientsLanguage(t *testing.T) {
	e := newNotes(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	anna := &mitreden.User{Email: "anna@example.org", DisplayName: "Anna", PasswordHash: "x", Language: "en"}
	if err := e.db.Users().CreateUser(ctx, anna); err != nil {
		t.Fatal(err)
	}
	bert := e.account(t, "bert")
	pr := e.proposal(t, c, anna, "Quiet brakes for freight trains")
	cm := e.comment(t, c, pr, anna, "Nights are the worst.")
	e.comment(t, c, pr, bert, "Between two and four in particular.")
	if _, err := e.p.AddComment(ctx, bert, "proposal", pr.ID, mitreden.Comment{Body: "I agree.", ParentID: cm.ID}); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	m := e.mail.lastMail(anna.Email)
	if m.Subject != "A reply to your comment: Quiet brakes for freight trains" || !strings.Contains(m.Text, "Konto bert replied to your comment (on “Quiet brakes for freight trains”).") ||
		!strings.Contains(m.Text, "“I agree.”") || !strings.Contains(m.HTML, "View it") {
		t.Fatalf("English reply mail: %q\n%s", m.Subject, m.Text)
	}
	e.clk.now = time.Date(2026, 6, 2, 5, 1, 0, 0, time.UTC)
	if err := e.n.Schedule(ctx); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	m = e.mail.lastMail(anna.Email)
	if !strings.HasPrefix(m.Subject, "Your daily summary: ") || !strings.Contains(m.Text, "Konto bert commented on your proposal “Quiet brakes for freight trains”.") ||
		!strings.Contains(m.Text, "== "+c.Title+" ==") {
		t.Fatalf("English digest: %q\n%s", m.Subject, m.Text)
	}
}

func TestNotify_DeletedAccountsLeaveNoNameInOthersNotifications(t *testing.T) {
	e := newNotes(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	anna, bert := e.account(t, "anna"), e.account(t, "bert")
	pr := e.proposal(t, c, anna, "Sitzbänke am Rheinufer")
	e.comment(t, c, pr, bert, "Bitte mit Blick aufs Wasser.")
	e.run(t)
	if ns, _ := e.inbox(t, anna); len(ns) != 1 || ns[0].ActorID != bert.ID || ns[0].ActorName != bert.DisplayName {
		t.Fatalf("before: %+v", ns)
	}
	if err := e.n.EraseUser(ctx, bert.ID); err != nil {
		t.Fatal(err)
	}
	ns, _ := e.inbox(t, anna)
	if len(ns) != 1 || ns[0].ActorID != "" || ns[0].ActorName != "" {
		t.Fatalf("after bert's deletion: %+v", ns[0])
	}
	e.clk.now = time.Date(2026, 6, 2, 5, 1, 0, 0, time.UTC)
	if err := e.n.Schedule(ctx); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if m := e.mail.lastMail(anna.Email); !strings.Contains(m.Text, "Ein gelöschtes Konto hat Ihren Vorschlag „Sitzbänke am Rheinufer“ kommentiert.") ||
		strings.Contains(m.Text, bert.DisplayName) {
		t.Fatalf("digest after the deletion:\n%s", m.Text)
	}
}

// A comment's event is queued behind its write; the reconciliation after an
// unclean stop queues again the events of the comments written in the
// window it names: a lost event reaches its people, one that ran changes
// nothing, comments outside the window are left alone.
func TestNotify_RequeueCommentEventsAfterAnUncleanStop(t *testing.T) {
	e := newNotes(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	anna, bert := e.account(t, "anna"), e.account(t, "bert")
	pr := e.proposal(t, c, anna, "Mehr Bänke im Stadtpark")
	ran := e.comment(t, c, pr, bert, "Gute Idee, am besten im Schatten.")
	e.run(t)
	// A comment whose event the stop lost: written to the store alone.
	lost := &mitreden.Comment{TargetType: "proposal", TargetID: pr.ID, ConsultationID: c.ID, AuthorID: bert.ID, AuthorName: bert.DisplayName,
		Body: "Und bitte mit Lehne.", CreatedAt: e.clk.Now().Add(time.Second)}
	if err := e.db.Participation().CreateComment(ctx, lost); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if ns, _ := e.inbox(t, anna); len(ns) != 1 {
		t.Fatalf("before the repair anna has %s", kinds(ns))
	}
	n, err := e.n.RequeueCommentEvents(ctx, ran.CreatedAt, lost.CreatedAt.Add(time.Millisecond))
	if err != nil || n != 2 {
		t.Fatalf("requeued %d, %v; want both comments of the window", n, err)
	}
	e.run(t)
	ns, unread := e.inbox(t, anna)
	if kinds(ns) != "comment,comment" || unread != 2 || ns[0].URL != "/comments/"+lost.ID {
		t.Fatalf("after the repair anna has %s, unread %d", kinds(ns), unread)
	}
	// A window before both queues nothing.
	if n, err := e.n.RequeueCommentEvents(ctx, ran.CreatedAt.Add(-time.Hour), ran.CreatedAt); err != nil || n != 0 {
		t.Fatalf("an earlier window requeued %d, %v", n, err)
	}
}
