package main

import "testing"

// TestServe_AppliesPostingLimits checks that serve passes the posting
// limits on: a new account (half the allowance) gets one comment a minute
// and one proposal a day of MITREDEN_COMMENT_MAX_PER_MINUTE=2 and
// MITREDEN_PROPOSAL_MAX_PER_DAY=2.
func TestServe_AppliesPostingLimits(t *testing.T) {
	needBinary(t)
	t.Parallel()
	dir := t.TempDir()
	const adminPW, citizenPW = "Rathaus am Markt 2026", "Stadtpark im Sommer 2026"
	createAdmin(t, dir, adminPW)
	s := startServer(t, dir, "MITREDEN_COMMENT_MAX_PER_MINUTE=2", "MITREDEN_PROPOSAL_MAX_PER_DAY=2")
	admin := s.login(t, "admin@example.org", adminPW)
	cons := struct{ ID string }{openConsultation(t, s, admin)}
	s.apiAs(t, "", "POST", "/api/v1/auth/register", map[string]string{"email": "rad@example.org", "password": citizenPW,
		"display_name": "Radlerin"}, 202, nil)
	citizen := s.login(t, "rad@example.org", citizenPW)
	var prop struct{ ID string }
	proposal := map[string]any{"title": "Radweg an der Ringstraße", "body": "Ein durchgehender Radweg entlang der Ringstraße."}
	s.apiAs(t, citizen, "POST", "/api/v1/consultations/"+cons.ID+"/proposals", proposal, 201, &prop)
	s.apiAs(t, citizen, "POST", "/api/v1/consultations/"+cons.ID+"/proposals", proposal, 429, nil)
	s.apiAs(t, citizen, "POST", "/api/v1/proposals/"+prop.ID+"/comments", map[string]string{"body": "Gute Idee."}, 201, nil)
	s.apiAs(t, citizen, "POST", "/api/v1/proposals/"+prop.ID+"/comments", map[string]string{"body": "Noch eine."}, 429, nil)
}
