package http

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// registerRequest is the shape of a registration, as form or JSON.
type registerRequest struct {
	Email       string `json:"email" form:"email" validate:"max=254"`
	Password    string `json:"password" form:"password" validate:"max=128"`
	DisplayName string `json:"display_name" form:"display_name" validate:"max=50"`
	Language    string `json:"language,omitempty" form:"language" validate:"omitempty,oneof=de en"`
	// Return is where a person goes after registering: the page they
	// started from before the login page sent them here.
	Return string `json:"-" form:"return" validate:"max=2000"`
}

// loginRequest is the shape of a login, as form or JSON.
type loginRequest struct {
	Email    string `json:"email" form:"email" validate:"required,max=254"`
	Password string `json:"password" form:"password" validate:"required,max=128"`
	Return   string `json:"-" form:"return"`
}

// profileRequest changes profile fields.
type profileRequest struct {
	DisplayName *string `json:"display_name,omitempty" form:"display_name" validate:"omitempty,max=50"`
	Language    *string `json:"language,omitempty" form:"language" validate:"omitempty,oneof=de en"`
}

// passwordRequest changes the password.
type passwordRequest struct {
	CurrentPassword string `json:"current_password" form:"current_password" validate:"required,max=128"`
	NewPassword     string `json:"new_password" form:"new_password" validate:"required,max=128"`
}

// setSessionCookie hands the browser its session token.
func (s *Server) setSessionCookie(c *fiber.Ctx, l *service.Login) {
	c.Cookie(&fiber.Cookie{Name: s.cookieName("session"), Value: l.Token, Path: "/", HTTPOnly: true,
		Secure: s.secure, SameSite: fiber.CookieSameSiteLaxMode, Expires: l.Session.ExpiresAt})
	// A new session gets a new CSRF seed too.
	seed := randomToken(24)
	c.Cookie(&fiber.Cookie{Name: s.cookieName("csrf"), Value: seed, Path: "/", HTTPOnly: true,
		Secure: s.secure, SameSite: fiber.CookieSameSiteLaxMode})
	c.Locals("mitreden.csrfseed", seed)
}

func (s *Server) handleRegisterForm(c *fiber.Ctx) error {
	if userOf(c) != nil {
		return c.Redirect("/profile", fiber.StatusSeeOther)
	}
	p := s.page(c, "register.title")
	p.Values["return"] = localPath(c.Query("return"))
	return s.render(c, fiber.StatusOK, "account/register", p)
}

func (s *Server) handleRegister(c *fiber.Ctx) error {
	var req registerRequest
	p := s.page(c, "register.title")
	err := s.parseForm(c, &req)
	if err == nil {
		err = s.deps.Accounts.Register(c.UserContext(), service.RegisterInput{Email: req.Email, Password: req.Password,
			DisplayName: req.DisplayName, Language: langOf(c)}, c.IP())
	}
	if err != nil {
		if code := mitreden.ErrorCode(err); code != mitreden.EINVALID && code != mitreden.ECONFLICT && code != ebadRequest {
			return err
		}
		p.Errors = s.formErrors(p.Lang, err)
		p.Values = map[string]string{"email": req.Email, "display_name": req.DisplayName, "return": localPath(req.Return)}
		return s.render(c, fiber.StatusUnprocessableEntity, "account/register", p)
	}
	// The same page for a new and a registered address: whether a new
	// account was made is told by mail only.
	p.Title = p.Tr("register.sent_title")
	p.Values = map[string]string{"return": localPath(req.Return)}
	p.Data = fiber.Map{"Verify": s.deps.Accounts.VerificationRequired()}
	return s.render(c, fiber.StatusOK, "account/register_sent", p)
}

func (s *Server) handleLoginForm(c *fiber.Ctx) error {
	p := s.page(c, "login.title")
	p.Values["return"] = localPath(c.Query("return"))
	return s.render(c, fiber.StatusOK, "account/login", p)
}

func (s *Server) handleLogin(c *fiber.Ctx) error {
	var req loginRequest
	p := s.page(c, "login.title")
	err := s.parseForm(c, &req)
	var l *service.Login
	if err == nil {
		l, err = s.deps.Accounts.Login(c.UserContext(), service.LoginInput{Email: req.Email, Password: req.Password,
			IP: c.IP(), UserAgent: c.Get(fiber.HeaderUserAgent), Device: s.deviceOf(c)})
	}
	if err != nil {
		code := mitreden.ErrorCode(err)
		if code == mitreden.ERATELIMITED {
			return err
		}
		if code != mitreden.EINVALID && code != mitreden.EUNAUTHORIZED && code != ebadRequest {
			return err
		}
		p.Errors = s.formErrors(p.Lang, err)
		if code == mitreden.EUNAUTHORIZED {
			// Which of the two was wrong is not said (nor known to be the
			// email), so the message belongs to the form, not a field.
			p.Errors = []ViewError{{Message: p.Tr("account.login_failed")}}
		}
		p.Values = map[string]string{"email": req.Email, "return": localPath(req.Return)}
		return s.render(c, fiber.StatusUnauthorized, "account/login", p)
	}
	if old := sessionOf(c); old != nil {
		_ = s.deps.Accounts.Logout(c.UserContext(), old.ID)
	}
	s.setSessionCookie(c, l)
	s.setDeviceCookie(c, l)
	s.flash(c, "login.welcome")
	return c.Redirect(localPath(req.Return), fiber.StatusSeeOther)
}

func (s *Server) handleLogout(c *fiber.Ctx) error {
	if sess := sessionOf(c); sess != nil {
		if err := s.deps.Accounts.Logout(c.UserContext(), sess.ID); err != nil {
			return err
		}
	}
	s.clearCookie(c, "session")
	s.flash(c, "logout.done")
	return c.Redirect("/", fiber.StatusSeeOther)
}

// languageRequest is the language switch of every page.
type languageRequest struct {
	Lang   string `form:"lang" validate:"required,language"`
	Return string `form:"return" validate:"max=2000"`
}

// handleLanguage stores the chosen language in a cookie (and the profile when logged in).
func (s *Server) handleLanguage(c *fiber.Ctx) error {
	var req languageRequest
	if err := s.parseForm(c, &req); err != nil {
		return err
	}
	lang := req.Lang
	c.Cookie(&fiber.Cookie{Name: "mitreden_lang", Value: lang, Path: "/", Secure: s.secure,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: int((365 * 24 * time.Hour).Seconds())})
	if u := userOf(c); u != nil {
		if _, err := s.deps.Accounts.UpdateProfile(c.UserContext(), u, mitreden.UserUpdate{Language: &lang}); err != nil {
			return err
		}
	}
	return c.Redirect(localPath(req.Return), fiber.StatusSeeOther)
}

func (s *Server) profilePage(c *fiber.Ctx) (*Page, error) {
	p := s.page(c, "profile.title")
	p.Values["display_name"] = p.User.DisplayName
	p.Values["language"] = p.User.Language
	sessions, err := s.deps.Accounts.Sessions(c.UserContext(), p.User)
	if err != nil {
		return nil, err
	}
	now := s.deps.Accounts.Now()
	views := make([]sessionView, 0, len(sessions))
	for _, sess := range sessions {
		seen := sess.LastSeenAt
		if seen.IsZero() {
			seen = sess.CreatedAt
		}
		views = append(views, sessionView{ID: sess.ID, CreatedAt: sess.CreatedAt, LastSeenAt: seen,
			Device: s.cat.describeDevice(p.Lang, sess.UserAgent), LastActive: s.cat.timeAgo(p.Lang, seen, now)})
	}
	p.Data = fiber.Map{"Sessions": views}
	return p, nil
}

// sessionView is a session as the profile lists it: the device in words
// ("Firefox auf Linux") and how long ago it was used, never the raw
// User-Agent header.
type sessionView struct {
	ID                    string
	CreatedAt, LastSeenAt time.Time
	Device, LastActive    string
}

func (s *Server) handleProfile(c *fiber.Ctx) error {
	p, err := s.profilePage(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "account/profile", p)
}

func (s *Server) handleProfileUpdate(c *fiber.Ctx) error {
	var req profileRequest
	err := s.parseForm(c, &req)
	if err == nil {
		_, err = s.deps.Accounts.UpdateProfile(c.UserContext(), userOf(c), mitreden.UserUpdate{DisplayName: req.DisplayName, Language: req.Language})
	}
	if err != nil {
		return s.profileError(c, err, req.DisplayName)
	}
	s.flash(c, "profile.saved")
	return c.Redirect("/profile", fiber.StatusSeeOther)
}

func (s *Server) profileError(c *fiber.Ctx, err error, name *string) error {
	// A conflict here is a display name taken by another account: the form
	// shows it at the field.
	if code := mitreden.ErrorCode(err); code != mitreden.EINVALID && code != mitreden.ECONFLICT && code != ebadRequest {
		return err
	}
	p, perr := s.profilePage(c)
	if perr != nil {
		return perr
	}
	p.Errors = s.formErrors(p.Lang, err)
	if name != nil {
		p.Values["display_name"] = *name
	}
	return s.render(c, fiber.StatusUnprocessableEntity, "account/profile", p)
}

func (s *Server) handlePasswordChange(c *fiber.Ctx) error {
	var req passwordRequest
	err := s.parseForm(c, &req)
	if err == nil {
		err = s.deps.Accounts.ChangePassword(c.UserContext(), userOf(c), sessionOf(c).ID, req.CurrentPassword, req.NewPassword)
	}
	if err != nil {
		return s.profileError(c, err, nil)
	}
	s.flash(c, "profile.password_changed")
	return c.Redirect("/profile", fiber.StatusSeeOther)
}

func (s *Server) handleSessionRevoke(c *fiber.Ctx) error {
	if err := s.deps.Accounts.RevokeSession(c.UserContext(), userOf(c), c.Params("id")); err != nil {
		return err
	}
	s.flash(c, "profile.session_revoked")
	return c.Redirect("/profile", fiber.StatusSeeOther)
}
