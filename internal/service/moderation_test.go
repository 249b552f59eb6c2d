package service_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// modEnv adds stored accounts (blocks need them) and a moderator.
type modEnv struct {
	*partEnv
	mod, mod2 *mitreden.User
}

func newMod(t *testing.T) *modEnv {
	t.Helper()
	e := &modEnv{partEnv: newPart(t)}
	e.p.SetUsers(e.db.Users())
	e.mod = e.account(t, "mod1", mitreden.RoleModerator)
	e.mod2 = e.account(t, "mod2", mitreden.RoleModerator)
	return e
}

func (e *modEnv) account(t *testing.T, name string, roles ...mitreden.Role) *mitreden.User {
	t.Helper()
	u := &mitreden.User{Email: name + "@example.org", DisplayName: "Konto " + name, PasswordHash: "x", Language: "de", Roles: roles}
	if err := e.db.Users().CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *modEnv) comment(t *testing.T, c *mitreden.Consultation, pr *mitreden.Proposal, author *mitreden.User, body string) *mitreden.Comment {
	t.Helper()
	cm, err := e.p.AddComment(context.Background(), author, "proposal", pr.ID, mitreden.Comment{Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return cm
}

func (e *modEnv) found(t *testing.T, text string, moderator bool) int {
	t.Helper()
	res, err := e.idx.Search(context.Background(), mitreden.SearchQuery{Text: text, Audience: mitreden.SearchAudience{Moderator: moderator}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Total
}

func reportErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	if mitreden.ErrorCode(err) != code || (msg != "" && err.(*mitreden.Error).Message != msg) {
		t.Fatalf("got %v, want %s %s", err, code, msg)
	}
}

func TestModeration_ReportsHideAtThresholdEverywhere(t *testing.T) {
	e := newMod(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	author := e.account(t, "autorin")
	pr := e.proposal(t, c, author, "Offene Daten für alle")
	cm := e.comment(t, c, pr, author, "Ein Kommentar über Quietschentchen, der gemeldet wird.")
	if e.found(t, "Quietschentchen", false) != 1 {
		t.Fatal("comment not findable before")
	}
	// Validation, one's own item, then three distinct reporters.
	reportErr(t, e.p.Report(ctx, e.user(), mitreden.ItemComment, cm.ID, mitreden.Report{Reason: "rude"}), mitreden.EINVALID, "")
	reportErr(t, e.p.Report(ctx, e.user(), mitreden.ItemComment, cm.ID, mitreden.Report{Reason: "spam", Note: strings.Repeat("x", 1001)}), mitreden.EINVALID, "")
	reportErr(t, e.p.Report(ctx, author, mitreden.ItemComment, cm.ID, mitreden.Report{Reason: "spam"}), mitreden.ECONFLICT, "moderation.own_item")
	reportErr(t, e.p.Report(ctx, nil, mitreden.ItemComment, cm.ID, mitreden.Report{Reason: "spam"}), mitreden.EUNAUTHORIZED, "")
	r1 := e.user()
	if err := e.p.Report(ctx, r1, mitreden.ItemComment, cm.ID, mitreden.Report{Reason: "insulting", Note: "Beleidigt andere."}); err != nil {
		t.Fatal(err)
	}
	reportErr(t, e.p.Report(ctx, r1, mitreden.ItemComment, cm.ID, mitreden.Report{Reason: "spam"}), mitreden.ECONFLICT, "moderation.already_reported")
	for range 2 {
		if err := e.p.Report(ctx, e.user(), mitreden.ItemComment, cm.ID, mitreden.Report{Reason: "spam"}); err != nil {
			t.Fatal(err)
		}
	}
	// Hidden pending review: redacted for the public, not for its author
	// and moderators; found by moderators only; first in the queue.
	d, err := e.p.ReadDiscussion(ctx, e.user(), "proposal", pr.ID, "")
	if err != nil || len(d.Comments) != 1 || !d.Comments[0].Redacted || d.Comments[0].Body != "" || !d.Comments[0].Mod.Auto {
		t.Fatalf("public view %+v %v", d.Comments[0], err)
	}
	if d, _ := e.p.ReadDiscussion(ctx, author, "proposal", pr.ID, ""); !d.Comments[0].Redacted || !d.Comments[0].CanAppeal.Allowed() || len(d.Comments[0].History) != 1 {
		t.Fatalf("author view %+v", d.Comments[0])
	}
	if d, _ := e.p.ReadDiscussion(ctx, e.mod, "proposal", pr.ID, ""); d.Comments[0].Redacted || d.Comments[0].Body == "" {
		t.Fatal("moderator view redacted")
	}
	if n := e.found(t, "Quietschentchen", false); n != 0 {
		t.Fatalf("public search finds the hidden comment: %d", n)
	}
	if n := e.found(t, "Quietschentchen", true); n != 1 {
		t.Fatalf("moderator search: %d", n)
	}
	// A second, less reported item queues behind it.
	other := e.comment(t, c, pr, author, "Noch ein Kommentar mit einer einzigen Meldung.")
	if err := e.p.Report(ctx, e.user(), mitreden.ItemComment, other.ID, mitreden.Report{Reason: "off_topic"}); err != nil {
		t.Fatal(err)
	}
	q, total, err := e.p.ReadQueue(ctx, e.mod, 1)
	if err != nil || total != 2 || q[0].ItemID != cm.ID || !q[0].Hidden || len(q[0].ReportList) != 3 || q[0].Proposal.ID != pr.ID {
		t.Fatalf("queue %d %v", total, err)
	}
	if q[0].ReportList[0].Reason != "insulting" || q[0].ReportList[0].Note != "Beleidigt andere." || len(q[0].ItemActions) != 1 {
		t.Fatalf("queue item %+v %+v", q[0].ReportList[0], q[0].ItemActions)
	}
	if _, _, err := e.p.ReadQueue(ctx, author, 1); mitreden.ErrorCode(err) != mitreden.EFORBIDDEN {
		t.Fatalf("citizen reads the queue: %v", err)
	}
	// The public log says what and why, never who reported.
	log, n, err := e.p.ReadModerationLog(ctx, mitreden.ModerationLogFilter{})
	if err != nil || n != 1 || log[0].Action != mitreden.ActionAutoHide || log[0].ItemID != cm.ID {
		t.Fatalf("log %d %+v %v", n, log, err)
	}
}

func TestModeration_ActionsNeedReasonAndAreRecorded(t *testing.T) {
	e := newMod(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	author := e.account(t, "autor")
	pr := e.proposal(t, c, author, "Glasfaser für jedes Dorf")
	ref := service.ItemRef{Type: mitreden.ItemProposal, ID: pr.ID}
	reportErr(t, e.p.Moderate(ctx, author, mitreden.ActionHide, ref, "Spam"), mitreden.EFORBIDDEN, "")
	reportErr(t, e.p.Moderate(ctx, e.mod, mitreden.ActionHide, ref, "  "), mitreden.EINVALID, "")
	reportErr(t, e.p.Moderate(ctx, e.mod, mitreden.ActionApprove, ref, "Passt"), mitreden.ECONFLICT, "moderation.not_in_queue")
	if err := e.p.Moderate(ctx, e.mod, mitreden.ActionHide, ref, "Werbung für ein Produkt"); err != nil {
		t.Fatal(err)
	}
	list, _, err := e.p.ReadProposals(ctx, nil, mitreden.ProposalFilter{ConsultationID: c.ID})
	if err != nil || len(list) != 1 || !list[0].Redacted || list[0].Title != "" || list[0].Mod.Reason != "Werbung für ein Produkt" {
		t.Fatalf("list keeps a placeholder: %+v %v", list, err)
	}
	page, err := e.p.ReadProposal(ctx, e.user(), pr.ID, "")
	if err != nil || !page.Redacted || page.CanVote.Allowed() {
		t.Fatalf("page %+v %v", page, err)
	}
	if n := e.found(t, "Glasfaser", false); n != 0 {
		t.Fatalf("hidden proposal found: %d", n)
	}
	mine, err := e.p.ReadProposal(ctx, author, pr.ID, "")
	if err != nil || !mine.Redacted || len(mine.History) != 1 || mine.History[0].Reason != "Werbung für ein Produkt" || !mine.CanAppeal.Allowed() {
		t.Fatalf("author page %+v %v", mine, err)
	}
	if err := e.p.Moderate(ctx, e.mod, mitreden.ActionUnhide, ref, "War ein Irrtum"); err != nil {
		t.Fatal(err)
	}
	reportErr(t, e.p.Moderate(ctx, e.mod, mitreden.ActionUnhide, ref, "Nochmal"), mitreden.ECONFLICT, "moderation.not_hidden")
	if n := e.found(t, "Glasfaser", false); n != 1 {
		t.Fatalf("shown again but not found: %d", n)
	}
	log, n, _ := e.p.ReadModerationLog(ctx, mitreden.ModerationLogFilter{})
	if n != 2 || log[0].Action != mitreden.ActionUnhide || log[1].Reason != "Werbung für ein Produkt" {
		t.Fatalf("log %+v", log)
	}
	if only, n, _ := e.p.ReadModerationLog(ctx, mitreden.ModerationLogFilter{Action: mitreden.ActionHide}); n != 1 || only[0].Action != mitreden.ActionHide {
		t.Fatalf("filtered log %d", n)
	}
	if _, n, _ := e.p.ReadModerationLog(ctx, mitreden.ModerationLogFilter{From: e.clk.now.Add(time.Hour)}); n != 0 {
		t.Fatalf("date filter %d", n)
	}
	reportErr(t, func() error {
		_, _, err := e.p.ReadModerationLog(ctx, mitreden.ModerationLogFilter{Action: "delete"})
		return err
	}(), mitreden.EINVALID, "")
}

func TestModeration_PreModerationHoldsUntilReleased(t *testing.T) {
	e := newMod(t)
	ctx := context.Background()
	c := e.consultation(t, func(c *mitreden.Consultation) { c.PreModeration = true })
	author := e.account(t, "neu")
	pr := &mitreden.Proposal{Title: "Bürgerbüro am Samstag", Body: "Samstags geöffnete Bürgerbüros für Berufstätige einrichten."}
	if err := e.p.CreateProposal(ctx, author, c.ID, pr); err != nil || pr.Held != mitreden.HeldPreModeration || pr.ID == "" {
		t.Fatalf("held %q %v", pr.Held, err)
	}
	// Nowhere for the public: list, count, page, search.
	list, total, _ := e.p.ReadProposals(ctx, nil, mitreden.ProposalFilter{ConsultationID: c.ID})
	cons, _ := e.p.ReadConsultation(ctx, nil, c.ID)
	if len(list) != 0 || total != 0 || cons.ProposalCount != 0 {
		t.Fatalf("held proposal listed: %d %d %d", len(list), total, cons.ProposalCount)
	}
	if _, err := e.p.ReadProposal(ctx, nil, pr.ID, ""); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("held proposal page: %v", err)
	}
	if e.found(t, "Samstag", true) != 0 {
		t.Fatal("held proposal indexed")
	}
	// Its author sees it waiting; nobody else does.
	page, _ := e.p.ReadConsultationPage(ctx, author, c.ID, mitreden.ProposalFilter{}, "")
	if len(page.Held) != 1 || page.Held[0].Held.Title() != "Bürgerbüro am Samstag" {
		t.Fatalf("author's held %+v", page.Held)
	}
	if page, _ := e.p.ReadConsultationPage(ctx, e.user(), c.ID, mitreden.ProposalFilter{}, ""); len(page.Held) != 0 {
		t.Fatal("someone else sees the held proposal")
	}
	mine, _ := e.p.ReadMyContributions(ctx, author)
	if len(mine.Held) != 1 || mine.Held[0].TargetTitle != c.Title {
		t.Fatalf("my held %+v", mine.Held)
	}
	// Moderators write without waiting; a moderator releases.
	own := &mitreden.Proposal{Title: "Vorschlag der Moderation", Body: "Ein Vorschlag, den die Moderation selbst schreibt."}
	if err := e.p.CreateProposal(ctx, e.mod, c.ID, own); err != nil || own.Held != "" {
		t.Fatalf("moderator held: %v", err)
	}
	q, n, _ := e.p.ReadQueue(ctx, e.mod, 1)
	if n != 1 || q[0].Held == nil || q[0].Proposal.Title != pr.Title {
		t.Fatalf("queue %d", n)
	}
	if err := e.p.Moderate(ctx, e.mod, mitreden.ActionApprove, service.ItemRef{Type: mitreden.ItemProposal, ID: pr.ID}, "Sachlich"); err != nil {
		t.Fatal(err)
	}
	got, err := e.p.ReadProposal(ctx, nil, pr.ID, "")
	if err != nil || got.Title != pr.Title || got.Mod.ReleasedAt.IsZero() {
		t.Fatalf("released %+v %v", got, err)
	}
	if cons, _ := e.p.ReadConsultation(ctx, nil, c.ID); cons.ProposalCount != 2 {
		t.Fatalf("count %d", cons.ProposalCount)
	}
	if e.found(t, "Samstag", false) != 1 {
		t.Fatal("released proposal not findable")
	}
	if mine, _ := e.p.ReadMyContributions(ctx, author); len(mine.Held) != 0 || len(mine.Proposals) != 1 || len(mine.Proposals[0].History) != 1 {
		t.Fatalf("after release %+v", mine)
	}
	// A held comment, hidden at release: a placeholder with the reason.
	cm, err := e.p.AddComment(ctx, author, "proposal", pr.ID, mitreden.Comment{Body: "Ein Kommentar, der warten muss."})
	if err != nil || cm.Held == "" {
		t.Fatalf("comment held %q %v", cm.Held, err)
	}
	if d, _ := e.p.ReadDiscussion(ctx, nil, "proposal", pr.ID, ""); d.Visible != 0 || len(d.Comments) != 0 {
		t.Fatal("held comment shown")
	}
	if page, _ := e.p.ReadProposal(ctx, author, pr.ID, ""); len(page.Held) != 1 {
		t.Fatal("author does not see the held comment")
	}
	if err := e.p.Moderate(ctx, e.mod, mitreden.ActionHide, service.ItemRef{Type: mitreden.ItemComment, ID: cm.ID}, "Persönliche Daten"); err != nil {
		t.Fatal(err)
	}
	d, _ := e.p.ReadDiscussion(ctx, nil, "proposal", pr.ID, "")
	if len(d.Comments) != 1 || !d.Comments[0].Redacted || d.Comments[0].Mod.Reason != "Persönliche Daten" {
		t.Fatalf("hidden at release %+v", d.Comments)
	}
}

func TestModeration_WordListHoldsAndTellsTheAuthor(t *testing.T) {
	e := newMod(t)
	e.p.SetModeration(service.ModerationConfig{Words: []string{"Schwachkopf", "dumme sache"}})
	ctx := context.Background()
	c := e.consultation(t, nil)
	author := e.account(t, "wort")
	pr := e.proposal(t, c, author, "Ein harmloser Titel")
	for body, held := range map[string]bool{
		"Du Schwachkopf, das geht so nicht.":    true,
		"Das ist eine DUMME Sache, finde ich.":  true,
		"Die Schwachkopfschmerzen sind weg.":    false, // not a whole word
		"Ein freundlicher und sachlicher Text.": false,
	} {
		cm, err := e.p.AddComment(ctx, author, "proposal", pr.ID, mitreden.Comment{Body: body})
		if err != nil {
			t.Fatal(err)
		}
		if (cm.Held == mitreden.HeldWords) != held {
			t.Errorf("%q: held %q", body, cm.Held)
		}
	}
	mine, _ := e.p.ReadMyContributions(ctx, author)
	if len(mine.Held) != 2 || mine.Held[0].Held.Why != mitreden.HeldWords {
		t.Fatalf("held %d", len(mine.Held))
	}
}

func TestModeration_AppealOnceToAnotherModerator(t *testing.T) {
	e := newMod(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	author := e.account(t, "einspruch")
	pr := e.proposal(t, c, author, "Offene Schnittstellen")
	cm := e.comment(t, c, pr, author, "Ein scharfer, aber sachlicher Kommentar.")
	ref := service.ItemRef{Type: mitreden.ItemComment, ID: cm.ID}
	reportErr(t, e.p.Appeal(ctx, author, ref, "Bitte prüfen"), mitreden.ECONFLICT, "moderation.not_hidden")
	if err := e.p.Moderate(ctx, e.mod, mitreden.ActionHide, ref, "Beleidigend"); err != nil {
		t.Fatal(err)
	}
	reportErr(t, e.p.Appeal(ctx, e.user(), ref, "Bitte prüfen"), mitreden.EFORBIDDEN, "moderation.appeal_author")
	reportErr(t, e.p.Appeal(ctx, author, ref, ""), mitreden.EINVALID, "")
	if err := e.p.Appeal(ctx, author, ref, "Das war Kritik, keine Beleidigung."); err != nil {
		t.Fatal(err)
	}
	reportErr(t, e.p.Appeal(ctx, author, ref, "Nochmal"), mitreden.ECONFLICT, "moderation.appealed")
	q, _, _ := e.p.ReadQueue(ctx, e.mod2, 1)
	if len(q) != 1 || !q[0].Appeal || q[0].AppealNote != "Das war Kritik, keine Beleidigung." {
		t.Fatalf("appeal not queued: %+v", q)
	}
	reportErr(t, e.p.Moderate(ctx, e.mod, mitreden.ActionUnhide, ref, "Selbst geprüft"), mitreden.EFORBIDDEN, "moderation.appeal_other")
	if err := e.p.Moderate(ctx, e.mod2, mitreden.ActionUnhide, ref, "Zulässige Kritik"); err != nil {
		t.Fatal(err)
	}
	d, _ := e.p.ReadDiscussion(ctx, nil, "proposal", pr.ID, "")
	if d.Comments[0].Redacted || d.Comments[0].Body == "" {
		t.Fatal("still hidden")
	}
	if d, _ := e.p.ReadDiscussion(ctx, author, "proposal", pr.ID, ""); len(d.Comments[0].History) != 3 || d.Comments[0].CanAppeal.Allowed() {
		t.Fatalf("author history %+v", d.Comments[0].History)
	}
}

// Deciding an appeal: "Freigeben" (approve) grants it like unhide, the
// item is shown again; hide confirms the hiding with the new reason.
func TestModeration_ApprovingAnAppealShowsTheItem(t *testing.T) {
	e := newMod(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	author := e.account(t, "einspruch")
	pr := e.proposal(t, c, author, "Offene Schnittstellen")
	granted := e.comment(t, c, pr, author, "Kritik an der Ausschreibung, sachlich begründet.")
	refused := e.comment(t, c, pr, author, "Noch ein Kommentar, der ausgeblendet wird.")
	for _, cm := range []*mitreden.Comment{granted, refused} {
		ref := service.ItemRef{Type: mitreden.ItemComment, ID: cm.ID}
		if err := e.p.Moderate(ctx, e.mod, mitreden.ActionHide, ref, "Beleidigend"); err != nil {
			t.Fatal(err)
		}
		if err := e.p.Appeal(ctx, author, ref, "Das war Kritik, keine Beleidigung."); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.p.Moderate(ctx, e.mod2, mitreden.ActionApprove, service.ItemRef{Type: mitreden.ItemComment, ID: granted.ID}, "Zulässige Kritik"); err != nil {
		t.Fatal(err)
	}
	if err := e.p.Moderate(ctx, e.mod2, mitreden.ActionHide, service.ItemRef{Type: mitreden.ItemComment, ID: refused.ID}, "Bleibt beleidigend"); err != nil {
		t.Fatal(err)
	}
	d, err := e.p.ReadDiscussion(ctx, nil, "proposal", pr.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, cm := range d.Comments {
		switch cm.ID {
		case granted.ID:
			if cm.Redacted || cm.Body == "" {
				t.Error("the approved appeal's comment is still hidden")
			}
		case refused.ID:
			if !cm.Redacted || cm.Mod.Reason != "Bleibt beleidigend" {
				t.Errorf("the refused appeal's comment: redacted %v, reason %q", cm.Redacted, cm.Mod.Reason)
			}
		}
	}
	if q, _, _ := e.p.ReadQueue(ctx, e.mod2, 1); len(q) != 0 {
		t.Fatalf("decided appeals stay queued: %+v", q)
	}
}

func TestModeration_BlockRefusesWritesWithReasonUntilLifted(t *testing.T) {
	e := newMod(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	u := e.account(t, "laut")
	pr := e.proposal(t, c, e.account(t, "ruhig"), "Digitale Bürgerämter")
	until := time.Now().Add(48 * time.Hour)
	reportErr(t, func() error { _, err := e.p.Block(ctx, u, e.mod.ID, "x", time.Time{}); return err }(), mitreden.EFORBIDDEN, "")
	reportErr(t, func() error { _, err := e.p.Block(ctx, e.mod, u.ID, "", time.Time{}); return err }(), mitreden.EINVALID, "")
	reportErr(t, func() error { _, err := e.p.Block(ctx, e.mod, e.mod2.ID, "Streit", time.Time{}); return err }(), mitreden.EFORBIDDEN, "moderation.block_role")
	blocked, err := e.p.Block(ctx, e.mod, u.ID, "Wiederholte Beleidigungen", until)
	if err != nil || !blocked.BlockedAt(time.Now()) {
		t.Fatalf("block: %v", err)
	}
	_, err = e.p.AddComment(ctx, blocked, "proposal", pr.ID, mitreden.Comment{Body: "Noch ein Versuch"})
	reportErr(t, err, mitreden.EFORBIDDEN, mitreden.ReasonBlockedUntil)
	if de := err.(*mitreden.Error); de.Args["reason"] != "Wiederholte Beleidigungen" {
		t.Fatalf("args %v", de.Args)
	}
	reportErr(t, e.p.Report(ctx, blocked, mitreden.ItemProposal, pr.ID, mitreden.Report{Reason: "spam"}), mitreden.EFORBIDDEN, "")
	if _, err := e.p.ReadProposal(ctx, blocked, pr.ID, "oldest"); err != nil {
		t.Fatalf("a blocked person reads: %v", err)
	}
	// An expired block no longer refuses.
	blocked.BlockedUntil = time.Now().Add(-time.Minute)
	if _, err := e.p.AddComment(ctx, blocked, "proposal", pr.ID, mitreden.Comment{Body: "Nach Ablauf der Sperre"}); err != nil {
		t.Fatalf("expired block: %v", err)
	}
	free, err := e.p.Unblock(ctx, e.mod, u.ID, "Einsicht gezeigt")
	if err != nil || free.Blocked {
		t.Fatalf("unblock %v", err)
	}
	log, n, _ := e.p.ReadModerationLog(ctx, mitreden.ModerationLogFilter{})
	if n != 2 || log[1].Action != mitreden.ActionBlock || log[1].ItemID != "" || log[1].Reason != "Wiederholte Beleidigungen" {
		t.Fatalf("log %+v", log)
	}
}

func TestModeration_BulkAppliesOneReasonToMany(t *testing.T) {
	e := newMod(t)
	ctx := context.Background()
	c := e.consultation(t, func(c *mitreden.Consultation) { c.PreModeration = true })
	author := e.account(t, "viel")
	pr := e.proposal(t, c, e.mod, "Vorschlag zum Kommentieren")
	var refs []service.ItemRef
	for i := range 3 {
		cm, err := e.p.AddComment(ctx, author, "proposal", pr.ID, mitreden.Comment{Body: fmt.Sprintf("Wartender Kommentar %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, service.ItemRef{Type: mitreden.ItemComment, ID: cm.ID})
	}
	refs = append(refs, service.ItemRef{Type: mitreden.ItemComment, ID: "000000000000000000000000"})
	failed, err := e.p.ModerateAll(ctx, e.mod, mitreden.ActionApprove, refs, "Alles sachlich")
	if err != nil || len(failed) != 1 {
		t.Fatalf("bulk: %v %v", failed, err)
	}
	d, _ := e.p.ReadDiscussion(ctx, nil, "proposal", pr.ID, "")
	if d.Visible != 3 {
		t.Fatalf("visible %d", d.Visible)
	}
	if _, n, _ := e.p.ReadQueue(ctx, e.mod, 1); n != 0 {
		t.Fatalf("queue left %d", n)
	}
}
