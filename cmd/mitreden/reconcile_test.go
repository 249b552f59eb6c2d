package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/service"
)

// apiAs sends a JSON request with a bearer token and decodes the answer
// into out (when set), failing unless the status is want.
func (s *server) apiAs(t *testing.T, token, method, path string, body any, want int, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, s.base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, b := s.do(t, nil, req)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s; want %d", method, path, resp.StatusCode, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

func (s *server) login(t *testing.T, email, password string) string {
	t.Helper()
	var got struct{ Token string }
	s.apiAs(t, "", "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password}, 200, &got)
	return got.Token
}

// waitLog waits until a log line with message msg appears and returns it; the
// bound only keeps a hang from stalling the run.
func waitLog(t *testing.T, s *server, msg string) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		for _, line := range logLines(t, s) {
			if line["msg"] == msg {
				return line
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log:\n%s", msg, s.stderr.String())
		}
	}
}

func hasLog(t *testing.T, s *server, prefix string) bool {
	t.Helper()
	for _, line := range logLines(t, s) {
		if m, _ := line["msg"].(string); strings.HasPrefix(m, prefix) {
			return true
		}
	}
	return false
}

// damage does, on the stopped server's data dir, what an unclean stop can
// leave behind: the proposal's comment counter 2 too high, and (with a
// commentID) the comment missing from the search index and a vote stored
// without its counter update.
func damage(t *testing.T, dir, proposalID, commentID string) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = dir
	ctx := context.Background()
	e, err := openFull(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	oid, err := bson.ObjectIDFromHex(proposalID)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.db.C("proposals").UpdateOne(ctx, bson.D{{Key: "_id", Value: oid}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "comment_count", Value: 2}}}})
	if err != nil || res.ModifiedCount != 1 {
		t.Fatalf("raising the comment counter: %v %+v", err, res)
	}
	if commentID != "" {
		if err := e.searcher.Delete(ctx, mitreden.SearchDocID(mitreden.SearchTypeComment, commentID)); err != nil {
			t.Fatal(err)
		}
		// A vote stored whose counter update never came: its mark on the
		// proposal is seconds old, yet belongs to a dead process.
		if err := e.db.Participation().InsertVote(ctx, proposalID, "ghost", "", "support"); err != nil {
			t.Fatal(err)
		}
	}
}

// commentCount reads a proposal's comment counter through the API.
func commentCount(t *testing.T, s *server, proposalID string) int {
	t.Helper()
	var p struct {
		CommentCount int `json:"comment_count"`
	}
	s.apiAs(t, "", "GET", "/api/v1/proposals/"+proposalID, nil, 200, &p)
	return p.CommentCount
}

func searchTotal(t *testing.T, s *server, q string) int {
	t.Helper()
	var res struct{ Total int }
	s.apiAs(t, "", "GET", "/api/v1/search?q="+q, nil, 200, &res)
	return res.Total
}

// TestProcess_ReconcilesAfterUncleanStop writes through a server, kills it
// with SIGKILL, leaves a counter 2 off and a comment missing from the index,
// and starts again: the server repairs both by itself and logs what it did.
// A clean stop and start after that does not reconcile.
func TestProcess_ReconcilesAfterUncleanStop(t *testing.T) {
	needBinary(t)
	t.Parallel()
	dir := t.TempDir()
	const adminPW, citizenPW = "Rathaus am Markt 2026", "Stadtpark im Sommer 2026"
	createAdmin(t, dir, adminPW)

	s := startServer(t, dir)
	admin := s.login(t, "admin@example.org", adminPW)
	cons := struct{ ID string }{openConsultation(t, s, admin)}
	s.apiAs(t, "", "POST", "/api/v1/auth/register", map[string]string{"email": "rad@example.org", "password": citizenPW,
		"display_name": "Radlerin"}, 202, nil)
	citizen := s.login(t, "rad@example.org", citizenPW)
	var prop struct{ ID string }
	s.apiAs(t, citizen, "POST", "/api/v1/consultations/"+cons.ID+"/proposals", map[string]any{"title": "Radweg an der Ringstraße",
		"body": "Entlang der Ringstraße fehlt ein baulich getrennter Radweg."}, 201, &prop)
	var last struct{ ID string }
	for i, body := range []string{"Sehr wichtig für Schulkinder.", "Bitte auch mit Beleuchtung.",
		"Am Kreisverkehr braucht es eine Querungshilfe zum Zugspitzplatz."} {
		s.apiAs(t, citizen, "POST", "/api/v1/proposals/"+prop.ID+"/comments", map[string]any{"body": body}, 201, &last)
		if i == 0 {
			s.apiAs(t, citizen, "PUT", "/api/v1/proposals/"+prop.ID+"/vote", map[string]any{"value": "support"}, 200, nil)
		}
	}
	if hasLog(t, s, "unclean stop") {
		t.Fatalf("a fresh data dir was taken for an unclean stop:\n%s", s.stderr.String())
	}
	// New comments reach the index through the server's queue, within about
	// a second: wait for it, so the index lacks only what damage removes.
	for deadline := time.Now().Add(10 * time.Second); searchTotal(t, s, "Zugspitzplatz") != 1; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the last comment never reached the index")
		}
	}
	s.kill9(t)
	damage(t, dir, prop.ID, last.ID)

	s = startServer(t, dir)
	if !hasLog(t, s, "unclean stop detected") {
		t.Fatalf("no unclean stop detected at start after SIGKILL:\n%s", s.stderr.String())
	}
	done := waitLog(t, s, "reconciled after an unclean stop")
	var repaired bool
	for _, line := range logLines(t, s) {
		if line["msg"] == "reconcile: counter repaired" && line["proposal"] == prop.ID && line["field"] == "comment_count" {
			repaired = line["from"] == float64(5) && line["to"] == float64(3)
		}
	}
	if !repaired {
		t.Errorf("no log of the comment counter repaired from 5 to 3:\n%s", s.stderr.String())
	}
	var tally struct{ Tally struct{ Support int } }
	if s.apiAs(t, "", "GET", "/api/v1/proposals/"+prop.ID, nil, 200, &tally); tally.Tally.Support != 2 {
		t.Errorf("support after reconciliation: %d, want 2 (the half-written vote counted)", tally.Tally.Support)
	}
	// The index lacks at least the comment damage removed.
	if before, after := done["index_docs_before"].(float64), done["index_docs_after"].(float64); before >= after || done["stored_docs"] != after {
		t.Errorf("index documents before %v, after %v, stored %v; want the missing comment added", before, after, done["stored_docs"])
	}
	if n := commentCount(t, s, prop.ID); n != 3 {
		t.Errorf("comment counter after reconciliation: %d, want 3", n)
	}
	if n := searchTotal(t, s, "Zugspitzplatz"); n != 1 {
		t.Errorf("the comment missing from the index is not found after reconciliation: %d hits", n)
	}

	// A clean stop leaves nothing to reconcile: a counter damaged while the
	// server is down stays as it is (an operator's recount repairs it).
	stopServer(t, s, 10*time.Second)
	damage(t, dir, prop.ID, "")
	s = startServer(t, dir)
	if hasLog(t, s, "unclean stop") || hasLog(t, s, "reconcil") {
		t.Fatalf("reconciled after a clean stop:\n%s", s.stderr.String())
	}
	if n := commentCount(t, s, prop.ID); n != 5 {
		t.Errorf("comment counter after a clean restart: %d, want the damaged 5 untouched", n)
	}
	stopServer(t, s, 10*time.Second)
}

// TestReconciler_SurvivorRepairsDeadInstance runs two reconcilers on one
// store as two instances with an external store would: while both renew,
// neither takes the other's lease; once one stops renewing for the lease
// time, the other takes its lease exactly once, repairs and deletes it.
func TestReconciler_SurvivorRepairsDeadInstance(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	ctx := context.Background()
	e, err := openFull(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	logs := &syncBuffer{}
	clock := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	mk := func() *reconciler {
		r := newReconciler(e, newLogger(logs, "info"))
		r.exclusive = false
		r.now = func() time.Time { return clock }
		r.self.Started, r.self.Renewed = clock, clock
		return r
	}
	a, b := mk(), mk()
	for _, r := range []*reconciler{a, b} {
		if dead, err := r.begin(ctx); err != nil || len(dead) != 0 {
			t.Fatalf("begin: %v %v; want no dead instance", dead, err)
		}
	}
	clock = clock.Add(leaseTTL / 2)
	if err := e.db.Leases().RenewLease(ctx, a.self.ID, clock); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(leaseTTL/2 + time.Second) // b is now unrenewed for longer than the lease time, a is not
	dead, err := a.takeDead(ctx, false)
	if err != nil || len(dead) != 1 || dead[0].ID != b.self.ID {
		t.Fatalf("a took %v %v; want b's lease", dead, err)
	}
	if again, err := mk().takeDead(ctx, false); err != nil || len(again) != 0 {
		t.Fatalf("a third instance took %v %v; want nothing, a holds it", again, err)
	}
	a.reconcile(ctx, dead)
	a.running.Wait()
	if !strings.Contains(logs.String(), `"msg":"reconciled after an unclean stop"`) {
		t.Fatalf("no reconciliation logged:\n%s", logs.String())
	}
	left, err := e.db.Leases().StaleLeases(ctx, clock.Add(time.Hour), "")
	if err != nil || len(left) != 1 || left[0].ID != a.self.ID {
		t.Fatalf("leases left %+v %v; want only a's", left, err)
	}
}

// TestReconciler_RecountsAgainWhileAWriteIsInFlight starts a repair while
// a live vote is half written (its mark set, its counter update not yet
// made): the recount skips the proposal, and the repair recounts again until
// the write ended, then reports the repair done.
func TestReconciler_RecountsAgainWhileAWriteIsInFlight(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	ctx := context.Background()
	e, err := openFull(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	now := time.Now().UTC()
	c := &mitreden.Consultation{Title: "Welche Dienste zuerst online?", Summary: "Sagen Sie uns, was zuerst digital werden soll.",
		Body: "Das Land will die wichtigsten Leistungen online anbieten.", OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(48 * time.Hour),
		VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.participation.CreateConsultation(ctx, service.System, c); err != nil {
		t.Fatal(err)
	}
	p := &mitreden.Proposal{ID: mongo.NewSeedID(), ConsultationID: c.ID, AuthorID: "a", AuthorName: "A", Title: "Bauanträge online",
		Body: "Bauanträge sollen online gestellt werden können.", Status: mitreden.StatusSubmitted, CreatedAt: now}
	if err := e.db.Participation().InsertSeed(ctx, mongo.SeedBatch{Proposals: []*mitreden.Proposal{p}}); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	r := newReconciler(e, newLogger(logs, "info"))
	r.recountWait, r.recountAttempts = 20*time.Millisecond, 500
	// The vote of a live process: marked after this process started.
	if err := e.db.Participation().InsertVote(ctx, p.ID, "live", c.ID, "support"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.repair(ctx) }()
	for deadline := time.Now().Add(time.Minute); !strings.Contains(logs.String(), "recounting again"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the in-flight write was not skipped:\n%s", logs.String())
		}
	}
	// The write ends with its counter update.
	if err := e.db.Participation().IncProposalCounts(ctx, p.ID, mitreden.Tally{Support: 1}, 0, ""); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("repair: %v\n%s", err, logs.String())
	}
	got, err := e.db.Participation().FindProposal(ctx, p.ID)
	if err != nil || got.Tally.Support != 1 {
		t.Fatalf("support after the repair: %+v %v; want 1", got, err)
	}
	if !strings.Contains(logs.String(), `"msg":"reconciled after an unclean stop"`) {
		t.Fatalf("no reconciliation logged:\n%s", logs.String())
	}
}

// A comment's notification is queued behind the comment in the embedded
// mode: killed right after the comment's answer, the server may not have
// written it, and the reconciliation at the next start queues it again. The
// proposal's author is told either way, once.
func TestProcess_CommentNotificationSurvivesKill9(t *testing.T) {
	needBinary(t)
	t.Parallel()
	dir := t.TempDir()
	const adminPW, citizenPW = "Rathaus am Markt 2026", "Stadtpark im Sommer 2026"
	createAdmin(t, dir, adminPW)
	s := startServer(t, dir)
	admin := s.login(t, "admin@example.org", adminPW)
	cons := struct{ ID string }{openConsultation(t, s, admin)}
	token := map[string]string{}
	for _, who := range []string{"rad", "fuss"} {
		s.apiAs(t, "", "POST", "/api/v1/auth/register", map[string]string{"email": who + "@example.org", "password": citizenPW,
			"display_name": "Person " + who}, 202, nil)
		token[who] = s.login(t, who+"@example.org", citizenPW)
	}
	var prop struct{ ID string }
	s.apiAs(t, token["rad"], "POST", "/api/v1/consultations/"+cons.ID+"/proposals", map[string]any{"title": "Radweg an der Ringstraße",
		"body": "Entlang der Ringstraße fehlt ein baulich getrennter Radweg."}, 201, &prop)
	s.apiAs(t, token["fuss"], "POST", "/api/v1/proposals/"+prop.ID+"/comments", map[string]any{"body": "Aber bitte mit breitem Gehweg daneben."}, 201, nil)
	s.kill9(t)

	s = startServer(t, dir)
	waitLog(t, s, "reconciled after an unclean stop")
	rad := s.login(t, "rad@example.org", citizenPW)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var got struct {
			Items []struct{ Kind string }
		}
		s.apiAs(t, rad, "GET", "/api/v1/notifications", nil, 200, &got)
		comments := 0
		for _, it := range got.Items {
			if it.Kind == "comment" {
				comments++
			}
		}
		if comments == 1 {
			break
		}
		if comments > 1 || time.Now().After(deadline) {
			t.Fatalf("the proposal's author has %+v, want the one comment's notification; log:\n%s", got.Items, s.stderr.String())
		}
	}
	stopServer(t, s, 10*time.Second)
}

// createAdmin makes the account admin@example.org (role admin) in the data
// dir with the CLI, before a server holds it.
func createAdmin(t *testing.T, dir, password string) {
	t.Helper()
	if code, _, stderr := runCLI(t, map[string]string{"MITREDEN_DATA_DIR": dir}, password+"\n", "user", "create", "--email", "admin@example.org",
		"--name", "Admina", "--role", "admin", "--password-stdin"); code != 0 {
		t.Fatalf("user create: %s", stderr)
	}
}

// openConsultation creates, as admin, a consultation open since an hour
// for 30 days, with proposals and comments, and returns its id.
func openConsultation(t *testing.T, s *server, admin string) string {
	t.Helper()
	now := time.Now().UTC()
	var cons struct{ ID string }
	s.apiAs(t, admin, "POST", "/api/v1/consultations", map[string]any{"title": "Radwege in der Innenstadt",
		"summary": "Wo fehlen sichere Radwege?", "body": "Die Stadt plant neue Radwege und fragt nach Vorschlägen.",
		"opens_at": now.Add(-time.Hour), "closes_at": now.Add(30 * 24 * time.Hour), "voting_mode": "support",
		"proposals_enabled": true, "comments_enabled": true}, 201, &cons)
	return cons.ID
}
