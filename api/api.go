// Package api embeds the OpenAPI 3.1 contract of the JSON API.
package api

import _ "embed"

// OpenAPI is api/openapi.yaml, served at /api/v1/openapi.yaml and used by the
// contract tests.
//
//go:embed openapi.yaml
var OpenAPI []byte
