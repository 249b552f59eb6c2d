package http

import (
	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Data self-service under the DSGVO: the page "Meine Daten" with the
// download of everything held about the person, the deletion of the
// account, and their API.

// deleteAccountRequest confirms a deletion with the password, as form or JSON.
type deleteAccountRequest struct {
	Password string `json:"password" form:"password" validate:"max=128"`
}

func (s *Server) dataRoutes() {
	s.add("GET", "/profile/data", s.requireUser, s.handleDataPage)
	s.add("GET", "/profile/data/export", s.requireUser, s.handleDataExport)
	s.add("GET", "/profile/delete", s.requireUser, s.handleDeleteForm)
	s.add("POST", "/profile/delete", s.requireUser, s.handleDelete)
	s.add("GET", "/api/v1/me/export", s.apiRequireUser, s.apiMeExport)
	s.add("DELETE", "/api/v1/me", s.apiRequireUser, s.apiMeDelete)
}

// dataSections are the parts of the export the page explains, in the
// export's order; each has a text "data.section.<name>".
var dataSections = []string{"profile", "sessions", "proposals", "comments", "votes", "comment_votes", "reports",
	"participations", "moderation_decisions", "council", "assisted"}

func (s *Server) handleDataPage(c *fiber.Ctx) error {
	p := s.page(c, "data.title")
	p.Data = fiber.Map{"Sections": dataSections}
	return s.render(c, fiber.StatusOK, "account/data", p)
}

// sendExport answers the export document as a download named with the day.
func (s *Server) sendExport(c *fiber.Ctx) error {
	e, err := s.deps.Data.Export(c.UserContext(), userOf(c))
	if err != nil {
		return err
	}
	b, err := jsonMarshal(e)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="mitreden-daten-`+e.ExportedAt.Format("2006-01-02")+`.json"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Status(fiber.StatusOK).Send(b)
}

func (s *Server) handleDataExport(c *fiber.Ctx) error { return s.sendExport(c) }

func (s *Server) apiMeExport(c *fiber.Ctx) error { return s.sendExport(c) }

func (s *Server) deletePage(c *fiber.Ctx) *Page {
	p := s.page(c, "data.delete_title")
	p.Data = fiber.Map{"Admin": p.User.HasRole(mitreden.RoleAdmin)}
	return p
}

func (s *Server) handleDeleteForm(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "account/delete", s.deletePage(c))
}

func (s *Server) handleDelete(c *fiber.Ctx) error {
	var req deleteAccountRequest
	err := s.parseForm(c, &req)
	if err == nil {
		err = s.deps.Data.DeleteAccount(c.UserContext(), userOf(c), req.Password)
	}
	if err != nil {
		code := mitreden.ErrorCode(err)
		if code != mitreden.EINVALID && code != mitreden.ECONFLICT && code != ebadRequest {
			return err
		}
		// The password is never sent back; the error says what to do.
		p := s.deletePage(c)
		s.fillForm(p, nil, err, nil)
		return s.render(c, formStatus(err), "account/delete", p)
	}
	s.clearCookie(c, "session")
	s.flash(c, "data.deleted")
	return c.Redirect("/", fiber.StatusSeeOther)
}

func (s *Server) apiMeDelete(c *fiber.Ctx) error {
	var req deleteAccountRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.deps.Data.DeleteAccount(c.UserContext(), userOf(c), req.Password); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// Author is the name a contribution shows for its author: the stored
// name, or "gelöschtes Konto" / "deleted account" once the author deleted
// the account (the name is erased then; display names are never empty).
func (p *Page) Author(name string) string {
	if name == "" {
		return p.Tr("data.deleted_author")
	}
	return name
}

// authorFor is the author of a contribution in the API: a deleted
// account has no id, the label of the request's language and deleted set.
func (s *Server) authorFor(c *fiber.Ctx, id, name string) authorJSON {
	if mitreden.AuthorDeleted(id) {
		return authorJSON{DisplayName: s.cat.T(langOf(c), "data.deleted_author", nil), Deleted: true}
	}
	return authorJSON{ID: id, DisplayName: name}
}

// labelCouncilAuthors gives the comments of a council thread, replies
// included, the author authorFor makes of them.
func (s *Server) labelCouncilAuthors(c *fiber.Ctx, list []councilCommentJSON) {
	for i := range list {
		list[i].Author = s.authorFor(c, list[i].Author.ID, list[i].Author.DisplayName)
		s.labelCouncilAuthors(c, list[i].Replies)
	}
}
