package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/embedded"
	"github.com/mitreden/mitreden/internal/mitreden"
)

// fakeMeili answers the few Meilisearch endpoints the client uses (health,
// indexes, settings, documents, stats, search, swap, tasks), applying every
// task at once, and records each request. It stands in for a Meilisearch
// server only to prove which engine the binary talks to; the behaviour of
// real Meilisearch is the conformance suite's job (MEILI_URL).
type fakeMeili struct {
	*httptest.Server
	mu       sync.Mutex
	requests []string                              // "METHOD /path"
	auth     map[string]bool                       // Authorization headers seen
	indexes  map[string]map[string]json.RawMessage // index uid → key → document
	tasks    int
}

func newFakeMeili(t *testing.T) *fakeMeili {
	t.Helper()
	f := &fakeMeili{auth: map[string]bool{}, indexes: map[string]map[string]json.RawMessage{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeMeili) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	f.auth[r.Header.Get("Authorization")] = true
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	task := func(uid string) {
		f.tasks++
		reply(http.StatusAccepted, map[string]any{"taskUid": f.tasks, "indexUid": uid, "status": "enqueued", "type": "fake"})
	}
	notFound := func(code string) {
		reply(http.StatusNotFound, map[string]string{"message": code, "code": code, "type": "invalid_request", "link": ""})
	}
	path := strings.Trim(r.URL.Path, "/")
	parts := strings.Split(path, "/")
	switch {
	case r.Method == "GET" && path == "health":
		reply(200, map[string]string{"status": "available"})
	case r.Method == "GET" && path == "version":
		reply(200, map[string]string{"pkgVersion": "1.12.0"})
	case r.Method == "GET" && parts[0] == "tasks" && len(parts) == 2:
		n, _ := strconv.Atoi(parts[1])
		reply(200, map[string]any{"uid": n, "status": "succeeded", "type": "fake"})
	case r.Method == "POST" && path == "indexes":
		var body struct{ UID string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		if _, ok := f.indexes[body.UID]; !ok {
			f.indexes[body.UID] = map[string]json.RawMessage{}
		}
		task(body.UID)
	case r.Method == "POST" && path == "swap-indexes":
		var body []struct{ Indexes []string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		for _, s := range body {
			a, b := s.Indexes[0], s.Indexes[1]
			f.indexes[a], f.indexes[b] = f.indexes[b], f.indexes[a]
		}
		task("")
	case parts[0] == "indexes" && len(parts) >= 2:
		uid, rest := parts[1], strings.Join(parts[2:], "/")
		docs, exists := f.indexes[uid]
		switch {
		case r.Method == "GET" && rest == "":
			if !exists {
				notFound("index_not_found")
				return
			}
			reply(200, map[string]string{"uid": uid, "primaryKey": "key"})
		case r.Method == "DELETE" && rest == "":
			delete(f.indexes, uid)
			task(uid)
		case r.Method == "PATCH" && rest == "settings":
			if !exists {
				f.indexes[uid] = map[string]json.RawMessage{}
			}
			task(uid)
		case r.Method == "POST" && rest == "documents":
			var batch []json.RawMessage
			_ = json.NewDecoder(r.Body).Decode(&batch)
			if !exists {
				docs = map[string]json.RawMessage{}
				f.indexes[uid] = docs
			}
			for _, d := range batch {
				var k struct{ Key string }
				_ = json.Unmarshal(d, &k)
				docs[k.Key] = d
			}
			task(uid)
		case r.Method == "GET" && strings.HasPrefix(rest, "documents/"):
			d, ok := docs[strings.TrimPrefix(rest, "documents/")]
			switch {
			case !exists:
				notFound("index_not_found")
			case !ok:
				notFound("document_not_found")
			default:
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(d)
			}
		case r.Method == "POST" && rest == "documents/delete-batch":
			var keys []string
			_ = json.NewDecoder(r.Body).Decode(&keys)
			for _, k := range keys {
				delete(docs, k)
			}
			task(uid)
		case r.Method == "GET" && rest == "stats":
			if !exists {
				notFound("index_not_found")
				return
			}
			reply(200, map[string]any{"numberOfDocuments": len(docs), "isIndexing": false, "fieldDistribution": map[string]int{}})
		case r.Method == "POST" && rest == "search":
			reply(200, map[string]any{"hits": []any{}, "estimatedTotalHits": 0, "processingTimeMs": 0, "limit": 20, "offset": 0})
		default:
			notFound("fake_unsupported")
		}
	default:
		notFound("fake_unsupported")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// saw reports whether a request "METHOD /path" reached the fake.
func (f *fakeMeili) saw(req string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return contains(f.requests, req)
}

func (f *fakeMeili) docs(uid string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.indexes[uid])
}

// checkAuth fails unless every request carried the API key.
func (f *fakeMeili) checkAuth(t *testing.T, key string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 || len(f.auth) != 1 || !f.auth["Bearer "+key] {
		t.Errorf("%d requests with Authorization headers %v; want every one with the API key", len(f.requests), f.auth)
	}
}

// noBleveIndex fails when the data dir holds a Bleve index.
func noBleveIndex(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "search")); !os.IsNotExist(err) {
		t.Errorf("a Bleve index was created in %s/search (err=%v) although MEILI_URL is set", dir, err)
	}
}

// createConsultations opens the store and search as the verbs do, with the
// settings env, and creates open consultations with the given titles.
func createConsultations(t *testing.T, env map[string]string, titles ...string) {
	t.Helper()
	cfg := DefaultConfig()
	if err := cfg.LoadEnv(envFunc(env)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e, err := openFull(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	admin := &mitreden.User{ID: "admin", DisplayName: "Admina", Roles: []mitreden.Role{mitreden.RoleAdmin}}
	now := time.Now().UTC()
	for _, title := range titles {
		c := &mitreden.Consultation{Title: title, Summary: "Wo sollen wir anfangen?", Body: "Die Verwaltung fragt nach Vorschlägen.",
			Region: "Kreis", OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(24 * time.Hour), VotingMode: mitreden.VotingSupport,
			ProposalsEnabled: true, CommentsEnabled: true}
		if err := e.participation.CreateConsultation(ctx, admin, c); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMeili_VerbsUseMeilisearchWhenSet writes through openFull (what seed,
// recount and reindex open) and runs reindex and recount with MEILI_URL set:
// every document goes to the Meilisearch index named after the database,
// none to a Bleve index in the data dir. Without MEILI_URL the
// same verb creates the Bleve index, so the check can fail.
func TestMeili_VerbsUseMeilisearchWhenSet(t *testing.T) {
	fake := newFakeMeili(t)
	dir := t.TempDir()
	env := map[string]string{"MITREDEN_DATA_DIR": dir, "MEILI_URL": fake.URL, "MEILI_API_KEY": "test-key", "MONGODB_DATABASE": "pilot_1"}
	createConsultations(t, env, "Glasfaser für den ländlichen Raum", "Radwege in der Innenstadt")
	seeded := fake.docs("pilot_1")
	if seeded != 2 || !fake.saw("PATCH /indexes/pilot_1/settings") {
		t.Fatalf("writes did not index into Meilisearch index pilot_1: %d documents, requests %v", seeded, fake.requests)
	}
	code, out, stderr := runCLI(t, env, "", "reindex")
	if code != 0 {
		t.Fatalf("reindex with Meilisearch: %d %s", code, stderr)
	}
	if !fake.saw("POST /swap-indexes") || !fake.saw("POST /indexes/pilot_1_tmp/documents") {
		t.Fatalf("reindex did not rebuild in Meilisearch: %v", fake.requests)
	}
	if got := fake.docs("pilot_1"); got != seeded || !strings.Contains(out, fmt.Sprintf("reindex done: %d documents", seeded)) {
		t.Fatalf("after reindex the Meilisearch index holds %d documents, seed indexed %d; output %q", got, seeded, out)
	}
	if code, _, stderr := runCLI(t, env, "", "recount"); code != 0 {
		t.Fatalf("recount with Meilisearch: %d %s", code, stderr)
	}
	noBleveIndex(t, dir)
	fake.checkAuth(t, "test-key")

	// The control: the same verb without MEILI_URL opens Bleve in the data dir.
	delete(env, "MEILI_URL")
	if code, _, stderr := runCLI(t, env, "", "recount"); code != 0 {
		t.Fatalf("recount with Bleve: %d %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "search")); err != nil {
		t.Fatalf("without MEILI_URL no Bleve index was opened: %v", err)
	}
}

func TestMeili_DatabaseNameMustSuitAnIndexName(t *testing.T) {
	env := map[string]string{"MITREDEN_DATA_DIR": t.TempDir(), "MEILI_URL": "http://127.0.0.1:7700", "MONGODB_DATABASE": "mitreden+pilot"}
	code, _, stderr := runCLIContext(t, cancelled(), env, "", "reindex")
	if code != 2 || !strings.Contains(stderr, "MONGODB_DATABASE") {
		t.Fatalf("database name unfit for a Meilisearch index: exit %d, %q; want 2 naming MONGODB_DATABASE", code, stderr)
	}
	delete(env, "MEILI_URL")
	if err := func() error { c := DefaultConfig(); _ = c.LoadEnv(envFunc(env)); return c.Validate() }(); err != nil {
		t.Fatalf("the same name without Meilisearch: %v", err)
	}
}

// TestProcess_ServeUsesMeilisearch starts the binary with MEILI_URL: start-up,
// readiness and search go to Meilisearch, with the API key, and the embedded
// store still locks the data dir against a second process.
func TestProcess_ServeUsesMeilisearch(t *testing.T) {
	needBinary(t)
	t.Parallel()
	fake := newFakeMeili(t)
	dir := t.TempDir()
	meiliEnv := []string{"MEILI_URL=" + fake.URL, "MEILI_API_KEY=serve-key"}
	s := startServer(t, dir, meiliEnv...)
	if resp, body := s.get(t, "/readyz"); resp.StatusCode != 200 {
		t.Fatalf("readyz: %d %s", resp.StatusCode, body)
	}
	if resp, body := s.get(t, "/api/v1/search?q=Glasfaser"); resp.StatusCode != 200 {
		t.Fatalf("search: %d %s", resp.StatusCode, body)
	}
	for _, req := range []string{"GET /health", "PATCH /indexes/mitreden/settings", "POST /indexes/mitreden/search"} {
		if !fake.saw(req) {
			t.Errorf("serve never sent %s to Meilisearch: %v", req, fake.requests)
		}
	}
	env := baseEnv(append(meiliEnv, "MITREDEN_DATA_DIR="+dir)...)
	out, _, err := runBinary(t, 10*time.Second, env, "reindex")
	if err == nil || !strings.Contains(out, "is in use by another mitreden process") {
		t.Errorf("reindex on the data dir a server holds: err=%v %q; want a refusal", err, out)
	}
	stopServer(t, s, 10*time.Second)
	noBleveIndex(t, dir)
	fake.checkAuth(t, "serve-key")
}

// TestProcess_ExternalStoresRunSeveralInstances starts servers on one data
// dir with an external store (a FerretDB of the test's own): with
// Meilisearch nothing local is shared and a second instance starts; with
// the Bleve index in the data dir a second one is refused.
func TestProcess_ExternalStoresRunSeveralInstances(t *testing.T) {
	needBinary(t)
	t.Parallel()
	store, err := embedded.Start(context.Background(), t.TempDir(), newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	fake := newFakeMeili(t)
	dir := t.TempDir()
	withMeili := []string{"MONGODB_URI=" + store.URI(), "MEILI_URL=" + fake.URL}
	a := startServer(t, dir, withMeili...)
	b := startServer(t, dir, withMeili...)
	for _, s := range []*server{a, b} {
		if resp, body := s.get(t, "/readyz"); resp.StatusCode != 200 {
			t.Fatalf("readyz of one of two instances: %d %s", resp.StatusCode, body)
		}
	}
	stopServer(t, a, 10*time.Second)
	stopServer(t, b, 10*time.Second)
	noBleveIndex(t, dir)
	if hasLog(t, a, "unclean stop") || hasLog(t, b, "unclean stop") {
		t.Errorf("a live instance was taken for a dead one:\n%s\n%s", a.stderr.String(), b.stderr.String())
	}

	c := startServer(t, dir, "MONGODB_URI="+store.URI())
	env := baseEnv("MONGODB_URI="+store.URI(), "MITREDEN_DATA_DIR="+dir, "MITREDEN_ADDR="+freePort(t))
	out, _, err := runBinary(t, 10*time.Second, env, "serve")
	if err == nil || !strings.Contains(out, "is in use by another mitreden process") {
		t.Errorf("a second server on the Bleve index of the data dir: err=%v %q; want a refusal", err, out)
	}
	stopServer(t, c, 10*time.Second)
}

// TestMeili_UnreachableStopsWithTheSetting checks that a Meilisearch that
// does not answer stops a verb with a message for the operator naming the
// setting, not the visitor's "try again shortly".
func TestMeili_UnreachableStopsWithTheSetting(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	env := map[string]string{"MITREDEN_DATA_DIR": t.TempDir(), "MEILI_URL": gone.URL, "MEILI_API_KEY": "secret-meili-key"}
	code, _, stderr := runCLI(t, env, "", "reindex")
	if code != 1 || !strings.Contains(stderr, "the Meilisearch at "+gone.URL+" (MEILI_URL) does not answer") ||
		strings.Contains(stderr, "secret-meili-key") {
		t.Fatalf("reindex with Meilisearch down: exit %d, %q; want 1 naming MEILI_URL without the key", code, stderr)
	}
}
