package http_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/mitreden/mitreden/api"
)

// The contract: every exchange a test makes through testEnv.do (and so
// e.api, the browser helpers and everything built on them) is checked
// against api/openapi.yaml by checkContract. Tests get this for free; a test
// that talks to the server another way calls checkContract itself.
//
//   - The answer must be documented: path, method, status, content type,
//     required headers (Retry-After on 429 and 503) and body schema.
//   - A request the server accepted (status below 400) must be valid by the
//     spec too: parameters, body schema and security. Rejected requests are
//     exempt, since tests send invalid input on purpose.

var (
	specOnce   sync.Once
	specDoc    *openapi3.T
	specRouter routers.Router
	specErr    error
)

func loadSpec(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		specDoc, specErr = loader.LoadFromData(api.OpenAPI)
		if specErr != nil {
			return
		}
		if specErr = specDoc.Validate(loader.Context); specErr != nil {
			return
		}
		specRouter, specErr = gorillamux.NewRouter(specDoc)
	})
	if specErr != nil {
		t.Fatalf("api/openapi.yaml: %v", specErr)
	}
	return specDoc, specRouter
}

// isContractPath tells which answers the spec covers.
func isContractPath(p string) bool {
	return strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/readyz"
}

// contractAuth accepts the credentials the spec's security schemes name: a
// non-empty bearer token or the session cookie. Whether they are valid is the
// server's business; the spec only says which kind an operation takes.
func contractAuth(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	req := in.RequestValidationInput.Request
	switch in.SecuritySchemeName {
	case "bearer":
		scheme, tok, ok := strings.Cut(req.Header.Get("Authorization"), " ")
		if ok && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(tok) != "" {
			return nil
		}
		return errors.New("no bearer token")
	case "session":
		for _, name := range []string{"mitreden_session", "__Host-mitreden_session"} {
			if c, err := req.Cookie(name); err == nil && c.Value != "" {
				return nil
			}
		}
		return errors.New("no session cookie")
	}
	return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
}

// checkContract validates one exchange against the spec and fails t on a
// mismatch. reqBody is the body req carried (its reader is spent by then).
func checkContract(t *testing.T, req *nethttp.Request, reqBody []byte, resp *nethttp.Response) {
	t.Helper()
	if !isContractPath(req.URL.Path) {
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := contractError(t, req, reqBody, resp.StatusCode, resp.Header, body); err != nil {
		t.Errorf("contract: %s %s → %d does not match api/openapi.yaml: %v\nbody: %.300s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
}

// contractError is checkContract without the testing.T, so the checker itself can be tested.
func contractError(t *testing.T, req *nethttp.Request, reqBody []byte, status int, header nethttp.Header, body []byte) error {
	_, router := loadSpec(t)
	u := *req.URL
	u.Scheme, u.Host = "http", "127.0.0.1:8080"
	probe := req.Clone(context.Background())
	probe.URL = &u
	probe.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := router.FindRoute(probe)
	if err != nil {
		if status == 404 || status == 405 {
			return nil // unknown paths answer 404 problems, which is right
		}
		return fmt.Errorf("route not documented: %w", err)
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, AuthenticationFunc: contractAuth}
	reqIn := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route, Options: opts}
	var errs []error
	if status < 400 {
		if err := openapi3filter.ValidateRequest(context.Background(), reqIn); err != nil {
			errs = append(errs, fmt.Errorf("accepted request is invalid by the spec: %w", err))
		}
	}
	in := &openapi3filter.ResponseValidationInput{RequestValidationInput: reqIn, Status: status, Header: header, Options: opts}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// TestContract_CheckerCatchesMismatches proves the checker can fail: each
// exchange breaks the spec in one way, and one conforming exchange passes.
func TestContract_CheckerCatchesMismatches(t *testing.T) {
	loadSpec(t)
	const me = `{"id":"1","display_name":"Ann","email":"a@example.org","language":"de","roles":["citizen"],"created_at":"2026-01-02T03:04:05Z"}`
	const prob = `{"type":"urn:mitreden:problem:x","title":"T","status":%d,"detail":"D","request_id":"r"}`
	problemHdr := nethttp.Header{"Content-Type": {"application/problem+json; charset=utf-8"}}
	jsonHdr := nethttp.Header{"Content-Type": {"application/json; charset=utf-8"}}
	req := func(method, path, body string, auth bool) *nethttp.Request {
		r, _ := nethttp.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		if auth {
			r.Header.Set("Authorization", "Bearer tok")
		}
		return r
	}
	cases := []struct {
		name    string
		req     *nethttp.Request
		reqBody string
		status  int
		header  nethttp.Header
		body    string
		ok      bool
	}{
		{"conforming", req("GET", "/api/v1/me", "", true), "", 200, jsonHdr, me, true},
		{"conforming problem", req("GET", "/api/v1/me", "", false), "", 401, problemHdr, fmt.Sprintf(prob, 401), true},
		{"missing required field", req("GET", "/api/v1/me", "", true), "", 200, jsonHdr, `{"id":"1","display_name":"Ann","roles":[],"created_at":"2026-01-02T03:04:05Z"}`, false},
		{"extra field", req("GET", "/api/v1/me", "", true), "", 200, jsonHdr, strings.TrimSuffix(me, "}") + `,"password_hash":"x"}`, false},
		{"undocumented status", req("GET", "/api/v1/me", "", true), "", 500, problemHdr, fmt.Sprintf(prob, 500), false},
		{"error not a problem", req("GET", "/api/v1/me", "", false), "", 401, jsonHdr, fmt.Sprintf(prob, 401), false},
		{"problem without request_id", req("GET", "/api/v1/me", "", false), "", 401, problemHdr, `{"type":"x","title":"T","status":401,"detail":"D"}`, false},
		{"429 without Retry-After", req("POST", "/api/v1/auth/login", `{"email":"a@b.de","password":"x"}`, false), "", 429, problemHdr, fmt.Sprintf(prob, 429), false},
		{"accepted request with unknown field", req("PATCH", "/api/v1/me", "", true), `{"display_name":"Ann","role":"admin"}`, 200, jsonHdr, me, false},
		{"accepted request without credentials", req("GET", "/api/v1/me", "", false), "", 200, jsonHdr, me, false},
		{"undocumented route", req("GET", "/api/v1/secret", "", true), "", 200, jsonHdr, `{}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.reqBody != "" {
				tc.req.Header.Set("Content-Type", "application/json")
			}
			err := contractError(t, tc.req, []byte(tc.reqBody), tc.status, tc.header, []byte(tc.body))
			if tc.ok && err != nil {
				t.Fatalf("conforming exchange rejected: %v", err)
			}
			if !tc.ok && err == nil {
				t.Fatal("mismatch not caught")
			}
		})
	}
}

func TestContract_EveryAPIRouteIsDocumented(t *testing.T) {
	e := newEnv(t)
	doc, _ := loadSpec(t)
	served := map[string]bool{"GET /healthz": true, "GET /readyz": true} // registered before the routing table
	for _, r := range e.Server.Routes() {
		if !strings.HasPrefix(r.Path(), "/api/") {
			continue
		}
		path := fiberToOpenAPI(r.Path())
		served[r.Method()+" "+path] = true
	}
	for key := range served {
		method, path, _ := strings.Cut(key, " ")
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("%s is served but not documented in api/openapi.yaml", key)
		}
	}
	// And the other way round: the spec promises nothing the server lacks.
	for _, path := range doc.Paths.InMatchingOrder() {
		for method := range doc.Paths.Value(path).Operations() {
			if !served[method+" "+path] {
				t.Errorf("%s %s is documented but not served", method, path)
			}
		}
	}
	if len(served) < 10 {
		t.Fatalf("only %d API routes found; is Routes() complete?", len(served))
	}
}

func TestContract_ErrorsAreReusableProblems(t *testing.T) {
	doc, _ := loadSpec(t)
	for _, name := range []string{"BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict", "TooLarge",
		"UnsupportedMediaType", "Invalid", "RateLimited", "Unavailable"} {
		r := doc.Components.Responses[name]
		if r == nil || r.Value.Content.Get("application/problem+json") == nil {
			t.Errorf("components.responses.%s is not a problem+json response", name)
			continue
		}
		if slices.Contains([]string{"RateLimited", "Unavailable"}, name) {
			h := r.Value.Headers["Retry-After"]
			if h == nil || !h.Value.Required {
				t.Errorf("components.responses.%s lacks a required Retry-After header", name)
			}
		}
	}
	// Every error an operation documents is one of those problems.
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			for code, r := range op.Responses.Map() {
				if code >= "400" && path != "/readyz" && r.Value.Content.Get("application/problem+json") == nil {
					t.Errorf("%s %s answers %s without application/problem+json", method, path, code)
				}
			}
		}
	}
}

// fiberToOpenAPI turns /a/:id/b into /a/{id}/b.
func fiberToOpenAPI(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + strings.TrimPrefix(s, ":") + "}"
		}
	}
	return strings.Join(parts, "/")
}
