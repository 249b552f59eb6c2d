package mongo_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	drivermongo "go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

// takenField returns the field a conflict names, failing unless err is one.
func takenField(t *testing.T, err error) string {
	t.Helper()
	e, ok := err.(*mitreden.Error)
	if !ok || e.Code != mitreden.ECONFLICT || len(e.Fields) != 1 || e.Fields[0].Code != "taken" {
		t.Fatalf("got %v, want a conflict naming one taken field", err)
	}
	return e.Fields[0].Field
}

func TestUserStore_DisplayNameUniqueByLookAlike(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	s := db.Users()
	ctx := context.Background()
	admin := &mitreden.User{Email: "admin@example.org", DisplayName: "Demo-Administration", PasswordHash: "h"}
	if err := s.CreateUser(ctx, admin); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"Demo-Administration", "demo-administration", "DEMO-ADMINISTRATION",
		"Demo-\u0410dministration", "Dem\u043E-Administration", "Dem0-Administration", "Demo-Administration\uFE0F"} {
		err := s.CreateUser(ctx, &mitreden.User{Email: fmt.Sprintf("fake%d@example.org", i), DisplayName: name, PasswordHash: "h"})
		if f := takenField(t, err); f != "display_name" {
			t.Errorf("%q: conflict on %s, want display_name", name, f)
		}
	}
	if err := s.CreateUser(ctx, &mitreden.User{Email: "ADMIN@example.org", DisplayName: "Anna", PasswordHash: "h"}); takenField(t, err) != "email" {
		t.Errorf("taken email reported as %v", err)
	}
	anna := &mitreden.User{Email: "anna@example.org", DisplayName: "Anna", PasswordHash: "h"}
	if err := s.CreateUser(ctx, anna); err != nil {
		t.Fatal(err)
	}
	name := "DEMO-ADMINISTRATI\u041EN"
	if _, err := s.UpdateUser(ctx, anna.ID, mitreden.UserUpdate{DisplayName: &name}); takenField(t, err) != "display_name" {
		t.Errorf("rename to a look-alike: %v", err)
	}
	if got, _ := s.FindUserByID(ctx, anna.ID); got.DisplayName != "Anna" {
		t.Errorf("name after refused rename = %q", got.DisplayName)
	}
	// One's own name in another case is no conflict, and the old name is free again after a change.
	name = "Demo-ADMINISTRATION"
	if _, err := s.UpdateUser(ctx, admin.ID, mitreden.UserUpdate{DisplayName: &name}); err != nil {
		t.Fatalf("own name in upper case: %v", err)
	}
	name = "Verwaltung"
	if _, err := s.UpdateUser(ctx, admin.ID, mitreden.UserUpdate{DisplayName: &name}); err != nil {
		t.Fatal(err)
	}
	name = "Demo-Administration"
	if _, err := s.UpdateUser(ctx, anna.ID, mitreden.UserUpdate{DisplayName: &name}); err != nil {
		t.Fatalf("a freed name: %v", err)
	}
}

func TestUserStore_ConcurrentSameDisplayNameOneWins(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	s := db.Users()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, conflict := 0, 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := []string{"Bürgermeisterin", "BÜRGERMEISTERIN", "Bürgermeisterin", "bürgermeisterin"}[i%4]
			err := s.CreateUser(context.Background(), &mitreden.User{Email: fmt.Sprintf("p%d@example.org", i), DisplayName: name, PasswordHash: "h"})
			mu.Lock()
			defer mu.Unlock()
			switch mitreden.ErrorCode(err) {
			case "":
				ok++
			case mitreden.ECONFLICT:
				conflict++
			default:
				t.Errorf("unexpected: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || conflict != 7 {
		t.Fatalf("ok=%d conflict=%d", ok, conflict)
	}
}

// TestUserStore_NameKeysOfOlderData starts on users stored before names
// were unique, two of them look-alikes: the start gives every account its
// key, keeps both look-alikes as they are, logs them and refuses new ones.
func TestUserStore_NameKeysOfOlderData(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	ctx := context.Background()
	users := db.C("users")
	if err := users.Indexes().DropOne(ctx, "name_key_unique"); err != nil {
		t.Fatal(err)
	}
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ids := map[string]bson.ObjectID{}
	for i, name := range []string{"Demo-Administration", "Anna", "DEMO-ADMINISTRATI\u041EN", "Lena"} {
		id := bson.NewObjectID()
		ids[name] = id
		_, err := users.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "email", Value: fmt.Sprintf("old%d@example.org", i)},
			{Key: "email_key", Value: fmt.Sprintf("old%d@example.org", i)}, {Key: "display_name", Value: name},
			{Key: "password_hash", Value: "h"}, {Key: "language", Value: "de"}, {Key: "roles", Value: bson.A{"citizen"}},
			{Key: "blocked", Value: false}, {Key: "created_at", Value: created.Add(time.Duration(i) * time.Hour)},
			{Key: "updated_at", Value: created}})
		if err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	db.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	if err := db.EnsureIndexes(ctx); err != nil {
		t.Fatalf("start on old data: %v", err)
	}
	if err := db.EnsureIndexes(ctx); err != nil {
		t.Fatalf("second start: %v", err)
	}
	if n := strings.Count(logs.String(), ids["DEMO-ADMINISTRATI\u041EN"].Hex()); n != 1 {
		t.Errorf("the later look-alike is logged %d times, want once:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", logs.String())
	}
	s := db.Users()
	for name, id := range ids {
		u, err := s.FindUserByID(ctx, id.Hex())
		if err != nil || u.DisplayName != name {
			t.Errorf("old user %q: %v %v", name, u, err)
		}
	}
	err := s.CreateUser(ctx, &mitreden.User{Email: "new@example.org", DisplayName: "demo-administration", PasswordHash: "h"})
	if takenField(t, err) != "display_name" {
		t.Errorf("new look-alike: %v", err)
	}
	err = s.CreateUser(ctx, &mitreden.User{Email: "new@example.org", DisplayName: "LENA", PasswordHash: "h"})
	if takenField(t, err) != "display_name" {
		t.Errorf("look-alike of an old account: %v", err)
	}
	if err := s.CreateUser(ctx, &mitreden.User{Email: "new@example.org", DisplayName: "Neu", PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
}

// TestFerretDBUpdateUniqueViolationIsInternal documents why the user store
// recognizes FerretDB's unique violations of updates by their message: when
// an update that breaks a unique index is answered with a duplicate-key
// error, this fails and ferretUniqueViolation can go.
func TestFerretDBUpdateUniqueViolationIsInternal(t *testing.T) {
	if os.Getenv("MITREDEN_TEST_MONGODB_URI") != "" {
		t.Skip("MongoDB answers duplicate keys of updates right")
	}
	db := mongotest.MustOpenDB(t)
	ctx := context.Background()
	c := db.C("users")
	for _, k := range []string{"a", "b"} {
		if _, err := c.InsertOne(ctx, bson.D{{Key: "email_key", Value: k}, {Key: "name_key", Value: k}}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.UpdateOne(ctx, bson.D{{Key: "name_key", Value: "b"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "name_key", Value: "a"}}}})
	if err == nil {
		t.Fatal("the unique index let a duplicate in")
	}
	if drivermongo.IsDuplicateKeyError(err) {
		t.Fatal("FerretDB now answers a duplicate key of an update as such: drop ferretUniqueViolation from users.go")
	}
	if !strings.Contains(err.Error(), "UNIQUE constraint failed") {
		t.Fatalf("FerretDB answers differently now, adapt ferretUniqueViolation: %v", err)
	}
}
