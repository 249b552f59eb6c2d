package http

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// userJSON is how a user appears in the API. Email only ever goes to the user themself.
type userJSON struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email,omitempty"`
	Language    string `json:"language,omitempty"`
	// EmailVerified tells the person themself whether their address is
	// confirmed (proposing, commenting and voting wait for it).
	EmailVerified *bool     `json:"email_verified,omitempty"`
	Roles         []string  `json:"roles"`
	CreatedAt     time.Time `json:"created_at"`
}

func toUserJSON(u *mitreden.User, private bool) userJSON {
	j := userJSON{ID: u.ID, DisplayName: u.DisplayName, CreatedAt: u.CreatedAt, Roles: []string{}}
	for _, r := range u.Roles {
		j.Roles = append(j.Roles, string(r))
	}
	if private {
		verified := !u.Unverified
		j.Email, j.Language, j.EmailVerified = u.Email, u.Language, &verified
	}
	return j
}

// listJSON is the envelope of every list.
type listJSON[T any] struct {
	Items   []T `json:"items"`
	Total   int `json:"total"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
}

func (s *Server) apiRegister(c *fiber.Ctx) error {
	var req registerRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	lang := req.Language
	if lang == "" {
		lang = langOf(c)
	}
	err := s.deps.Accounts.Register(c.UserContext(), service.RegisterInput{Email: req.Email, Password: req.Password,
		DisplayName: req.DisplayName, Language: lang}, c.IP())
	if err != nil {
		return err
	}
	// 202 and the same body for a new and a registered address: the
	// outcome goes by mail to the address.
	key := "register.sent_noverify"
	if s.deps.Accounts.VerificationRequired() {
		key = "register.sent"
	}
	return sendJSON(c, fiber.StatusAccepted, acceptedJSON{Message: s.cat.T(langOf(c), key, nil)})
}

// loginJSON answers a login.
type loginJSON struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      userJSON  `json:"user"`
}

func (s *Server) apiLogin(c *fiber.Ctx) error {
	var req loginRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	// An API client that keeps cookies presents the device cookie like a
	// browser; one that does not shares the account's allowance.
	l, err := s.deps.Accounts.Login(c.UserContext(), service.LoginInput{Email: req.Email, Password: req.Password,
		IP: c.IP(), UserAgent: c.Get(fiber.HeaderUserAgent), Device: s.deviceOf(c)})
	if err != nil {
		return err
	}
	s.setDeviceCookie(c, l)
	return sendJSON(c, fiber.StatusOK, loginJSON{Token: l.Token, ExpiresAt: l.Session.ExpiresAt, User: toUserJSON(l.User, true)})
}

func (s *Server) apiLogout(c *fiber.Ctx) error {
	if err := s.deps.Accounts.Logout(c.UserContext(), sessionOf(c).ID); err != nil {
		return err
	}
	s.clearCookie(c, "session")
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiMe(c *fiber.Ctx) error {
	return sendJSON(c, fiber.StatusOK, toUserJSON(userOf(c), true))
}

func (s *Server) apiMeUpdate(c *fiber.Ctx) error {
	var req profileRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.deps.Accounts.UpdateProfile(c.UserContext(), userOf(c), mitreden.UserUpdate{DisplayName: req.DisplayName, Language: req.Language})
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, toUserJSON(u, true))
}

func (s *Server) apiPasswordChange(c *fiber.Ctx) error {
	var req passwordRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.deps.Accounts.ChangePassword(c.UserContext(), userOf(c), sessionOf(c).ID, req.CurrentPassword, req.NewPassword); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// userListQuery filters the admins' user list.
type userListQuery struct {
	Role    string `query:"role" validate:"omitempty,role"`
	Page    int    `query:"page"`
	PerPage int    `query:"per_page"`
}

// adminUserJSON is a user as admins see them (with email).
func (s *Server) apiUsers(c *fiber.Ctx) error {
	var q userListQuery
	if err := s.parseQuery(c, &q); err != nil {
		return err
	}
	page, per := mitreden.NormalizePage(q.Page, q.PerPage)
	users, total, err := s.deps.Accounts.ListUsers(c.UserContext(), userOf(c), mitreden.UserFilter{Page: page, PerPage: per, Role: mitreden.Role(q.Role)})
	if err != nil {
		return err
	}
	out := listJSON[userJSON]{Items: []userJSON{}, Total: total, Page: page, PerPage: per}
	for _, u := range users {
		out.Items = append(out.Items, toUserJSON(u, true))
	}
	return sendJSON(c, fiber.StatusOK, out)
}

func (s *Server) apiUserRole(c *fiber.Ctx, grant bool) error {
	role, err := mitreden.ParseRole(c.Params("role"))
	if err != nil {
		return err
	}
	u, err := s.deps.Accounts.SetRole(c.UserContext(), userOf(c), c.Params("id"), role, grant)
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, toUserJSON(u, true))
}

func (s *Server) apiUserRoleGrant(c *fiber.Ctx) error  { return s.apiUserRole(c, true) }
func (s *Server) apiUserRoleRevoke(c *fiber.Ctx) error { return s.apiUserRole(c, false) }
