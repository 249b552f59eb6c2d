package main

import (
	"strings"
	"testing"
)

func TestConfig_VerifyEmail(t *testing.T) {
	if !DefaultConfig().VerifyEmail {
		t.Fatal("verification is off by default")
	}
	for v, want := range map[string]bool{"false": false, "0": false, "true": true, "1": true} {
		c := DefaultConfig()
		if err := c.LoadEnv(envFunc(map[string]string{"MITREDEN_VERIFY_EMAIL": v})); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if c.VerifyEmail != want {
			t.Errorf("MITREDEN_VERIFY_EMAIL=%s: %v", v, c.VerifyEmail)
		}
	}
	c := DefaultConfig()
	err := c.LoadEnv(envFunc(map[string]string{"MITREDEN_VERIFY_EMAIL": "vielleicht"}))
	if err == nil || !strings.Contains(err.Error(), "MITREDEN_VERIFY_EMAIL") || !strings.Contains(err.Error(), "true or false") {
		t.Fatalf("a bad value: %v", err)
	}
}
