package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// TestSeedThread_LongDiscussions gives two proposals 30 comments each: the
// ids printed are those proposals, their threads hold every comment in
// order with replies nested, the counters agree with the records (recount
// repairs nothing) and the index is complete.
func TestSeedThread_LongDiscussions(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"MITREDEN_DATA_DIR": dir}
	code, out, stderr := runCLI(t, env, "", "seed", "--thread", "30", "--threads", "2")
	if code != 0 {
		t.Fatalf("seed --thread: %d %s", code, stderr)
	}
	ids := strings.Fields(out)
	if len(ids) != 2 || ids[0] == ids[1] {
		t.Fatalf("want two proposal ids on stdout, got %q", out)
	}
	got := inspect(t, dir)
	if got.consultations != 1 || got.proposals != 2 || got.comments != 60 || got.indexed != got.stored || got.unrendered != 0 {
		t.Fatalf("thread content: %+v", got)
	}

	cfg := DefaultConfig()
	cfg.DataDir = dir
	ctx := context.Background()
	e, err := open(ctx, cfg, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	st := e.db.Participation()
	for _, id := range ids {
		p, err := st.FindProposal(ctx, id)
		if err != nil {
			e.close()
			t.Fatal(err)
		}
		cms, err := st.ListComments(ctx, "proposal", id)
		if err != nil {
			e.close()
			t.Fatal(err)
		}
		replies := 0
		for i, cm := range cms {
			if cm.ParentID != "" {
				replies++
				if i == 0 || cm.ParentID != cms[i-1].ID {
					t.Errorf("comment %d replies to %s, not to the one before", i, cm.ParentID)
				}
			}
		}
		if p.CommentCount != 30 || len(cms) != 30 || p.For+p.Against+p.Neutral == 0 || replies == 0 || replies == 30 {
			t.Errorf("proposal %s: count %d, %d comments listed, %d replies, alignments %d/%d/%d",
				id, p.CommentCount, len(cms), replies, p.For, p.Against, p.Neutral)
		}
	}
	e.close()

	if code, out, _ := runCLI(t, env, "", "recount"); code != 0 || !strings.Contains(out, "0 counters repaired") {
		t.Fatalf("recount after seeding threads: %d %s", code, out)
	}
	if code, _, stderr := runCLI(t, env, "", "seed", "--thread", "3", "--scale", "5"); code != 2 {
		t.Fatalf("--thread with --scale: want a usage error, got %d %s", code, stderr)
	}
}
