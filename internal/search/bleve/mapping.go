package bleve

import (
	"bytes"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/de"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
)

// Names of the analyzers the mapping defines.
const (
	analyzerDE       = "mitreden_de"
	analyzerDEPrefix = "mitreden_de_prefix"
	analyzerEN       = en.AnalyzerName
	analyzerENPrefix = "mitreden_en_prefix"
	analyzerSpell    = "mitreden_spell"
	derivationName   = "mitreden_de_derivation"
)

// Index fields. Text is indexed twice per language so each gets its analyzer;
// a document fills only the pair of its own language.
const (
	fieldType         = "type"
	fieldConsultation = "consultation"
	fieldStatus       = "status"
	fieldTopics       = "topics"
	fieldRegion       = "region"
	fieldVisibility   = "visibility"
	fieldCreated      = "created"
	fieldCreatedKey   = "created_key"
	fieldTitleDE      = "title_de"
	fieldBodyDE       = "body_de"
	fieldTitleEN      = "title_en"
	fieldBodyEN       = "body_en"
	fieldSpell        = "spell"
	// The keywords paths feed the title fields: a topic word is found and
	// ranked as a word of the title, and never shown.
	fieldKeywordsDE = "keywords_de"
	fieldKeywordsEN = "keywords_en"
	fieldSource     = "src"
)

// docValueFields are the keyword fields a query reads per hit: the facets and
// the sort key. Filters use the inverted index and need none.
var docValueFields = map[string]bool{fieldType: true, fieldStatus: true, fieldTopics: true, fieldCreatedKey: true}

// createdKey encodes t in 9 bytes that sort like t, to the microsecond: one
// short term per document, so sorting by it decodes little per hit. Each
// byte holds 7 bits, as doc values separate terms by 0xff.
func createdKey(t time.Time) string { return keyFromValue(uint64(t.UnixMicro() + 1<<62)) }

// keyFromValue encodes v < 2^63 as a created_key term.
func keyFromValue(v uint64) string {
	var b [9]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte(v & 0x7f)
		v >>= 7
	}
	return string(b[:])
}

// keyValue decodes a created_key term.
func keyValue(key string) uint64 {
	var v uint64
	for i := 0; i < len(key); i++ {
		v = v<<7 | uint64(key[i]&0x7f)
	}
	return v
}

// keyTime returns the time a created_key value stands for.
func keyTime(v uint64) time.Time { return time.UnixMicro(int64(v) - 1<<62).UTC() }

func init() {
	if err := registry.RegisterTokenFilter(derivationName, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return derivationFilter{}, nil
	}); err != nil {
		panic(err)
	}
}

// derivationFilter runs after bleve's light German stemmer and folds the
// derivations it leaves apart: "digitalisierung", "digitalisiert" and
// "digitalisieren" all become "digitalisier", so a search for the noun finds
// the verb. The light stemmer alone keeps the -ung and -iert forms distinct.
type derivationFilter struct{}

func (derivationFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	for _, tok := range input {
		t := tok.Term
		switch {
		case len(t) > 7 && bytes.HasSuffix(t, []byte("ung")):
			t = t[:len(t)-3]
		case len(t) > 6 && bytes.HasSuffix(t, []byte("iert")):
			t = t[:len(t)-1]
		}
		tok.Term = t
	}
	return input
}

// newMapping returns the index mapping: keyword fields for filters, doc
// values only where a query reads them per hit (the facets and the sort key),
// per-language text fields stored for excerpts, a plain lower-cased spelling
// field for suggestions and the stored source document.
//
// Text fields keep no term vectors: excerpts are marked by analyzing the
// stored text of the page's hits (see marks), which costs far less than
// collecting match locations for every hit.
func newMapping() (*mapping.IndexMappingImpl, error) {
	im := bleve.NewIndexMapping()
	analyzers := map[string]map[string]any{
		analyzerDE: {"type": custom.Name, "tokenizer": unicode.Name, "token_filters": []any{
			lowercase.Name, de.StopName, de.NormalizeName, de.LightStemmerName, derivationName}},
		analyzerDEPrefix: {"type": custom.Name, "tokenizer": unicode.Name, "token_filters": []any{
			lowercase.Name, de.NormalizeName}},
		analyzerENPrefix: {"type": custom.Name, "tokenizer": unicode.Name, "token_filters": []any{
			lowercase.Name}},
		analyzerSpell: {"type": custom.Name, "tokenizer": unicode.Name, "token_filters": []any{
			lowercase.Name}},
	}
	for name, config := range analyzers {
		if err := im.AddCustomAnalyzer(name, config); err != nil {
			return nil, err
		}
	}

	dm := bleve.NewDocumentStaticMapping()
	for _, f := range []string{fieldType, fieldConsultation, fieldStatus, fieldTopics, fieldRegion, fieldVisibility, fieldCreatedKey} {
		fm := bleve.NewKeywordFieldMapping()
		fm.Analyzer = keyword.Name
		fm.Store = false
		fm.IncludeInAll = false
		fm.IncludeTermVectors = false
		fm.DocValues = docValueFields[f]
		dm.AddFieldMappingsAt(f, fm)
	}
	// created serves date range filters only. Sorting reads created_key: a
	// date field holds 16 prefix-coded terms per document, all of which a
	// sort would decode for every hit.
	created := bleve.NewDateTimeFieldMapping()
	created.Store = false
	created.IncludeInAll = false
	created.DocValues = false
	dm.AddFieldMappingsAt(fieldCreated, created)

	text := func(analyzer string) *mapping.FieldMapping {
		fm := bleve.NewTextFieldMapping()
		fm.Analyzer = analyzer
		fm.Store = true
		fm.IncludeInAll = false
		fm.IncludeTermVectors = false
		fm.DocValues = false
		return fm
	}
	dm.AddFieldMappingsAt(fieldTitleDE, text(analyzerDE))
	dm.AddFieldMappingsAt(fieldBodyDE, text(analyzerDE))
	dm.AddFieldMappingsAt(fieldTitleEN, text(analyzerEN))
	dm.AddFieldMappingsAt(fieldBodyEN, text(analyzerEN))
	keywords := func(analyzer, into string) *mapping.FieldMapping {
		fm := text(analyzer)
		fm.Name = into
		fm.Store = false
		return fm
	}
	dm.AddFieldMappingsAt(fieldKeywordsDE, keywords(analyzerDE, fieldTitleDE))
	dm.AddFieldMappingsAt(fieldKeywordsEN, keywords(analyzerEN, fieldTitleEN))

	spell := bleve.NewTextFieldMapping()
	spell.Analyzer = analyzerSpell
	spell.Store = false
	spell.IncludeInAll = false
	spell.IncludeTermVectors = false
	spell.DocValues = false
	dm.AddFieldMappingsAt(fieldSpell, spell)

	src := bleve.NewTextFieldMapping()
	src.Index = false
	src.Store = true
	src.IncludeInAll = false
	src.IncludeTermVectors = false
	src.DocValues = false
	dm.AddFieldMappingsAt(fieldSource, src)

	im.DefaultMapping = dm
	im.DefaultAnalyzer = analyzerDE
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false
	return im, nil
}
