package main

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// TestErasureLoop_FinishesARecordedDeletion records a deletion as a
// request does first and stops there, as a crash would; the serve loop
// finishes it on its own: the account goes and its proposal is attributed
// to the deleted account.
func TestErasureLoop_FinishesARecordedDeletion(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	log := newLogger(io.Discard, "error")
	ctx := context.Background()
	e, err := open(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	if err := e.openSearch(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := e.accounts.CreateUser(ctx, service.RegisterInput{Email: "erika@example.org", DisplayName: "Erika Elster", Password: "Lindenblüten im Juni"})
	if err != nil {
		t.Fatal(err)
	}
	admin := &mitreden.User{ID: "admin", DisplayName: "Admina", Roles: []mitreden.Role{mitreden.RoleAdmin}}
	now := time.Now().UTC()
	c := &mitreden.Consultation{Title: "Bänke am Fluss", Summary: "Wo fehlen Bänke am Flussufer?",
		Body: "Die Stadt stellt neue Bänke auf und fragt, wo.", Region: "Stadt", OpensAt: now.Add(-time.Hour),
		ClosesAt: now.Add(24 * time.Hour), VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.participation.CreateConsultation(ctx, admin, c); err != nil {
		t.Fatal(err)
	}
	pr := &mitreden.Proposal{Title: "Eine Bank an der Brücke", Body: "Eine Bank mit Blick auf den Fluss an der Brücke."}
	if err := e.participation.CreateProposal(ctx, u, c.ID, pr); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.UserData().StartErasure(ctx, &mitreden.Erasure{UserID: u.ID, StartedAt: now, Salt: "salz"}); err != nil {
		t.Fatal(err)
	}
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { erasureLoop(lctx, e, log, 20*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		pending, perr := e.db.UserData().PendingErasures(ctx, time.Now().Add(time.Hour))
		_, uerr := e.db.Users().FindUserByID(ctx, u.ID)
		got, _ := e.db.Participation().FindProposal(ctx, pr.ID)
		if perr == nil && len(pending) == 0 && mitreden.ErrorCode(uerr) == mitreden.ENOTFOUND && got != nil && got.AuthorID == mitreden.DeletedAuthorID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deletion not finished by the loop: pending %v %v, user %v, proposal %+v", pending, perr, uerr, got)
		}
	}
}

// TestProcess_DeletionCutShortIsFinishedAtStart: a server is killed with
// -9 right after a deletion was recorded (the record is written while it
// is down, as the request had got that far); the next start finishes it:
// the login fails and the address registers again.
func TestProcess_DeletionCutShortIsFinishedAtStart(t *testing.T) {
	needBinary(t)
	dir := t.TempDir()
	s := startServer(t, dir)
	const pw = "Lindenblüten im Juni"
	if resp, body := s.postJSON(t, "/api/v1/auth/register", registerJSON("erika@example.org", pw)); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("register: %d %s", resp.StatusCode, body)
	}
	if resp, body := s.postJSON(t, "/api/v1/auth/login", loginJSON("erika@example.org", pw)); resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	s.kill9(t)

	cfg := DefaultConfig()
	cfg.DataDir = dir
	ctx := context.Background()
	e, err := open(ctx, cfg, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.db.Users().FindUserByEmail(ctx, "erika@example.org")
	if err == nil {
		_, err = e.db.UserData().StartErasure(ctx, &mitreden.Erasure{UserID: u.ID, StartedAt: time.Now().UTC(), Salt: "salz"})
	}
	e.close()
	if err != nil {
		t.Fatal(err)
	}

	s = startServer(t, dir)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, _ := s.postJSON(t, "/api/v1/auth/login", loginJSON("erika@example.org", pw))
		if resp.StatusCode == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the deletion was not finished at start: login %d", resp.StatusCode)
		}
	}
	if resp, body := s.postJSON(t, "/api/v1/auth/register", registerJSON("erika@example.org", "Kastanien im Oktober")); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("register again: %d %s", resp.StatusCode, body)
	}
	if resp, body := s.postJSON(t, "/api/v1/auth/login", loginJSON("erika@example.org", "Kastanien im Oktober")); resp.StatusCode != http.StatusOK {
		t.Fatalf("the address did not register again: %d %s", resp.StatusCode, body)
	}
}
