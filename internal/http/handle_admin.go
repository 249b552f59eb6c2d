package http

import (
	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
)

func (s *Server) handleAdminUsers(c *fiber.Ctx) error {
	var q userListQuery
	_ = s.parseQuery(c, &q) // a page number typed by hand falls back to the first
	page, per := mitreden.NormalizePage(q.Page, 50)
	users, total, err := s.deps.Accounts.ListUsers(c.UserContext(), userOf(c), mitreden.UserFilter{Page: page, PerPage: per})
	if err != nil {
		return err
	}
	p := s.page(c, "admin.users.title")
	p.Data = fiber.Map{"Users": users, "Total": total, "GrantableRoles": grantableRoles(), "MissingSettings": s.cfg.MissingSettings}
	p.Pager = newPager(c, page, per, total)
	return s.render(c, fiber.StatusOK, "admin/users", p)
}

// roleForm grants or revokes one role.
type roleForm struct {
	Role   string `form:"role" validate:"required,grant_role"`
	Action string `form:"action" validate:"required,role_action"`
}

func (s *Server) handleAdminUserRole(c *fiber.Ctx) error {
	var req roleForm
	if err := s.parseForm(c, &req); err != nil {
		return err
	}
	if _, err := s.deps.Accounts.SetRole(c.UserContext(), userOf(c), c.Params("id"), mitreden.Role(req.Role), req.Action == "grant"); err != nil {
		return err
	}
	s.flash(c, "admin.users.saved")
	return c.Redirect("/admin/users", fiber.StatusSeeOther)
}
