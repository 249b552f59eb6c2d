package http_test

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	nethttp "net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	mhttp "github.com/mitreden/mitreden/internal/http"
	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// countingStore counts the calls the service makes to the participation
// store. Each read method is counted by name; writes pass through uncounted
// (a page writes nothing). On MongoDB one interface call is a fixed number
// of round trips (ListThread the most: see its doc), so a page whose count
// does not grow with the data costs a constant number of round trips there.
type countingStore struct {
	mitreden.ParticipationStore
	mu    sync.Mutex
	calls map[string]int
}

func (s *countingStore) count(name string) {
	s.mu.Lock()
	s.calls[name]++
	s.mu.Unlock()
}

// take returns the calls since the last take, sorted, and starts afresh.
func (s *countingStore) take() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k, v := range s.calls {
		out = append(out, fmt.Sprintf("%s×%d", k, v))
	}
	sort.Strings(out)
	s.calls = map[string]int{}
	return strings.Join(out, " ")
}

func (s *countingStore) FindConsultation(ctx context.Context, id string) (*mitreden.Consultation, error) {
	s.count("FindConsultation")
	return s.ParticipationStore.FindConsultation(ctx, id)
}

func (s *countingStore) ListConsultations(ctx context.Context, f mitreden.ConsultationFilter) ([]*mitreden.Consultation, int, error) {
	s.count("ListConsultations")
	return s.ParticipationStore.ListConsultations(ctx, f)
}

func (s *countingStore) AllConsultations(ctx context.Context, yield func(*mitreden.Consultation) error) error {
	s.count("AllConsultations")
	return s.ParticipationStore.AllConsultations(ctx, yield)
}

func (s *countingStore) FindProposal(ctx context.Context, id string) (*mitreden.Proposal, error) {
	s.count("FindProposal")
	return s.ParticipationStore.FindProposal(ctx, id)
}

func (s *countingStore) ListProposals(ctx context.Context, f mitreden.ProposalFilter) ([]*mitreden.Proposal, int, error) {
	s.count("ListProposals")
	return s.ParticipationStore.ListProposals(ctx, f)
}

func (s *countingStore) ProposalCounts(ctx context.Context, id string) (mitreden.ProposalCounts, error) {
	s.count("ProposalCounts")
	return s.ParticipationStore.ProposalCounts(ctx, id)
}

func (s *countingStore) AllProposals(ctx context.Context, yield func(*mitreden.Proposal) error) error {
	s.count("AllProposals")
	return s.ParticipationStore.AllProposals(ctx, yield)
}

func (s *countingStore) FindVote(ctx context.Context, proposalID, userID string) (string, error) {
	s.count("FindVote")
	return s.ParticipationStore.FindVote(ctx, proposalID, userID)
}

func (s *countingStore) UserVotes(ctx context.Context, userID string, ids []string) (map[string]string, error) {
	s.count("UserVotes")
	return s.ParticipationStore.UserVotes(ctx, userID, ids)
}

func (s *countingStore) SupportsUsed(ctx context.Context, consultationID, userID string) (int, error) {
	s.count("SupportsUsed")
	return s.ParticipationStore.SupportsUsed(ctx, consultationID, userID)
}

func (s *countingStore) HasVotes(ctx context.Context, proposalID string) (bool, error) {
	s.count("HasVotes")
	return s.ParticipationStore.HasVotes(ctx, proposalID)
}

func (s *countingStore) CountVotes(ctx context.Context, proposalID string) (mitreden.Tally, error) {
	s.count("CountVotes")
	return s.ParticipationStore.CountVotes(ctx, proposalID)
}

func (s *countingStore) FindComment(ctx context.Context, id string) (*mitreden.Comment, error) {
	s.count("FindComment")
	return s.ParticipationStore.FindComment(ctx, id)
}

func (s *countingStore) ListComments(ctx context.Context, targetType, targetID string) ([]*mitreden.Comment, error) {
	s.count("ListComments")
	return s.ParticipationStore.ListComments(ctx, targetType, targetID)
}

func (s *countingStore) ListThread(ctx context.Context, q mitreden.ThreadQuery) (*mitreden.ThreadPage, error) {
	s.count("ListThread")
	return s.ParticipationStore.ListThread(ctx, q)
}

func (s *countingStore) TopLevelRank(ctx context.Context, c *mitreden.Comment) (int, error) {
	s.count("TopLevelRank")
	return s.ParticipationStore.TopLevelRank(ctx, c)
}

func (s *countingStore) CountComments(ctx context.Context, proposalID string) (total, forN, against, neutral int, err error) {
	s.count("CountComments")
	return s.ParticipationStore.CountComments(ctx, proposalID)
}

func (s *countingStore) AllComments(ctx context.Context, yield func(*mitreden.Comment) error) error {
	s.count("AllComments")
	return s.ParticipationStore.AllComments(ctx, yield)
}

func (s *countingStore) UserCommentVotes(ctx context.Context, userID string, ids []string) (map[string]int, error) {
	s.count("UserCommentVotes")
	return s.ParticipationStore.UserCommentVotes(ctx, userID, ids)
}

func (s *countingStore) SearchRetries(ctx context.Context, limit int) ([]mitreden.SearchRetry, error) {
	s.count("SearchRetries")
	return s.ParticipationStore.SearchRetries(ctx, limit)
}

func (s *countingStore) CountSearchable(ctx context.Context) (int, error) {
	s.count("CountSearchable")
	return s.ParticipationStore.CountSearchable(ctx)
}

// TestRoundTrips_ConstantPerPage reads every page and API read of
// consultations, proposals and discussions on a small and a large copy of
// the same data, anonymously and logged in, and fails when a read makes
// more store calls on the large one: 10 against 200 comments (with replies
// and the viewer's comment votes), 5 against 60 proposals.
func TestRoundTrips_ConstantPerPage(t *testing.T) {
	e, counted := newCountingEnv(t)
	ctx := context.Background()
	admin, _ := e.createUser("admin@example.org", "Admina", mitreden.RoleAdmin)
	erika, epw := e.createUser("erika@example.org", "Erika")
	token := e.login("erika@example.org", epw)
	now := time.Now().UTC()

	type fixture struct{ consultation, proposal, reply, lastTop string }
	build := func(proposals, comments int) fixture {
		c := &mitreden.Consultation{Title: "Welche Dienste zuerst online?", Summary: "Sagen Sie uns, was zuerst digital werden soll.",
			Body: "Das Land will die wichtigsten Leistungen online anbieten.", Region: "Land", OpensAt: now.Add(-time.Hour),
			ClosesAt: now.Add(48 * time.Hour), VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true}
		if err := e.Participation.CreateConsultation(ctx, admin, c); err != nil {
			t.Fatal(err)
		}
		f := fixture{consultation: c.ID}
		for i := range proposals {
			pr := &mitreden.Proposal{Title: fmt.Sprintf("Vorschlag Nummer %d", i), Body: "Ein Vorschlag mit genug Text darin."}
			if err := e.Participation.CreateProposal(ctx, erika, c.ID, pr); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				f.proposal = pr.ID
			}
			if _, err := e.Participation.Vote(ctx, erika, pr.ID, "support"); err != nil {
				t.Fatal(err)
			}
		}
		for _, target := range []struct{ typ, id string }{{"proposal", f.proposal}, {"consultation", c.ID}} {
			var last *mitreden.Comment
			for i := range comments {
				in := mitreden.Comment{Body: fmt.Sprintf("Kommentar %d", i), Alignment: "for"}
				if i%3 == 2 {
					in.ParentID = last.ID // every third answers the one before
				}
				cm, err := e.Participation.AddComment(ctx, erika, target.typ, target.id, in)
				if err != nil {
					t.Fatal(err)
				}
				if i%4 == 0 {
					if _, err := e.Participation.VoteComment(ctx, admin, cm.ID, 1); err != nil {
						t.Fatal(err)
					}
				}
				if in.ParentID == "" {
					f.lastTop = cm.ID
				} else if target.typ == "proposal" {
					f.reply = cm.ID
				}
				last = cm
			}
		}
		return f
	}
	small, large := build(5, 10), build(60, 200)

	// Each read on the large data against the same read on the small one;
	// where the large data has a page the small one lacks, against the
	// small one's first page (an empty page may make fewer calls).
	reads := [][2]string{
		{"/consultations", ""},
		{"/consultations/{c}", ""},
		{"/consultations/{c}?cpage=2&csort=best", "/consultations/{c}?csort=best"},
		{"/proposals/{p}", ""},
		{"/proposals/{p}?csort=newest", ""},
		{"/proposals/{p}?cpage=3&csort=best", "/proposals/{p}?csort=best"},
		{"/comments/{reply}", ""},
		{"/comments/{last}", ""},
		{"/api/v1/consultations", ""},
		{"/api/v1/consultations/{c}", ""},
		{"/api/v1/consultations/{c}/proposals?sort=supported", ""},
		{"/api/v1/consultations/{c}/comments?per_page=3&page=2", ""},
		{"/api/v1/proposals/{p}", ""},
		{"/api/v1/proposals/{p}/comments", ""},
		{"/api/v1/proposals/{p}/comments?sort=best&per_page=100", ""},
	}
	calls := func(f fixture, path, token string) string {
		path = strings.NewReplacer("{c}", f.consultation, "{p}", f.proposal, "{reply}", f.reply, "{last}", f.lastTop).Replace(path)
		req, _ := nethttp.NewRequest("GET", path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		counted.take()
		if resp := e.do(req); resp.StatusCode >= 400 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return counted.take()
	}
	for _, viewer := range []string{"", token} {
		for _, r := range reads {
			smallPath := cmp.Or(r[1], r[0])
			s, l := calls(small, smallPath, viewer), calls(large, r[0], viewer)
			if s != l {
				t.Errorf("logged in: %v: GET %s with little data: %s; GET %s with much: %s", viewer != "", smallPath, s, r[0], l)
			}
			if l == "" {
				t.Errorf("GET %s: no store calls counted: is the counting store in use?", r[0])
			}
		}
	}
}

// newCountingEnv is newEnv with the participation service on a counting
// store.
func newCountingEnv(t *testing.T) (*testEnv, *countingStore) {
	t.Helper()
	base := newEnv(t)
	db := base.DB
	counted := &countingStore{ParticipationStore: db.Participation(), calls: map[string]int{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	part := service.NewParticipation(counted, base.Searcher, service.SystemClock, log)
	indexing := service.NewIndexing(base.Searcher, part.AllSearchDocs, service.SystemClock, log)
	cfg := mhttp.Config{BaseURL: "http://127.0.0.1:8080", Secret: []byte(strings.Repeat("k", 32)), ContactEmail: "kontakt@example.org"}
	srv, err := mhttp.New(cfg, mhttp.Deps{Accounts: base.Accounts, Store: db, Searcher: base.Searcher, Participation: part, Indexing: indexing, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	e := *base
	e.Server, e.Participation = srv, part
	return &e, counted
}
