package service_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

type assistedEnv struct {
	*partEnv
	a     *service.Assisted
	staff *mitreden.User
}

func newAssisted(t *testing.T) *assistedEnv {
	t.Helper()
	e := newPart(t)
	a := service.NewAssisted(e.p, e.db.Participation(), e.db.Users(), mitreden.DefaultLateEntryDays, nil)
	return &assistedEnv{partEnv: e, a: a, staff: &mitreden.User{ID: "staff1", DisplayName: "Sachbearbeiterin Kurz", Roles: []mitreden.Role{mitreden.RoleService}}}
}

func (e *assistedEnv) record(t *testing.T, name string) *mitreden.ParticipantRecord {
	t.Helper()
	r := &mitreden.ParticipantRecord{DisplayName: name, Locality: "Musterhausen", Address: "Hauptstraße 1\n12345 Musterhausen"}
	if err := e.a.CreateRecord(context.Background(), e.staff, r); err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *assistedEnv) account(t *testing.T, name string) *mitreden.User {
	t.Helper()
	u := &mitreden.User{Email: name + "@example.org", DisplayName: name, PasswordHash: "x", Language: "de"}
	if err := e.db.Users().CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *assistedEnv) entry(ch string) mitreden.AssistedEntry {
	return mitreden.AssistedEntry{Channel: ch, ReceivedAt: e.clk.now.Add(-time.Minute), Reference: "AZ 12/2026"}
}

func (e *assistedEnv) letterProposal(t *testing.T, r *mitreden.ParticipantRecord, c *mitreden.Consultation, title string) *mitreden.Proposal {
	t.Helper()
	pr := &mitreden.Proposal{Title: title, Body: "Bitte die Bibliothek auch samstags öffnen, per Brief eingereicht."}
	if err := e.a.EnterProposal(context.Background(), e.staff, r.ID, c.ID, e.entry(mitreden.ChannelLetter), pr); err != nil {
		t.Fatal(err)
	}
	return pr
}

func wantAssistedCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	de, ok := err.(*mitreden.Error)
	if !ok || de.Code != code || msg != "" && de.Message != msg {
		t.Fatalf("want %s %s, got %v", code, msg, err)
	}
}

func TestAssisted_EntriesGoThroughTheOnlinePathsWithProvenance(t *testing.T) {
	e := newAssisted(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	r := e.record(t, "Erika M.")
	pr := e.letterProposal(t, r, c, "Bibliothek samstags öffnen")

	got, _, err := e.p.Proposal(ctx, pr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.AuthorName != "Erika M." || got.AuthorID != r.VoterKey() || got.Prov == nil || got.Prov.Channel != mitreden.ChannelLetter ||
		got.Prov.EnteredByID != e.staff.ID || got.Prov.Reference != "AZ 12/2026" || got.Prov.RecordID != r.ID || got.Prov.Late {
		t.Fatalf("proposal %+v prov %+v", got, got.Prov)
	}
	cons, _ := e.p.Consultation(ctx, c.ID)
	if cons.ProposalCount != 1 {
		t.Fatalf("proposal count %d", cons.ProposalCount)
	}
	// Findable like any proposal.
	if res, err := e.idx.Search(ctx, mitreden.SearchQuery{Text: "Bibliothek"}); err != nil || res.Total != 1 {
		t.Fatalf("staff-entered proposal not indexed: %+v %v", res, err)
	}

	cm, err := e.a.EnterComment(ctx, e.staff, r.ID, pr.ID, e.entry(mitreden.ChannelPhone), mitreden.Comment{Body: "Am Telefon ergänzt: auch sonntags."})
	if err != nil || cm.Prov == nil || cm.Prov.Channel != mitreden.ChannelPhone || cm.AuthorName != "Erika M." {
		t.Fatalf("comment %+v %v", cm, err)
	}
	res, err := e.a.EnterVote(ctx, e.staff, r.ID, pr.ID, e.entry(mitreden.ChannelPhone), "support")
	if err != nil || !res.Changed || res.Tally.Support != 1 {
		t.Fatalf("vote %+v %v", res, err)
	}
	// An online proposal and vote for the split.
	online := e.proposal(t, c, e.user(), "Online-Termine fürs Bürgerbüro")
	if _, err := e.p.Vote(ctx, e.user(), online.ID, "support"); err != nil {
		t.Fatal(err)
	}
	st, err := e.a.ReadStats(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]service.ChannelRow{}
	for _, row := range st.Rows {
		by[row.Channel] = row
	}
	if by["letter"].Proposals != 1 || by["online"].Proposals != 1 || by["phone"].Comments != 1 || by["phone"].Votes != 1 || by["online"].Votes != 1 ||
		st.Total.Proposals != 2 || st.Total.Votes != 2 {
		t.Fatalf("stats %+v", st)
	}
	// The audit names every entry.
	rr, err := e.a.ReadRecord(ctx, e.staff, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range rr.Audit {
		actions = append(actions, a.Action)
	}
	if len(actions) != 4 || actions[0] != mitreden.AuditVote || actions[3] != mitreden.AuditRecordCreated {
		t.Fatalf("audit %v", actions)
	}
	// The same posting limits: a held word holds a staff entry as any other.
	e.p.SetModeration(service.ModerationConfig{Words: []string{"Schwarzmarkt"}})
	held := &mitreden.Proposal{Title: "Schwarzmarkt für Termine", Body: "Termine werden auf dem Schwarzmarkt gehandelt, bitte prüfen."}
	if err := e.a.EnterProposal(ctx, e.staff, r.ID, c.ID, e.entry(mitreden.ChannelLetter), held); err != nil || held.Held == "" {
		t.Fatalf("held %q %v", held.Held, err)
	}
}

func TestAssisted_OnlyStaffEnterAndTheirOwnVerificationPlaysNoPart(t *testing.T) {
	e := newAssisted(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	r := e.record(t, "Hans K.")
	pr := &mitreden.Proposal{Title: "Mehr Sitzbänke", Body: "Am Marktplatz fehlen Sitzbänke für ältere Menschen."}
	wantAssistedCode(t, e.a.EnterProposal(ctx, nil, r.ID, c.ID, e.entry("letter"), pr), mitreden.EUNAUTHORIZED, "")
	wantAssistedCode(t, e.a.EnterProposal(ctx, e.user(), r.ID, c.ID, e.entry("letter"), pr), mitreden.EFORBIDDEN, mitreden.ReasonRole)
	_, err := e.a.SearchRecords(ctx, &mitreden.User{ID: "m", Roles: []mitreden.Role{mitreden.RoleModerator}}, "")
	wantAssistedCode(t, err, mitreden.EFORBIDDEN, mitreden.ReasonRole)
	blocked := &mitreden.User{ID: "s2", Roles: []mitreden.Role{mitreden.RoleService}, Blocked: true, BlockReason: "x"}
	wantAssistedCode(t, e.a.EnterProposal(ctx, blocked, r.ID, c.ID, e.entry("letter"), pr), mitreden.EFORBIDDEN, mitreden.ReasonBlocked)
	// A staff account that has not confirmed its own address still enters
	// for others: the entry is not its own participation.
	unverified := &mitreden.User{ID: "s3", DisplayName: "Neu im Amt", Roles: []mitreden.Role{mitreden.RoleService}, Unverified: true}
	if err := e.a.EnterProposal(ctx, unverified, r.ID, c.ID, e.entry("letter"), pr); err != nil {
		t.Fatal(err)
	}
	// Admins may do all of it.
	if _, err := e.a.EnterVote(ctx, e.admin, r.ID, pr.ID, e.entry("in_person"), "support"); err != nil {
		t.Fatal(err)
	}
	// Bad input names every field at once.
	err = e.a.EnterProposal(ctx, e.staff, r.ID, c.ID, mitreden.AssistedEntry{Channel: "fax", ReceivedAt: e.clk.now.Add(time.Hour)}, &mitreden.Proposal{Title: "x"})
	de, _ := err.(*mitreden.Error)
	if de == nil || de.Code != mitreden.EINVALID || len(de.Fields) != 4 {
		t.Fatalf("fields %+v", err)
	}
}

func TestAssisted_LateEntryDeadline(t *testing.T) {
	e := newAssisted(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	r := e.record(t, "Grete L.")
	received := e.clk.now.Add(time.Hour)
	e.clk.now = c.ClosesAt.Add(10 * 24 * time.Hour)
	pr := &mitreden.Proposal{Title: "Briefkasten am Rathaus", Body: "Ein Briefkasten für Beteiligungsbriefe am Rathaus wäre gut."}
	if err := e.a.EnterProposal(ctx, e.staff, r.ID, c.ID, mitreden.AssistedEntry{Channel: "letter", ReceivedAt: received}, pr); err != nil {
		t.Fatal(err)
	}
	if !pr.Prov.Late {
		t.Fatal("late entry not marked")
	}
	// Received after the close: refused with the reason.
	err := e.a.EnterProposal(ctx, e.staff, r.ID, c.ID, mitreden.AssistedEntry{Channel: "letter", ReceivedAt: c.ClosesAt.Add(time.Hour)}, pr)
	wantAssistedCode(t, err, mitreden.ECONFLICT, "assisted.received_after_close")
	// A support after the close, within the period, counts.
	if _, err := e.a.EnterVote(ctx, e.staff, r.ID, pr.ID, mitreden.AssistedEntry{Channel: "phone", ReceivedAt: received}, "support"); err != nil {
		t.Fatal(err)
	}
	e.clk.now = c.ClosesAt.Add(15 * 24 * time.Hour)
	err = e.a.EnterProposal(ctx, e.staff, r.ID, c.ID, mitreden.AssistedEntry{Channel: "letter", ReceivedAt: received}, pr)
	wantAssistedCode(t, err, mitreden.ECONFLICT, "assisted.too_late")
	_, err = e.a.EnterVote(ctx, e.staff, r.ID, pr.ID, mitreden.AssistedEntry{Channel: "phone", ReceivedAt: received}, "support")
	wantAssistedCode(t, err, mitreden.ECONFLICT, "assisted.too_late")
	// A shorter setting moves the deadline.
	short := service.NewAssisted(e.p, e.db.Participation(), e.db.Users(), 3, nil)
	e.clk.now = c.ClosesAt.Add(4 * 24 * time.Hour)
	err = short.EnterProposal(ctx, e.staff, r.ID, c.ID, mitreden.AssistedEntry{Channel: "letter", ReceivedAt: received}, pr)
	wantAssistedCode(t, err, mitreden.ECONFLICT, "assisted.too_late")
}

func TestAssisted_LinkMergesVotesWithoutCountingTwice(t *testing.T) {
	e := newAssisted(t)
	ctx := context.Background()
	c := e.consultation(t, func(c *mitreden.Consultation) { c.MaxSupports = 3 })
	author := e.user()
	a, b, d, f := e.proposal(t, c, author, "Vorschlag A für alle"), e.proposal(t, c, author, "Vorschlag B für alle"),
		e.proposal(t, c, author, "Vorschlag D für alle"), e.proposal(t, c, author, "Vorschlag F für alle")
	r := e.record(t, "Paul P.")
	for _, pr := range []*mitreden.Proposal{a, b} {
		if _, err := e.a.EnterVote(ctx, e.staff, r.ID, pr.ID, e.entry("letter"), "support"); err != nil {
			t.Fatal(err)
		}
	}
	// The person registers and supports A again online, and D.
	u := e.account(t, "Paul")
	for _, pr := range []*mitreden.Proposal{a, d} {
		if _, err := e.p.Vote(ctx, u, pr.ID, "support"); err != nil {
			t.Fatal(err)
		}
	}
	if pr, _, _ := e.p.Proposal(ctx, a.ID); pr.Tally.Support != 2 {
		t.Fatalf("before the link A has %d", pr.Tally.Support)
	}
	res, err := e.a.Link(ctx, e.staff, r.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Moved != 1 || res.Duplicates != 1 || res.OverLimit != 0 || !res.Record.Merged {
		t.Fatalf("link %+v", res)
	}
	for _, w := range []struct {
		pr   *mitreden.Proposal
		want int
	}{{a, 1}, {b, 1}, {d, 1}, {f, 0}} {
		if pr, _, _ := e.p.Proposal(ctx, w.pr.ID); pr.Tally.Support != w.want {
			t.Fatalf("%s has %d, want %d", pr.Title, pr.Tally.Support, w.want)
		}
	}
	// The account's vote on B keeps its provenance.
	if ch, _, err := e.db.Participation().VoteChannel(ctx, b.ID, u.ID); err != nil || ch != "letter" {
		t.Fatalf("moved vote channel %q %v", ch, err)
	}
	// The recount agrees with every counter and quota.
	if changes, err := e.p.Recount(ctx); err != nil || len(changes) != 0 {
		t.Fatalf("recount %+v %v", changes, err)
	}
	if fixes, err := e.p.RecountConsultations(ctx); err != nil || len(fixes) != 0 {
		t.Fatalf("recount consultations %+v %v", fixes, err)
	}
	// One person, one quota: the account used 3 of 3 supports (A, B, D), so
	// a further letter's support is refused, and one online too.
	_, err = e.a.EnterVote(ctx, e.staff, r.ID, f.ID, e.entry("letter"), "support")
	wantAssistedCode(t, err, mitreden.ECONFLICT, "vote.limit_reached")
	_, err = e.p.Vote(ctx, u, f.ID, "support")
	wantAssistedCode(t, err, mitreden.ECONFLICT, "vote.limit_reached")
	// A support the person repeats online changes nothing.
	if res, err := e.p.Vote(ctx, u, b.ID, "support"); err != nil || res.Changed || res.Tally.Support != 1 {
		t.Fatalf("repeat %+v %v", res, err)
	}
	// Linking again to the same account changes nothing; to another is refused.
	if res, err := e.a.Link(ctx, e.staff, r.ID, u.ID); err != nil || res.Moved+res.Duplicates != 0 {
		t.Fatalf("relink %+v %v", res, err)
	}
	_, err = e.a.Link(ctx, e.staff, r.ID, e.account(t, "Andere").ID)
	wantAssistedCode(t, err, mitreden.ECONFLICT, "assisted.linked_elsewhere")
	// A block of the account holds for what staff enter for the person.
	if _, err := e.db.Users().SetBlock(ctx, u.ID, &mitreden.Block{Reason: "Beleidigend", At: e.clk.now}); err != nil {
		t.Fatal(err)
	}
	_, err = e.a.EnterVote(ctx, e.staff, r.ID, a.ID, e.entry("letter"), "support")
	wantAssistedCode(t, err, mitreden.EFORBIDDEN, mitreden.ReasonBlocked)
	_, err = e.a.Link(ctx, e.staff, r.ID, "000000000000000000000000")
	wantAssistedCode(t, err, mitreden.EINVALID, "")
}

func TestAssisted_LinkOverTheLimitDropsTheSupport(t *testing.T) {
	e := newAssisted(t)
	ctx := context.Background()
	c := e.consultation(t, func(c *mitreden.Consultation) { c.MaxSupports = 1 })
	author := e.user()
	a, b := e.proposal(t, c, author, "Vorschlag A für alle"), e.proposal(t, c, author, "Vorschlag B für alle")
	r := e.record(t, "Olga O.")
	if _, err := e.a.EnterVote(ctx, e.staff, r.ID, a.ID, e.entry("phone"), "support"); err != nil {
		t.Fatal(err)
	}
	u := e.account(t, "Olga")
	if _, err := e.p.Vote(ctx, u, b.ID, "support"); err != nil {
		t.Fatal(err)
	}
	res, err := e.a.Link(ctx, e.staff, r.ID, u.ID)
	if err != nil || res.OverLimit != 1 || res.Moved != 0 {
		t.Fatalf("link %+v %v", res, err)
	}
	if pr, _, _ := e.p.Proposal(ctx, a.ID); pr.Tally.Support != 0 {
		t.Fatalf("A keeps %d", pr.Tally.Support)
	}
	if fixes, err := e.p.RecountConsultations(ctx); err != nil || len(fixes) != 0 {
		t.Fatalf("recount consultations %+v %v", fixes, err)
	}
}

func TestAssisted_LinkCutShortIsFinishedBeforeARecount(t *testing.T) {
	e := newAssisted(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	a := e.proposal(t, c, e.user(), "Vorschlag A für alle")
	r := e.record(t, "Ida I.")
	if _, err := e.a.EnterVote(ctx, e.staff, r.ID, a.ID, e.entry("letter"), "support"); err != nil {
		t.Fatal(err)
	}
	u := e.account(t, "Ida")
	// The process died after the link and the account's copy of the vote,
	// before the record's vote went: both count.
	st := e.db.Participation()
	if _, err := st.LinkRecord(ctx, r.ID, u.ID, e.clk.now); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertVote(ctx, a.ID, u.ID, c.ID, "support"); err != nil {
		t.Fatal(err)
	}
	if err := st.IncProposalCounts(ctx, a.ID, mitreden.Tally{Support: 1}, 0, ""); err != nil {
		t.Fatal(err)
	}
	if pr, _, _ := e.p.Proposal(ctx, a.ID); pr.Tally.Support != 2 {
		t.Fatalf("cut short: %d", pr.Tally.Support)
	}
	// The recount finishes the merge first and then finds nothing to repair.
	if changes, err := e.p.Recount(ctx); err != nil || len(changes) != 0 {
		t.Fatalf("recount %+v %v", changes, err)
	}
	if pr, _, _ := e.p.Proposal(ctx, a.ID); pr.Tally.Support != 1 {
		t.Fatalf("after the recount: %d", pr.Tally.Support)
	}
	if rec, _ := st.FindRecord(ctx, r.ID); !rec.Merged {
		t.Fatal("record not marked merged")
	}
	if n, err := e.a.ResumeLinks(ctx); err != nil || n != 0 {
		t.Fatalf("resume again %d %v", n, err)
	}
}

func TestAssisted_LettersToSendAndCorrections(t *testing.T) {
	e := newAssisted(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	r := e.record(t, "Karl B.")
	pr := e.letterProposal(t, r, c, "Bibliothek samstags öffnen")
	online := e.proposal(t, c, e.user(), "Online-Termine fürs Bürgerbüro")
	if ls, err := e.a.Letters(ctx, e.staff); err != nil || len(ls) != 0 {
		t.Fatalf("letters before an answer %d %v", len(ls), err)
	}
	for _, p := range []*mitreden.Proposal{pr, online} {
		if _, err := e.p.AnswerProposal(ctx, e.admin, p.ID, mitreden.StatusAccepted, "Wir öffnen ab Mai auch samstags."); err != nil {
			t.Fatal(err)
		}
	}
	ls, err := e.a.Letters(ctx, e.staff)
	if err != nil || len(ls) != 1 || ls[0].Proposal.ID != pr.ID || ls[0].Record.Address == "" || ls[0].Consultation.ID != c.ID {
		t.Fatalf("letters %+v %v", ls, err)
	}
	if _, err := e.a.Letters(ctx, e.user()); mitreden.ErrorCode(err) != mitreden.EFORBIDDEN {
		t.Fatalf("citizen reads letters: %v", err)
	}
	if _, err := e.a.ReadLetter(ctx, e.staff, online.ID); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("letter of an online proposal: %v", err)
	}
	l, err := e.a.MarkLetterSent(ctx, e.staff, pr.ID)
	if err != nil || l.SentAt.IsZero() {
		t.Fatalf("mark %+v %v", l, err)
	}
	if ls, _ := e.a.Letters(ctx, e.staff); len(ls) != 0 {
		t.Fatalf("sent letter still listed")
	}
	// A new answer is a new letter.
	e.clk.now = e.clk.now.Add(time.Hour)
	if _, err := e.p.AnswerProposal(ctx, e.admin, pr.ID, mitreden.StatusImplemented, "Seit Mai samstags geöffnet."); err != nil {
		t.Fatal(err)
	}
	if ls, _ := e.a.Letters(ctx, e.staff); len(ls) != 1 {
		t.Fatalf("new answer: %d letters", len(ls))
	}

	// Corrections keep the original and say when.
	got, err := e.a.CorrectProposal(ctx, e.staff, pr.ID, "Bibliothek auch samstags öffnen", "Bitte die Stadtbibliothek auch samstags öffnen, per Brief eingereicht.")
	if err != nil {
		t.Fatal(err)
	}
	stored, _, _ := e.p.Proposal(ctx, pr.ID)
	if stored.Title != "Bibliothek auch samstags öffnen" || stored.Prov.OriginalTitle != "Bibliothek samstags öffnen" ||
		stored.Prov.CorrectedAt.IsZero() || got.Prov.OriginalBody != "Bitte die Bibliothek auch samstags öffnen, per Brief eingereicht." {
		t.Fatalf("corrected %+v %+v", stored, stored.Prov)
	}
	// A second correction keeps the first original.
	if _, err := e.a.CorrectProposal(ctx, e.staff, pr.ID, "Bibliothek samstags und sonntags", stored.Body); err != nil {
		t.Fatal(err)
	}
	if stored, _, _ := e.p.Proposal(ctx, pr.ID); stored.Prov.OriginalTitle != "Bibliothek samstags öffnen" {
		t.Fatalf("original lost: %q", stored.Prov.OriginalTitle)
	}
	_, err = e.a.CorrectProposal(ctx, e.staff, online.ID, "Online-Termine überall", "Online-Termine für alle Ämter der Stadt bitte.")
	wantAssistedCode(t, err, mitreden.EFORBIDDEN, "assisted.not_assisted")
	cm, err := e.a.EnterComment(ctx, e.staff, r.ID, online.ID, e.entry("email"), mitreden.Comment{Body: "Per E-Mail: gute Idee."})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.a.CorrectComment(ctx, e.staff, cm.ID, "Per E-Mail: sehr gute Idee."); err != nil || got.Prov.OriginalBody != "Per E-Mail: gute Idee." {
		t.Fatalf("comment correction %+v %v", got, err)
	}
}

func TestAssisted_LinksAtOnceCountEachVoteOnce(t *testing.T) {
	e := newAssisted(t)
	ctx := context.Background()
	c := e.consultation(t, func(c *mitreden.Consultation) { c.MaxSupports = 2 })
	author := e.user()
	var prs []*mitreden.Proposal
	for _, title := range []string{"Vorschlag A für alle", "Vorschlag B für alle", "Vorschlag C für alle"} {
		prs = append(prs, e.proposal(t, c, author, title))
	}
	r := e.record(t, "Zora Z.")
	for _, pr := range prs[:2] {
		if _, err := e.a.EnterVote(ctx, e.staff, r.ID, pr.ID, e.entry("letter"), "support"); err != nil {
			t.Fatal(err)
		}
	}
	u := e.account(t, "Zora")
	if _, err := e.p.Vote(ctx, u, prs[0].ID, "support"); err != nil {
		t.Fatal(err)
	}
	// A double click, and the person voting online meanwhile.
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); _, err := e.a.Link(ctx, e.staff, r.ID, u.ID); errs <- err }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); _, err := e.p.Vote(ctx, u, prs[1].ID, "support"); errs <- err }()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil && mitreden.ErrorCode(err) != mitreden.ECONFLICT {
			t.Fatal(err)
		}
	}
	total := 0
	for _, pr := range prs {
		got, _, _ := e.p.Proposal(ctx, pr.ID)
		if got.Tally.Support > 1 {
			t.Fatalf("%s counts %d supports of one person", got.Title, got.Tally.Support)
		}
		total += got.Tally.Support
	}
	if total != 2 {
		t.Fatalf("%d supports in all, want the person's 2", total)
	}
	if changes, err := e.p.Recount(ctx); err != nil || len(changes) != 0 {
		t.Fatalf("recount %+v %v", changes, err)
	}
	if fixes, err := e.p.RecountConsultations(ctx); err != nil || len(fixes) != 0 {
		t.Fatalf("recount consultations %+v %v", fixes, err)
	}
}
