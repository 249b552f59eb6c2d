// Package mongo implements the mitreden stores on MongoDB (or FerretDB) through
// go.mongodb.org/mongo-driver/v2. Only this package knows BSON and ObjectIDs.
package mongo

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// DefaultTimeout bounds every store call whose context has no earlier deadline.
const DefaultTimeout = 5 * time.Second

// DB is a connection to one database. One DB (one client) per process.
type DB struct {
	// serial, when set, makes every write wait for the one before it. The
	// embedded FerretDB applies updates as read-modify-write without isolation
	// (20 concurrent $inc on one document were measured to yield 1), so in that
	// mode, where one process owns the data dir, writes are serialized here.
	serial *sync.Mutex
	// lists, when set, keeps proposal sort keys in memory (CacheListings).
	lists *ListingCache
	// memCounters, when set, keeps the throttles' allowances in memory
	// (CountersInMemory).
	memCounters *memCounters
	// marks are the counter marks kept in memory (counting.go).
	marks countMarks
	// tails are where threads continue (pushThreadID), under serial.
	tails threadTails
	// threads, when set, keeps the shape of discussions in memory (CacheThreads).
	threads *ThreadCache
	// docs, when set, keeps documents read by _id (CacheDocuments).
	docs *docCache
	// dueJobs are the jobs to run, kept in memory where writes are
	// serialized (jobs.go).
	dueJobs jobIndex
	// jobsBehind are the jobs queued behind (EnqueueJobsBehind).
	jobsBehind jobsBehind
	// waiting counts request writes waiting for serial, which background
	// writes let go first (write).
	waiting atomic.Int32
	// deferColls are the collections whose counters are written behind
	// (DeferCounters); stopFlush ends their flush loop.
	deferColls []string
	// deferEvery is how often they are written (DeferredFlushEvery).
	deferEvery time.Duration
	stopFlush  func()
	monitor    *event.CommandMonitor
	client     *mongo.Client
	db         *mongo.Database
	Timeout    time.Duration
	Logger     *slog.Logger
}

// Option configures Open.
type Option func(*DB)

// SerializeWrites makes the DB run one write at a time. Use it for the
// embedded engine, whose updates are not atomic under concurrency.
func SerializeWrites() Option { return func(d *DB) { d.serial = new(sync.Mutex) } }

// WithMonitor observes every command the client sends: tests count a
// read's round trips with it.
func WithMonitor(m *event.CommandMonitor) Option { return func(d *DB) { d.monitor = m } }

// WithLogger sets the logger (slog.Default otherwise).
func WithLogger(l *slog.Logger) Option { return func(d *DB) { d.Logger = l } }

// Open connects to uri, selects database name and creates the indexes.
func Open(ctx context.Context, uri, name string, opts ...Option) (*DB, error) {
	copts := options.Client().ApplyURI(uri).
		SetServerSelectionTimeout(3 * time.Second).
		SetConnectTimeout(3 * time.Second).
		SetRetryWrites(true).
		SetWriteConcern(writeconcern.Majority()).
		SetAppName("mitreden")
	d := &DB{Timeout: DefaultTimeout, Logger: slog.Default()}
	for _, o := range opts {
		o(d)
	}
	if d.monitor != nil {
		copts.SetMonitor(d.monitor)
	}
	client, err := mongo.Connect(copts)
	if err != nil {
		return nil, mitreden.Wrap(mitreden.EUNAVAILABLE, err, "error.unavailable")
	}
	d.client, d.db = client, client.Database(name)
	if err := d.Ping(ctx); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, err
	}
	if d.serial == nil {
		if v := d.ferretDBVersion(ctx); v != "" {
			// FerretDB (on PostgreSQL too) applies updates as unisolated
			// read-modify-writes; serializing them is safe in one process only.
			d.serial = new(sync.Mutex)
			d.Logger.Warn("the store is FerretDB: writes are serialized in this process; run a single instance", "ferretdb", v)
		}
	}
	d.startDeferred()
	if err := d.EnsureIndexes(ctx); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, err
	}
	return d, nil
}

// ferretDBVersion returns the FerretDB version when the server is FerretDB
// (its buildInfo says so), else "".
func (d *DB) ferretDBVersion(ctx context.Context) string {
	ctx, cancel := d.ctx(ctx)
	defer cancel()
	var info struct {
		FerretDB string `bson:"ferretdbVersion"`
	}
	if err := d.db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return ""
	}
	return info.FerretDB
}

// Serialized reports whether the DB runs one write at a time.
func (d *DB) Serialized() bool { return d.serial != nil }

// Close writes the deferred counters (DeferCounters) and disconnects the
// client.
func (d *DB) Close(ctx context.Context) error {
	if err := d.stopDeferred(ctx); err != nil {
		d.Logger.Error("writing deferred counters at close; an unclean stop's recount repairs them", "err", err)
	}
	return d.client.Disconnect(ctx)
}

// Ping checks that the store answers.
func (d *DB) Ping(ctx context.Context) error {
	ctx, cancel := d.ctx(ctx)
	defer cancel()
	if err := d.client.Ping(ctx, readpref.Primary()); err != nil {
		return mitreden.Wrap(mitreden.EUNAVAILABLE, err, "error.unavailable")
	}
	return nil
}

// Drop removes the whole database (tests and demo resets only).
func (d *DB) Drop(ctx context.Context) error {
	ctx, cancel := d.ctx(ctx)
	defer cancel()
	defer d.lists.Forget()
	defer func() {
		if d.serial != nil {
			d.serial.Lock()
			d.tails = nil
			d.serial.Unlock()
		}
	}()
	defer d.threads.Forget()
	if d.docs != nil {
		defer d.docs.reset()
	}
	return d.db.Drop(ctx)
}

// write gives a write call its deadline and, in serialized mode, the write lock.
// The returned func releases both.
func (d *DB) write(parent context.Context) (context.Context, func()) {
	ctx, cancel := d.ctx(parent)
	if d.serial == nil {
		return ctx, cancel
	}
	if mitreden.IsBackground(parent) {
		// Background work lets waiting request writes go first, for at
		// most backgroundYield, so it never starves.
		for deadline := time.Now().Add(backgroundYield); d.waiting.Load() > 0 && time.Now().Before(deadline); {
			time.Sleep(100 * time.Microsecond)
		}
		d.serial.Lock()
	} else {
		d.waiting.Add(1)
		d.serial.Lock()
		d.waiting.Add(-1)
	}
	// Reads made under the lock must not wait for it (flushing deferred
	// counters, doccache_defer.go).
	ctx = context.WithValue(ctx, serialHeld{}, true)
	return ctx, func() { d.serial.Unlock(); cancel() }
}

// backgroundYield is how long a background write waits for request writes
// that wait for the write lock (mitreden.InBackground).
const backgroundYield = 20 * time.Millisecond

// serialHeld marks the context of a call that holds the write lock.
type serialHeld struct{}

// ctx gives every call a deadline.
func (d *DB) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := parent.Deadline(); ok && time.Until(dl) < d.Timeout {
		return context.WithCancel(parent)
	}
	return context.WithTimeout(parent, d.Timeout)
}

// index describes one index to create at start.
type index struct {
	coll   string
	keys   bson.D
	unique bool
	ttl    *int32
	name   string
}

// indexes lists every index the stores need. Creating them is idempotent.
var indexes = []index{
	{coll: "users", keys: bson.D{{Key: "email_key", Value: 1}}, unique: true, name: "email_key_unique"},
	{coll: "users", keys: bson.D{{Key: "created_at", Value: -1}}, name: "created_at"},
	{coll: "sessions", keys: bson.D{{Key: "user_id", Value: 1}}, name: "user_id"},
	{coll: "sessions", keys: bson.D{{Key: "expires_at", Value: 1}}, ttl: ptr(int32(0)), name: "expires_at_ttl"},
	{coll: "counters", keys: bson.D{{Key: "expires_at", Value: 1}}, ttl: ptr(int32(0)), name: "expires_at_ttl"},
}

// registerIndexes adds indexes for stores defined in other files of this package.
func registerIndexes(ix ...index) { indexes = append(indexes, ix...) }

func ptr[T any](v T) *T { return &v }

// Collections are the collections the stores use. Open creates the missing
// ones, so they exist from the start (the embedded engine indexes each at
// start, see embedded.IndexIDLookups).
var Collections = []string{"users", "sessions", "counters", "consultations", "proposals", "votes", "support_quota",
	"comments", "comment_threads", "comment_votes", "search_retries"}

// EnsureIndexes creates the collections and every index. A TTL option the
// engine does not support is retried without it, because FerretDB v1 accepts
// fewer index options.
func (d *DB) EnsureIndexes(ctx context.Context) error {
	lctx, cancel := d.ctx(ctx)
	names, err := d.db.ListCollectionNames(lctx, bson.D{})
	cancel()
	if err != nil {
		return mapErr(err)
	}
	for _, c := range Collections {
		if slices.Contains(names, c) {
			continue
		}
		cctx, cancel := d.ctx(ctx)
		err := d.db.CreateCollection(cctx, c)
		cancel()
		var ce mongo.CommandError
		if err != nil && !(errors.As(err, &ce) && ce.Code == 48) { // 48: created meanwhile
			return mapErr(err)
		}
	}
	// Only missing indexes are created (an existing name is kept as it
	// is), with one createIndexes per collection for the plain ones: the
	// embedded engine runs each command as its own transaction, and fails
	// on a command that lists several indexes of which some exist. TTL
	// indexes go one by one, as an engine without them gets the index
	// without the expiry.
	var order []string
	byColl := map[string][]index{}
	for _, ix := range indexes {
		if _, ok := byColl[ix.coll]; !ok {
			order = append(order, ix.coll)
		}
		byColl[ix.coll] = append(byColl[ix.coll], ix)
	}
	for _, c := range order {
		cctx, cancel := d.ctx(ctx)
		specs, err := d.C(c).Indexes().ListSpecifications(cctx)
		cancel()
		if err != nil {
			return mapErr(err)
		}
		have := map[string]bool{}
		for _, sp := range specs {
			have[sp.Name] = true
		}
		var plain []mongo.IndexModel
		for _, ix := range byColl[c] {
			if have[ix.name] {
				continue
			}
			opt := options.Index().SetName(ix.name)
			if ix.unique {
				opt.SetUnique(true)
			}
			if ix.ttl == nil {
				plain = append(plain, mongo.IndexModel{Keys: ix.keys, Options: opt})
				continue
			}
			cctx, cancel := d.ctx(ctx)
			opt.SetExpireAfterSeconds(*ix.ttl)
			_, err := d.C(c).Indexes().CreateOne(cctx, mongo.IndexModel{Keys: ix.keys, Options: opt})
			if err != nil {
				opt = options.Index().SetName(ix.name)
				_, err = d.C(c).Indexes().CreateOne(cctx, mongo.IndexModel{Keys: ix.keys, Options: opt})
			}
			cancel()
			if err != nil {
				return mapErr(err)
			}
		}
		if len(plain) > 0 {
			cctx, cancel := d.ctx(ctx)
			_, err := d.C(c).Indexes().CreateMany(cctx, plain)
			cancel()
			if err != nil {
				return mapErr(err)
			}
		}
	}
	return d.ensureNameKeys(ctx)
}

// mapErr turns driver errors into domain errors.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var me *mitreden.Error
	switch {
	case errors.As(err, &me):
		return err
	case errors.Is(err, mongo.ErrNoDocuments):
		return &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found", Err: err}
	case mongo.IsDuplicateKeyError(err):
		return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "error.conflict", Err: err}
	case mongo.IsTimeout(err), mongo.IsNetworkError(err), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, mongo.ErrClientDisconnected), isNetErr(err), isServerSelection(err):
		return &mitreden.Error{Code: mitreden.EUNAVAILABLE, Message: "error.unavailable", RetryAfter: 5, Err: err}
	}
	return &mitreden.Error{Code: mitreden.EINTERNAL, Message: "error.internal", Err: err}
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

func isServerSelection(err error) bool {
	var se mongo.ServerError
	if errors.As(err, &se) {
		return false
	}
	return errors.Is(err, context.Canceled) || containsSelection(err.Error())
}

func containsSelection(s string) bool {
	for _, needle := range []string{"server selection", "connection refused", "no such file or directory", "connection() error"} {
		if strings.Contains(s, needle) {
			return true
		}
	}
	return false
}

// oid parses a string id; an id that is not an ObjectID matches nothing.
func oid(id string) (bson.ObjectID, error) {
	o, err := bson.ObjectIDFromHex(id)
	if err != nil {
		return o, &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found", Err: err}
	}
	return o, nil
}
