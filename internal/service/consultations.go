package service

import (
	"context"
	"strings"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// CreateConsultation validates and stores c. Admins only.
// Returns EUNAUTHORIZED, EFORBIDDEN, EINVALID.
func (p *Participation) CreateConsultation(ctx context.Context, actor *mitreden.User, c *mitreden.Consultation) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	c.CreatedBy = actor.ID
	c.CreatedAt = p.now()
	c.Lang = mitreden.ContentLang(c.Lang, actor.Language, c.Title, c.Summary, c.Body)
	RenderConsultation(c)
	if err := p.st.CreateConsultation(ctx, c); err != nil {
		return err
	}
	p.index(ctx, p.docs.Consultation(c))
	return nil
}

// UpdateConsultation replaces the editable fields of the consultation c.ID.
// Admins only. The voting mode stays once anyone voted: votes of the other
// mode would vanish from the tally. Returns EUNAUTHORIZED, EFORBIDDEN,
// ENOTFOUND, EINVALID, ECONFLICT (voting mode after votes).
func (p *Participation) UpdateConsultation(ctx context.Context, actor *mitreden.User, c *mitreden.Consultation) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	old, err := p.st.FindConsultation(ctx, c.ID)
	if err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if c.VotingMode != old.VotingMode {
		voted, err := p.st.HasVotes(ctx, c.ID)
		if err != nil {
			return err
		}
		if voted {
			return &mitreden.Error{Code: mitreden.ECONFLICT, Message: "consultation.voting_mode_locked",
				Fields: []mitreden.FieldError{{Field: "voting_mode", Code: "locked", Message: "consultation.voting_mode_locked"}}}
		}
	}
	c.Results, c.EvaluatedAt = old.Results, old.EvaluatedAt
	c.ProposalCount, c.CommentCount, c.CreatedBy, c.CreatedAt = old.ProposalCount, old.CommentCount, old.CreatedBy, old.CreatedAt
	c.Lang = mitreden.ContentLang(c.Lang, actor.Language, c.Title, c.Summary, c.Body)
	RenderConsultation(c)
	if err := p.st.UpdateConsultation(ctx, c); err != nil {
		return err
	}
	p.index(ctx, p.docs.Consultation(c))
	return nil
}

// PublishResults moves a closed consultation to evaluated with a results text.
// Returns ECONFLICT before the consultation closed.
func (p *Participation) PublishResults(ctx context.Context, actor *mitreden.User, id, results string) (*mitreden.Consultation, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	c, err := p.st.FindConsultation(ctx, id)
	if err != nil {
		return nil, err
	}
	if ph := c.Phase(p.now()); ph == mitreden.PhaseUpcoming || ph == mitreden.PhaseOpen {
		return nil, &mitreden.Error{Code: mitreden.ECONFLICT, Message: "consultation.results_too_early", Args: map[string]any{"date": c.ClosesAt}}
	}
	results = strings.TrimSpace(results)
	switch {
	case results == "":
		return nil, mitreden.Invalid(mitreden.FieldError{Field: "results", Code: "required", Message: "validation.required"})
	case len([]rune(results)) > 50000:
		return nil, mitreden.Invalid(mitreden.FieldError{Field: "results", Code: "max", Message: "validation.max", Args: map[string]any{"param": 50000}})
	}
	if fe := mitreden.CheckText("results", results); fe != nil {
		return nil, mitreden.Invalid(*fe)
	}
	c.Results = results
	first := c.EvaluatedAt.IsZero()
	if first {
		c.EvaluatedAt = p.now()
	}
	RenderConsultation(c)
	if err := p.st.UpdateConsultation(ctx, c); err != nil {
		return nil, err
	}
	p.index(ctx, p.docs.Consultation(c))
	if first {
		p.consultationEvaluated(ctx, actor, c)
	}
	return c, nil
}

// Consultation returns one consultation. Returns ENOTFOUND.
func (p *Participation) Consultation(ctx context.Context, id string) (*mitreden.Consultation, error) {
	return p.st.FindConsultation(ctx, id)
}

// Consultations lists consultations.
func (p *Participation) Consultations(ctx context.Context, f mitreden.ConsultationFilter) ([]*mitreden.Consultation, int, error) {
	f.Now = p.now()
	return p.st.ListConsultations(ctx, f)
}
