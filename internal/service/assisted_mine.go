package service

import (
	"context"
	"sort"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// EnteredItem is a proposal or comment the citizens' service entered for a
// participant record linked to the viewer's account, as "Meine Beiträge"
// lists it: public items only (a hidden one and a deleted comment are left
// out), with how it reached the office.
type EnteredItem struct {
	Proposal *mitreden.Proposal
	Comment  *mitreden.Comment
	// ConsultationTitle and ConsultationLang name the proposal's
	// consultation (empty for comments).
	ConsultationTitle, ConsultationLang string
	Prov                                *mitreden.Provenance
	CreatedAt                           time.Time
}

// ReadEnteredForViewer returns what staff entered for the records linked to
// viewer, newest first, at most ContributionsShown proposals and comments
// per record: one query for the records (none when nothing is linked, the
// usual case), then per record its proposals and comments by author key,
// and each consultation once by _id. Returns EUNAUTHORIZED for an anonymous
// viewer.
func (a *Assisted) ReadEnteredForViewer(ctx context.Context, viewer *mitreden.User) ([]*EnteredItem, error) {
	if viewer == nil {
		return nil, &mitreden.Error{Code: mitreden.EUNAUTHORIZED, Message: "error.unauthorized"}
	}
	rs, err := a.st.RecordsLinkedTo(ctx, viewer.ID)
	if err != nil || len(rs) == 0 {
		return []*EnteredItem{}, err
	}
	var out []*EnteredItem
	cons := map[string]*mitreden.Consultation{}
	for _, r := range rs {
		props, err := a.p.st.UserProposals(ctx, r.VoterKey(), ContributionsShown)
		if err != nil {
			return nil, err
		}
		for _, pr := range props {
			if pr.Hidden {
				continue
			}
			c := cons[pr.ConsultationID]
			if c == nil {
				if c, err = a.p.st.FindConsultation(ctx, pr.ConsultationID); err != nil {
					return nil, err
				}
				cons[c.ID] = c
			}
			out = append(out, &EnteredItem{Proposal: pr, ConsultationTitle: c.Title, ConsultationLang: c.Lang, Prov: pr.Prov, CreatedAt: pr.CreatedAt})
		}
		comments, err := a.p.st.UserComments(ctx, r.VoterKey(), ContributionsShown)
		if err != nil {
			return nil, err
		}
		for _, cm := range comments {
			if cm.Hidden || cm.Deleted {
				continue
			}
			out = append(out, &EnteredItem{Comment: cm, Prov: cm.Prov, CreatedAt: cm.CreatedAt})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}
