package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
	"github.com/mitreden/mitreden/internal/search/bleve"
	"github.com/mitreden/mitreden/internal/service"
)

// udEnv is the data self-service over real accounts, participation, the
// council and a search index, on the embedded store.
type udEnv struct {
	db      *mongo.DB
	acc     *service.Accounts
	part    *service.Participation
	council *service.Council
	data    *service.UserData
	idx     mitreden.Searcher
	clk     *fakeClock
	admin   *mitreden.User
	log     *slog.Logger
}

const udPW = "Kastanien im Oktober"

func newUD(t *testing.T, opts ...mongo.Option) *udEnv {
	t.Helper()
	var db *mongo.DB
	if len(opts) == 0 {
		db = mongotest.MustOpenDB(t)
	} else {
		ctx := context.Background()
		var err error
		db, err = mongo.Open(ctx, mongotest.URI(t), mongotest.DBName(t), append(mongotest.Options(), opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Drop(ctx); _ = db.Close(ctx) })
	}
	idx, err := bleve.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	clk := &fakeClock{now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	e := &udEnv{db: db, idx: idx, clk: clk, log: log}
	e.acc = service.NewAccounts(db.Users(), db.Sessions(), db.Counters(), service.AccountsConfig{}, clk.Now, log)
	e.part = service.NewParticipation(db.Participation(), idx, clk.Now, log)
	e.part.SetUsers(db.Users())
	e.council = service.NewCouncil(db.Council(), db.Participation(), idx, clk.Now, log, service.CouncilConfig{})
	e.data = service.NewUserData(e.acc, db.UserData(), e.part, clk.Now, log)
	e.admin = e.user(t, "verwaltung", "Verwaltung", mitreden.RoleAdmin)
	return e
}

func (e *udEnv) user(t *testing.T, email, name string, roles ...mitreden.Role) *mitreden.User {
	t.Helper()
	u, err := e.acc.CreateUser(context.Background(), service.RegisterInput{Email: email + "@example.org", DisplayName: name, Password: udPW, Roles: roles})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *udEnv) consultation(t *testing.T) *mitreden.Consultation {
	t.Helper()
	c := &mitreden.Consultation{Title: "Radwege im Quartier", Summary: "Wo fehlen Radwege, wo sind sie gefährlich?",
		Body: "Die Stadt plant neue Radwege und fragt die Menschen im Quartier.", Topics: []string{"Verkehr"}, Region: "Stadt",
		OpensAt: e.clk.now.Add(-time.Hour), ClosesAt: e.clk.now.Add(30 * 24 * time.Hour), VotingMode: mitreden.VotingSupport,
		ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.part.CreateConsultation(context.Background(), e.admin, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *udEnv) proposal(t *testing.T, c *mitreden.Consultation, by *mitreden.User, title string) *mitreden.Proposal {
	t.Helper()
	pr := &mitreden.Proposal{Title: title, Body: "Ein Vorschlag mit genug Text für die Prüfung: " + title + ".", Topics: []string{"Verkehr"}}
	if err := e.part.CreateProposal(context.Background(), by, c.ID, pr); err != nil {
		t.Fatal(err)
	}
	return pr
}

func (e *udEnv) comment(t *testing.T, by *mitreden.User, pr *mitreden.Proposal, body string) *mitreden.Comment {
	t.Helper()
	cm, err := e.part.AddComment(context.Background(), by, "proposal", pr.ID, mitreden.Comment{Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return cm
}

func (e *udEnv) export(t *testing.T, u *mitreden.User) (map[string]json.RawMessage, string) {
	t.Helper()
	ex, err := e.data.Export(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(ex)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("export is no JSON object: %v: %s", err, b)
	}
	return doc, string(b)
}

func list(t *testing.T, raw json.RawMessage) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("not a list: %s", raw)
	}
	return out
}

func TestUserData_ExportHoldsEverySectionAndNothingForeignOrSecret(t *testing.T) {
	e := newUD(t)
	ctx := context.Background()
	alice := e.user(t, "alice", "Alice Amsel", mitreden.RoleCouncil)
	bob := e.user(t, "bob", "Bob Buchfink")
	l, err := e.acc.Login(ctx, service.LoginInput{Email: "alice@example.org", Password: udPW, IP: "192.0.2.7", UserAgent: "Firefox/140 Testbrowser"})
	if err != nil {
		t.Fatal(err)
	}
	c := e.consultation(t)
	mine := e.proposal(t, c, alice, "Aliceweg mit Schutzstreifen")
	theirs := e.proposal(t, c, bob, "Bobstraße als Fahrradstraße")
	myComment := e.comment(t, alice, theirs, "Alices Kommentar zur Fahrradstraße")
	bobComment := e.comment(t, bob, mine, "Bobs Kommentar zur Kreuzung")
	if _, err := e.part.Vote(ctx, alice, theirs.ID, "support"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.part.Vote(ctx, bob, mine.ID, "support"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.part.VoteComment(ctx, alice, bobComment.ID, 1); err != nil {
		t.Fatal(err)
	}
	if err := e.part.Report(ctx, alice, mitreden.ItemComment, bobComment.ID, mitreden.Report{Reason: "off_topic", Note: "Alices Meldung"}); err != nil {
		t.Fatal(err)
	}
	if err := e.part.Moderate(ctx, e.admin, mitreden.ActionHide, service.ItemRef{Type: mitreden.ItemComment, ID: myComment.ID}, "Nicht zum Thema"); err != nil {
		t.Fatal(err)
	}
	rec, err := e.council.CreateRecommendation(ctx, alice, mitreden.Recommendation{Title: "Alices Empfehlung zu Radwegen",
		Summary: "Kurz.", Body: "Ein Absatz.", Topics: []string{"Verkehr"}}, "Alices erste Fassung")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.council.AddCouncilComment(ctx, alice, rec.ID, "", "Alices interner Kommentar"); err != nil {
		t.Fatal(err)
	}

	doc, text := e.export(t, alice)
	for _, k := range []string{"format", "exported_at", "profile", "sessions", "proposals", "comments", "votes", "comment_votes",
		"reports", "participations", "moderation_decisions", "council"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("export lacks %q", k)
		}
	}
	if string(doc["format"]) != "1" {
		t.Errorf("format = %s", doc["format"])
	}
	var profile map[string]any
	_ = json.Unmarshal(doc["profile"], &profile)
	if profile["email"] != "alice@example.org" || profile["display_name"] != "Alice Amsel" || profile["id"] != alice.ID {
		t.Errorf("profile = %v", profile)
	}
	if roles, _ := profile["roles"].([]any); len(roles) != 2 {
		t.Errorf("roles = %v", profile["roles"])
	}
	sessions := list(t, doc["sessions"])
	if len(sessions) != 1 || sessions[0]["ip"] != "192.0.2.7" || sessions[0]["user_agent"] != "Firefox/140 Testbrowser" {
		t.Errorf("sessions = %v", sessions)
	}
	if props := list(t, doc["proposals"]); len(props) != 1 || props[0]["id"] != mine.ID || props[0]["url"] != "/proposals/"+mine.ID {
		t.Errorf("proposals = %v", props)
	}
	if cms := list(t, doc["comments"]); len(cms) != 1 || cms[0]["id"] != myComment.ID || cms[0]["hidden"] != true {
		t.Errorf("comments = %v", cms)
	}
	if votes := list(t, doc["votes"]); len(votes) != 1 || votes[0]["proposal_id"] != theirs.ID || votes[0]["value"] != "support" {
		t.Errorf("votes = %v", votes)
	}
	if cv := list(t, doc["comment_votes"]); len(cv) != 1 || cv[0]["comment_id"] != bobComment.ID || cv[0]["value"] != float64(1) {
		t.Errorf("comment votes = %v", cv)
	}
	if reps := list(t, doc["reports"]); len(reps) != 1 || reps[0]["note"] != "Alices Meldung" {
		t.Errorf("reports = %v", reps)
	}
	if ps := list(t, doc["participations"]); len(ps) != 1 || ps[0]["consultation_id"] != c.ID {
		t.Errorf("participations = %v", ps)
	}
	if dec := list(t, doc["moderation_decisions"]); len(dec) != 1 || dec[0]["action"] != mitreden.ActionHide || dec[0]["item_id"] != myComment.ID {
		t.Errorf("moderation decisions = %v", dec)
	}
	var council struct{ Revisions, Comments, Votes []map[string]any }
	_ = json.Unmarshal(doc["council"], &council)
	if len(council.Revisions) != 1 || council.Revisions[0]["note"] != "Alices erste Fassung" || len(council.Comments) != 1 {
		t.Errorf("council = %+v", council)
	}
	// Nothing of Bob's, no secret, no moderator's name.
	fresh, _ := e.db.Users().FindUserByID(ctx, alice.ID)
	for _, foreign := range []string{"bob@example.org", "Bobstraße", "Bobs Kommentar", bob.ID, fresh.PasswordHash, "password",
		l.Token, l.Session.ID, "Verwaltung", e.admin.ID} {
		if strings.Contains(text, foreign) {
			t.Errorf("export holds %q", foreign)
		}
	}
	// Bob's export holds his own and not Alice's.
	_, btext := e.export(t, bob)
	if !strings.Contains(btext, "Bobstraße") || strings.Contains(btext, "Aliceweg") || strings.Contains(btext, "alice@example.org") {
		t.Errorf("bob's export: %s", btext)
	}
	if _, err := e.data.Export(ctx, nil); mitreden.ErrorCode(err) != mitreden.EUNAUTHORIZED {
		t.Errorf("anonymous export: %v", err)
	}
}

// TestUserData_ExportQueriesDoNotGrowWithContributions counts the finds
// of an export: one per section (and its cursor's batches), the same for a
// person with 1 and with 150 contributions of each kind.
func TestUserData_ExportQueriesDoNotGrowWithContributions(t *testing.T) {
	var mu sync.Mutex
	finds := 0
	monitor := &event.CommandMonitor{Started: func(_ context.Context, ev *event.CommandStartedEvent) {
		if ev.CommandName == "find" || ev.CommandName == "aggregate" || ev.CommandName == "count" {
			mu.Lock()
			finds++
			mu.Unlock()
		}
	}}
	e := newUD(t, mongo.WithMonitor(monitor))
	ctx := context.Background()
	c := e.consultation(t)
	few := e.user(t, "wenig", "Wenig Schreiberin")
	many := e.user(t, "viel", "Viel Schreiber")
	target := e.proposal(t, c, e.admin, "Ein Vorschlag zum Kommentieren")
	write := func(u *mitreden.User, n int) {
		for i := range n {
			pr := e.proposal(t, c, u, u.DisplayName+" Vorschlag Nummer "+strings.Repeat("x", i%5+1))
			e.comment(t, u, target, "Kommentar Nummer "+pr.ID)
			if _, err := e.part.Vote(ctx, u, pr.ID, "support"); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(few, 1)
	write(many, 150)
	count := func(u *mitreden.User) int {
		mu.Lock()
		finds = 0
		mu.Unlock()
		doc, _ := e.export(t, u)
		if n := len(list(t, doc["proposals"])); n != map[string]int{few.ID: 1, many.ID: 150}[u.ID] {
			t.Fatalf("%d proposals exported", n)
		}
		mu.Lock()
		defer mu.Unlock()
		return finds
	}
	a, b := count(few), count(many)
	if a != b || a == 0 || a > 20 {
		t.Fatalf("export of 1 contribution: %d queries, of 150: %d; want the same, and few", a, b)
	}
}

func TestUserData_DeleteAccountErasesProfileAndSessionsAndKeepsContributionsAndCounts(t *testing.T) {
	e := newUD(t)
	ctx := context.Background()
	alice := e.user(t, "alice", "Alice Amsel")
	bob := e.user(t, "bob", "Bob Buchfink")
	l := func(email string) *service.Login {
		t.Helper()
		l, err := e.acc.Login(ctx, service.LoginInput{Email: email, Password: udPW})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	la, la2, lb := l("alice@example.org"), l("alice@example.org"), l("bob@example.org")
	// A pending address change holds the new address in its link.
	link := &mitreden.AccountToken{ID: "link-of-alice", Purpose: mitreden.TokenEmailChange, UserID: alice.ID, Email: "alice.neu@example.org",
		CreatedAt: e.clk.now, ExpiresAt: e.clk.now.Add(time.Hour)}
	if err := e.db.AccountTokens().CreateAccountToken(ctx, link); err != nil {
		t.Fatal(err)
	}
	c := e.consultation(t)
	mine := e.proposal(t, c, alice, "Kreuzung Lindenplatz entschärfen")
	theirs := e.proposal(t, c, bob, "Fahrradparkhaus am Bahnhof")
	myComment := e.comment(t, alice, theirs, "Ein Fahrradparkhaus mit Ladestationen wäre gut")
	bobComment := e.comment(t, bob, mine, "Die Kreuzung ist wirklich gefährlich")
	for _, v := range []struct {
		who *mitreden.User
		pr  *mitreden.Proposal
	}{{alice, theirs}, {alice, mine}, {bob, mine}} {
		if _, err := e.part.Vote(ctx, v.who, v.pr.ID, "support"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.part.VoteComment(ctx, alice, bobComment.ID, 1); err != nil {
		t.Fatal(err)
	}
	people := func() int {
		t.Helper()
		n, err := e.db.Participation().ParticipantCounts(ctx, []string{c.ID})
		if err != nil {
			t.Fatal(err)
		}
		return n[c.ID]
	}
	if n := people(); n != 2 {
		t.Fatalf("%d participants before, want 2", n)
	}

	// A wrong password deletes nothing.
	err := e.data.DeleteAccount(ctx, la.User, "falsches Passwort")
	if de := (*mitreden.Error)(nil); !errors.As(err, &de) || de.Code != mitreden.EINVALID || len(de.Fields) != 1 || de.Fields[0].Field != "password" ||
		de.Fields[0].Message != "data.delete_password_wrong" {
		t.Fatalf("wrong password: %v", err)
	}
	if _, _, err := e.acc.Authenticate(ctx, la.Token); err != nil {
		t.Fatalf("session gone after a wrong password: %v", err)
	}

	if err := e.data.DeleteAccount(ctx, la.User, udPW); err != nil {
		t.Fatal(err)
	}
	// Profile and sessions are gone, login fails, the address and the
	// name register again.
	for _, tok := range []string{la.Token, la2.Token} {
		if _, _, err := e.acc.Authenticate(ctx, tok); mitreden.ErrorCode(err) != mitreden.EUNAUTHORIZED {
			t.Errorf("a session outlived the deletion: %v", err)
		}
	}
	if s, _ := e.db.Sessions().ListUserSessions(ctx, alice.ID); len(s) != 0 {
		t.Errorf("%d sessions stored", len(s))
	}
	if _, err := e.db.Users().FindUserByID(ctx, alice.ID); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Errorf("the user is still stored: %v", err)
	}
	if _, err := e.acc.Login(ctx, service.LoginInput{Email: "alice@example.org", Password: udPW}); mitreden.ErrorCode(err) != mitreden.EUNAUTHORIZED {
		t.Errorf("login after deletion: %v", err)
	}
	if _, err := e.db.AccountTokens().UseAccountToken(ctx, link.ID, link.Purpose, e.clk.now); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Errorf("the address change link outlived the account: %v", err)
	}
	again := e.user(t, "alice", "Alice Amsel")
	if again.ID == alice.ID {
		t.Error("the new account has the old id")
	}
	if _, _, err := e.acc.Authenticate(ctx, lb.Token); err != nil {
		t.Errorf("bob's session ended: %v", err)
	}

	// Contributions stay, attributed to the deleted account.
	st := e.db.Participation()
	pr, err := st.FindProposal(ctx, mine.ID)
	if err != nil || pr.AuthorID != mitreden.DeletedAuthorID || pr.AuthorName != "" || pr.Title != mine.Title {
		t.Errorf("proposal after deletion: %+v %v", pr, err)
	}
	cm, err := st.FindComment(ctx, myComment.ID)
	if err != nil || cm.AuthorID != mitreden.DeletedAuthorID || cm.AuthorName != "" || cm.Body != myComment.Body {
		t.Errorf("comment after deletion: %+v %v", cm, err)
	}
	if other, _ := st.FindProposal(ctx, theirs.ID); other.AuthorID != bob.ID || other.AuthorName != "Bob Buchfink" {
		t.Errorf("bob's proposal changed: %+v", other)
	}
	if _, err := e.part.ReadProposal(ctx, nil, mine.ID, ""); err != nil {
		t.Errorf("the proposal no longer reads: %v", err)
	}
	res, err := e.idx.Search(ctx, mitreden.SearchQuery{Text: "Lindenplatz"})
	if err != nil || res.Total != 1 {
		t.Errorf("search finds the proposal %d times (%v)", res.Total, err)
	}
	// Votes stay counted, and nothing links them to the person any more.
	for _, p := range []struct {
		pr   *mitreden.Proposal
		want int
	}{{theirs, 1}, {mine, 2}} {
		got, _ := st.FindProposal(ctx, p.pr.ID)
		n, _ := st.CountVotes(ctx, p.pr.ID)
		if got.Tally.Support != p.want || n.Support != p.want {
			t.Errorf("%s: tally %d, records %d, want %d", p.pr.Title, got.Tally.Support, n.Support, p.want)
		}
	}
	if fixes, err := e.part.Recount(ctx); err != nil || len(fixes) != 0 {
		t.Errorf("recount after deletion: %v %v", fixes, err)
	}
	// The person still counts as having taken part, but as nobody.
	if n := people(); n != 2 {
		t.Errorf("%d participants after, want 2", n)
	}
	if fixes, err := e.part.RecountConsultations(ctx); err != nil || len(fixes) != 0 {
		t.Errorf("consultation recount after deletion: %v %v", fixes, err)
	}
	if n := people(); n != 2 {
		t.Errorf("%d participants after the recount, want 2", n)
	}
	var parts []mitreden.Participant
	_ = e.db.UserData().EachUserParticipation(ctx, alice.ID, func(p mitreden.Participant) error { parts = append(parts, p); return nil })
	if len(parts) != 0 {
		t.Errorf("participation found by the deleted user: %v", parts)
	}
	if v, _ := st.UserVoteList(ctx, alice.ID, 0); len(v) != 0 {
		t.Errorf("votes found by the deleted user: %v", v)
	}
	if _, err := st.FindVote(ctx, theirs.ID, alice.ID); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Errorf("vote found by proposal and user: %v", err)
	}
	if v, _ := st.UserCommentVotes(ctx, alice.ID, []string{bobComment.ID}); len(v) != 0 {
		t.Errorf("comment votes found by the deleted user: %v", v)
	}
	if got, _ := st.FindComment(ctx, bobComment.ID); got.Up != 1 {
		t.Errorf("comment's helpful count %d, want 1", got.Up)
	}
	if pend, _ := e.db.UserData().PendingErasures(ctx, e.clk.now.Add(time.Hour)); len(pend) != 0 {
		t.Errorf("deletion left pending: %v", pend)
	}
	// The new account with the same address starts empty.
	doc, _ := e.export(t, again)
	for _, k := range []string{"proposals", "comments", "votes", "comment_votes"} {
		if n := len(list(t, doc[k])); n != 0 {
			t.Errorf("new account's %s: %d", k, n)
		}
	}
}

func TestUserData_LastAdminCannotDeleteABlockedPersonCan(t *testing.T) {
	e := newUD(t)
	ctx := context.Background()
	err := e.data.DeleteAccount(ctx, e.admin, udPW)
	if de := (*mitreden.Error)(nil); !errors.As(err, &de) || de.Code != mitreden.ECONFLICT || de.Message != "data.delete_last_admin" {
		t.Fatalf("last admin: %v", err)
	}
	if _, err := e.db.Users().FindUserByID(ctx, e.admin.ID); err != nil {
		t.Fatalf("last admin deleted: %v", err)
	}
	second := e.user(t, "zweite", "Zweite Verwaltung", mitreden.RoleAdmin)
	citizen := e.user(t, "buerger", "Bürgerin Berta")
	pr := e.proposal(t, e.consultation(t), citizen, "Mehr Licht im Unterführungstunnel")
	if _, err := e.part.AnswerProposal(ctx, second, pr.ID, "accepted", "Wir bauen neue Lampen ein."); err != nil {
		t.Fatal(err)
	}
	if err := e.data.DeleteAccount(ctx, second, udPW); err != nil {
		t.Fatalf("an admin with another admin left: %v", err)
	}
	// The official answer stays, without the name of who gave it.
	if got, _ := e.db.Participation().FindProposal(ctx, pr.ID); got.AnsweredByID != mitreden.DeletedAuthorID || got.AnsweredBy != "" ||
		got.Answer != "Wir bauen neue Lampen ein." || got.AuthorID != citizen.ID {
		t.Errorf("answer after the answerer's deletion: %+v", got)
	}
	// Two admins deleting their accounts at once never leave the platform
	// without one.
	for round := range 5 {
		a := e.user(t, fmt.Sprintf("a%d", round), fmt.Sprintf("Admin A%d", round), mitreden.RoleAdmin)
		b := e.user(t, fmt.Sprintf("b%d", round), fmt.Sprintf("Admin B%d", round), mitreden.RoleAdmin)
		// Now e.admin, a and b: e.admin steps down first, leaving two.
		if _, err := e.db.Users().SetRoles(ctx, e.admin.ID, nil); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, u := range []*mitreden.User{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); _ = e.data.DeleteAccount(ctx, u, udPW) }()
		}
		wg.Wait()
		if _, n, err := e.db.Users().ListUsers(ctx, mitreden.UserFilter{Role: mitreden.RoleAdmin, PerPage: 1}); err != nil || n == 0 {
			t.Fatalf("round %d: %d admins left (%v)", round, n, err)
		}
		if _, err := e.db.Users().SetRoles(ctx, e.admin.ID, []mitreden.Role{mitreden.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
		for _, u := range []*mitreden.User{a, b} {
			if _, err := e.db.Users().FindUserByID(ctx, u.ID); err == nil {
				_, _ = e.db.Users().SetRoles(ctx, u.ID, nil)
			}
		}
	}
	blocked := e.user(t, "gesperrt", "Gesperrte Person")
	if _, err := e.part.Block(ctx, e.admin, blocked.ID, "Beleidigend", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := e.data.DeleteAccount(ctx, blocked, udPW); err != nil {
		t.Fatalf("a blocked person: %v", err)
	}
	if err := e.data.DeleteAccount(ctx, nil, udPW); mitreden.ErrorCode(err) != mitreden.EUNAUTHORIZED {
		t.Fatalf("anonymous: %v", err)
	}
}

// failingStore breaks one step of a deletion, as a crash there would.
type failingStore struct {
	mitreden.UserDataStore
	failUnlink bool
}

func (f *failingStore) UnlinkVotes(ctx context.Context, userID, salt string) error {
	if f.failUnlink {
		return &mitreden.Error{Code: mitreden.EUNAVAILABLE, Message: "error.unavailable"}
	}
	return f.UserDataStore.UnlinkVotes(ctx, userID, salt)
}

func TestUserData_InterruptedDeletionIsFinishedByTheResume(t *testing.T) {
	e := newUD(t)
	ctx := context.Background()
	alice := e.user(t, "alice", "Alice Amsel")
	bob := e.user(t, "bob", "Bob Buchfink")
	c := e.consultation(t)
	theirs := e.proposal(t, c, bob, "Mehr Bänke am Fluss")
	mine := e.proposal(t, c, alice, "Trinkbrunnen im Park")
	for _, who := range []*mitreden.User{alice, bob} {
		if _, err := e.part.Vote(ctx, who, theirs.ID, "support"); err != nil {
			t.Fatal(err)
		}
	}
	broken := service.NewUserData(e.acc, &failingStore{UserDataStore: e.db.UserData(), failUnlink: true}, e.part, e.clk.Now, e.log)
	if err := broken.DeleteAccount(ctx, alice, udPW); err != nil {
		t.Fatalf("the account is gone, so the deletion answers success: %v", err)
	}
	st := e.db.Participation()
	if _, err := e.db.Users().FindUserByID(ctx, alice.ID); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("profile not erased at once: %v", err)
	}
	if pr, _ := st.FindProposal(ctx, mine.ID); pr.AuthorID != mitreden.DeletedAuthorID {
		t.Fatalf("the step before the failure did not run: %+v", pr)
	}
	pend, err := e.db.UserData().PendingErasures(ctx, e.clk.now.Add(time.Second))
	if err != nil || len(pend) != 1 || pend[0].UserID != alice.ID {
		t.Fatalf("pending deletions: %v %v", pend, err)
	}
	if v, _ := st.UserVoteList(ctx, alice.ID, 0); len(v) != 1 {
		t.Fatalf("the interrupted step ran: %v", v)
	}
	// A restart: a resume of deletions that started not yet long ago
	// leaves them to the request that may still run them.
	if n, err := e.data.ResumeErasures(ctx, time.Minute); err != nil || n != 0 {
		t.Fatalf("resume of recent deletions: %d %v", n, err)
	}
	if n, err := e.data.ResumeErasures(ctx, 0); err != nil || n != 1 {
		t.Fatalf("resume: %d %v", n, err)
	}
	if v, _ := st.UserVoteList(ctx, alice.ID, 0); len(v) != 0 {
		t.Errorf("votes still linked after the resume: %v", v)
	}
	if got, _ := st.FindProposal(ctx, theirs.ID); got.Tally.Support != 2 {
		t.Errorf("tally %d, want 2", got.Tally.Support)
	}
	if n, _ := st.CountVotes(ctx, theirs.ID); n.Support != 2 {
		t.Errorf("vote records %d, want 2", n.Support)
	}
	// Every step runs again harmlessly: the same salt derives the same ids.
	pend[0].UserID = alice.ID
	if err := e.db.UserData().UnlinkVotes(ctx, alice.ID, pend[0].Salt); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.CountVotes(ctx, theirs.ID); n.Support != 2 {
		t.Errorf("vote records after a second run %d, want 2", n.Support)
	}
	if n, err := e.data.ResumeErasures(ctx, 0); err != nil || n != 0 {
		t.Fatalf("second resume: %d %v", n, err)
	}
}

// TestUserData_RegisteredSectionsJoinExportAndDeletion checks the seam
// other services plug into: a registered section appears in the export
// under its name and its erase runs in every deletion, resumed ones too.
func TestUserData_RegisteredSectionsJoinExportAndDeletion(t *testing.T) {
	e := newUD(t)
	ctx := context.Background()
	alice := e.user(t, "alice", "Alice Amsel")
	var erased []string
	sec := mitreden.UserDataSection{Name: "follows",
		Export: func(_ context.Context, u *mitreden.User) (any, error) { return []string{"folgt:" + u.ID}, nil },
		Erase: func(_ context.Context, er *mitreden.Erasure) error {
			erased = append(erased, er.UserID)
			return nil
		}}
	// Wired twice by mistake, it still appears and runs once.
	e.data.Register(sec)
	e.data.Register(sec)
	doc, text := e.export(t, alice)
	if n := strings.Count(text, `"follows":`); n != 1 {
		t.Errorf("the section appears %d times", n)
	}
	if got := string(doc["follows"]); got != `["folgt:`+alice.ID+`"]` {
		t.Errorf("follows = %s", got)
	}
	if err := e.data.DeleteAccount(ctx, alice, udPW); err != nil {
		t.Fatal(err)
	}
	if len(erased) != 1 || erased[0] != alice.ID {
		t.Errorf("erased = %v", erased)
	}
}

// mailsForgotten records which addresses a deletion asked to forget, and
// whether the account still existed then.
type mailsForgotten struct {
	e     *udEnv
	calls []string
}

func (m *mailsForgotten) ForgetRecipient(ctx context.Context, email string) (int, error) {
	if _, err := m.e.db.Users().FindUserByEmail(ctx, email); err != nil {
		m.calls = append(m.calls, "after the account went: "+email)
		return 0, nil
	}
	m.calls = append(m.calls, email)
	return 1, nil
}

// TestUserData_MailsToTheAddressGoBeforeTheAddressIsFree: the stored mails
// to the address are deleted while the account still holds it, so a
// resumed deletion never deletes the mails of a new account that
// registered the address meanwhile.
func TestUserData_MailsToTheAddressGoBeforeTheAddressIsFree(t *testing.T) {
	e := newUD(t)
	ctx := context.Background()
	m := &mailsForgotten{e: e}
	e.data.ForgetMails(m)
	alice := e.user(t, "alice", "Alice Amsel")
	if err := e.data.DeleteAccount(ctx, alice, udPW); err != nil {
		t.Fatal(err)
	}
	if len(m.calls) != 1 || m.calls[0] != "alice@example.org" {
		t.Fatalf("forgotten: %v", m.calls)
	}
	// A deletion interrupted after the account went, then the address
	// registered again: the resume leaves the new account's mails alone.
	bob := e.user(t, "bob", "Bob Buchfink")
	if err := e.db.UserData().EraseUser(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.UserData().StartErasure(ctx, &mitreden.Erasure{UserID: bob.ID, StartedAt: e.clk.now, Salt: "salz"}); err != nil {
		t.Fatal(err)
	}
	e.user(t, "bob", "Bob Buchfink")
	m.calls = nil
	if n, err := e.data.ResumeErasures(ctx, 0); err != nil || n != 1 {
		t.Fatalf("resume: %d %v", n, err)
	}
	if len(m.calls) != 0 {
		t.Fatalf("the resume forgot mails: %v", m.calls)
	}
}
