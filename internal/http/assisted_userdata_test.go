package http_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// A person whose account staff linked to their participant record finds
// the record and the letters entered for them in their data export, without
// the staff member's name or the office's reference; deleting the account
// unlinks the record, which stays as the office's file.
func TestAssistedData_ExportHoldsTheLinkedRecordAndDeletionUnlinksIt(t *testing.T) {
	a := newAssistedEnv(t)
	rid := a.record(t, map[string]any{"display_name": "Carla C.", "locality": "Musterhausen", "address": "Hauptstraße 1",
		"phone": "0211 123456"})["id"].(string)
	resp := a.api("POST", "/api/v1/assisted/participants/"+rid+"/proposals", a.staff, map[string]any{"consultation_id": a.cid,
		"title": "Sitzbänke am Marktplatz", "body": "Am Marktplatz fehlen Sitzbänke für ältere Menschen.", "channel": "letter",
		"received_at": todayBerlin(), "reference": "AZ 7/26"})
	if resp.StatusCode != 201 {
		t.Fatalf("enter proposal: %d %s", resp.StatusCode, readBody(resp))
	}
	var pr struct{ ID string }
	decodeJSON(t, resp, &pr)
	// Before the link the export has no such section.
	if body := readBody(a.api("GET", "/api/v1/me/export", a.citizen, nil)); strings.Contains(body, `"assisted"`) {
		t.Fatalf("export before the link: %s", body)
	}
	if resp := a.api("POST", "/api/v1/assisted/participants/"+rid+"/link", a.staff, map[string]any{"user_id": a.citizenUser.ID}); resp.StatusCode != 200 {
		t.Fatalf("link: %d %s", resp.StatusCode, readBody(resp))
	}
	body := readBody(a.api("GET", "/api/v1/me/export", a.citizen, nil))
	var ex struct {
		Assisted struct {
			Records []struct {
				DisplayName string `json:"display_name"`
				Address     string
				Phone       string
				Entries     []struct {
					Type, ID, Channel, Title, Body string
					ReceivedAt                     string `json:"received_at"`
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &ex); err != nil {
		t.Fatal(err)
	}
	if len(ex.Assisted.Records) != 1 {
		t.Fatalf("export records: %s", body)
	}
	r := ex.Assisted.Records[0]
	if r.DisplayName != "Carla C." || r.Address != "Hauptstraße 1" || r.Phone != "0211 123456" || len(r.Entries) != 1 ||
		r.Entries[0].ID != pr.ID || r.Entries[0].Type != "proposal" || r.Entries[0].Channel != "letter" || r.Entries[0].ReceivedAt == "" ||
		r.Entries[0].Title != "Sitzbänke am Marktplatz" {
		t.Fatalf("export record %+v", r)
	}
	for _, never := range []string{"Sabine Service", a.staffUser.ID, "AZ 7/26"} {
		if strings.Contains(body, never) {
			t.Errorf("the export holds %q", never)
		}
	}

	if resp := a.api("DELETE", "/api/v1/me", a.citizen, map[string]any{"password": a.pw}); resp.StatusCode != 204 {
		t.Fatalf("delete: %d %s", resp.StatusCode, readBody(resp))
	}
	rec, err := a.DB.Participation().FindRecord(context.Background(), rid)
	if err != nil || rec.LinkedUserID != "" || rec.Address != "Hauptstraße 1" {
		t.Fatalf("after the deletion the record is %+v %v, want it kept and unlinked", rec, err)
	}
	audit, err := a.DB.Participation().ListAudit(context.Background(), rid, 10)
	if err != nil || len(audit) == 0 || audit[0].Action != "unlink" || audit[0].Value != "" {
		t.Fatalf("audit %+v %v", audit, err)
	}
	// Staff may link the record again, to a new account of the person.
	if resp := a.api("GET", "/api/v1/assisted/participants/"+rid, a.staff, nil); resp.StatusCode != 200 {
		t.Fatalf("record after the deletion: %d", resp.StatusCode)
	}
}
