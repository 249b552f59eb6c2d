package http

import "github.com/mitreden/mitreden/internal/mitreden"

// participationRoutes registers the pages and API of consultations,
// proposals, votes and comments.
func (s *Server) participationRoutes() {
	admin := s.requireRole(mitreden.RoleAdmin)
	s.add("GET", "/consultations", s.handleConsultations)
	s.add("GET", "/consultations/new", admin, s.handleConsultationNew)
	s.add("POST", "/consultations", s.requireUserKeepDraft, admin, s.handleConsultationCreate)
	s.add("GET", "/consultations/:id", s.handleConsultation)
	s.add("GET", "/consultations/:id/edit", admin, s.handleConsultationEdit)
	s.add("POST", "/consultations/:id", s.requireUserKeepDraft, admin, s.handleConsultationUpdate)
	s.add("POST", "/consultations/:id/results", s.requireUserKeepDraft, admin, s.handleConsultationResults)
	s.add("GET", "/consultations/:id/proposals/new", s.requireUser, s.handleProposalNew)
	s.add("POST", "/consultations/:id/proposals", s.requireUserKeepDraft, s.handleProposalCreate)
	s.add("POST", "/consultations/:id/comments", s.requireUserKeepDraft, s.handleCommentCreate("consultation"))
	s.add("GET", "/proposals/:id", s.handleProposal)
	s.add("GET", "/my-contributions", s.requireUser, s.handleMyContributions)
	s.add("GET", "/proposals/:id/edit", s.requireUser, s.handleProposalEdit)
	s.add("POST", "/proposals/:id", s.requireUserKeepDraft, s.handleProposalUpdate)
	s.add("POST", "/proposals/:id/withdraw", s.requireUser, s.handleProposalWithdraw)
	s.add("POST", "/proposals/:id/answer", s.requireUserKeepDraft, admin, s.handleProposalAnswer)
	s.add("POST", "/proposals/:id/vote", s.requireUser, s.handleVote)
	s.add("POST", "/proposals/:id/vote/delete", s.requireUser, s.handleUnvote)
	s.add("POST", "/proposals/:id/comments", s.requireUserKeepDraft, s.handleCommentCreate("proposal"))
	s.add("GET", "/comments/:id", s.handleCommentLink)
	s.add("GET", "/comments/:id/reply", s.handleCommentReply)
	s.add("GET", "/comments/:id/edit", s.requireUser, s.handleCommentEditForm)
	s.add("POST", "/comments/:id/edit", s.requireUserKeepDraft, s.handleCommentEdit)
	// The warning before a session ends offers to extend it from any
	// form that keeps its text (WCAG 2.2.1).
	s.add("POST", "/session/extend", s.apiRequireUser, s.handleSessionExtend)
	s.add("POST", "/comments/:id/delete", s.requireUser, s.handleCommentDelete)
	s.add("POST", "/comments/:id/vote", s.requireUser, s.handleCommentVote)

	apiAdmin := s.apiRequireRole(mitreden.RoleAdmin)
	s.add("GET", "/api/v1/consultations", s.apiConsultations)
	s.add("POST", "/api/v1/consultations", apiAdmin, s.apiConsultationCreate)
	s.add("GET", "/api/v1/consultations/:id", s.apiConsultation)
	s.add("PATCH", "/api/v1/consultations/:id", apiAdmin, s.apiConsultationUpdate)
	s.add("GET", "/api/v1/consultations/:id/proposals", s.apiProposals)
	s.add("POST", "/api/v1/consultations/:id/proposals", s.apiRequireUser, s.apiProposalCreate)
	s.add("GET", "/api/v1/consultations/:id/comments", s.apiComments("consultation"))
	s.add("POST", "/api/v1/consultations/:id/comments", s.apiRequireUser, s.apiCommentCreate("consultation"))
	s.add("GET", "/api/v1/proposals/:id", s.apiProposal)
	s.add("PATCH", "/api/v1/proposals/:id", s.apiRequireUser, s.apiProposalUpdate)
	s.add("POST", "/api/v1/proposals/:id/answer", apiAdmin, s.apiProposalAnswerSet)
	s.add("PUT", "/api/v1/proposals/:id/vote", s.apiRequireUser, s.apiVote)
	s.add("DELETE", "/api/v1/proposals/:id/vote", s.apiRequireUser, s.apiUnvote)
	s.add("GET", "/api/v1/proposals/:id/comments", s.apiComments("proposal"))
	s.add("POST", "/api/v1/proposals/:id/comments", s.apiRequireUser, s.apiCommentCreate("proposal"))
	s.add("PATCH", "/api/v1/comments/:id", s.apiRequireUser, s.apiCommentUpdate)
	s.add("DELETE", "/api/v1/comments/:id", s.apiRequireUser, s.apiCommentDelete)
	s.add("PUT", "/api/v1/comments/:id/vote", s.apiRequireUser, s.apiCommentVote)
	s.add("DELETE", "/api/v1/comments/:id/vote", s.apiRequireUser, s.apiCommentUnvote)
}
