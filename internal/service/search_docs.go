package service

import (
	"context"

	"github.com/mitreden/mitreden/internal/markdown"
	"github.com/mitreden/mitreden/internal/mitreden"
)

// SearchDocStore is what SearchDocs reads: the items that become search
// documents and the context (consultation, proposal) each document carries.
type SearchDocStore interface {
	FindConsultation(ctx context.Context, id string) (*mitreden.Consultation, error)
	FindProposal(ctx context.Context, id string) (*mitreden.Proposal, error)
	FindComment(ctx context.Context, id string) (*mitreden.Comment, error)
	AllConsultations(ctx context.Context, yield func(*mitreden.Consultation) error) error
	AllProposals(ctx context.Context, yield func(*mitreden.Proposal) error) error
	AllComments(ctx context.Context, yield func(*mitreden.Comment) error) error
	CountSearchable(ctx context.Context) (int, error)
}

// SearchDocs builds the search documents of stored items. It is the one
// place that decides what of an item is searchable, under which title, with
// which context and visibility, so that the write paths (which index at
// once), the retry of failed indexing and a full reindex all produce the
// same document, and later item kinds (council recommendations, meetings)
// add their builders here rather than in the service that writes them.
type SearchDocs struct {
	st  SearchDocStore
	now Clock
	// targets resolve comment targets of other services (see
	// Participation.RegisterCommentTarget).
	targets map[string]CommentTarget
}

// NewSearchDocs returns a builder over st; now decides a consultation's
// phase, which its document carries as status.
func NewSearchDocs(st SearchDocStore, now Clock) *SearchDocs {
	if now == nil {
		now = SystemClock
	}
	return &SearchDocs{st: st, now: now}
}

// Consultation returns the document of c: its summary, body and published
// results are searched together, its topics (shown on its page) as
// keywords.
func (s *SearchDocs) Consultation(c *mitreden.Consultation) mitreden.SearchDoc {
	body := markdown.PlainText(c.Summary) + " " + textOf(c.Body, c.BodyHTML, c.HTMLVersion)
	if c.Results != "" {
		body += " " + textOf(c.Results, c.ResultsHTML, c.HTMLVersion)
	}
	return mitreden.SearchDoc{ID: mitreden.SearchDocID(mitreden.SearchTypeConsultation, c.ID), Type: mitreden.SearchTypeConsultation,
		ItemID: c.ID, Title: c.Title, Body: body, Keywords: c.Topics, Lang: c.Lang, ConsultationID: c.ID, ConsultationTitle: c.Title, ConsultationLang: c.Lang,
		Status: string(c.Phase(s.now())), Topics: c.Topics, Region: c.Region, Visibility: mitreden.VisibilityPublic,
		URL: "/consultations/" + c.ID, CreatedAt: c.CreatedAt, Comments: c.CommentCount}
}

// Proposal returns the documents of pr in c: the proposal first, with its
// topics as keywords, then its official answer when there is one (found as
// an answer of its own, so a search can ask for answers only). Comments and
// answers carry the topics of what they belong to for the topic filter, but
// not as keywords: a topic finds the consultation and its proposals, not
// every comment on them.
func (s *SearchDocs) Proposal(pr *mitreden.Proposal, c *mitreden.Consultation) []mitreden.SearchDoc {
	docs := []mitreden.SearchDoc{{ID: mitreden.SearchDocID(mitreden.SearchTypeProposal, pr.ID), Type: mitreden.SearchTypeProposal,
		ItemID: pr.ID, Title: pr.Title, Body: textOf(pr.Body, pr.BodyHTML, pr.HTMLVersion), Keywords: pr.Topics, Lang: pr.Lang, ConsultationID: c.ID, ConsultationTitle: c.Title, ConsultationLang: c.Lang,
		Status: pr.Status, Topics: pr.Topics, Region: c.Region, Visibility: hiddenIf(pr.Hidden), URL: "/proposals/" + pr.ID,
		CreatedAt: pr.CreatedAt, Supports: pr.Tally.Support + pr.Tally.Yes, Comments: pr.CommentCount}}
	if pr.Answer != "" {
		docs = append(docs, mitreden.SearchDoc{ID: mitreden.SearchDocID(mitreden.SearchTypeAnswer, pr.ID), Type: mitreden.SearchTypeAnswer,
			ItemID: pr.ID, Title: pr.Title, Body: textOf(pr.Answer, pr.AnswerHTML, pr.HTMLVersion), Lang: pr.AnswerLang, TitleLang: otherLang(pr.Lang, pr.AnswerLang),
			ConsultationID: c.ID, ConsultationTitle: c.Title, ConsultationLang: c.Lang, ProposalID: pr.ID, Status: pr.Status, Topics: pr.Topics, Region: c.Region,
			Visibility: hiddenIf(pr.Hidden), URL: "/proposals/" + pr.ID + "#answer", CreatedAt: pr.AnsweredAt})
	}
	return docs
}

// Comment returns the document of cm on the consultation c or, when pr is
// not nil, on the proposal pr. A comment has no title of its own: it is
// found by its text only, and the title of what it belongs to goes with it
// as ContextTitle, shown but not searched (else every comment of a proposal
// would match the proposal's name). A hidden comment is indexed as hidden,
// so only moderators find it.
func (s *SearchDocs) Comment(cm *mitreden.Comment, c *mitreden.Consultation, pr *mitreden.Proposal) mitreden.SearchDoc {
	title, titleLang, url := c.Title, c.Lang, "/consultations/"+c.ID+"#comment-"+cm.ID
	if cm.ConsultationID == "" {
		// Another service's target (a recommendation): c is its context.
		url = "/" + cm.TargetType + "s/" + cm.TargetID + "#comment-" + cm.ID
	}
	proposalID := ""
	if pr != nil {
		title, titleLang, url, proposalID = pr.Title, pr.Lang, "/proposals/"+pr.ID+"#comment-"+cm.ID, pr.ID
		if pr.Hidden {
			// Moderation hid the proposal: its title goes with none of
			// its comments.
			title, titleLang = "", ""
		}
	}
	return mitreden.SearchDoc{ID: mitreden.SearchDocID(mitreden.SearchTypeComment, cm.ID), Type: mitreden.SearchTypeComment,
		ItemID: cm.ID, ContextTitle: title, Body: textOf(cm.Body, cm.BodyHTML, cm.HTMLVersion), Lang: cm.Lang, TitleLang: otherLang(titleLang, cm.Lang),
		ConsultationID: c.ID, ConsultationTitle: c.Title, ConsultationLang: c.Lang,
		ProposalID: proposalID, Topics: c.Topics, Region: c.Region, URL: url,
		CreatedAt: cm.CreatedAt, Supports: cm.Up, Visibility: visibilityOf(cm)}
}

// otherLang is the TitleLang of a document in lang whose title is written
// in titleLang: empty when they agree.
func otherLang(titleLang, lang string) string {
	if titleLang == lang {
		return ""
	}
	return titleLang
}

// textOf is the search text of a Markdown field: taken from the HTML stored
// with it when the current renderer made it, so indexing an item again (a
// count changed, a reindex) converts no Markdown (a hostile text of 10,000
// characters costs 150 ms to convert, 8 ms to take from its HTML); from the
// source while the backfill has not reached the item.
func textOf(src, html string, version int) string {
	if version == markdown.Version {
		return markdown.TextOfHTML(html)
	}
	return markdown.PlainText(src)
}

func visibilityOf(cm *mitreden.Comment) string { return hiddenIf(cm.Hidden) }

// hiddenIf is the visibility of an item moderation hid, or not: a hidden
// item is found by moderators only.
func hiddenIf(hidden bool) string {
	if hidden {
		return mitreden.VisibilityHidden
	}
	return mitreden.VisibilityPublic
}

// CommentOf returns the document of cm with its consultation and proposal
// read from the store, for a write that does not hold them.
func (s *SearchDocs) CommentOf(ctx context.Context, cm *mitreden.Comment) (mitreden.SearchDoc, error) {
	c, err := s.contextOf(ctx, cm)
	if err != nil {
		return mitreden.SearchDoc{}, err
	}
	var pr *mitreden.Proposal
	if cm.TargetType == "proposal" {
		if pr, err = s.st.FindProposal(ctx, cm.TargetID); err != nil {
			return mitreden.SearchDoc{}, err
		}
	}
	return s.Comment(cm, c, pr), nil
}

// contextOf is the consultation a comment belongs to, or the context of
// another service's target it discusses.
func (s *SearchDocs) contextOf(ctx context.Context, cm *mitreden.Comment) (*mitreden.Consultation, error) {
	if cm.ConsultationID == "" {
		if resolve := s.targets[cm.TargetType]; resolve != nil {
			return resolve(ctx, cm.TargetID)
		}
		return nil, &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
	}
	return s.st.FindConsultation(ctx, cm.ConsultationID)
}

// Current returns the documents of the item of search type typ with id as
// the store holds it now: none for a deleted comment, ENOTFOUND when the
// item (or its consultation or proposal) is gone or typ is unknown.
func (s *SearchDocs) Current(ctx context.Context, typ, id string) ([]mitreden.SearchDoc, error) {
	switch typ {
	case mitreden.SearchTypeConsultation:
		c, err := s.st.FindConsultation(ctx, id)
		if err != nil {
			return nil, err
		}
		return []mitreden.SearchDoc{s.Consultation(c)}, nil
	case mitreden.SearchTypeProposal, mitreden.SearchTypeAnswer:
		pr, err := s.st.FindProposal(ctx, id)
		if err != nil {
			return nil, err
		}
		c, err := s.st.FindConsultation(ctx, pr.ConsultationID)
		if err != nil {
			return nil, err
		}
		return s.Proposal(pr, c), nil
	case mitreden.SearchTypeComment:
		cm, err := s.st.FindComment(ctx, id)
		if err != nil || cm.Deleted {
			return nil, err
		}
		d, err := s.CommentOf(ctx, cm)
		if err != nil {
			return nil, err
		}
		return []mitreden.SearchDoc{d}, nil
	}
	return nil, &mitreden.Error{Code: mitreden.ENOTFOUND, Message: "error.not_found"}
}

// Count counts what All yields (items of a missing consultation or proposal
// aside) without reading it, so a start-up check stays cheap.
func (s *SearchDocs) Count(ctx context.Context) (int, error) {
	return s.st.CountSearchable(ctx)
}

// All streams every searchable document from the store (reindex). It keeps
// the consultations and the proposals' titles in memory to give comments
// their context without a store round-trip per comment. It satisfies
// DocSource.
func (s *SearchDocs) All(ctx context.Context, yield func(mitreden.SearchDoc) error) error {
	cons := map[string]*mitreden.Consultation{}
	if err := s.st.AllConsultations(ctx, func(c *mitreden.Consultation) error {
		cons[c.ID] = c
		return yield(s.Consultation(c))
	}); err != nil {
		return err
	}
	props := map[string]*mitreden.Proposal{}
	others := map[string]*mitreden.Consultation{}
	if err := s.st.AllProposals(ctx, func(pr *mitreden.Proposal) error {
		c, ok := cons[pr.ConsultationID]
		if !ok {
			return nil
		}
		props[pr.ID] = &mitreden.Proposal{ID: pr.ID, Title: pr.Title, Lang: pr.Lang}
		for _, d := range s.Proposal(pr, c) {
			if err := yield(d); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	return s.st.AllComments(ctx, func(cm *mitreden.Comment) error {
		c, ok := cons[cm.ConsultationID]
		if !ok && cm.ConsultationID == "" && !cm.Deleted {
			// Another service's target: resolved once per target.
			key := cm.TargetType + ":" + cm.TargetID
			if c, ok = others[key]; !ok {
				var err error
				if c, err = s.contextOf(ctx, cm); err != nil && mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
					return err
				}
				others[key], ok = c, c != nil
			}
		}
		if !ok || cm.Deleted {
			return nil
		}
		var pr *mitreden.Proposal
		if cm.TargetType == "proposal" {
			pr = props[cm.TargetID]
			if pr == nil {
				return nil
			}
		}
		return yield(s.Comment(cm, c, pr))
	})
}
