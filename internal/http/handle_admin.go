package http

import (
	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
)

func (s *Server) handleAdminUsers(c *fiber.Ctx) error {
	p, err := s.adminUsersPage(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "admin/users", p)
}

// adminUsersPage builds the user list, for the page and for a refused role
// change shown on it.
func (s *Server) adminUsersPage(c *fiber.Ctx) (*Page, error) {
	var q userListQuery
	_ = s.parseQuery(c, &q) // a page number typed by hand falls back to the first
	page, per := mitreden.NormalizePage(q.Page, 50)
	users, total, err := s.deps.Accounts.ListUsers(c.UserContext(), userOf(c), mitreden.UserFilter{Page: page, PerPage: per})
	if err != nil {
		return nil, err
	}
	p := s.page(c, "admin.users.title")
	p.Path = "/admin/users" // also when shown in answer to a role change
	// Typed roles: the template asks each user's HasRole, which takes a
	// mitreden.Role, not a string.
	var roles []mitreden.Role
	for _, r := range grantableRoles() {
		roles = append(roles, mitreden.Role(r))
	}
	chair := ""
	if s.deps.Council != nil {
		// The council's chair is marked here, among the members.
		if chair, err = s.deps.Council.CouncilChair(c.UserContext(), userOf(c)); err != nil {
			return nil, err
		}
	}
	p.Data = fiber.Map{"Users": users, "Total": total, "GrantableRoles": roles, "MissingSettings": s.cfg.MissingSettings, "Chair": chair}
	p.Pager = newPager(c, page, per, total)
	return p, nil
}

// roleForm grants or revokes one role. Confirm is set by the confirmation
// step an admin passes before giving up their own admin role.
type roleForm struct {
	Role    string `form:"role" validate:"required,grant_role"`
	Action  string `form:"action" validate:"required,role_action"`
	Confirm string `form:"confirm" validate:"omitempty,oneof=yes"`
}

func (s *Server) handleAdminUserRole(c *fiber.Ctx) error {
	var req roleForm
	if err := s.parseForm(c, &req); err != nil {
		return err
	}
	actor, id := userOf(c), c.Params("id")
	own := id == actor.ID && req.Role == string(mitreden.RoleAdmin) && req.Action == "revoke"
	if own && req.Confirm != "yes" {
		// Giving up one's own admin role locks one out of this page: a
		// page of its own asks first (a form, so it works without
		// JavaScript).
		p := s.page(c, "admin.users.confirm_title")
		p.Path = "/admin/users"
		p.Data = fiber.Map{"UserID": id, "Role": req.Role}
		return s.render(c, fiber.StatusOK, "admin/confirm_revoke", p)
	}
	if _, err := s.deps.Accounts.SetRole(c.UserContext(), actor, id, mitreden.Role(req.Role), req.Action == "grant"); err != nil {
		if mitreden.ErrorCode(err) != mitreden.ECONFLICT {
			return err
		}
		// The refusal (the last admin role) is shown on the list the
		// admin acted on.
		p, perr := s.adminUsersPage(c)
		if perr != nil {
			return perr
		}
		p.Errors = s.formErrors(p.Lang, err)
		return s.render(c, fiber.StatusConflict, "admin/users", p)
	}
	if own {
		s.flash(c, "admin.users.own_admin_revoked")
		return c.Redirect("/profile", fiber.StatusSeeOther)
	}
	s.flash(c, "admin.users.saved")
	return c.Redirect("/admin/users", fiber.StatusSeeOther)
}

// handleAdminUserVerify confirms the address of an account whose
// verification mail never arrived.
func (s *Server) handleAdminUserVerify(c *fiber.Ctx) error {
	if _, err := s.deps.Accounts.MarkVerified(c.UserContext(), userOf(c), c.Params("id")); err != nil {
		return err
	}
	s.flash(c, "admin.users.verified_saved")
	return c.Redirect("/admin/users", fiber.StatusSeeOther)
}
