package embedded

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// openFile opens the SQLite file of database read-only, next to FerretDB.
func openFile(t *testing.T, s *Server, database string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.dbDir, database+".sqlite")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// queryPlan returns SQLite's plan for the _id lookup FerretDB runs on table.
func queryPlan(t *testing.T, s *Server, database, table string) string {
	t.Helper()
	db := openFile(t, s, database)
	rows, err := db.Query(fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %q WHERE %s = ?`, table, idExpr), `"a"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; ")
}

// tableOf returns the SQLite table FerretDB keeps collection in.
func tableOf(t *testing.T, s *Server, database, collection string) string {
	t.Helper()
	db := openFile(t, s, database)
	var table string
	if err := db.QueryRow(`SELECT table_name FROM _ferretdb_collections WHERE name = ?`, collection).Scan(&table); err != nil {
		t.Fatal(err)
	}
	return table
}

// TestIndexIDLookups checks that FerretDB's lookups by _id scan the table
// until IndexIDLookups runs, and use its index after, with the same answers.
func TestIndexIDLookups(t *testing.T) {
	s := mustStart(t, t.TempDir())
	coll := connect(t, s)
	defer disconnect(coll)
	for i := range 50 {
		insert(t, coll, fmt.Sprintf("doc-%02d", i))
	}
	table := tableOf(t, s, "embeddedtest", "things")
	if plan := queryPlan(t, s, "embeddedtest", table); !strings.Contains(plan, "SCAN") {
		t.Fatalf("before: plan %q; FerretDB may have fixed its _id expression, the workaround can go", plan)
	}
	ctx := context.Background()
	for range 2 { // idempotent
		if err := s.IndexIDLookups(ctx, "embeddedtest"); err != nil {
			t.Fatal(err)
		}
	}
	if plan := queryPlan(t, s, "embeddedtest", table); !strings.Contains(plan, "USING INDEX "+table+"_mitreden_id_lookup") {
		t.Fatalf("after: plan %q, want the lookup index", plan)
	}
	var got bson.M
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "doc-42"}}).Decode(&got); err != nil || got["_id"] != "doc-42" {
		t.Fatalf("find by _id: %v %v", got, err)
	}
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: "doc-42"}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "doc-42"}}).Decode(&got); err != nil || got["n"] != int32(2) {
		t.Fatalf("after update: %v %v", got, err)
	}
	if _, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: "doc-41"}}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, coll); n != 49 {
		t.Fatalf("count after delete = %d", n)
	}
	insert(t, coll, "doc-99")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "doc-99"}}); err == nil {
		t.Fatal("duplicate _id accepted")
	}
}
