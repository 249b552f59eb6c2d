package http

import (
	"slices"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// domainValues are validation tags whose allowed values come from the domain,
// so that no request type repeats a list the rules already hold. A field
// failing one of them is reported like `oneof`, listing the allowed values.
var domainValues = map[string][]string{
	"voting_mode":     mitreden.VotingModes,
	"vote_value":      mitreden.VoteValues,
	"alignment":       mitreden.Alignments,
	"answer_status":   mitreden.AnswerStatuses,
	"proposal_sort":   mitreden.ProposalSorts,
	"proposal_status": mitreden.ProposalStatuses,
	"comment_order":   service.CommentOrders,
	"search_type":     mitreden.SearchTypes,
	"search_sort":     {mitreden.SearchSortRelevance, mitreden.SearchSortNewest},
	"phase":           phaseNames(),
	"grant_role":      grantableRoles(),
	"role_action":     {"grant", "revoke"},
	"language":        mitreden.Languages,
	"content_lang":    append([]string{""}, mitreden.ContentLangs...), // "": detect it
	"role":            roleNames(),
	"council_vote":    mitreden.CouncilVoteValues,
	"evidence_type":   mitreden.EvidenceTypes,
	"rec_status":      mitreden.RecStatuses,
}

func phaseNames() []string {
	out := make([]string, len(mitreden.Phases))
	for i, p := range mitreden.Phases {
		out[i] = string(p)
	}
	return out
}

func roleNames() []string {
	out := make([]string, len(mitreden.Roles))
	for i, r := range mitreden.Roles {
		out[i] = string(r)
	}
	return out
}

func grantableRoles() []string {
	var out []string
	for _, r := range mitreden.Roles {
		if r != mitreden.RoleCitizen {
			out = append(out, string(r))
		}
	}
	return out
}

// registerDomainValues adds the domainValues tags to v; an empty string is
// left to `required`/`omitempty`. "comment_vote" checks the integer values.
func registerDomainValues(v *validator.Validate) {
	for tag, allowed := range domainValues {
		allowed := allowed
		_ = v.RegisterValidation(tag, func(fl validator.FieldLevel) bool {
			return slices.Contains(allowed, fl.Field().String())
		})
	}
	_ = v.RegisterValidation("comment_vote", func(fl validator.FieldLevel) bool {
		return slices.Contains(mitreden.CommentVoteValues, int(fl.Field().Int()))
	})
}

// validationMessage returns the message key and placeholders of a failed tag.
func validationMessage(fe validator.FieldError) (string, map[string]any) {
	if allowed, ok := domainValues[fe.Tag()]; ok {
		return "validation.oneof", map[string]any{"param": strings.Join(allowed, ", ")}
	}
	if fe.Tag() == "comment_vote" {
		return "validation.comment_vote", nil
	}
	return "validation." + fe.Tag(), map[string]any{"param": fe.Param()}
}
