package mongo

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Notifications keep four collections: follows (one document per person
// and target under user:type:id), notifications (one per event and
// person under event:user, so a retried fan-out inserts nothing twice),
// notification_counts (one per person, read by _id for the header; in the
// embedded mode its increments are written behind like the other counters,
// DeferCounters) and notification_settings (one per person).

func init() {
	registerIndexes(
		index{coll: "follows", keys: bson.D{{Key: "target_type", Value: 1}, {Key: "target_id", Value: 1}, {Key: "user_id", Value: 1}}, name: "target"},
		index{coll: "follows", keys: bson.D{{Key: "user_id", Value: 1}, {Key: "created_at", Value: -1}}, name: "user"},
		index{coll: "notifications", keys: bson.D{{Key: "user_id", Value: 1}, {Key: "created_at", Value: -1}}, name: "user"},
		index{coll: "notifications", keys: bson.D{{Key: "mail", Value: 1}, {Key: "mailed", Value: 1}, {Key: "user_id", Value: 1}, {Key: "created_at", Value: 1}}, name: "digest"},
		index{coll: "notifications", keys: bson.D{{Key: "actor_id", Value: 1}}, name: "actor"},
		// Supporters of a proposal in id order, for the fan-out's pages.
		index{coll: "votes", keys: bson.D{{Key: "proposal_id", Value: 1}, {Key: "user_id", Value: 1}}, name: "proposal_user"},
	)
	Collections = append(Collections, "follows", "notifications", "notification_counts", "notification_settings")
}

// NotificationStore implements mitreden.NotificationStore and
// mitreden.RecipientStore.
type NotificationStore struct{ db *DB }

// Notifications returns the notification store of d.
func (d *DB) Notifications() *NotificationStore { return &NotificationStore{db: d} }

var (
	_ mitreden.NotificationStore  = (*NotificationStore)(nil)
	_ mitreden.RecipientStore     = (*NotificationStore)(nil)
	_ mitreden.MailRecipientStore = (*UserStore)(nil)
)

type followDoc struct {
	ID         string    `bson:"_id"`
	UserID     string    `bson:"user_id"`
	TargetType string    `bson:"target_type"`
	TargetID   string    `bson:"target_id"`
	CreatedAt  time.Time `bson:"created_at"`
}

type notificationDoc struct {
	ID                string    `bson:"_id"`
	EventID           string    `bson:"event_id"`
	UserID            string    `bson:"user_id"`
	Kind              string    `bson:"kind"`
	Title             string    `bson:"title,omitempty"`
	TitleLang         string    `bson:"title_lang,omitempty"`
	Status            string    `bson:"status,omitempty"`
	Phase             string    `bson:"phase,omitempty"`
	Action            string    `bson:"action,omitempty"`
	Excerpt           string    `bson:"excerpt,omitempty"`
	ExcerptLang       string    `bson:"excerpt_lang,omitempty"`
	ActorID           string    `bson:"actor_id,omitempty"`
	ActorName         string    `bson:"actor_name,omitempty"`
	URL               string    `bson:"url"`
	ConsultationID    string    `bson:"consultation_id,omitempty"`
	ConsultationTitle string    `bson:"consultation_title,omitempty"`
	Read              bool      `bson:"read"`
	Mail              string    `bson:"mail"`
	Mailed            bool      `bson:"mailed"`
	CreatedAt         time.Time `bson:"created_at"`
}

func notificationToDoc(n *mitreden.Notification) notificationDoc {
	return notificationDoc{ID: n.ID, EventID: n.EventID, UserID: n.UserID, Kind: n.Kind, Title: n.Title, TitleLang: n.TitleLang,
		Status: n.Status, Phase: n.Phase, Action: n.Action, Excerpt: n.Excerpt, ExcerptLang: n.ExcerptLang, ActorID: n.ActorID,
		ActorName: n.ActorName, URL: n.URL, ConsultationID: n.ConsultationID, ConsultationTitle: n.ConsultationTitle, Read: n.Read, Mail: string(n.Mail),
		Mailed: n.Mailed, CreatedAt: n.CreatedAt}
}

func (d *notificationDoc) domain() *mitreden.Notification {
	return &mitreden.Notification{ID: d.ID, EventID: d.EventID, UserID: d.UserID, Kind: d.Kind, Title: d.Title, TitleLang: d.TitleLang,
		Status: d.Status, Phase: d.Phase, Action: d.Action, Excerpt: d.Excerpt, ExcerptLang: d.ExcerptLang, ActorID: d.ActorID,
		ActorName: d.ActorName, URL: d.URL, ConsultationID: d.ConsultationID, ConsultationTitle: d.ConsultationTitle, Read: d.Read,
		Mail: mitreden.MailMode(d.Mail), Mailed: d.Mailed, CreatedAt: zeroUTC(d.CreatedAt)}
}

type countsDoc struct {
	ID     string `bson:"_id"`
	Unread int    `bson:"unread"`
	Total  int    `bson:"total"`
}

type settingsDoc struct {
	ID    string            `bson:"_id"`
	Modes map[string]string `bson:"modes"`
}

// notificationBatch bounds one insert of notifications.
const notificationBatch = 1000

// PutFollow stores f under its deterministic key; a repeat is no error.
func (s *NotificationStore) PutFollow(ctx context.Context, f *mitreden.Follow) error {
	wctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("follows").InsertOne(wctx, followDoc{ID: mitreden.FollowID(f.UserID, f.TargetType, f.TargetID), UserID: f.UserID,
		TargetType: f.TargetType, TargetID: f.TargetID, CreatedAt: f.CreatedAt})
	if err = mapErr(err); mitreden.ErrorCode(err) == mitreden.ECONFLICT {
		return nil
	}
	return err
}

// DeleteFollow removes a follow by its key.
func (s *NotificationStore) DeleteFollow(ctx context.Context, userID, targetType, targetID string) error {
	wctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("follows").DeleteOne(wctx, bson.D{{Key: "_id", Value: mitreden.FollowID(userID, targetType, targetID)}})
	return mapErr(err)
}

// Following looks the follow up by its key.
func (s *NotificationStore) Following(ctx context.Context, userID, targetType, targetID string) (bool, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	err := s.db.C("follows").FindOne(ctx, bson.D{{Key: "_id", Value: mitreden.FollowID(userID, targetType, targetID)}},
		options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	switch err = mapErr(err); mitreden.ErrorCode(err) {
	case "":
		return true, nil
	case mitreden.ENOTFOUND:
		return false, nil
	}
	return false, err
}

// EachFollower streams a target's followers over the target index.
func (s *NotificationStore) EachFollower(ctx context.Context, targetType, targetID string, batch int, fn func([]string) error) error {
	return s.eachUser(ctx, "follows", bson.D{{Key: "target_type", Value: targetType}, {Key: "target_id", Value: targetID}}, batch, fn)
}

// EachSupporter streams the people who voted for a proposal (support or
// "for") over the votes' proposal_user index.
func (s *NotificationStore) EachSupporter(ctx context.Context, proposalID string, batch int, fn func([]string) error) error {
	return s.eachUser(ctx, "votes", bson.D{{Key: "proposal_id", Value: proposalID},
		{Key: "value", Value: bson.D{{Key: "$in", Value: bson.A{"support", "for"}}}}}, batch, fn)
}

// streamTimeout bounds a streamed query whose caller set no deadline: its
// batches are handled between the cursor's round trips.
const streamTimeout = 10 * time.Minute

// eachUser runs one query and hands its user_ids to fn, batch at a time.
// Paging by id instead would sort and scan once per page on the embedded
// engine (a 10,000-person fan-out spent 7 s in ten such pages).
func (s *NotificationStore) eachUser(ctx context.Context, coll string, filter bson.D, batch int, fn func([]string) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, streamTimeout)
		defer cancel()
	}
	cur, err := s.db.C(coll).Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "user_id", Value: 1}}).SetBatchSize(int32(batch)))
	if err != nil {
		return mapErr(err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	ids := make([]string, 0, batch)
	for cur.Next(ctx) {
		var d struct {
			UserID string `bson:"user_id"`
		}
		if err := cur.Decode(&d); err != nil {
			return mapErr(err)
		}
		if ids = append(ids, d.UserID); len(ids) == batch {
			if err := fn(ids); err != nil {
				return err
			}
			ids = make([]string, 0, batch)
		}
	}
	if err := cur.Err(); err != nil {
		return mapErr(err)
	}
	if len(ids) > 0 {
		return fn(ids)
	}
	return nil
}

// UserFollows returns a person's follows over the user index.
func (s *NotificationStore) UserFollows(ctx context.Context, userID string) ([]*mitreden.Follow, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	cur, err := s.db.C("follows").Find(ctx, bson.D{{Key: "user_id", Value: userID}}, options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}}))
	if err != nil {
		return nil, mapErr(err)
	}
	var docs []followDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, mapErr(err)
	}
	out := make([]*mitreden.Follow, len(docs))
	for i, d := range docs {
		out[i] = &mitreden.Follow{UserID: d.UserID, TargetType: d.TargetType, TargetID: d.TargetID, CreatedAt: zeroUTC(d.CreatedAt)}
	}
	return out, nil
}

// InsertNotifications inserts in batches, unordered, so existing ones fail
// alone as duplicate keys; the stored ones are counted on their people's
// counter documents with two writes per batch (create the missing
// counters, then one $inc over all of them).
func (s *NotificationStore) InsertNotifications(ctx context.Context, ns []*mitreden.Notification) ([]*mitreden.Notification, error) {
	var stored []*mitreden.Notification
	for start := 0; start < len(ns); start += notificationBatch {
		batch := ns[start:min(start+notificationBatch, len(ns))]
		docs := make([]any, len(batch))
		for i, n := range batch {
			docs[i] = notificationToDoc(n)
		}
		failed, err := s.insertUnordered(ctx, "notifications", docs)
		if err != nil {
			return stored, err
		}
		var users []string
		for i, n := range batch {
			if !failed[i] {
				stored = append(stored, n)
				users = append(users, n.UserID)
			}
		}
		if err := s.incCounts(ctx, users, bson.D{{Key: "unread", Value: 1}, {Key: "total", Value: 1}}); err != nil {
			return stored, err
		}
	}
	return stored, nil
}

// byIDMax is how many ids a lookup or update by an $in of ids takes one
// _id at a time where writes are serialized (the embedded engine): there any
// filter but a single _id scans its collection, so a reply's one or two
// recipients cost two lookups instead of two scans of every person.
const byIDMax = 32

// fewByID reports whether n ids go one _id at a time (byIDMax).
func (d *DB) fewByID(n int) bool { return d.serial != nil && n <= byIDMax }

// countsBatch bounds one counter update: the embedded engine applies an
// UpdateMany document by document (about 1.5 ms each at 10,000 people), so
// smaller calls stay well inside the store deadline.
const countsBatch = 250

// incCounts adds inc to the counters of users, creating missing ones:
// one unordered insert (existing ones fail alone), then one $inc over an
// $in of the ids per countsBatch. (Upserts by _id in one bulk write were
// measured slower on the embedded engine: over 5 ms per existing counter.)
func (s *NotificationStore) incCounts(ctx context.Context, users []string, inc bson.D) error {
	if len(users) == 0 {
		return nil
	}
	if s.db.fewByID(len(users)) {
		// One update by _id each; a person's first counter is inserted.
		for _, u := range users {
			for first := true; ; first = false {
				wctx, done := s.db.write(ctx)
				res, err := s.db.C("notification_counts").UpdateOne(wctx, bson.D{{Key: "_id", Value: u}}, bson.D{{Key: "$inc", Value: inc}})
				done()
				if err != nil {
					return mapErr(err)
				}
				if res.MatchedCount > 0 || !first {
					break
				}
				if _, err := s.insertUnordered(ctx, "notification_counts", []any{countsDoc{ID: u}}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	docs := make([]any, len(users))
	for i, u := range users {
		docs[i] = countsDoc{ID: u}
	}
	if _, err := s.insertUnordered(ctx, "notification_counts", docs); err != nil {
		return err
	}
	for start := 0; start < len(users); start += countsBatch {
		part := users[start:min(start+countsBatch, len(users))]
		wctx, done := s.db.write(ctx)
		_, err := s.db.C("notification_counts").UpdateMany(wctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: part}}}},
			bson.D{{Key: "$inc", Value: inc}})
		done()
		if err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// insertUnordered inserts docs into coll, going on past documents whose _id
// exists, and returns the indexes of those; any other error is returned.
func (s *NotificationStore) insertUnordered(ctx context.Context, coll string, docs []any) (map[int]bool, error) {
	wctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C(coll).InsertMany(wctx, docs, options.InsertMany().SetOrdered(false))
	failed := map[int]bool{}
	if err == nil {
		return failed, nil
	}
	var bw mongo.BulkWriteException
	if !errors.As(err, &bw) || bw.WriteConcernError != nil || len(bw.WriteErrors) == 0 {
		return nil, mapErr(err)
	}
	for _, we := range bw.WriteErrors {
		if !mongo.IsDuplicateKeyError(mongo.WriteException{WriteErrors: []mongo.WriteError{we.WriteError}}) {
			return nil, mapErr(err)
		}
		failed[we.Index] = true
	}
	return failed, nil
}

// ListNotifications reads one page over the user index.
func (s *NotificationStore) ListNotifications(ctx context.Context, userID string, page, perPage int) ([]*mitreden.Notification, error) {
	page, perPage = max(page, 1), max(perPage, 1)
	return s.find(ctx, bson.D{{Key: "user_id", Value: userID}}, options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}).
		SetSkip(int64((page-1)*perPage)).SetLimit(int64(perPage)))
}

// UserNotifications reads every notification of a person.
func (s *NotificationStore) UserNotifications(ctx context.Context, userID string) ([]*mitreden.Notification, error) {
	return s.find(ctx, bson.D{{Key: "user_id", Value: userID}}, options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}))
}

func (s *NotificationStore) find(ctx context.Context, filter bson.D, opts *options.FindOptionsBuilder) ([]*mitreden.Notification, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	cur, err := s.db.C("notifications").Find(ctx, filter, opts)
	if err != nil {
		return nil, mapErr(err)
	}
	var docs []notificationDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, mapErr(err)
	}
	out := make([]*mitreden.Notification, len(docs))
	for i := range docs {
		out[i] = docs[i].domain()
	}
	return out, nil
}

// FindNotification looks the notification up by _id and owner.
func (s *NotificationStore) FindNotification(ctx context.Context, userID, id string) (*mitreden.Notification, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var d notificationDoc
	if err := s.db.C("notifications").FindOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "user_id", Value: userID}}).Decode(&d); err != nil {
		return nil, mapErr(err)
	}
	return d.domain(), nil
}

// CountNotifications reads the counter document by _id.
func (s *NotificationStore) CountNotifications(ctx context.Context, userID string) (mitreden.NotificationCounts, error) {
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var d countsDoc
	err := mapErr(s.db.C("notification_counts").FindOne(ctx, bson.D{{Key: "_id", Value: userID}}).Decode(&d))
	switch mitreden.ErrorCode(err) {
	case "":
		return mitreden.NotificationCounts{Unread: max(d.Unread, 0), Total: max(d.Total, 0)}, nil
	case mitreden.ENOTFOUND:
		return mitreden.NotificationCounts{}, nil
	}
	return mitreden.NotificationCounts{}, err
}

// MarkNotificationRead sets read only while unread, and counts it off when
// it changed.
func (s *NotificationStore) MarkNotificationRead(ctx context.Context, userID, id string) error {
	wctx, done := s.db.write(ctx)
	res, err := s.db.C("notifications").UpdateOne(wctx, bson.D{{Key: "_id", Value: id}, {Key: "user_id", Value: userID}, {Key: "read", Value: false}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "read", Value: true}}}})
	done()
	if err != nil {
		return mapErr(err)
	}
	if res.ModifiedCount == 0 {
		_, err := s.FindNotification(ctx, userID, id)
		return err
	}
	wctx, done = s.db.write(ctx)
	defer done()
	_, err = s.db.C("notification_counts").UpdateOne(wctx, bson.D{{Key: "_id", Value: userID}, {Key: "unread", Value: bson.D{{Key: "$gt", Value: 0}}}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "unread", Value: -1}}}})
	return mapErr(err)
}

// MarkAllNotificationsRead marks the person's unread ones read and zeroes
// the counter.
func (s *NotificationStore) MarkAllNotificationsRead(ctx context.Context, userID string) error {
	wctx, done := s.db.write(ctx)
	_, err := s.db.C("notifications").UpdateMany(wctx, bson.D{{Key: "user_id", Value: userID}, {Key: "read", Value: false}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "read", Value: true}}}})
	done()
	if err != nil {
		return mapErr(err)
	}
	wctx, done = s.db.write(ctx)
	defer done()
	_, err = s.db.C("notification_counts").UpdateOne(wctx, bson.D{{Key: "_id", Value: userID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "unread", Value: 0}}}})
	return mapErr(err)
}

// PendingDigest reads over the digest index.
func (s *NotificationStore) PendingDigest(ctx context.Context, mode mitreden.MailMode, before time.Time, afterUser string, limit int) ([]*mitreden.Notification, error) {
	return s.find(ctx, bson.D{{Key: "mail", Value: string(mode)}, {Key: "mailed", Value: false},
		{Key: "user_id", Value: bson.D{{Key: "$gt", Value: afterUser}}}, {Key: "created_at", Value: bson.D{{Key: "$lt", Value: before}}}},
		options.Find().SetSort(bson.D{{Key: "user_id", Value: 1}, {Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
}

// MarkNotificationsMailed sets mailed on the ids in one write.
func (s *NotificationStore) MarkNotificationsMailed(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	wctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("notifications").UpdateMany(wctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "mailed", Value: true}}}})
	return mapErr(err)
}

// NotificationSettings reads the settings documents of the people in one
// query.
func (s *NotificationStore) NotificationSettings(ctx context.Context, userIDs []string) (map[string]*mitreden.NotificationSettings, error) {
	out := map[string]*mitreden.NotificationSettings{}
	if len(userIDs) == 0 {
		return out, nil
	}
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	var docs []settingsDoc
	if s.db.fewByID(len(userIDs)) {
		for _, id := range userIDs {
			var d settingsDoc
			err := s.db.C("notification_settings").FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
			if errors.Is(err, mongo.ErrNoDocuments) {
				continue
			}
			if err != nil {
				return nil, mapErr(err)
			}
			docs = append(docs, d)
		}
	} else {
		cur, err := s.db.C("notification_settings").Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: userIDs}}}})
		if err != nil {
			return nil, mapErr(err)
		}
		if err := cur.All(ctx, &docs); err != nil {
			return nil, mapErr(err)
		}
	}
	for _, d := range docs {
		st := &mitreden.NotificationSettings{UserID: d.ID, Modes: map[string]mitreden.MailMode{}}
		for k, m := range d.Modes {
			st.Modes[k] = mitreden.MailMode(m)
		}
		out[d.ID] = st
	}
	return out, nil
}

// PutNotificationSettings replaces the settings document.
func (s *NotificationStore) PutNotificationSettings(ctx context.Context, st *mitreden.NotificationSettings) error {
	modes := map[string]string{}
	for k, m := range st.Modes {
		modes[k] = string(m)
	}
	wctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("notification_settings").ReplaceOne(wctx, bson.D{{Key: "_id", Value: st.UserID}}, settingsDoc{ID: st.UserID, Modes: modes},
		options.Replace().SetUpsert(true))
	return mapErr(err)
}

// SetNotificationMode sets one kind's mode in one upsert.
func (s *NotificationStore) SetNotificationMode(ctx context.Context, userID, kind string, mode mitreden.MailMode) error {
	wctx, done := s.db.write(ctx)
	defer done()
	_, err := s.db.C("notification_settings").UpdateOne(wctx, bson.D{{Key: "_id", Value: userID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "modes." + kind, Value: string(mode)}}}}, options.UpdateOne().SetUpsert(true))
	return mapErr(err)
}

// EraseNotificationData deletes a person's documents from the four
// collections and unsets their id and name in others' notifications (over
// the actor index).
func (s *NotificationStore) EraseNotificationData(ctx context.Context, userID string) error {
	wctx, done := s.db.write(ctx)
	_, err := s.db.C("notifications").UpdateMany(wctx, bson.D{{Key: "actor_id", Value: userID}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: "actor_id", Value: ""}, {Key: "actor_name", Value: ""}}}})
	done()
	if err != nil {
		return mapErr(err)
	}
	for _, del := range []struct {
		coll   string
		filter bson.D
	}{
		{"follows", bson.D{{Key: "user_id", Value: userID}}},
		{"notifications", bson.D{{Key: "user_id", Value: userID}}},
		{"notification_counts", bson.D{{Key: "_id", Value: userID}}},
		{"notification_settings", bson.D{{Key: "_id", Value: userID}}},
	} {
		wctx, done := s.db.write(ctx)
		_, err := s.db.C(del.coll).DeleteMany(wctx, del.filter)
		done()
		if err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// MailRecipients reads the addresses and languages of many accounts in one
// query; ids that are not accounts are left out.
func (s *UserStore) MailRecipients(ctx context.Context, ids []string) (map[string]*mitreden.MailRecipient, error) {
	out := map[string]*mitreden.MailRecipient{}
	oids := make(bson.A, 0, len(ids))
	for _, id := range ids {
		if o, err := bson.ObjectIDFromHex(id); err == nil {
			oids = append(oids, o)
		}
	}
	if len(oids) == 0 {
		return out, nil
	}
	ctx, cancel := s.db.ctx(ctx)
	defer cancel()
	type recipientDoc struct {
		ID          bson.ObjectID `bson:"_id"`
		Email       string        `bson:"email"`
		Language    string        `bson:"language"`
		DisplayName string        `bson:"display_name"`
	}
	var docs []recipientDoc
	if s.db.fewByID(len(oids)) {
		for _, o := range oids {
			var d recipientDoc
			err := s.db.C("users").FindOne(ctx, bson.D{{Key: "_id", Value: o}}).Decode(&d)
			if errors.Is(err, mongo.ErrNoDocuments) {
				continue
			}
			if err != nil {
				return nil, mapErr(err)
			}
			docs = append(docs, d)
		}
	} else {
		cur, err := s.db.C("users").Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: oids}}}},
			options.Find().SetProjection(bson.D{{Key: "email", Value: 1}, {Key: "language", Value: 1}, {Key: "display_name", Value: 1}}))
		if err != nil {
			return nil, mapErr(err)
		}
		if err := cur.All(ctx, &docs); err != nil {
			return nil, mapErr(err)
		}
	}
	for _, d := range docs {
		out[d.ID.Hex()] = &mitreden.MailRecipient{ID: d.ID.Hex(), Email: d.Email, Language: d.Language, DisplayName: d.DisplayName}
	}
	return out, nil
}

// InsertSeedSupports writes support votes of the people on a proposal in
// batches, without counting them (benchmarks of the fan-out, demo data).
func (s *NotificationStore) InsertSeedSupports(ctx context.Context, proposalID, consultationID string, userIDs []string) error {
	for start := 0; start < len(userIDs); start += notificationBatch {
		batch := userIDs[start:min(start+notificationBatch, len(userIDs))]
		docs := make([]any, len(batch))
		for i, u := range batch {
			docs[i] = voteDoc{ID: voteID(proposalID, u), ProposalID: proposalID, UserID: u, ConsultationID: consultationID,
				Value: mitreden.VotingSupport, CreatedAt: now()}
		}
		if _, err := s.insertUnordered(ctx, "votes", docs); err != nil {
			return err
		}
	}
	return nil
}
