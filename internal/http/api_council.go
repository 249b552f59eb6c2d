package http

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
	"github.com/mitreden/mitreden/internal/textdiff"
)

// The council's JSON API. The workspace (/api/v1/council/...) answers 404
// to anyone who is neither a member nor an admin, the anonymous included:
// no route guard runs before the service, which decides.

func (s *Server) councilAPIRoutes() {
	const rec = "/api/v1/council/recommendations/:id"
	s.add("GET", "/api/v1/council/recommendations", s.apiRecList)
	s.add("POST", "/api/v1/council/recommendations", s.apiRecCreate)
	s.add("GET", rec, s.apiRec)
	s.add("PATCH", rec, s.apiRecPatch)
	s.add("GET", rec+"/revisions", s.apiRecRevisions)
	s.add("POST", rec+"/revisions/:n/restore", s.apiRecRestore)
	s.add("GET", rec+"/diff", s.apiRecDiff)
	s.add("POST", rec+"/evidence", s.apiEvidenceAdd)
	s.add("DELETE", rec+"/evidence/:type/:item", s.apiEvidenceRemove)
	s.add("PUT", rec+"/vote", s.apiRecVote)
	s.add("POST", rec+"/submit", s.apiRecMove(recSubmit))
	s.add("POST", rec+"/close-vote", s.apiRecMove(recCloseVote))
	s.add("POST", rec+"/publish", s.apiRecPublish)
	s.add("POST", rec+"/withdraw", s.apiRecMove(recWithdraw))
	s.add("GET", rec+"/comments", s.apiCouncilComments)
	s.add("POST", rec+"/comments", s.apiCouncilCommentAdd)
	s.add("GET", "/api/v1/recommendations", s.apiPublishedList)
	s.add("GET", "/api/v1/recommendations/:id", s.apiPublished)
}

// councilResultJSON is the recorded result of a closed vote.
type councilResultJSON struct {
	Approve  int       `json:"approve"`
	Reject   int       `json:"reject"`
	Abstain  int       `json:"abstain"`
	Members  int       `json:"members"`
	Adopted  bool      `json:"adopted"`
	ClosedAt time.Time `json:"closed_at"`
}

// councilVoteJSON is the state of a recommendation's vote: open or not,
// how many voted so far (single reads of an open vote), and the result
// once closed.
type councilVoteJSON struct {
	Open      bool               `json:"open"`
	OpenedAt  *time.Time         `json:"opened_at,omitempty"`
	VotesCast *int               `json:"votes_cast,omitempty"`
	Members   *int               `json:"members,omitempty"`
	Result    *councilResultJSON `json:"result,omitempty"`
}

func councilResultOf(t mitreden.CouncilTally) *councilResultJSON {
	if t.ClosedAt.IsZero() {
		return nil
	}
	return &councilResultJSON{Approve: t.Approve, Reject: t.Reject, Abstain: t.Abstain, Members: t.Members, Adopted: t.Adopted, ClosedAt: t.ClosedAt}
}

func councilVoteOf(t mitreden.CouncilTally) *councilVoteJSON {
	if t.OpenedAt.IsZero() {
		return nil
	}
	opened := t.OpenedAt
	return &councilVoteJSON{Open: t.Open, OpenedAt: &opened, Result: councilResultOf(t)}
}

// recommendationJSON is a recommendation in the workspace's API; the
// single read adds the viewer's vote, the evidence, the published versions
// and the permissions.
type recommendationJSON struct {
	ID           string           `json:"id"`
	Title        string           `json:"title"`
	Summary      string           `json:"summary"`
	Body         string           `json:"body"`
	BodyHTML     string           `json:"body_html"`
	Topics       []string         `json:"topics"`
	Lang         string           `json:"lang"`
	Status       string           `json:"status"`
	Revision     int              `json:"revision"`
	Vote         *councilVoteJSON `json:"vote,omitempty"`
	Published    int              `json:"published"`
	PublishedAt  *time.Time       `json:"published_at,omitempty"`
	CommentCount int              `json:"comment_count"`
	CreatedAt    time.Time        `json:"created_at"`
	UpdatedAt    time.Time        `json:"updated_at"`

	MyVote      string                    `json:"my_vote,omitempty"`
	Evidence    []evidenceJSON            `json:"evidence,omitempty"`
	Versions    []versionJSON             `json:"versions,omitempty"`
	Permissions map[string]permissionJSON `json:"permissions,omitempty"`
}

func recJSON(r *mitreden.Recommendation) recommendationJSON {
	j := recommendationJSON{ID: r.ID, Title: r.Title, Summary: r.Summary, Body: r.Body, BodyHTML: r.BodyHTML, Topics: nonNilStrings(r.Topics),
		Lang: r.Lang, Status: r.Status, Revision: r.Revision, Vote: councilVoteOf(r.Vote), Published: r.Published,
		CommentCount: r.CommentCount, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if !r.PublishedAt.IsZero() {
		t := r.PublishedAt
		j.PublishedAt = &t
	}
	return j
}

func (s *Server) recPageJSON(c *fiber.Ctx, pg *service.RecommendationPage) recommendationJSON {
	j := recJSON(pg.Recommendation)
	if j.Vote != nil && j.Vote.Open {
		cast, members := pg.VotesCast, pg.Members
		j.Vote.VotesCast, j.Vote.Members = &cast, &members
	}
	j.MyVote = pg.MyVote
	j.Evidence = evidenceListJSON(pg.Evidence)
	j.Versions = versionsJSON(pg.Versions)
	j.Permissions = s.permissionsJSON(c, map[string]mitreden.Permission{"edit": pg.CanEdit, "submit": pg.CanSubmit, "vote": pg.CanVote,
		"close_vote": pg.CanCloseVote, "publish": pg.CanPublish, "withdraw": pg.CanWithdraw})
	return j
}

// evidenceJSON is a linked contribution with its current title, text and
// status (gone: hidden, deleted or missing since).
type evidenceJSON struct {
	Type    string    `json:"type"`
	ID      string    `json:"id"`
	Note    string    `json:"note"`
	Title   string    `json:"title,omitempty"`
	Excerpt string    `json:"excerpt,omitempty"`
	Lang    string    `json:"lang,omitempty"`
	URL     string    `json:"url,omitempty"`
	Status  string    `json:"status,omitempty"`
	Gone    bool      `json:"gone"`
	AddedBy string    `json:"added_by,omitempty"`
	At      time.Time `json:"at"`
}

func evidenceListJSON(items []*service.EvidenceItem) []evidenceJSON {
	out := make([]evidenceJSON, 0, len(items))
	for _, it := range items {
		out = append(out, evidenceJSON{Type: it.Type, ID: it.ItemID, Note: it.Note, Title: it.Title, Excerpt: it.Excerpt, Lang: it.Lang,
			URL: it.URL, Status: it.Status, Gone: it.Gone, AddedBy: it.AddedByName, At: it.At})
	}
	return out
}

// versionJSON is a published version in a changelog.
type versionJSON struct {
	Version  int       `json:"version"`
	Revision int       `json:"revision"`
	Note     string    `json:"note"`
	At       time.Time `json:"at"`
}

func versionsJSON(vs []*mitreden.PublishedVersion) []versionJSON {
	out := make([]versionJSON, 0, len(vs))
	for _, v := range vs {
		out = append(out, versionJSON{Version: v.Version, Revision: v.Revision, Note: v.Note, At: v.At})
	}
	return out
}

func (s *Server) apiRecList(c *fiber.Ctx) error {
	var q recListQuery
	if err := s.parseQuery(c, &q); err != nil {
		return err
	}
	list, total, err := s.deps.Council.ReadRecommendations(c.UserContext(), userOf(c), q.Status, q.Page, recPerPage)
	if err != nil {
		return err
	}
	page, per := mitreden.NormalizePage(q.Page, recPerPage)
	out := listJSON[recommendationJSON]{Items: []recommendationJSON{}, Total: total, Page: page, PerPage: per}
	for _, r := range list {
		out.Items = append(out.Items, recJSON(r))
	}
	return sendJSON(c, fiber.StatusOK, out)
}

// apiRecAnswer answers with recommendation id as the caller's workspace
// page shows it.
func (s *Server) apiRecAnswer(c *fiber.Ctx, status int, id string) error {
	pg, err := s.deps.Council.ReadRecommendation(c.UserContext(), userOf(c), id)
	if err != nil {
		return err
	}
	if status == fiber.StatusCreated {
		c.Location("/api/v1/council/recommendations/" + id)
	}
	return sendJSON(c, status, s.recPageJSON(c, pg))
}

func (s *Server) apiRecCreate(c *fiber.Ctx) error {
	// The workspace answers 404 to outsiders before it judges a body.
	if err := s.councilAccess(c); err != nil {
		return err
	}
	var req recRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if req.BaseRevision != 0 {
		return badRequest("error.json_unknown_field", "base_revision")
	}
	var in mitreden.Recommendation
	req.apply(&in)
	r, err := s.deps.Council.CreateRecommendation(c.UserContext(), userOf(c), in, req.Note)
	if err != nil {
		return err
	}
	return s.apiRecAnswer(c, fiber.StatusCreated, r.ID)
}

func (s *Server) apiRec(c *fiber.Ctx) error {
	return s.apiRecAnswer(c, fiber.StatusOK, c.Params("id"))
}

// staleProblem is the 409 of a save on a stale base: the problem document
// with the revision saved meanwhile and the merge, so a client can offer
// the member both texts.
type staleProblem struct {
	problem
	CurrentRevision int        `json:"current_revision"`
	Theirs          textFields `json:"theirs"`
	MergedBody      string     `json:"merged_body"`
	Conflicts       bool       `json:"conflicts"`
}

// textFields are the texts of a revision.
type textFields struct {
	Title   string `json:"title"`
	Summary string `json:"summary"`
	Body    string `json:"body"`
}

// apiRecPatch saves the changed fields as the next revision, only on the
// current base revision: a stale base answers 409 with both texts.
func (s *Server) apiRecPatch(c *fiber.Ctx) error {
	ctx, actor, id := c.UserContext(), userOf(c), c.Params("id")
	// The fields left out keep the current text, which the outsider's
	// 404 comes with.
	pg, err := s.deps.Council.ReadRecommendation(ctx, actor, id)
	if err != nil {
		return err
	}
	var req recRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if req.BaseRevision == 0 {
		return mitreden.Invalid(mitreden.FieldError{Field: "base_revision", Code: "required", Message: "validation.required"})
	}
	in := *pg.Recommendation
	req.apply(&in)
	if _, err = s.deps.Council.SaveRecommendation(ctx, actor, id, req.BaseRevision, in, req.Note); err != nil {
		if se := service.AsStale(err); se != nil {
			return s.sendStale(c, se)
		}
		return err
	}
	return s.apiRecAnswer(c, fiber.StatusOK, id)
}

// sendStale answers a stale save as a problem document with its extras.
func (s *Server) sendStale(c *fiber.Ctx, se *service.StaleSave) error {
	lang := langOf(c)
	p := s.page(c, "")
	m := mergeStale(se, conflictMarks(p))
	out := staleProblem{problem: problem{Type: "urn:mitreden:problem:" + mitreden.ECONFLICT, Title: s.cat.T(lang, "status.409", nil),
		Status: fiber.StatusConflict, Detail: s.cat.T(lang, se.Err.Message, se.Err.Args), RequestID: requestID(c)},
		CurrentRevision: se.Theirs.N, Theirs: textFields{Title: se.Theirs.Title, Summary: se.Theirs.Summary, Body: se.Theirs.Body},
		MergedBody: m.Body, Conflicts: m.Conflicts}
	b, err := jsonMarshal(out)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/problem+json; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusConflict).Send(b)
}

// revisionJSON is one saved revision.
type revisionJSON struct {
	N            int        `json:"n"`
	Title        string     `json:"title"`
	Summary      string     `json:"summary"`
	Body         string     `json:"body"`
	Topics       []string   `json:"topics"`
	Lang         string     `json:"lang"`
	Author       authorJSON `json:"author"`
	Note         string     `json:"note"`
	RestoredFrom int        `json:"restored_from,omitempty"`
	At           time.Time  `json:"at"`
}

func (s *Server) apiRecRevisions(c *fiber.Ctx) error {
	revs, err := s.deps.Council.Revisions(c.UserContext(), userOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	out := listJSON[revisionJSON]{Items: []revisionJSON{}, Total: len(revs), Page: 1, PerPage: max(len(revs), 1)}
	for _, r := range revs {
		out.Items = append(out.Items, revisionJSON{N: r.N, Title: r.Title, Summary: r.Summary, Body: r.Body, Topics: nonNilStrings(r.Topics),
			Lang: r.Lang, Author: s.authorFor(c, r.AuthorID, r.AuthorName), Note: r.Note, RestoredFrom: r.RestoredFrom, At: r.At})
	}
	return sendJSON(c, fiber.StatusOK, out)
}

func (s *Server) apiRecRestore(c *fiber.Ctx) error {
	n, err := strconv.Atoi(c.Params("n"))
	if err != nil || n < 1 {
		// The outsider's 404 first: a malformed number of a workspace
		// that does not exist for them is as unknown as any.
		if aerr := s.councilAccess(c); aerr != nil {
			return aerr
		}
		return &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
	}
	r, err := s.deps.Council.RestoreRevision(c.UserContext(), userOf(c), c.Params("id"), n)
	if err != nil {
		return err
	}
	return s.apiRecAnswer(c, fiber.StatusOK, r.ID)
}

// segmentJSON is a run of a word diff.
type segmentJSON struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

var segmentOps = map[textdiff.Op]string{textdiff.Equal: "equal", textdiff.Insert: "insert", textdiff.Delete: "delete"}

func segmentsJSON(segs []textdiff.Segment) []segmentJSON {
	out := make([]segmentJSON, 0, len(segs))
	for _, sg := range segs {
		out = append(out, segmentJSON{Op: segmentOps[sg.Op], Text: sg.Text})
	}
	return out
}

// diffJSON is the word diff of two revisions.
type diffJSON struct {
	From          int           `json:"from"`
	To            int           `json:"to"`
	Title         []segmentJSON `json:"title"`
	Summary       []segmentJSON `json:"summary"`
	Body          []segmentJSON `json:"body"`
	Inserted      int           `json:"inserted"`
	Deleted       int           `json:"deleted"`
	TopicsAdded   []string      `json:"topics_added"`
	TopicsRemoved []string      `json:"topics_removed"`
}

func (s *Server) apiRecDiff(c *fiber.Ctx) error {
	var q diffQuery
	if err := s.parseQuery(c, &q); err != nil {
		return err
	}
	if q.From == 0 || q.To == 0 {
		if err := s.councilAccess(c); err != nil {
			return err
		}
		var fs []mitreden.FieldError
		for name, v := range map[string]int{"from": q.From, "to": q.To} {
			if v == 0 {
				fs = append(fs, mitreden.FieldError{Field: name, Code: "required", Message: "validation.required"})
			}
		}
		return mitreden.Invalid(fs...)
	}
	d, err := s.deps.Council.Diff(c.UserContext(), userOf(c), c.Params("id"), q.From, q.To)
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, diffJSON{From: d.From.N, To: d.To.N, Title: segmentsJSON(d.Title), Summary: segmentsJSON(d.Summary),
		Body: segmentsJSON(d.Body), Inserted: d.Inserted, Deleted: d.Deleted, TopicsAdded: nonNilStrings(d.TopicsAdded),
		TopicsRemoved: nonNilStrings(d.TopicsGone)})
}

func (s *Server) apiEvidenceAdd(c *fiber.Ctx) error {
	if err := s.councilAccess(c); err != nil {
		return err
	}
	var req evidenceRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	e, err := s.deps.Council.AddEvidence(c.UserContext(), userOf(c), c.Params("id"), mitreden.Evidence{Type: req.Type, ItemID: req.ID, Note: req.Note})
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusCreated, evidenceJSON{Type: e.Type, ID: e.ItemID, Note: e.Note, AddedBy: e.AddedByName, At: e.At})
}

func (s *Server) apiEvidenceRemove(c *fiber.Ctx) error {
	if err := s.deps.Council.RemoveEvidence(c.UserContext(), userOf(c), c.Params("id"), c.Params("type"), c.Params("item")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiRecVote(c *fiber.Ctx) error {
	if err := s.councilAccess(c); err != nil {
		return err
	}
	var req councilVoteRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.deps.Council.Vote(c.UserContext(), userOf(c), c.Params("id"), req.Value); err != nil {
		return err
	}
	return s.apiRecAnswer(c, fiber.StatusOK, c.Params("id"))
}

func (s *Server) apiRecMove(m recMove) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if _, _, err := s.move(c, m); err != nil {
			return err
		}
		return s.apiRecAnswer(c, fiber.StatusOK, c.Params("id"))
	}
}

func (s *Server) apiRecPublish(c *fiber.Ctx) error {
	if err := s.councilAccess(c); err != nil {
		return err
	}
	var req publishRequest
	if len(c.Body()) > 0 {
		if err := s.decodeJSON(c, &req); err != nil {
			return err
		}
	}
	if _, err := s.deps.Council.Publish(c.UserContext(), userOf(c), c.Params("id"), req.Note); err != nil {
		return err
	}
	return s.apiRecAnswer(c, fiber.StatusOK, c.Params("id"))
}

// councilCommentJSON is a comment of the internal discussion with its
// replies.
type councilCommentJSON struct {
	ID        string               `json:"id"`
	ParentID  string               `json:"parent_id,omitempty"`
	Depth     int                  `json:"depth"`
	Author    authorJSON           `json:"author"`
	Body      string               `json:"body"`
	BodyHTML  string               `json:"body_html"`
	Lang      string               `json:"lang"`
	CreatedAt time.Time            `json:"created_at"`
	Replies   []councilCommentJSON `json:"replies"`
}

func councilCommentOf(cm *mitreden.CouncilComment) councilCommentJSON {
	return councilCommentJSON{ID: cm.ID, ParentID: cm.ParentID, Depth: cm.Depth, Author: authorJSON{ID: cm.AuthorID, DisplayName: cm.AuthorName},
		Body: cm.Body, BodyHTML: cm.BodyHTML, Lang: cm.Lang, CreatedAt: cm.CreatedAt, Replies: []councilCommentJSON{}}
}

// councilThreadJSON nests items as the page shows them and counts them.
func councilThreadJSON(items []*service.CouncilCommentItem) ([]councilCommentJSON, int) {
	out := make([]councilCommentJSON, 0, len(items))
	n := 0
	for _, it := range items {
		j := councilCommentOf(it.CouncilComment)
		var k int
		j.Replies, k = councilThreadJSON(it.Replies)
		n += 1 + k
		out = append(out, j)
	}
	return out, n
}

func (s *Server) apiCouncilComments(c *fiber.Ctx) error {
	items, err := s.deps.Council.CouncilComments(c.UserContext(), userOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	list, n := councilThreadJSON(items)
	s.labelCouncilAuthors(c, list)
	return sendJSON(c, fiber.StatusOK, listJSON[councilCommentJSON]{Items: list, Total: n, Page: 1, PerPage: max(n, 1)})
}

func (s *Server) apiCouncilCommentAdd(c *fiber.Ctx) error {
	if err := s.councilAccess(c); err != nil {
		return err
	}
	var req councilCommentRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	cm, err := s.deps.Council.AddCouncilComment(c.UserContext(), userOf(c), c.Params("id"), req.ParentID, req.Body)
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusCreated, councilCommentOf(cm))
}

// publishedJSON is a published recommendation as the public reads it: the
// newest published version, the decision, the public evidence and the
// changelog.
type publishedJSON struct {
	ID          string             `json:"id"`
	Title       string             `json:"title"`
	Summary     string             `json:"summary"`
	Body        string             `json:"body,omitempty"`
	BodyHTML    string             `json:"body_html,omitempty"`
	Topics      []string           `json:"topics"`
	Lang        string             `json:"lang"`
	Status      string             `json:"status"`
	Revision    int                `json:"revision,omitempty"`
	Version     int                `json:"version"`
	PublishedAt time.Time          `json:"published_at"`
	URL         string             `json:"url"`
	Decision    *councilResultJSON `json:"decision,omitempty"`
	Evidence    []evidenceJSON     `json:"evidence,omitempty"`
	Versions    []versionJSON      `json:"versions,omitempty"`
}

func (s *Server) apiPublishedList(c *fiber.Ctx) error {
	var q publishedQuery
	if err := s.parseQuery(c, &q); err != nil {
		return err
	}
	f, err := q.filter()
	if err != nil {
		return err
	}
	list, total, err := s.deps.Council.ReadPublished(c.UserContext(), f)
	if err != nil {
		return err
	}
	page, per := mitreden.NormalizePage(f.Page, f.PerPage)
	out := listJSON[publishedJSON]{Items: []publishedJSON{}, Total: total, Page: page, PerPage: per}
	for _, r := range list {
		out.Items = append(out.Items, publishedJSON{ID: r.ID, Title: r.Title, Summary: r.Summary, Topics: nonNilStrings(r.Topics), Lang: r.Lang,
			Status: r.Status, Version: r.Published, PublishedAt: r.PublishedAt, URL: "/recommendations/" + r.ID,
			Decision: councilResultOf(r.Vote)})
	}
	return sendJSON(c, fiber.StatusOK, out)
}

func (s *Server) apiPublished(c *fiber.Ctx) error {
	pr, err := s.deps.Council.ReadPublishedRecommendation(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	v := pr.Version
	return sendJSON(c, fiber.StatusOK, publishedJSON{ID: pr.ID, Title: v.Title, Summary: v.Summary, Body: v.Body, BodyHTML: v.BodyHTML,
		Topics: nonNilStrings(v.Topics), Lang: v.Lang, Status: pr.Status, Revision: v.Revision, Version: v.Version, PublishedAt: v.At,
		URL: "/recommendations/" + pr.ID, Decision: councilResultOf(pr.Vote), Evidence: evidenceListJSON(pr.Evidence), Versions: versionsJSON(pr.Versions)})
}
