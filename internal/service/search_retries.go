package service

import (
	"context"
	"slices"
	"strings"

	"github.com/mitreden/mitreden/internal/mitreden"
)

func (p *Participation) index(ctx context.Context, docs ...mitreden.SearchDoc) {
	if p.search == nil || len(docs) == 0 {
		return
	}
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	defer p.queue.touched(ids)
	if err := p.search.Index(ctx, docs...); err != nil {
		p.log.Warn("search index failed; will retry", "err", err, "docs", len(docs))
		p.retryLater(ctx, ids...)
	}
}

// retryLater records search documents whose indexing failed; RetryIndexing
// indexes them again from the store. Should even that fail, a reindex repairs
// the index.
func (p *Participation) retryLater(ctx context.Context, docIDs ...string) {
	if err := p.st.AddSearchRetries(context.WithoutCancel(ctx), docIDs...); err != nil {
		p.log.Error("search retry not recorded; a reindex will repair the index", "err", err, "docs", docIDs)
	}
}

// retryBatch is how many recorded documents RetryIndexing takes at once.
const retryBatch = 200

// RetryIndexing indexes again, from the current state in the store, the
// search documents whose indexing failed, and returns how many it handled.
// A document whose item is gone or deleted is removed from the index. The
// records stay when the index still fails, for the next call.
func (p *Participation) RetryIndexing(ctx context.Context) (int, error) {
	if p.search == nil {
		return 0, nil
	}
	retries, err := p.st.SearchRetries(ctx, retryBatch)
	if err != nil || len(retries) == 0 {
		return 0, err
	}
	var docs []mitreden.SearchDoc
	var gone []string
	for _, r := range retries {
		typ, id, _ := strings.Cut(r.DocID, ":")
		found, err := p.docs.Current(ctx, typ, id)
		switch {
		case mitreden.ErrorCode(err) == mitreden.ENOTFOUND:
			gone = append(gone, r.DocID)
		case err != nil:
			return 0, err
		case !slices.ContainsFunc(found, func(d mitreden.SearchDoc) bool { return d.ID == r.DocID }):
			gone = append(gone, r.DocID)
		}
		docs = append(docs, found...)
	}
	if len(gone) > 0 {
		if err := p.search.Delete(ctx, gone...); err != nil {
			return 0, err
		}
	}
	if len(docs) > 0 {
		if err := p.search.Index(ctx, docs...); err != nil {
			return 0, err
		}
	}
	if err := p.st.DeleteSearchRetries(ctx, retries...); err != nil {
		return 0, err
	}
	p.log.Info("search retries indexed", "docs", len(retries))
	return len(retries), nil
}

func (p *Participation) reindexComment(ctx context.Context, cm *mitreden.Comment) {
	d, err := p.docs.CommentOf(ctx, cm)
	if err != nil {
		p.log.Warn("search document of a comment not built; will retry", "err", err)
		p.retryLater(ctx, mitreden.SearchDocID(mitreden.SearchTypeComment, cm.ID))
		return
	}
	p.index(ctx, d)
}
