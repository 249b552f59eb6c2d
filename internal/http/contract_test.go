package http_test

import (
	"bytes"
	"context"
	"io"
	nethttp "net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/mitreden/mitreden/api"
)

// The contract: every API response a test provokes is validated against
// api/openapi.yaml (see testEnv.do), and every API route must be documented.

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

// checkContract validates one exchange against the spec and fails t on a
// mismatch: an undocumented route, status, header or body shape.
func checkContract(t *testing.T, req *nethttp.Request, resp *nethttp.Response) {
	t.Helper()
	if !isContractPath(req.URL.Path) {
		return
	}
	_, router := loadSpec(t)
	u := *req.URL
	u.Scheme, u.Host = "http", "127.0.0.1:8080"
	probe := req.Clone(context.Background())
	probe.URL = &u
	probe.Body = noBody()
	route, params, err := router.FindRoute(probe)
	if err != nil {
		if resp.StatusCode == 404 || resp.StatusCode == 405 {
			return // unknown paths answer 404 problems, which is right
		}
		t.Errorf("contract: %s %s is not in api/openapi.yaml: %v", req.Method, req.URL.Path, err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: resp.StatusCode,
		Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("contract: %s %s → %d does not match api/openapi.yaml: %v\nbody: %.300s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
}

func noBody() io.ReadCloser { return io.NopCloser(strings.NewReader("")) }

func TestContract_EveryAPIRouteIsDocumented(t *testing.T) {
	e := newEnv(t)
	doc, _ := loadSpec(t)
	for _, r := range e.Server.Routes() {
		if !strings.HasPrefix(r.Path(), "/api/") {
			continue
		}
		path := fiberToOpenAPI(r.Path())
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(r.Method()) == nil {
			t.Errorf("%s %s is not documented in api/openapi.yaml (as %s)", r.Method(), r.Path(), path)
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
