package service

import (
	"context"
	"time"

	"github.com/mitreden/mitreden/internal/markdown"
	"github.com/mitreden/mitreden/internal/mitreden"
)

// Markdown is rendered and sanitized once, when it is written, and stored
// next to its source: a list of a hundred long proposals would otherwise
// run goldmark and bluemonday on every text at every request (20 texts of
// pathological Markdown turned a 0.05 s list into 1.3 s). Reads only copy
// the stored HTML. Every write of a Markdown source goes through the
// functions below, and so does bulk seeding.

// renderText renders src, leaving an empty text (most answers and results)
// empty without a conversion.
func renderText(src string) string {
	if src == "" {
		return ""
	}
	return string(markdown.Render(src))
}

// RenderConsultation fills c's HTML fields from its Markdown fields, for a
// store write of c.
func RenderConsultation(c *mitreden.Consultation) { renderConsultation(c, renderText) }

// RenderProposal fills p's HTML fields from its Markdown fields, for a store
// write of p.
func RenderProposal(p *mitreden.Proposal) { renderProposal(p, renderText) }

// RenderComment fills c's HTML field from its body, for a store write of c.
func RenderComment(c *mitreden.Comment) { renderComment(c, renderText) }

func renderConsultation(c *mitreden.Consultation, render func(string) string) {
	c.BodyHTML, c.ResultsHTML, c.HTMLVersion = render(c.Body), render(c.Results), markdown.Version
}

func renderProposal(p *mitreden.Proposal, render func(string) string) {
	p.BodyHTML, p.AnswerHTML, p.HTMLVersion = render(p.Body), render(p.Answer), markdown.Version
}

func renderComment(c *mitreden.Comment, render func(string) string) {
	c.BodyHTML, c.HTMLVersion = render(c.Body), markdown.Version
}

// SeedRenderer renders generated content, which bulk seeding writes around
// the service: like RenderProposal and RenderComment, but each distinct text
// once, as generated content repeats a few texts (a 10,000-proposal seed
// would otherwise spend seconds rendering the same comments). Not safe for
// concurrent use.
type SeedRenderer struct{ memo map[string]string }

// NewSeedRenderer returns an empty SeedRenderer.
func NewSeedRenderer() *SeedRenderer { return &SeedRenderer{memo: map[string]string{}} }

func (r *SeedRenderer) text(src string) string {
	out, ok := r.memo[src]
	if !ok {
		out = renderText(src)
		r.memo[src] = out
	}
	return out
}

// Proposal fills p's HTML fields like RenderProposal, and its language
// when not given, as the service detects it.
func (r *SeedRenderer) Proposal(p *mitreden.Proposal) {
	renderProposal(p, r.text)
	if p.Lang == "" {
		p.Lang = mitreden.ContentLang("", mitreden.LangGerman, p.Title, p.Body)
	}
}

// Comment fills c's HTML field like RenderComment, and its language when
// not given.
func (r *SeedRenderer) Comment(c *mitreden.Comment) {
	renderComment(c, r.text)
	if c.Lang == "" {
		c.Lang = mitreden.ContentLang("", mitreden.LangGerman, c.Body)
	}
}

// HTMLBackfill reports what BackfillHTML rendered.
type HTMLBackfill struct {
	Consultations, Proposals, Comments int
	// Changed counts items edited while the backfill rendered them: the
	// edit stored their HTML, or (edited twice) the next start does.
	Changed  int
	Duration time.Duration
}

// BackfillHTML renders the Markdown of every item whose HTML is missing
// (data of releases that rendered at read time) or was made by another
// renderer version (markdown.Version), and stores it. Until it reaches an
// item, pages show that item's source escaped. It first asks each
// collection for the ids of such items (MongoDB answers from an index; the
// embedded engine scans the collection once), then reads, renders and writes
// them one by one; when nothing is stale it costs those three reads alone.
// It writes only HTML, conditionally on the source, so it runs beside
// visitors and edits; it stops at the first store error, and the next
// start resumes.
func (p *Participation) BackfillHTML(ctx context.Context) (HTMLBackfill, error) {
	start := time.Now()
	var r HTMLBackfill
	var err error
	r.Consultations, err = backfill(ctx, &r.Changed, p.st.StaleHTMLConsultations, p.st.FindConsultation, p.st.SetConsultationHTML,
		func(c *mitreden.Consultation) int { return c.HTMLVersion }, RenderConsultation)
	if err == nil {
		r.Proposals, err = backfill(ctx, &r.Changed, p.st.StaleHTMLProposals, p.st.FindProposal, p.st.SetProposalHTML,
			func(pr *mitreden.Proposal) int { return pr.HTMLVersion }, RenderProposal)
	}
	if err == nil {
		r.Comments, err = backfill(ctx, &r.Changed, p.st.StaleHTMLComments, p.st.FindComment, p.st.SetCommentHTML,
			func(c *mitreden.Comment) int { return c.HTMLVersion }, RenderComment)
	}
	r.Duration = time.Since(start)
	return r, err
}

// backfill renders and stores the stale items of one collection and returns
// how many it stored. An item whose source changed between its read and the
// write is read once more: an edit of one field (an answer) leaves the
// item's version stale, and it still needs rendering.
func backfill[T any](ctx context.Context, changed *int, stale func(context.Context, int) ([]string, error),
	find func(context.Context, string) (T, error), set func(context.Context, T) error,
	version func(T) int, render func(T)) (int, error) {
	ids, err := stale(ctx, markdown.Version)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, id := range ids {
		for attempt := 0; ; attempt++ {
			it, err := find(ctx, id)
			if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
				break // gone meanwhile
			} else if err != nil {
				return done, err
			}
			if version(it) == markdown.Version {
				*changed++ // an edit meanwhile stored it whole
				break
			}
			render(it)
			err = set(ctx, it)
			if mitreden.ErrorCode(err) == mitreden.ECONFLICT && attempt == 0 {
				continue
			}
			if mitreden.ErrorCode(err) == mitreden.ECONFLICT {
				*changed++ // edited twice meanwhile: left to the next start
				break
			}
			if err != nil {
				return done, err
			}
			done++
			break
		}
	}
	return done, nil
}
