package http_test

import "testing"

// The reset request answers 202 alike for registered and unknown addresses;
// the one exception is a malformed address, 422 at the email field, which
// is decided by its spelling alone and so tells nothing about who is
// registered (README, "Password reset").
func TestPasswordForgotAPI_MalformedAddressIsTheOneException(t *testing.T) {
	e := newEnv(t)
	e.createUser("vergesslich@example.org", "Vergesslich")
	for _, addr := range []string{"kaputt", "vergesslich@", "@example.org"} {
		p := readProblem(t, e.api("POST", "/api/v1/auth/password/forgot", "", map[string]string{"email": addr}), 422)
		if len(p.Errors) != 1 || p.Errors[0].Field != "email" || p.Errors[0].Message == "" {
			t.Errorf("%q: %+v", addr, p)
		}
	}
	if len(e.mails("vergesslich@example.org")) != 0 {
		t.Error("a malformed request sent a mail")
	}
	for _, addr := range []string{"vergesslich@example.org", "niemand@example.org"} {
		if resp := e.api("POST", "/api/v1/auth/password/forgot", "", map[string]string{"email": addr}); resp.StatusCode != 202 {
			t.Errorf("%q: %d", addr, resp.StatusCode)
		}
	}
}
