package main

import (
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/service"
)

// TestProcess_ServeRendersWhatAnOlderReleaseStored starts the server on a
// data dir holding a proposal without HTML, as releases that rendered on
// every read stored it: the API shows its source escaped until the
// backfill serve starts in the background has rendered it, then the HTML.
func TestProcess_ServeRendersWhatAnOlderReleaseStored(t *testing.T) {
	needBinary(t)
	t.Parallel()
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.DataDir = dir
	ctx := context.Background()
	e, err := openFull(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	c := &mitreden.Consultation{Title: "Welche Dienste zuerst online?", Summary: "Sagen Sie uns, was zuerst digital werden soll.",
		Body: "Das Land will die wichtigsten Leistungen online anbieten.", OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(48 * time.Hour),
		VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
	if err := e.participation.CreateConsultation(ctx, service.System, c); err != nil {
		e.close()
		t.Fatal(err)
	}
	old := &mitreden.Proposal{ID: mongo.NewSeedID(), ConsultationID: c.ID, AuthorID: "alt", AuthorName: "Alt", Title: "Ein alter Vorschlag",
		Body: "Ein **alter** Vorschlag.", Status: mitreden.StatusSubmitted, CreatedAt: now}
	err = e.db.Participation().InsertSeed(ctx, mongo.SeedBatch{Proposals: []*mitreden.Proposal{old}})
	e.close()
	if err != nil {
		t.Fatal(err)
	}

	s := startServer(t, dir)
	var got struct {
		BodyHTML string `json:"body_html"`
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		_, body := s.get(t, "/api/v1/proposals/"+old.ID)
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if got.BodyHTML == "<p>Ein <strong>alter</strong> Vorschlag.</p>\n" {
			break
		}
		if got.BodyHTML != "<p>Ein **alter** Vorschlag.</p>" {
			t.Fatalf("before the backfill: %q, want the source escaped", got.BodyHTML)
		}
		if time.Now().After(deadline) {
			t.Fatalf("not rendered a minute after the start:\n%s", s.stderr.String())
		}
	}
	// The backfill logs after its writes, so a page may show the rendered
	// text a moment before the line is written.
	if line := waitLog(t, s, "rendered stored Markdown"); line["proposals"] != float64(1) || line["consultations"] != float64(0) {
		t.Errorf("backfill log: %v", line)
	}
}
