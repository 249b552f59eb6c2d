package bleve

import (
	"bytes"

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
	fieldTitleDE      = "title_de"
	fieldBodyDE       = "body_de"
	fieldTitleEN      = "title_en"
	fieldBodyEN       = "body_en"
	fieldSpell        = "spell"
	fieldSource       = "src"
)

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

// newMapping returns the index mapping: keyword fields for filters and facets
// (with doc values), per-language text fields stored for excerpts, a plain
// lower-cased spelling field for suggestions and the stored source document.
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
	for _, f := range []string{fieldType, fieldConsultation, fieldStatus, fieldTopics, fieldRegion, fieldVisibility} {
		fm := bleve.NewKeywordFieldMapping()
		fm.Analyzer = keyword.Name
		fm.Store = false
		fm.IncludeInAll = false
		fm.IncludeTermVectors = false
		fm.DocValues = true
		dm.AddFieldMappingsAt(f, fm)
	}
	created := bleve.NewDateTimeFieldMapping()
	created.Store = false
	created.IncludeInAll = false
	created.DocValues = true
	dm.AddFieldMappingsAt(fieldCreated, created)

	text := func(analyzer string) *mapping.FieldMapping {
		fm := bleve.NewTextFieldMapping()
		fm.Analyzer = analyzer
		fm.Store = true
		fm.IncludeInAll = false
		fm.IncludeTermVectors = true
		fm.DocValues = false
		return fm
	}
	dm.AddFieldMappingsAt(fieldTitleDE, text(analyzerDE))
	dm.AddFieldMappingsAt(fieldBodyDE, text(analyzerDE))
	dm.AddFieldMappingsAt(fieldTitleEN, text(analyzerEN))
	dm.AddFieldMappingsAt(fieldBodyEN, text(analyzerEN))

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
