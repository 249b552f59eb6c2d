package http_test

import (
	"context"
	"strings"
	"testing"
)

// TestAssistedPages_AuditNamesDeletedStaffAsDeleted: once the staff member
// who created a record deleted the account, the record's audit shows
// "gelöschtes Konto" in the staff column, not an empty cell or the name.
func TestAssistedPages_AuditNamesDeletedStaffAsDeleted(t *testing.T) {
	a := newAssistedEnv(t)
	rid := a.record(t, map[string]any{"display_name": "Grete L.", "locality": "Musterhausen"})["id"].(string)
	if err := a.DB.UserData().AnonymizeAuthor(context.Background(), a.staffUser.ID); err != nil {
		t.Fatal(err)
	}
	b := a.browser()
	b.loginForm("service@example.org", a.pw)
	resp, doc := b.get("/assisted/participants/" + rid)
	if resp.StatusCode != 200 {
		t.Fatalf("record page: %d", resp.StatusCode)
	}
	rows := doc.Find("table tbody tr")
	if rows.Length() == 0 {
		t.Fatal("no audit rows")
	}
	all := rows.Text()
	if !strings.Contains(all, "gelöschtes Konto") || strings.Contains(all, "Sabine Service") {
		t.Errorf("audit rows: %s", all)
	}
}
