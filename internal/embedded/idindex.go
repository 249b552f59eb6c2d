package embedded

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"

	_ "modernc.org/sqlite" // the SQLite driver FerretDB uses

	"github.com/mitreden/mitreden/internal/mitreden"
)

// FerretDB v1 on SQLite looks documents up by _id (finds, and the writes of
// updates and deletes) with the expression _ferretdb_sjson->'$._id', but
// indexes _id as _ferretdb_sjson->"_id". SQLite uses an index on an
// expression only for that same expression, so every lookup by _id scanned
// the whole collection: a proposal among 1,000 took 20 ms, a session check
// grew with the number of sessions. IndexIDLookups adds an index on the
// expression the lookups use.

// idExpr is the expression FerretDB's SQLite backend matches _id with
// (metadata.IDColumn in FerretDB v1.24).
const idExpr = `_ferretdb_sjson->'$._id'`

// IndexIDLookups indexes the _id lookups of every collection of database.
// Collections created later get the index at the next start. Call it after
// the collections exist (mongo.Open creates them).
func (s *Server) IndexIDLookups(ctx context.Context, database string) error {
	u := url.URL{Scheme: "file", Path: filepath.Join(s.dbDir, database+".sqlite"),
		RawQuery: url.Values{"_pragma": {"busy_timeout(10000)"}, "mode": {"rw"}}.Encode()}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return mitreden.Wrap(mitreden.EINTERNAL, err, "cannot open embedded store file")
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM _ferretdb_collections`)
	if err != nil {
		return mitreden.Wrap(mitreden.EINTERNAL, err, "cannot list embedded store tables")
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return mitreden.Wrap(mitreden.EINTERNAL, err, "cannot list embedded store tables")
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return mitreden.Wrap(mitreden.EINTERNAL, err, "cannot list embedded store tables")
	}
	// One transaction for all: one commit instead of one per collection.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return mitreden.Wrap(mitreden.EINTERNAL, err, "cannot index the embedded store")
	}
	defer func() { _ = tx.Rollback() }()
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (%s)`, t+"_mitreden_id_lookup", t, idExpr)
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return mitreden.Wrap(mitreden.EINTERNAL, err, "cannot index the embedded store")
		}
	}
	if err := tx.Commit(); err != nil {
		return mitreden.Wrap(mitreden.EINTERNAL, err, "cannot index the embedded store")
	}
	return nil
}
