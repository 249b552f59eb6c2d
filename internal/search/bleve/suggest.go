package bleve

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// maxSuggestCandidates bounds the dictionary terms looked at per word.
const maxSuggestCandidates = 500

// suggest returns q's text with each word replaced by its most frequent
// spelling within two edits in the unstemmed dictionary, or "" when nothing
// changes. The suggestion is kept only when it finds documents for q's
// audience and filters, so it never reveals words of hidden contributions.
func (x *Index) suggest(ctx context.Context, idx bleve.Index, q mitreden.SearchQuery, terms []term) string {
	adv, err := idx.Advanced()
	if err != nil {
		return ""
	}
	r, err := adv.Reader()
	if err != nil {
		return ""
	}
	defer r.Close()
	fr, ok := r.(index.IndexReaderFuzzy)
	if !ok {
		return ""
	}

	words := make([]string, 0, len(terms))
	changed := false
	for _, t := range terms {
		best := x.bestSpelling(fr, t.word)
		if best == "" {
			best = t.word
		}
		changed = changed || best != t.word
		words = append(words, best)
	}
	if !changed {
		return ""
	}
	suggestion := strings.Join(words, " ")

	sq := q
	sq.Text, sq.Page, sq.PerPage = suggestion, 1, 1
	wq, _ := wordQueries(x.terms(suggestion, false))
	req := bleve.NewSearchRequestOptions(engineQuery(&sq, wq), 0, 0, false)
	req.Score = bleve.ScoreNone
	res, err := idx.SearchInContext(ctx, req)
	if err != nil || res.Total == 0 {
		return ""
	}
	return suggestion
}

// bestSpelling returns word when the dictionary holds it, else the term
// nearest to it (fewest edits, then the same first letter, then most
// documents) that is no stop word, or "".
func (x *Index) bestSpelling(fr index.IndexReaderFuzzy, word string) string {
	if utf8.RuneCountInString(word) < 3 {
		return ""
	}
	d, err := fr.FieldDictFuzzy(fieldSpell, word, 2, "")
	if err != nil {
		return ""
	}
	defer d.Close()
	first, _ := utf8.DecodeRuneInString(word)
	rank := func(term string, count uint64) [3]int {
		r, _ := utf8.DecodeRuneInString(term)
		same := 1
		if r == first {
			same = 0
		}
		return [3]int{osaDistance([]rune(word), []rune(term)), same, -int(min(count, 1<<30))}
	}
	best, bestRank := "", [3]int{3, 0, 0}
	for i := 0; i < maxSuggestCandidates; i++ {
		e, err := d.Next()
		if err != nil || e == nil {
			break
		}
		if e.Term == word {
			return word
		}
		if r := rank(e.Term, e.Count); slices.Compare(r[:], bestRank[:]) < 0 &&
			analyze(x.an.de, e.Term) != "" && analyze(x.an.en, e.Term) != "" {
			best, bestRank = e.Term, r
		}
	}
	return best
}
