package mongo_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo/mongotest"
)

func TestUserStore_EmailUniqueCaseInsensitive(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	s := db.Users()
	ctx := context.Background()
	u := &mitreden.User{Email: "Anna@Example.org", DisplayName: "Anna", PasswordHash: "x", Language: "de"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if u.ID == "" {
		t.Fatal("no id set")
	}
	err := s.CreateUser(ctx, &mitreden.User{Email: " anna@EXAMPLE.org", DisplayName: "B", PasswordHash: "x"})
	if mitreden.ErrorCode(err) != mitreden.ECONFLICT {
		t.Fatalf("duplicate email: got %v, want conflict", err)
	}
	got, err := s.FindUserByEmail(ctx, "ANNA@example.org")
	if err != nil || got.ID != u.ID {
		t.Fatalf("find by email: %v %v", got, err)
	}
	if !got.HasRole(mitreden.RoleCitizen) || got.HasRole(mitreden.RoleAdmin) {
		t.Fatalf("roles: %v", got.Roles)
	}
}

func TestUserStore_ConcurrentRegistrationOneWins(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	s := db.Users()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, conflict := 0, 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.CreateUser(context.Background(), &mitreden.User{Email: "same@example.org", DisplayName: "X", PasswordHash: "x"})
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

func TestUserStore_NotFoundAndBadID(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	s := db.Users()
	for _, id := range []string{"nope", "000000000000000000000000", `{"$ne":""}`} {
		if _, err := s.FindUserByID(context.Background(), id); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
			t.Errorf("FindUserByID(%q) = %v, want not_found", id, err)
		}
	}
}

func TestUserStore_RolesUpdateList(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	s := db.Users()
	ctx := context.Background()
	for _, e := range []string{"a@x.de", "b@x.de", "c@x.de"} {
		if err := s.CreateUser(ctx, &mitreden.User{Email: e, DisplayName: e, PasswordHash: "h"}); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := s.FindUserByEmail(ctx, "b@x.de")
	u, err := s.SetRoles(ctx, b.ID, []mitreden.Role{mitreden.RoleAdmin, mitreden.RoleAdmin, mitreden.RoleCouncil})
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Roles) != 3 || !u.HasRole(mitreden.RoleAdmin) || !u.HasRole(mitreden.RoleCouncil) {
		t.Fatalf("roles = %v", u.Roles)
	}
	name := "Bea"
	u, err = s.UpdateUser(ctx, b.ID, mitreden.UserUpdate{DisplayName: &name})
	if err != nil || u.DisplayName != "Bea" {
		t.Fatalf("update: %v %v", u, err)
	}
	list, total, err := s.ListUsers(ctx, mitreden.UserFilter{Role: mitreden.RoleAdmin})
	if err != nil || total != 1 || len(list) != 1 || list[0].ID != b.ID {
		t.Fatalf("list admins: %d %v %v", total, list, err)
	}
	_, total, err = s.ListUsers(ctx, mitreden.UserFilter{PerPage: 2})
	if err != nil || total != 3 {
		t.Fatalf("list all: %d %v", total, err)
	}
}

func TestSessionStore(t *testing.T) {
	db := mongotest.MustOpenDB(t)
	s := db.Sessions()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, id := range []string{"s1", "s2", "s3"} {
		if err := s.CreateSession(ctx, &mitreden.Session{ID: id, UserID: "u1", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.TouchSession(ctx, "s1", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindSession(ctx, "s1")
	if err != nil || !got.LastSeenAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("touch: %v %v", got, err)
	}
	if err := s.DeleteUserSessions(ctx, "u1", "s2"); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListUserSessions(ctx, "u1")
	if err != nil || len(list) != 1 || list[0].ID != "s2" {
		t.Fatalf("after delete others: %v %v", list, err)
	}
	if err := s.DeleteSession(ctx, "s2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindSession(ctx, "s2"); mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		t.Fatalf("deleted session: %v", err)
	}
}
