package main

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// TestRetryLoop_IndexesRecordedDocuments records a consultation as failed to
// index, as a write during a search outage does, and checks that the serve
// loop indexes it on its own.
func TestRetryLoop_IndexesRecordedDocuments(t *testing.T) {
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
	// Written with no search engine at all: nothing reaches the index.
	noSearch := service.NewParticipation(e.db.Participation(), nil, service.SystemClock, log)
	admin := &mitreden.User{ID: "admin", DisplayName: "Admina", Roles: []mitreden.Role{mitreden.RoleAdmin}}
	now := time.Now().UTC()
	c := &mitreden.Consultation{Title: "Glasfaser für den ländlichen Raum", Summary: "Wo fehlt schnelles Internet am meisten?",
		Body: "Der Kreis plant den Ausbau und fragt, wo er anfangen soll.", Region: "Kreis", OpensAt: now.Add(-time.Hour),
		ClosesAt: now.Add(24 * time.Hour), VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
	if err := noSearch.CreateConsultation(ctx, admin, c); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Participation().AddSearchRetries(ctx, mitreden.SearchDocID(mitreden.SearchTypeConsultation, c.ID)); err != nil {
		t.Fatal(err)
	}
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { retryLoop(lctx, e, log, 20*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()
	// The loop indexes, then deletes the record: wait for both.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res, err := e.searcher.Search(ctx, mitreden.SearchQuery{Text: "Glasfaser"})
		left, lerr := e.db.Participation().SearchRetries(ctx, 10)
		if err == nil && res.Total == 1 && lerr == nil && len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not indexed by the retry loop, or its record left: %+v %v; records %v %v", res, err, left, lerr)
		}
	}
}
