package meili

import (
	"slices"
	"testing"
)

// TestSettingsRankTitleAboveMentions checks, without a server, the settings
// the conformance test TitleAboveMentions relies on under Meilisearch: the
// title is the most important searchable attribute, the keywords (topics)
// next, and the attribute rule comes after typo (an exact match in a body
// beats a typo in a title) but before proximity (a comment that puts the
// words close together does not beat a proposal whose title holds them).
func TestSettingsRankTitleAboveMentions(t *testing.T) {
	st := settings()
	if got, want := st.SearchableAttributes, []string{attrTitle, attrKeywords, attrBody}; !slices.Equal(got, want) {
		t.Errorf("searchable attributes = %v, want %v", got, want)
	}
	rules := st.RankingRules
	at := func(rule string) int {
		i := slices.Index(rules, rule)
		if i < 0 {
			t.Fatalf("ranking rules %v lack %q", rules, rule)
		}
		return i
	}
	if !(at("sort") < at("words") && at("words") < at("typo") && at("typo") < at("attribute") && at("attribute") < at("proximity") && at("proximity") < at("exactness")) {
		t.Errorf("ranking rules = %v, want sort, words, typo, attribute, proximity, exactness", rules)
	}
}
