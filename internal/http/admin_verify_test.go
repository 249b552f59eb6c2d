package http_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/mitreden/mitreden/internal/mitreden"
)

// A person whose verification mail never arrives asks the administration;
// an admin confirms the address on the user list.
func TestAdminUsers_MarkAddressVerified(t *testing.T) {
	e := newEnv(t, withVerification())
	_, apw := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	r := e.browser()
	r.post("/register", url.Values{"_csrf": {r.csrf("/register")}, "email": {"ohne.post@example.org"},
		"display_name": {"Ohne Post"}, "password": {"Sonnenblumen am Rhein"}})
	u, err := e.Accounts.FindUserByEmail(context.Background(), "ohne.post@example.org")
	if err != nil || !u.Unverified {
		t.Fatalf("a registered account starts unverified: %+v %v", u, err)
	}

	b := e.browser()
	b.loginForm("admin@example.org", apw)
	_, doc := b.get("/admin/users")
	checkPage(t, "/admin/users", doc, "de")
	row := doc.Find("tr").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.Contains(s.Text(), "ohne.post@example.org")
	})
	if !strings.Contains(row.Text(), "nicht bestätigt") {
		t.Fatalf("the list does not say the address is unverified: %q", row.Text())
	}
	button := row.Find(`form[action="/admin/users/` + u.ID + `/verify"] button`)
	if button.Length() != 1 || !strings.Contains(button.Text(), "Adresse als bestätigt markieren") {
		t.Fatalf("no button to mark the address verified: %q", row.Text())
	}
	adminRow := doc.Find("tr").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.Contains(s.Text(), "admin@example.org")
	})
	if adminRow.Find(`form[action$="/verify"]`).Length() != 0 || !strings.Contains(adminRow.Text(), "bestätigt") {
		t.Fatalf("a verified account shows a button or no state: %q", adminRow.Text())
	}

	// Without the CSRF token nothing changes.
	if resp, _ := b.post("/admin/users/"+u.ID+"/verify", url.Values{}); resp.StatusCode != 403 {
		t.Fatalf("verify without token: %d", resp.StatusCode)
	}
	// A citizen cannot.
	_, cpw := e.createUser("citizen@example.org", "Bürgerin")
	c := e.browser()
	c.loginForm("citizen@example.org", cpw)
	if resp, _ := c.post("/admin/users/"+u.ID+"/verify", url.Values{"_csrf": {c.csrf("/")}}); resp.StatusCode != 403 {
		t.Fatalf("citizen verifies: %d", resp.StatusCode)
	}
	if u, _ := e.Accounts.FindUserByEmail(context.Background(), "ohne.post@example.org"); !u.Unverified {
		t.Fatal("a refused request verified the address")
	}

	resp, _ := b.post("/admin/users/"+u.ID+"/verify", url.Values{"_csrf": {b.csrf("/admin/users")}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/admin/users" {
		t.Fatalf("verify: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if u, _ := e.Accounts.FindUserByEmail(context.Background(), "ohne.post@example.org"); u.Unverified || u.VerifiedAt.IsZero() {
		t.Fatalf("still unverified: %+v", u)
	}
	_, doc = b.get("/admin/users")
	if !strings.Contains(doc.Find("main").Text(), "Die Adresse ist als bestätigt markiert.") {
		t.Errorf("no confirmation: %q", doc.Find("main").Text())
	}
	if doc.Find(`form[action="/admin/users/`+u.ID+`/verify"]`).Length() != 0 {
		t.Error("the button stays after the address is verified")
	}
	// An unknown account answers 404.
	if resp, _ := b.post("/admin/users/000000000000000000000000/verify", url.Values{"_csrf": {b.csrf("/admin/users")}}); resp.StatusCode != 404 {
		t.Errorf("unknown account: %d", resp.StatusCode)
	}
}
