package http

import (
	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// accountRoutes registers the pages and API of verification, password
// reset and address change.
func (s *Server) accountRoutes() {
	s.add("GET", "/account/verify", s.handleVerifyForm)
	s.add("POST", "/account/verify", s.handleVerify)
	s.add("POST", "/account/verify/resend", s.requireUser, s.handleVerifyResend)
	s.add("GET", "/password/forgot", s.handleForgotForm)
	s.add("POST", "/password/forgot", s.handleForgot)
	s.add("GET", "/password/reset", s.handleResetForm)
	s.add("POST", "/password/reset", s.handleReset)
	s.add("POST", "/profile/email", s.requireUser, s.handleEmailChange)
	s.add("GET", "/account/email/confirm", s.handleEmailConfirmForm)
	s.add("POST", "/account/email/confirm", s.handleEmailConfirm)
	s.add("POST", "/api/v1/auth/verify", s.apiVerify)
	s.add("POST", "/api/v1/auth/password/forgot", s.apiForgot)
	s.add("POST", "/api/v1/auth/password/reset", s.apiReset)
	s.add("POST", "/api/v1/auth/email/confirm", s.apiEmailConfirm)
	s.add("POST", "/api/v1/me/email", s.apiRequireUser, s.apiEmailChange)
	s.add("POST", "/api/v1/me/verify/resend", s.apiRequireUser, s.apiVerifyResend)
}

// tokenRequest carries the token of a one-time link, as form or JSON.
type tokenRequest struct {
	Token string `json:"token" form:"token" validate:"max=100"`
}

// forgotRequest asks for a reset link.
type forgotRequest struct {
	Email string `json:"email" form:"email" validate:"max=254"`
}

// resetRequest sets a new password with a reset link's token.
type resetRequest struct {
	Token    string `json:"token" form:"token" validate:"max=100"`
	Password string `json:"password" form:"password" validate:"max=128"`
}

// emailChangeRequest starts an address change.
type emailChangeRequest struct {
	// The profile page has a password change form too: this form's
	// password input has a name of its own, so ids stay unique.
	CurrentPassword string `json:"current_password" form:"email_password" validate:"max=128"`
	NewEmail        string `json:"new_email" form:"new_email" validate:"max=254"`
}

// setDeviceCookie hands the browser the device token of a login: it lets
// this browser log in while failures from elsewhere hold the account.
func (s *Server) setDeviceCookie(c *fiber.Ctx, l *service.Login) {
	if l.Device == "" {
		return
	}
	c.Cookie(&fiber.Cookie{Name: s.cookieName("device"), Value: l.Device, Path: "/", HTTPOnly: true,
		Secure: s.secure, SameSite: fiber.CookieSameSiteLaxMode, MaxAge: int(s.deps.Accounts.DeviceTokenAge().Seconds())})
}

// deviceOf is the device token the client presents ("" when none).
func (s *Server) deviceOf(c *fiber.Ctx) string {
	return string([]byte(c.Cookies(s.cookieName("device"))))
}

// linkErrors turns the refusal of a one-time link into a message of the
// form (the token has no input to link to).
func (s *Server) linkErrors(p *Page, err error) []ViewError {
	out := s.formErrors(p.Lang, err)
	for i := range out {
		if out[i].Field == "token" {
			out[i].Field = ""
		}
	}
	return out
}

// tokenPage renders a page whose form posts the token of a link. A GET
// never uses the token: mail scanners fetch links before people do.
func (s *Server) tokenPage(c *fiber.Ctx, title, tmpl string) error {
	p := s.page(c, title)
	p.Values["token"] = c.Query("token")
	return s.render(c, fiber.StatusOK, tmpl, p)
}

func (s *Server) handleVerifyForm(c *fiber.Ctx) error {
	return s.tokenPage(c, "verify.title", "account/verify")
}

func (s *Server) handleVerify(c *fiber.Ctx) error {
	var req tokenRequest
	err := s.parseForm(c, &req)
	if err == nil {
		_, err = s.deps.Accounts.Verify(c.UserContext(), req.Token)
	}
	if err != nil {
		if code := mitreden.ErrorCode(err); code != mitreden.EINVALID && code != ebadRequest {
			return err
		}
		p := s.page(c, "verify.title")
		p.Errors = s.linkErrors(p, err)
		p.Values["token"] = req.Token
		return s.render(c, fiber.StatusUnprocessableEntity, "account/verify", p)
	}
	s.flash(c, "verify.done")
	return c.Redirect("/", fiber.StatusSeeOther)
}

// resendRequest asks for a new verification link from any page.
type resendRequest struct {
	Return string `form:"return" validate:"max=2000"`
}

func (s *Server) handleVerifyResend(c *fiber.Ctx) error {
	var req resendRequest
	if err := s.parseForm(c, &req); err != nil {
		return err
	}
	if err := s.deps.Accounts.ResendVerification(c.UserContext(), userOf(c)); err != nil {
		return err
	}
	s.flash(c, "verify.resent")
	return c.Redirect(localPath(req.Return), fiber.StatusSeeOther)
}

func (s *Server) handleForgotForm(c *fiber.Ctx) error {
	p := s.page(c, "forgot.title")
	return s.render(c, fiber.StatusOK, "account/forgot", p)
}

func (s *Server) handleForgot(c *fiber.Ctx) error {
	var req forgotRequest
	p := s.page(c, "forgot.title")
	err := s.parseForm(c, &req)
	if err == nil {
		err = s.deps.Accounts.ForgotPassword(c.UserContext(), req.Email, c.IP())
	}
	if err != nil {
		if code := mitreden.ErrorCode(err); code != mitreden.EINVALID && code != ebadRequest {
			return err
		}
		p.Errors = s.formErrors(p.Lang, err)
		p.Values["email"] = req.Email
		return s.render(c, fiber.StatusUnprocessableEntity, "account/forgot", p)
	}
	p.Title = p.Tr("forgot.sent_title")
	return s.render(c, fiber.StatusOK, "account/forgot_sent", p)
}

func (s *Server) handleResetForm(c *fiber.Ctx) error {
	return s.tokenPage(c, "reset.title", "account/reset")
}

func (s *Server) handleReset(c *fiber.Ctx) error {
	var req resetRequest
	err := s.parseForm(c, &req)
	var l *service.Login
	if err == nil {
		l, err = s.deps.Accounts.ResetPassword(c.UserContext(), req.Token, req.Password, c.IP(), c.Get(fiber.HeaderUserAgent))
	}
	if err != nil {
		if code := mitreden.ErrorCode(err); code != mitreden.EINVALID && code != ebadRequest {
			return err
		}
		p := s.page(c, "reset.title")
		p.Errors = s.linkErrors(p, err)
		p.Values["token"] = req.Token
		return s.render(c, fiber.StatusUnprocessableEntity, "account/reset", p)
	}
	if old := sessionOf(c); old != nil {
		_ = s.deps.Accounts.Logout(c.UserContext(), old.ID)
	}
	s.setSessionCookie(c, l)
	s.setDeviceCookie(c, l)
	s.flash(c, "reset.done")
	return c.Redirect("/", fiber.StatusSeeOther)
}

func (s *Server) handleEmailChange(c *fiber.Ctx) error {
	var req emailChangeRequest
	err := s.parseForm(c, &req)
	if err == nil {
		err = s.deps.Accounts.ChangeEmail(c.UserContext(), userOf(c), req.CurrentPassword, req.NewEmail)
	}
	if err != nil {
		if code := mitreden.ErrorCode(err); code != mitreden.EINVALID && code != ebadRequest {
			return err
		}
		p, perr := s.profilePage(c)
		if perr != nil {
			return perr
		}
		p.Errors = s.formErrors(p.Lang, err)
		for i := range p.Errors {
			if p.Errors[i].Field == "current_password" {
				p.Errors[i].Field = "email_password"
			}
		}
		p.Values["new_email"] = req.NewEmail
		return s.render(c, fiber.StatusUnprocessableEntity, "account/profile", p)
	}
	s.flash(c, "profile.email_sent")
	return c.Redirect("/profile", fiber.StatusSeeOther)
}

func (s *Server) handleEmailConfirmForm(c *fiber.Ctx) error {
	return s.tokenPage(c, "email_confirm.title", "account/email_confirm")
}

func (s *Server) handleEmailConfirm(c *fiber.Ctx) error {
	var req tokenRequest
	err := s.parseForm(c, &req)
	if err == nil {
		_, err = s.deps.Accounts.ConfirmEmail(c.UserContext(), req.Token)
	}
	if err != nil {
		if code := mitreden.ErrorCode(err); code != mitreden.EINVALID && code != mitreden.ECONFLICT && code != ebadRequest {
			return err
		}
		p := s.page(c, "email_confirm.title")
		p.Errors = s.linkErrors(p, err)
		if mitreden.ErrorCode(err) == mitreden.ECONFLICT {
			p.Errors = []ViewError{{Message: p.Tr("account.email_change_taken")}}
		}
		p.Values["token"] = req.Token
		return s.render(c, fiber.StatusUnprocessableEntity, "account/email_confirm", p)
	}
	s.flash(c, "email_confirm.done")
	return c.Redirect("/", fiber.StatusSeeOther)
}

// acceptedJSON is the answer of a request whose outcome goes by mail: the
// same for every address.
type acceptedJSON struct {
	Message string `json:"message"`
}

func (s *Server) apiVerify(c *fiber.Ctx) error {
	var req tokenRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if _, err := s.deps.Accounts.Verify(c.UserContext(), req.Token); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiForgot(c *fiber.Ctx) error {
	var req forgotRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.deps.Accounts.ForgotPassword(c.UserContext(), req.Email, c.IP()); err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusAccepted, acceptedJSON{Message: s.cat.T(langOf(c), "forgot.sent", nil)})
}

func (s *Server) apiEmailChange(c *fiber.Ctx) error {
	var req emailChangeRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.deps.Accounts.ChangeEmail(c.UserContext(), userOf(c), req.CurrentPassword, req.NewEmail); err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusAccepted, acceptedJSON{Message: s.cat.T(langOf(c), "profile.email_sent", nil)})
}

func (s *Server) apiEmailConfirm(c *fiber.Ctx) error {
	var req tokenRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.deps.Accounts.ConfirmEmail(c.UserContext(), req.Token)
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, toUserJSON(u, true))
}

func (s *Server) apiVerifyResend(c *fiber.Ctx) error {
	if err := s.deps.Accounts.ResendVerification(c.UserContext(), userOf(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiReset(c *fiber.Ctx) error {
	var req resetRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	l, err := s.deps.Accounts.ResetPassword(c.UserContext(), req.Token, req.Password, c.IP(), c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return err
	}
	s.setDeviceCookie(c, l)
	return sendJSON(c, fiber.StatusOK, loginJSON{Token: l.Token, ExpiresAt: l.Session.ExpiresAt, User: toUserJSON(l.User, true)})
}
