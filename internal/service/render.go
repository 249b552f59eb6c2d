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

// Proposal fills p's HTML fields like RenderProposal.
func (r *SeedRenderer) Proposal(p *mitreden.Proposal) { renderProposal(p, r.text) }

// Comment fills c's HTML field like RenderComment.
func (r *SeedRenderer) Comment(c *mitreden.Comment) { renderComment(c, r.text) }

// HTMLBackfill reports what BackfillHTML rendered.
type HTMLBackfill struct {
	Consultations, Proposals, Comments int
	// Changed counts items edited while the backfill rendered them: the
	// edit stored their HTML, or (edited twice) the next start does.
	Changed  int
	Duration time.Duration
}

// backfillBatch bounds the items one store read of the backfill returns: on
// the embedded engine each read scans the collection, so few large batches
// beat many small ones; 2,000 comments of at most 5,000 characters stay a
// few megabytes.
const backfillBatch = 2000

// BackfillHTML renders the Markdown of every item whose HTML is missing
// (data of releases that rendered at read time) or was made by another
// renderer version (markdown.Version), and stores it. Until it reaches an
// item, pages show that item's source escaped. When nothing is stale it
// costs one read per collection that finds nothing: on MongoDB an index
// lookup, on the embedded engine one scan of each collection. It writes
// only HTML, conditionally on the source, so it runs beside visitors and
// edits; it stops at the first store error (the next start resumes).
func (p *Participation) BackfillHTML(ctx context.Context) (HTMLBackfill, error) {
	start := time.Now()
	var r HTMLBackfill
	var err error
	r.Consultations, err = backfill(ctx, &r.Changed, p.st.StaleHTMLConsultations, p.st.SetConsultationHTML, p.st.FindConsultation,
		func(c *mitreden.Consultation) string { return c.ID },
		func(c *mitreden.Consultation) int { return c.HTMLVersion }, RenderConsultation)
	if err == nil {
		r.Proposals, err = backfill(ctx, &r.Changed, p.st.StaleHTMLProposals, p.st.SetProposalHTML, p.st.FindProposal,
			func(pr *mitreden.Proposal) string { return pr.ID },
			func(pr *mitreden.Proposal) int { return pr.HTMLVersion }, RenderProposal)
	}
	if err == nil {
		r.Comments, err = backfill(ctx, &r.Changed, p.st.StaleHTMLComments, p.st.SetCommentHTML, p.st.FindComment,
			func(c *mitreden.Comment) string { return c.ID },
			func(c *mitreden.Comment) int { return c.HTMLVersion }, RenderComment)
	}
	r.Duration = time.Since(start)
	return r, err
}

// backfill renders and stores the stale items of one collection in id
// order and returns how many it stored. An item whose source changed
// between read and write is read again once: an edit that kept the stored
// version stale (it wrote only one field's HTML) still gets rendered.
func backfill[T any](ctx context.Context, changed *int,
	stale func(ctx context.Context, version int, afterID string, limit int) ([]T, error),
	set func(context.Context, T) error, find func(context.Context, string) (T, error),
	id func(T) string, version func(T) int, render func(T)) (int, error) {
	done, after := 0, ""
	for {
		items, err := stale(ctx, markdown.Version, after, backfillBatch)
		if err != nil {
			return done, err
		}
		for _, it := range items {
			render(it)
			err := set(ctx, it)
			if mitreden.ErrorCode(err) == mitreden.ECONFLICT {
				again, ferr := find(ctx, id(it))
				switch {
				case mitreden.ErrorCode(ferr) == mitreden.ENOTFOUND:
					continue // gone meanwhile
				case ferr != nil:
					return done, ferr
				case version(again) == markdown.Version:
					*changed++ // the edit stored its HTML whole
					continue
				}
				render(again)
				if err = set(ctx, again); mitreden.ErrorCode(err) == mitreden.ECONFLICT {
					*changed++ // edited twice meanwhile: left to the next start
					continue
				}
			}
			if err != nil {
				return done, err
			}
			done++
		}
		if len(items) < backfillBatch {
			return done, nil
		}
		after = id(items[len(items)-1])
	}
}
