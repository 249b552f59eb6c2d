package mongo

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Jobs live in the "jobs" collection, one document per job under its ID.
// A claimed job's run_at is moved to the end of its lease, so "due" is one
// condition for queued jobs and for running ones whose worker died:
// state in (queued, running) and run_at <= now, served by the state+run_at
// index. A finished job is kept for doneJobTTL (where the engine has TTL
// indexes), so a deterministic ID enqueued again meanwhile stays a no-op.

// Where writes are serialized in-process (the embedded FerretDB), every
// filter but one by _id alone scans its collection: a claim would read
// every finished job too. There a finished job moves to "jobs_done" (its
// _id, state and times), "jobs" holds only the jobs to run, a job is
// finished with a read by _id and a write by _id, and enqueueing looks its
// ID up among the finished ones first.

// doneJobTTL is how long a finished job stays in the store.
const doneJobTTL = 30 * 24 * time.Hour

func init() {
	registerIndexes(
		index{coll: "jobs", keys: bson.D{{Key: "state", Value: 1}, {Key: "run_at", Value: 1}}, name: "due"},
		index{coll: "jobs", keys: bson.D{{Key: "kind", Value: 1}}, name: "kind"},
		index{coll: "jobs", keys: bson.D{{Key: "expires_at", Value: 1}}, ttl: ptr(int32(0)), name: "expires_at_ttl"},
		index{coll: "jobs_done", keys: bson.D{{Key: "expires_at", Value: 1}}, ttl: ptr(int32(0)), name: "expires_at_ttl"},
	)
	Collections = append(Collections, "jobs", "jobs_done")
}

// JobStore implements mitreden.JobStore.
type JobStore struct{ db *DB }

// Jobs returns the job store of d.
func (d *DB) Jobs() *JobStore { return &JobStore{db: d} }

var _ mitreden.JobStore = (*JobStore)(nil)

type jobDoc struct {
	ID         string    `bson:"_id"`
	Kind       string    `bson:"kind"`
	Payload    []byte    `bson:"payload,omitempty"`
	State      string    `bson:"state"`
	RunAt      time.Time `bson:"run_at"`
	Attempts   int       `bson:"attempts"`
	LastError  string    `bson:"last_error,omitempty"`
	LeaseOwner string    `bson:"lease_owner,omitempty"`
	LeaseUntil time.Time `bson:"lease_until,omitempty"`
	CreatedAt  time.Time `bson:"created_at"`
	DoneAt     time.Time `bson:"done_at,omitempty"`
	ExpiresAt  time.Time `bson:"expires_at,omitempty"`
}

func (d *jobDoc) domain() *mitreden.Job {
	return &mitreden.Job{ID: d.ID, Kind: d.Kind, Payload: d.Payload, State: mitreden.JobState(d.State), RunAt: zeroUTC(d.RunAt),
		Attempts: d.Attempts, LastError: d.LastError, LeaseOwner: d.LeaseOwner, LeaseUntil: zeroUTC(d.LeaseUntil),
		CreatedAt: zeroUTC(d.CreatedAt), DoneAt: zeroUTC(d.DoneAt)}
}

// EnqueueJobs inserts jobs in one unordered insert; those whose ID exists
// already are skipped without error. A job without state is queued, one
// without RunAt is due at its CreatedAt.
func (s *JobStore) EnqueueJobs(ctx context.Context, jobs ...*mitreden.Job) error {
	docs, err := jobDocs(jobs)
	if err != nil || len(docs) == 0 {
		return err
	}
	ctx, done := s.db.write(ctx)
	defer done()
	return s.insertJobs(ctx, docs)
}

// jobDocs are the documents of new jobs.
func jobDocs(jobs []*mitreden.Job) ([]any, error) {
	docs := make([]any, len(jobs))
	for i, j := range jobs {
		if j.ID == "" || j.Kind == "" {
			return nil, mitreden.Errorf(mitreden.EINTERNAL, "a job needs an ID and a kind")
		}
		state := j.State
		if state == "" {
			state = mitreden.JobQueued
		}
		created := j.CreatedAt
		if created.IsZero() {
			created = time.Now()
		}
		runAt := j.RunAt
		if runAt.IsZero() {
			runAt = created
		}
		docs[i] = jobDoc{ID: j.ID, Kind: j.Kind, Payload: j.Payload, State: string(state), RunAt: runAt.UTC(),
			Attempts: j.Attempts, CreatedAt: created.UTC()}
	}
	return docs, nil
}

// insertJobs inserts docs under the write lock ctx holds, skipping those
// whose ID exists. Where writes are serialized, a job finished before is
// moved to jobs_done: one queued again is inserted and dropped by the
// claim that finds it finished (claimIndexed), which keeps that read out
// of the request that queues a job.
func (s *JobStore) insertJobs(ctx context.Context, docs []any) error {
	_, err := s.db.C("jobs").InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err == nil || onlyDuplicates(err) {
		if s.db.serial != nil {
			// A duplicate's stored due time wins when a claim checks it.
			for _, d := range docs {
				j := d.(jobDoc)
				s.db.dueJobs.set(j.ID, j.Kind, j.RunAt)
			}
		}
		return nil
	}
	return mapErr(err)
}

// EnqueueJobsBehind queues jobs as EnqueueJobs does, except where counters
// are written behind (the embedded mode, DeferCounters): there it keeps
// them in memory, and the next flush of the counters (at most
// DeferredFlushInterval later), a claim, a lookup or Close writes all
// kept jobs with one insert. A request then writes its record alone. An
// unclean stop loses the jobs not yet written, so it is only for jobs the
// reconciliation after such a stop queues again (the notifications of new
// comments: service.Notifications.RequeueCommentEvents).
func (s *JobStore) EnqueueJobsBehind(ctx context.Context, jobs ...*mitreden.Job) error {
	if s.db.docs == nil || s.db.docs.deferred == nil || s.db.serial == nil {
		return s.EnqueueJobs(ctx, jobs...)
	}
	docs, err := jobDocs(jobs)
	if err != nil {
		return err
	}
	b := &s.db.jobsBehind
	b.mu.Lock()
	b.docs = append(b.docs, docs...)
	b.mu.Unlock()
	return nil
}

// jobsBehind are the jobs EnqueueJobsBehind keeps until a flush.
type jobsBehind struct {
	mu   sync.Mutex
	docs []any
}

// writeJobsBehind writes the kept jobs under the write lock ctx holds; on
// a failure they are kept for the next attempt.
func (s *JobStore) writeJobsBehind(ctx context.Context) error {
	b := &s.db.jobsBehind
	b.mu.Lock()
	docs := b.docs
	b.docs = nil
	b.mu.Unlock()
	if len(docs) == 0 {
		return nil
	}
	if err := s.insertJobs(ctx, docs); err != nil {
		b.mu.Lock()
		b.docs = append(docs, b.docs...)
		b.mu.Unlock()
		return err
	}
	return nil
}

// flushJobsBehind writes the kept jobs, taking the write lock.
func (d *DB) flushJobsBehind(ctx context.Context) error {
	d.jobsBehind.mu.Lock()
	n := len(d.jobsBehind.docs)
	d.jobsBehind.mu.Unlock()
	if n == 0 {
		return nil
	}
	wctx, done := d.write(ctx)
	defer done()
	return d.Jobs().writeJobsBehind(wctx)
}

// onlyDuplicates reports whether every write error of a bulk insert is a
// duplicate key.
func onlyDuplicates(err error) bool {
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) {
		if bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
			return false
		}
		for _, we := range bwe.WriteErrors {
			if we.Code != 11000 && we.Code != 11001 && we.Code != 12582 {
				return false
			}
		}
		return true
	}
	return mongo.IsDuplicateKeyError(err)
}

// jobIndex keeps, where writes are serialized (one process owns the
// store), the queue's jobs in memory by id with kind and due time, so a
// claim picks the earliest due job without a filter (which would scan and
// sort every job queued: a backlog made each claim slower) and takes it
// with a read and a write by _id. It is loaded by one scan at the first
// claim and again when no job is due and the last load is a while ago, so
// jobs another client of the store queued are found too.
//
// Claims are kept there too, not written: the store keeps a claimed job
// queued, and the process's claim holds it until it finishes or its lease
// ends. A claim then costs a read, no write. After a crash the job is due
// again at once, as it would be when its lease ran out.
type jobIndex struct {
	mu     sync.Mutex
	jobs   map[string]jobRef
	loaded time.Time
	claims map[string]jobClaim
}

// jobClaim is a claim held in memory: by whom, until when, and the job's
// attempts counting this one (stored when the job finishes or is retried).
type jobClaim struct {
	owner    string
	until    time.Time
	attempts int
}

func (x *jobIndex) claim(id string) (jobClaim, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	c, ok := x.claims[id]
	return c, ok
}

func (x *jobIndex) hold(id string, c jobClaim) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.claims == nil {
		x.claims = map[string]jobClaim{}
	}
	x.claims[id] = c
}

func (x *jobIndex) release(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.claims, id)
}

type jobRef struct {
	kind  string
	runAt time.Time
}

// jobIndexReload is how often an idle claim reads the queue again.
const jobIndexReload = 5 * time.Second

func (x *jobIndex) set(id, kind string, runAt time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.jobs != nil {
		x.jobs[id] = jobRef{kind, runAt}
	}
}

func (x *jobIndex) drop(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.jobs, id)
}

// next returns the earliest job of kinds due at now, skipping tried.
func (x *jobIndex) next(kinds []string, now time.Time, tried map[string]bool) (string, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	best, found := "", false
	var at time.Time
	for id, r := range x.jobs {
		if r.runAt.After(now) || tried[id] || !slices.Contains(kinds, r.kind) {
			continue
		}
		if !found || r.runAt.Before(at) || (r.runAt.Equal(at) && id < best) { // ties by id, not by map order
			best, at, found = id, r.runAt, true
		}
	}
	return best, found
}

// load reads the queue into x, under the write lock.
func (s *JobStore) loadIndex(ctx context.Context, now time.Time) error {
	cur, err := s.db.C("jobs").Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "kind", Value: 1}, {Key: "run_at", Value: 1}, {Key: "state", Value: 1}}))
	if err != nil {
		return mapErr(err)
	}
	var docs []jobDoc
	if err := cur.All(ctx, &docs); err != nil {
		return mapErr(err)
	}
	jobs := make(map[string]jobRef, len(docs))
	for _, d := range docs {
		if d.State == string(mitreden.JobQueued) || d.State == string(mitreden.JobRunning) {
			jobs[d.ID] = jobRef{d.Kind, d.RunAt.UTC()}
		}
	}
	x := &s.db.dueJobs
	x.mu.Lock()
	x.jobs, x.loaded = jobs, now
	x.mu.Unlock()
	return nil
}

// claimIndexed is ClaimJob where writes are serialized, under the write
// lock: the earliest due job of the index, checked by _id and claimed in
// memory (jobIndex).
func (s *JobStore) claimIndexed(ctx context.Context, kinds []string, owner string, now, until time.Time) (*mitreden.Job, error) {
	x := &s.db.dueJobs
	x.mu.Lock()
	stale := x.jobs == nil || time.Since(x.loaded) > jobIndexReload
	x.mu.Unlock()
	if x.jobs == nil {
		if err := s.loadIndex(ctx, time.Now()); err != nil {
			return nil, err
		}
		stale = false
	}
	tried := map[string]bool{}
	for {
		id, ok := x.next(kinds, now, tried)
		if !ok {
			if !stale {
				return nil, nil
			}
			if err := s.loadIndex(ctx, time.Now()); err != nil {
				return nil, err
			}
			stale, tried = false, map[string]bool{}
			continue
		}
		tried[id] = true
		var doc jobDoc
		err := s.db.C("jobs").FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc)
		if errors.Is(err, mongo.ErrNoDocuments) {
			x.drop(id)
			continue
		}
		if err != nil {
			return nil, mapErr(err)
		}
		if doc.State != string(mitreden.JobQueued) && doc.State != string(mitreden.JobRunning) {
			x.drop(id)
			continue
		}
		if err := s.db.C("jobs_done").FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Err(); err == nil {
			// Finished before and queued again: the finished job stands.
			if _, err := s.db.C("jobs").DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
				return nil, mapErr(err)
			}
			x.drop(id)
			continue
		} else if !errors.Is(err, mongo.ErrNoDocuments) {
			return nil, mapErr(err)
		}
		prev, held := x.claim(id)
		if held && prev.until.After(now) {
			x.set(id, doc.Kind, prev.until)
			continue
		}
		if doc.RunAt.After(now) {
			x.set(id, doc.Kind, doc.RunAt.UTC())
			continue
		}
		attempts := max(doc.Attempts, prev.attempts) + 1
		x.hold(id, jobClaim{owner: owner, until: until, attempts: attempts})
		x.set(id, doc.Kind, until)
		doc.State, doc.LeaseOwner, doc.LeaseUntil, doc.RunAt = string(mitreden.JobRunning), owner, until, until
		doc.Attempts = attempts
		return doc.domain(), nil
	}
}

// ClaimJob takes the earliest due job of kinds with one findAndModify
// (where writes are serialized: from the in-memory index, claimIndexed).
func (s *JobStore) ClaimJob(ctx context.Context, kinds []string, owner string, now time.Time, lease time.Duration) (*mitreden.Job, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	now = now.UTC()
	until := now.Add(lease)
	filter := bson.D{
		{Key: "state", Value: bson.D{{Key: "$in", Value: bson.A{string(mitreden.JobQueued), string(mitreden.JobRunning)}}}},
		{Key: "run_at", Value: bson.D{{Key: "$lte", Value: now}}},
		{Key: "kind", Value: bson.D{{Key: "$in", Value: kinds}}},
	}
	update := bson.D{
		{Key: "$set", Value: bson.D{{Key: "state", Value: string(mitreden.JobRunning)}, {Key: "lease_owner", Value: owner},
			{Key: "lease_until", Value: until}, {Key: "run_at", Value: until}}},
		{Key: "$inc", Value: bson.D{{Key: "attempts", Value: 1}}},
	}
	ctx, done := s.db.write(ctx)
	defer done()
	if s.db.serial != nil {
		if err := s.writeJobsBehind(ctx); err != nil {
			return nil, err
		}
		return s.claimIndexed(ctx, kinds, owner, now, until)
	}
	var doc jobDoc
	err := s.db.C("jobs").FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().
		SetSort(bson.D{{Key: "run_at", Value: 1}}).SetReturnDocument(options.After)).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, mapErr(err)
	}
	return doc.domain(), nil
}

// held is the filter of job id while owner holds it.
func held(id, owner string) bson.D {
	return bson.D{{Key: "_id", Value: id}, {Key: "state", Value: string(mitreden.JobRunning)}, {Key: "lease_owner", Value: owner}}
}

// finish applies update to job id while owner holds it; with end set
// (done or failed) and writes serialized, it moves the job to jobs_done.
func (s *JobStore) finish(ctx context.Context, id, owner string, update bson.D, end bool) error {
	ctx, done := s.db.write(ctx)
	defer done()
	lost := &mitreden.Error{Code: mitreden.ECONFLICT, Message: "error.conflict"}
	if s.db.serial == nil {
		res, err := s.db.C("jobs").UpdateOne(ctx, held(id, owner), update)
		if err != nil {
			return mapErr(err)
		}
		if res.MatchedCount == 0 {
			return lost
		}
		return nil
	}
	x := &s.db.dueJobs
	c, held := x.claim(id)
	if !held || c.owner != owner {
		return lost
	}
	var doc jobDoc
	err := s.db.C("jobs").FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		x.release(id)
		return lost
	}
	if err != nil {
		return mapErr(err)
	}
	// The claim's attempt is stored now, with the outcome.
	update = setAlso(update, bson.E{Key: "attempts", Value: c.attempts})
	if !end {
		_, err = s.db.C("jobs").UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, update)
		if err == nil {
			x.release(id)
			x.set(id, doc.Kind, time.Time{}) // due again; the claim reads the stored time
		}
		return mapErr(err)
	}
	// The finished record first: a crash before the delete leaves the job
	// to be claimed again, never lost.
	_, err = s.db.C("jobs_done").UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		append(update, bson.E{Key: "$setOnInsert", Value: bson.D{{Key: "kind", Value: doc.Kind}, {Key: "payload", Value: doc.Payload},
			{Key: "run_at", Value: doc.RunAt}, {Key: "created_at", Value: doc.CreatedAt}}}),
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return mapErr(err)
	}
	_, err = s.db.C("jobs").DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err == nil {
		x.release(id)
		x.drop(id)
	}
	return mapErr(err)
}

// setAlso returns update with e added to its $set.
func setAlso(update bson.D, e bson.E) bson.D {
	out := make(bson.D, 0, len(update)+1)
	added := false
	for _, op := range update {
		if set, ok := op.Value.(bson.D); ok && op.Key == "$set" && !added {
			op.Value, added = append(slices.Clip(set), e), true
		}
		out = append(out, op)
	}
	if !added {
		out = append(out, bson.E{Key: "$set", Value: bson.D{e}})
	}
	return out
}

// CompleteJob marks job id done while owner holds it.
func (s *JobStore) CompleteJob(ctx context.Context, id, owner string, now time.Time) error {
	now = now.UTC()
	return s.finish(ctx, id, owner, bson.D{
		{Key: "$set", Value: bson.D{{Key: "state", Value: string(mitreden.JobDone)}, {Key: "done_at", Value: now},
			{Key: "expires_at", Value: now.Add(doneJobTTL)}}},
		{Key: "$unset", Value: bson.D{{Key: "lease_owner", Value: ""}, {Key: "lease_until", Value: ""}}},
	}, true)
}

// RetryJob queues job id again at runAt while owner holds it.
func (s *JobStore) RetryJob(ctx context.Context, id, owner string, runAt time.Time, errMsg string) error {
	return s.finish(ctx, id, owner, bson.D{
		{Key: "$set", Value: bson.D{{Key: "state", Value: string(mitreden.JobQueued)}, {Key: "run_at", Value: runAt.UTC()},
			{Key: "last_error", Value: errMsg}}},
		{Key: "$unset", Value: bson.D{{Key: "lease_owner", Value: ""}, {Key: "lease_until", Value: ""}}},
	}, false)
}

// FailJob gives job id up while owner holds it.
func (s *JobStore) FailJob(ctx context.Context, id, owner string, now time.Time, errMsg string) error {
	now = now.UTC()
	return s.finish(ctx, id, owner, bson.D{
		{Key: "$set", Value: bson.D{{Key: "state", Value: string(mitreden.JobFailed)}, {Key: "done_at", Value: now},
			{Key: "last_error", Value: errMsg}, {Key: "expires_at", Value: now.Add(doneJobTTL)}}},
		{Key: "$unset", Value: bson.D{{Key: "lease_owner", Value: ""}, {Key: "lease_until", Value: ""}}},
	}, true)
}

// FindJob returns job id.
func (s *JobStore) FindJob(ctx context.Context, id string) (*mitreden.Job, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var doc jobDoc
	if s.db.serial != nil {
		if err := s.db.flushJobsBehind(ctx); err != nil {
			return nil, err
		}
		// A finished job may be queued again until a claim drops it.
		err := s.db.C("jobs_done").FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc)
		if err == nil {
			return doc.domain(), nil
		} else if !errors.Is(err, mongo.ErrNoDocuments) {
			return nil, mapErr(err)
		}
	}
	err := s.db.C("jobs").FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc)
	if err == nil && s.db.serial != nil {
		if c, held := s.db.dueJobs.claim(id); held {
			doc.State, doc.LeaseOwner, doc.LeaseUntil, doc.RunAt, doc.Attempts = string(mitreden.JobRunning), c.owner, c.until, c.until, c.attempts
		}
	}
	if err != nil {
		return nil, mapErr(err)
	}
	return doc.domain(), nil
}
