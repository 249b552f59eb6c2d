package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/markdown"
	"github.com/mitreden/mitreden/internal/mitreden"
)

// contents counts what the data dir holds, opening it in-process.
type contents struct {
	consultations, proposals, comments, answered int
	phases                                       map[mitreden.Phase]int
	searchTotal                                  int // hits for a typo of "Digitalisierung"
	indexed, stored                              int
	// unrendered counts items without current HTML (markdown.Version).
	unrendered int
}

func inspect(t *testing.T, dir string) contents {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = dir
	ctx := context.Background()
	e, err := openFull(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	st := e.db.Participation()
	c := contents{phases: map[mitreden.Phase]int{}}
	now := time.Now()
	if err := st.AllConsultations(ctx, func(x *mitreden.Consultation) error {
		c.consultations++
		c.phases[x.Phase(now)]++
		c.unrendered += btoi(x.HTMLVersion != markdown.Version || x.BodyHTML == "" || (x.Results != "") != (x.ResultsHTML != ""))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.AllProposals(ctx, func(p *mitreden.Proposal) error {
		c.proposals++
		c.unrendered += btoi(p.HTMLVersion != markdown.Version || p.BodyHTML == "" || (p.Answer != "") != (p.AnswerHTML != ""))
		if p.Answer != "" {
			c.answered++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.AllComments(ctx, func(cm *mitreden.Comment) error {
		c.comments++
		c.unrendered += btoi(cm.HTMLVersion != markdown.Version || cm.BodyHTML == "")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	res, err := e.searcher.Search(ctx, mitreden.SearchQuery{Text: "Digitalisirung"})
	if err != nil {
		t.Fatal(err)
	}
	c.searchTotal = res.Total
	if c.indexed, c.stored, err = e.indexing.Check(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSeedDemo_RealisticIndexedAndIdempotent seeds the demo twice: the
// content the demo promises is there once, searchable, with working demo
// accounts printed.
func TestSeedDemo_RealisticIndexedAndIdempotent(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"MITREDEN_DATA_DIR": dir}
	code, out, stderr := runCLI(t, env, "", "seed", "--demo")
	if code != 0 {
		t.Fatalf("seed --demo: %d %s", code, stderr)
	}
	for _, a := range demoAccounts {
		if !strings.Contains(out, a.email) || !strings.Contains(out, a.password) {
			t.Fatalf("demo account %s and its password not printed:\n%s", a.email, out)
		}
	}
	first := inspect(t, dir)
	if first.consultations != 6 || first.proposals < 45 || first.proposals > 70 || first.comments < 350 || first.comments > 450 {
		t.Fatalf("demo content: %+v", first)
	}
	for _, ph := range []mitreden.Phase{mitreden.PhaseOpen, mitreden.PhaseUpcoming, mitreden.PhaseClosed, mitreden.PhaseEvaluated} {
		if first.phases[ph] == 0 {
			t.Errorf("no consultation in phase %s: %v", ph, first.phases)
		}
	}
	if first.unrendered != 0 {
		t.Errorf("%d demo items without their HTML", first.unrendered)
	}
	if first.answered == 0 {
		t.Error("no answered proposals")
	}
	if first.searchTotal == 0 || first.indexed != first.stored {
		t.Errorf("demo not searchable: %d hits for a typo, %d indexed of %d", first.searchTotal, first.indexed, first.stored)
	}
	if err := checkLogin(t, dir, demoAccounts[0].email, demoAccounts[0].password); err != nil {
		t.Fatalf("demo admin cannot log in: %v", err)
	}
	if err := checkLogin(t, dir, "buerger001@mitreden.example", demoCitizenPassword); err != nil {
		t.Fatalf("demo citizen cannot log in: %v", err)
	}

	code, out, stderr = runCLI(t, env, "", "seed", "--demo")
	if code != 0 || !strings.Contains(out, "nothing to do") {
		t.Fatalf("second seed --demo: %d %q %s", code, out, stderr)
	}
	if again := inspect(t, dir); fmt.Sprint(again) != fmt.Sprint(first) {
		t.Fatalf("second run changed the content: %+v, was %+v", again, first)
	}
	if code, out, _ := runCLI(t, env, "", "recount"); code != 0 || !strings.Contains(out, "0 counters repaired") {
		t.Fatalf("recount after seeding: %d %s", code, out)
	}
}

// TestSeedScale_RecountRepairsDriftAndReindex generates benchmark data,
// breaks a counter, and checks that recount names and repairs exactly that,
// and that reindex rebuilds the index from the store.
func TestSeedScale_RecountRepairsDriftAndReindex(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"MITREDEN_DATA_DIR": dir}
	if code, _, stderr := runCLI(t, env, "", "seed", "--scale", "40"); code != 0 {
		t.Fatalf("seed --scale: %d %s", code, stderr)
	}
	got := inspect(t, dir)
	if got.proposals != 40 || got.consultations != 20 || got.comments < 300 || got.comments > 500 || got.indexed != got.stored || got.unrendered != 0 {
		t.Fatalf("scale content: %+v", got)
	}
	if code, out, _ := runCLI(t, env, "", "recount"); code != 0 || !strings.Contains(out, "0 counters repaired") {
		t.Fatalf("recount on consistent data: %d %s", code, out)
	}

	// Drift: a support counted that no vote backs.
	cfg := DefaultConfig()
	cfg.DataDir = dir
	ctx := context.Background()
	e, err := open(ctx, cfg, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	var pid string
	var was int
	if err := e.db.Participation().AllProposals(ctx, func(p *mitreden.Proposal) error {
		if pid == "" {
			pid, was = p.ID, p.Tally.Support+p.Tally.Yes
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Participation().IncProposalCounts(ctx, pid, mitreden.Tally{Support: 3}, 0, ""); err != nil {
		t.Fatal(err)
	}
	e.close()

	code, out, stderr := runCLI(t, env, "", "recount")
	if code != 0 || !strings.Contains(out, "proposal "+pid+": ") || !strings.Contains(out, "1 counters repaired") {
		t.Fatalf("recount after drift: %d %q %s", code, out, stderr)
	}
	if !strings.Contains(out, fmt.Sprintf("%d → %d", was+3, was)) {
		t.Fatalf("recount does not say what it changed: %q", out)
	}
	if code, out, _ := runCLI(t, env, "", "recount"); code != 0 || !strings.Contains(out, "0 counters repaired") {
		t.Fatalf("second recount: %d %s", code, out)
	}

	code, out, stderr = runCLI(t, env, "", "reindex")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("reindex done: %d documents", got.stored)) {
		t.Fatalf("reindex: %d %q %s", code, out, stderr)
	}
	if after := inspect(t, dir); after.indexed != after.stored {
		t.Fatalf("after reindex %d indexed of %d", after.indexed, after.stored)
	}
}

// TestProcess_ServeDemo starts the binary as scripts/run.sh does: the demo
// content is served and its admin logs in; a restart adds nothing.
func TestProcess_ServeDemo(t *testing.T) {
	needBinary(t)
	t.Parallel()
	dir := t.TempDir()
	for round := range 2 {
		s := startServerArgs(t, dir, []string{"serve", "--demo"})
		resp, body := s.get(t, "/api/v1/consultations?per_page=10")
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"total":6`) {
			t.Fatalf("round %d: consultations %d %s", round, resp.StatusCode, body)
		}
		if resp, body := s.postJSON(t, "/api/v1/auth/login", loginJSON(demoAccounts[0].email, demoAccounts[0].password)); resp.StatusCode != 200 {
			t.Fatalf("round %d: demo admin login %d %s", round, resp.StatusCode, body)
		}
		if resp, body := s.get(t, "/consultations"); resp.StatusCode != 200 || !strings.Contains(string(body), "Schnelles Internet im ländlichen Raum") {
			t.Fatalf("round %d: consultations page %d", round, resp.StatusCode)
		}
		stopServer(t, s, 10*time.Second)
	}
}
