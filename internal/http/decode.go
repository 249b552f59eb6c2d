package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// ebadRequest is the HTTP-only code for malformed requests (400).
const ebadRequest = "bad_request"

func init() { statusOf[ebadRequest] = fiber.StatusBadRequest }

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		if name == "" {
			name, _, _ = strings.Cut(f.Tag.Get("form"), ",")
		}
		return name
	})
	registerDomainValues(v)
	return v
}

func jsonMarshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// sendJSON answers with v as application/json.
func sendJSON(c *fiber.Ctx, status int, v any) error {
	b, err := jsonMarshal(v)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Send(b)
}

func badRequest(key, field string) error {
	e := &mitreden.Error{Code: ebadRequest, Message: key}
	if field != "" {
		e.Fields = []mitreden.FieldError{{Field: field, Code: "malformed", Message: key}}
	}
	return e
}

// decodeJSON reads a JSON body strictly into dst (a per-action DTO) and
// validates its shape: 415 for another content type, 400 for malformed JSON,
// unknown fields or wrong types, 422 with field errors for invalid values.
func (s *Server) decodeJSON(c *fiber.Ctx, dst any) error {
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	if !strings.HasPrefix(ct, fiber.MIMEApplicationJSON) {
		return fiber.ErrUnsupportedMediaType
	}
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return badRequest("error.json_type", te.Field)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return badRequest("error.json_unknown_field", field)
		default:
			return badRequest("error.json_malformed", "")
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("error.json_malformed", "")
	}
	if err := exactMembers(c.Body(), dst); err != nil {
		return err
	}
	return s.check(dst)
}

// exactMembers rejects what encoding/json lets through: member names in
// another case ("Email" fills email) and repeated members (the last wins).
// Both would let a request past other parsers (the OpenAPI validator, a
// proxy) with a meaning they did not see. body is already known to be valid JSON.
func exactMembers(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil // null: the decoder left dst empty and validation answers
	}
	names := jsonNames(reflect.TypeOf(dst))
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return badRequest("error.json_malformed", "")
		}
		name, _ := tok.(string)
		if !names[name] {
			return badRequest("error.json_unknown_field", name)
		}
		if seen[name] {
			return badRequest("error.json_malformed", name)
		}
		seen[name] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return badRequest("error.json_malformed", "")
		}
	}
	return nil
}

// jsonNames lists the member names of a DTO struct, spelled as in its json tags.
func jsonNames(t reflect.Type) map[string]bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	names := map[string]bool{}
	if t.Kind() != reflect.Struct {
		return names
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case f.Anonymous && name == "":
			for n := range jsonNames(f.Type) {
				names[n] = true
			}
		case name == "":
			names[f.Name] = true
		default:
			names[name] = true
		}
	}
	return names
}

// parseForm reads a form body into dst and validates its shape.
func (s *Server) parseForm(c *fiber.Ctx, dst any) error {
	if err := c.BodyParser(dst); err != nil {
		return badRequest("error.bad_request", "")
	}
	return s.check(dst)
}

// parseQuery reads the query string into dst and validates its shape.
func (s *Server) parseQuery(c *fiber.Ctx, dst any) error {
	if err := c.QueryParser(dst); err != nil {
		return badRequest("error.bad_request", "")
	}
	return s.check(dst)
}

// check runs the struct's validate tags and returns EINVALID with field errors.
func (s *Server) check(dst any) error {
	err := s.validate.Struct(dst)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return mitreden.Wrap(mitreden.EINTERNAL, err, "error.internal")
	}
	fields := make([]mitreden.FieldError, 0, len(verrs))
	for _, fe := range verrs {
		key, args := validationMessage(fe)
		fields = append(fields, mitreden.FieldError{Field: fe.Field(), Code: fe.Tag(), Message: key, Args: args})
	}
	return mitreden.Invalid(fields...)
}
