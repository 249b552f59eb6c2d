package service

import (
	"context"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Searching runs full-text searches for a viewer. Which contributions a
// viewer may find is decided here (the engine enforces it inside its query,
// so totals and facets stay right): handlers never set the audience.
type Searching struct {
	engine mitreden.Searcher
}

// NewSearching wires the search use case; engine may be nil (search then
// answers EUNAVAILABLE).
func NewSearching(engine mitreden.Searcher) *Searching { return &Searching{engine: engine} }

// AudienceOf decides which contributions viewer may find: moderators and
// admins also what is pending or hidden, council members council drafts.
func AudienceOf(viewer *mitreden.User) mitreden.SearchAudience {
	return mitreden.SearchAudience{
		Moderator: viewer.HasRole(mitreden.RoleModerator) || viewer.HasRole(mitreden.RoleAdmin),
		Council:   viewer.HasRole(mitreden.RoleCouncil),
	}
}

// Search runs q for viewer, whatever audience q carried. Returns EINVALID
// (query), EUNAVAILABLE (engine down or none).
func (s *Searching) Search(ctx context.Context, viewer *mitreden.User, q mitreden.SearchQuery) (*mitreden.SearchResult, error) {
	if s == nil || s.engine == nil {
		return nil, &mitreden.Error{Code: mitreden.EUNAVAILABLE, Message: "search.unavailable"}
	}
	q.Audience = AudienceOf(viewer)
	return s.engine.Search(ctx, q)
}
