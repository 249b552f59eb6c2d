package service_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/search/bleve"
	"github.com/mitreden/mitreden/internal/service"
)

func sliceSource(docs *[]mitreden.SearchDoc) service.DocSource {
	return func(ctx context.Context, yield func(mitreden.SearchDoc) error) error {
		for _, d := range *docs {
			if err := yield(d); err != nil {
				return err
			}
		}
		return nil
	}
}

func doc(id, title string) mitreden.SearchDoc {
	return mitreden.SearchDoc{ID: "proposal:" + id, Type: "proposal", ItemID: id, Title: title, Body: title,
		Lang: "de", Visibility: "public", URL: "/proposals/" + id, CreatedAt: time.Now().UTC()}
}

func TestIndexing_ReindexReplacesIndexAndCheckCounts(t *testing.T) {
	idx, err := bleve.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	ctx := context.Background()
	// The index holds a stale document the store no longer has.
	if err := idx.Index(ctx, doc("old", "Veralteter Breitbandausbau")); err != nil {
		t.Fatal(err)
	}
	docs := []mitreden.SearchDoc{doc("a", "Breitbandausbau im ländlichen Raum"), doc("b", "Offene Daten der Kommunen")}
	x := service.NewIndexing(idx, sliceSource(&docs), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	indexed, stored, err := x.Check(ctx)
	if err != nil || indexed != 1 || stored != 2 {
		t.Fatalf("check = %d %d %v", indexed, stored, err)
	}
	var seen []int
	n, err := x.Reindex(ctx, func(done int) { seen = append(seen, done) })
	if err != nil || n != 2 || len(seen) != 2 {
		t.Fatalf("reindex = %d %v progress %v", n, err, seen)
	}
	res, err := idx.Search(ctx, mitreden.SearchQuery{Text: "Breitbandausbau"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 1 || res.Items[0].ItemID != "a" {
		t.Fatalf("after reindex: %+v", res.Items)
	}
}

func TestIndexing_StartOnlyForAdminsAndOneAtATime(t *testing.T) {
	idx, err := bleve.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	release := make(chan struct{})
	source := func(ctx context.Context, yield func(mitreden.SearchDoc) error) error {
		<-release
		return yield(doc("a", "Digitale Bildung an Schulen"))
	}
	x := service.NewIndexing(idx, source, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	citizen := &mitreden.User{ID: "c"}
	if err := x.Start(citizen); mitreden.ErrorCode(err) != mitreden.EFORBIDDEN {
		t.Fatalf("citizen start: %v", err)
	}
	if err := x.Start(nil); mitreden.ErrorCode(err) != mitreden.EUNAUTHORIZED {
		t.Fatalf("anonymous start: %v", err)
	}
	admin := &mitreden.User{ID: "a", Roles: []mitreden.Role{mitreden.RoleAdmin}}
	if err := x.Start(admin); err != nil {
		t.Fatal(err)
	}
	if err := x.Start(admin); mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("second start: %v", err)
	}
	close(release)
	deadline := time.Now().Add(10 * time.Second)
	for x.Status().Running {
		if time.Now().After(deadline) {
			t.Fatal("reindex did not finish")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := x.Status(); st.Docs != 1 || st.Err != "" || st.Finished.IsZero() {
		t.Fatalf("state = %+v", st)
	}
}
