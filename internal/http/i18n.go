package http

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// Catalog holds the UI messages of every language, keyed by message key.
// Placeholders are written {name} and filled from arguments.
type Catalog struct {
	msgs    map[string]map[string]string
	matcher language.Matcher
}

// LoadCatalog reads locales/<lang>.json from fsys. German comes first: it is
// the default and the fallback for a missing key.
func LoadCatalog(fsys fs.FS) (*Catalog, error) {
	c := &Catalog{msgs: map[string]map[string]string{}}
	for _, lang := range []string{"de", "en"} {
		b, err := fs.ReadFile(fsys, path.Join("locales", lang+".json"))
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("locales/%s.json: %w", lang, err)
		}
		c.msgs[lang] = m
	}
	c.matcher = language.NewMatcher([]language.Tag{language.German, language.English})
	return c, nil
}

// Keys returns the sorted keys of lang (for the catalogue completeness test).
func (c *Catalog) Keys(lang string) []string {
	keys := make([]string, 0, len(c.msgs[lang]))
	for k := range c.msgs[lang] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Has reports whether key exists in lang.
func (c *Catalog) Has(lang, key string) bool {
	_, ok := c.msgs[lang][key]
	return ok
}

// Match picks de or en from an Accept-Language header.
func (c *Catalog) Match(acceptLanguage string) string {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return "de"
	}
	_, idx, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return "de"
	}
	return []string{"de", "en"}[idx]
}

// T translates key into lang, filling {name} placeholders from args. A
// missing key falls back to German, then to the key itself, so a gap is
// visible but never breaks a page. When the argument "count" is 1 and the
// key has a variant key+".one", that variant is used ("1 Unterstützung",
// not "1 Unterstützungen").
func (c *Catalog) T(lang, key string, args map[string]any) string {
	msg, ok := "", false
	if isOne(args["count"]) {
		msg, ok = c.msgs[lang][key+".one"]
	}
	if !ok {
		msg, ok = c.msgs[lang][key]
	}
	if !ok {
		if msg, ok = c.msgs["de"][key]; !ok {
			msg = key
		}
	}
	if len(args) == 0 || !strings.Contains(msg, "{") {
		return msg
	}
	// One pass over msg: placeholders are "{name}"; building a
	// strings.Replacer per call cost a tenth of a page's CPU.
	var b strings.Builder
	b.Grow(len(msg) + 16)
	for {
		i := strings.IndexByte(msg, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(msg[i:], '}')
		if j < 0 {
			break
		}
		v, ok := args[msg[i+1:i+j]]
		if !ok {
			b.WriteString(msg[:i+1])
			msg = msg[i+1:]
			continue
		}
		b.WriteString(msg[:i])
		if t, isTime := v.(time.Time); isTime {
			b.WriteString(formatTime(lang, t)) // a date in a sentence reads as people write it
		} else {
			fmt.Fprint(&b, v)
		}
		msg = msg[i+j+1:]
	}
	b.WriteString(msg)
	return b.String()
}

// isOne reports whether v is the integer 1.
func isOne(v any) bool {
	switch n := v.(type) {
	case int:
		return n == 1
	case int64:
		return n == 1
	case int32:
		return n == 1
	}
	return false
}

// pairsToMap turns "k1", v1, "k2", v2 into a map.
func pairsToMap(kv []any) map[string]any {
	if len(kv) == 0 {
		return nil
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok {
			m[k] = kv[i+1]
		}
	}
	return m
}
