package service_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// TestSearchDocs_CurrentMatchesAll checks that the documents rebuilt for one
// item (retries) equal those a full reindex streams, item by item, so both
// paths index the same thing; a deleted comment has none, a vanished item
// answers ENOTFOUND.
func TestSearchDocs_CurrentMatchesAll(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	pr := e.proposal(t, c, e.user(), "Bauanträge digital einreichen")
	if _, err := e.p.AnswerProposal(ctx, e.admin, pr.ID, mitreden.StatusAccepted, "Wird umgesetzt."); err != nil {
		t.Fatal(err)
	}
	author := e.user()
	onProposal, err := e.p.AddComment(ctx, author, "proposal", pr.ID, mitreden.Comment{Body: "Bitte auch für Gewerbe."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.AddComment(ctx, author, "consultation", c.ID, mitreden.Comment{Body: "Gute Beteiligung."}); err != nil {
		t.Fatal(err)
	}
	gone, err := e.p.AddComment(ctx, author, "proposal", pr.ID, mitreden.Comment{Body: "Doch nicht."})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.p.DeleteComment(ctx, author, gone.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.p.Moderate(ctx, e.admin, mitreden.ActionHide, service.ItemRef{Type: mitreden.ItemComment, ID: onProposal.ID}, "Beleidigend"); err != nil {
		t.Fatal(err)
	}

	docs := e.p.SearchDocs()
	all := map[string]mitreden.SearchDoc{}
	if err := docs.All(ctx, func(d mitreden.SearchDoc) error { all[d.ID] = d; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 { // consultation, proposal, answer, two comments
		t.Fatalf("streamed %d documents, want 5: %v", len(all), all)
	}
	if all[mitreden.SearchDocID(mitreden.SearchTypeComment, onProposal.ID)].Visibility != mitreden.VisibilityHidden {
		t.Fatal("hidden comment streamed as visible")
	}
	seen := 0
	for id, want := range all {
		typ, itemID := want.Type, want.ItemID
		cur, err := docs.Current(ctx, typ, itemID)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		found := false
		for _, d := range cur {
			if d.ID == id {
				found = true
				if !reflect.DeepEqual(d, want) {
					t.Fatalf("%s: current %+v, streamed %+v", id, d, want)
				}
			}
		}
		if !found {
			t.Fatalf("%s: not among the current documents %v", id, cur)
		}
		seen++
	}
	if cur, err := docs.Current(ctx, mitreden.SearchTypeComment, gone.ID); err != nil || len(cur) != 0 {
		t.Fatalf("deleted comment: %v %v", cur, err)
	}
	if _, err := docs.Current(ctx, mitreden.SearchTypeProposal, "000000000000000000000000"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("missing proposal: %v", err)
	}
	if _, err := docs.Current(ctx, "meeting", c.ID); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("unknown type: %v", err)
	}
	n, err := docs.Count(ctx)
	if err != nil || n != seen {
		t.Fatalf("count = %d %v, want %d", n, err, seen)
	}
}

// TestNewDocIndexing_RebuildsFromTheSearchDocs checks that the reindexer
// wired to SearchDocs feeds and counts the same documents.
func TestNewDocIndexing_RebuildsFromTheSearchDocs(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	e.proposal(t, c, e.user(), "Kita-Platz online finden")
	x := service.NewDocIndexing(e.idx, e.p.SearchDocs(), nil, nil)
	n, err := x.Reindex(ctx, nil)
	if err != nil || n != 2 {
		t.Fatalf("reindexed %d %v, want 2", n, err)
	}
	indexed, stored, err := x.Check(ctx)
	if err != nil || indexed != 2 || stored != 2 {
		t.Fatalf("check: indexed %d stored %d %v", indexed, stored, err)
	}
}

// TestSearchDocs_CommentIsFoundByItsOwnText checks that a comment carries
// its proposal's title as context only: searching the proposal's name finds
// the proposal, not its comments, and the comment's hit still names it.
func TestSearchDocs_CommentIsFoundByItsOwnText(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	pr := e.proposal(t, c, e.user(), "Parkgebühren per Smartphone")
	for _, body := range []string{"Bitte auch mit Bargeld.", "Die Zonen sind unklar."} {
		if _, err := e.p.AddComment(ctx, e.user(), "proposal", pr.ID, mitreden.Comment{Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := e.idx.Search(ctx, mitreden.SearchQuery{Text: "Parkgebühren Smartphone"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 1 || res.Items[0].Type != mitreden.SearchTypeProposal {
		t.Fatalf("the proposal's name found %d documents: %+v", res.Total, res.Items)
	}
	res, err = e.idx.Search(ctx, mitreden.SearchQuery{Text: "Bargeld"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 1 || res.Items[0].Type != mitreden.SearchTypeComment || res.Items[0].Title != "" ||
		res.Items[0].ContextTitle != pr.Title || res.Items[0].ProposalID != pr.ID {
		t.Fatalf("comment hit: %+v", res.Items)
	}
}

// TestSearchDocs_TopicsFindConsultationsAndProposals checks that the topics
// a consultation and a proposal show find them by search, and that a
// comment, which carries its consultation's topics for the filter only, is
// not found by them.
func TestSearchDocs_TopicsFindConsultationsAndProposals(t *testing.T) {
	e := newPart(t)
	ctx := context.Background()
	c := e.consultation(t, func(c *mitreden.Consultation) { c.Topics = []string{"Stadtentwicklung", "Wohnungsbau"} })
	pr := e.proposal(t, c, e.user(), "Mehr Bänke am Fluss")
	cm, err := e.p.AddComment(ctx, e.user(), "proposal", pr.ID, mitreden.Comment{Body: "Gute Idee für den Sommer."})
	if err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string][]string{
		"Wohnungsbau":      {mitreden.SearchDocID(mitreden.SearchTypeConsultation, c.ID)},
		"Stadtentwicklung": {mitreden.SearchDocID(mitreden.SearchTypeConsultation, c.ID)},
		"Digitalisierung":  {mitreden.SearchDocID(mitreden.SearchTypeProposal, pr.ID)},
	} {
		res, err := e.idx.Search(ctx, mitreden.SearchQuery{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range res.Items {
			got = append(got, h.ID)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("search %q = %v, want %v (not the comment %s)", q, got, want, cm.ID)
		}
	}
}
