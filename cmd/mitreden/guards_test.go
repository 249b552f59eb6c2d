package main

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
)

// TestServe_AppliesWriteLimit checks that serve passes
// MITREDEN_WRITE_MAX_PER_IP on: a client's writes beyond it answer 429
// with Retry-After.
func TestServe_AppliesWriteLimit(t *testing.T) {
	needBinary(t)
	t.Parallel()
	s := startServer(t, t.TempDir(), "MITREDEN_WRITE_MAX_PER_IP=3")
	passed := 0
	for i := range 6 {
		resp, body := s.postJSON(t, "/api/v1/auth/login", loginJSON(fmt.Sprintf("niemand%d@example.org", i), "falsches Passwort"))
		if resp.StatusCode == http.StatusTooManyRequests {
			if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 20 {
				t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
			}
			break
		}
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("login %d: %d %s", i, resp.StatusCode, body)
		}
		passed++
	}
	// Three a minute; one more comes back every 20 seconds.
	if passed != 3 {
		t.Fatalf("%d writes passed MITREDEN_WRITE_MAX_PER_IP=3", passed)
	}
}
