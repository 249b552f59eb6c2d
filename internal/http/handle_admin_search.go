package http

import (
	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
)

func (s *Server) handleAdminSearch(c *fiber.Ctx) error {
	p := s.page(c, "admin.search.title")
	data := fiber.Map{"Enabled": s.deps.Indexing != nil, "MissingSettings": s.cfg.MissingSettings}
	if s.deps.Indexing != nil {
		data["State"] = s.deps.Indexing.Status()
	}
	if s.deps.Searcher != nil {
		if n, err := s.deps.Searcher.Count(c.UserContext()); err == nil {
			data["Count"] = n
		} else {
			data["CountErr"] = true
		}
	}
	p.Data = data
	return s.render(c, fiber.StatusOK, "admin/search", p)
}

func (s *Server) handleAdminSearchReindex(c *fiber.Ctx) error {
	if s.deps.Indexing == nil {
		return &mitreden.Error{Code: mitreden.EUNAVAILABLE, Message: "search.unavailable"}
	}
	if err := s.deps.Indexing.Start(userOf(c)); err != nil {
		return err
	}
	s.flash(c, "admin.search.started")
	return c.Redirect("/admin/search", fiber.StatusSeeOther)
}

// reindexJSON reports the state of a rebuild.
type reindexJSON struct {
	Running  bool   `json:"running"`
	Docs     int    `json:"docs"`
	Started  string `json:"started_at,omitempty"`
	Finished string `json:"finished_at,omitempty"`
	Error    string `json:"error,omitempty"`
}

func (s *Server) reindexState() reindexJSON {
	st := s.deps.Indexing.Status()
	out := reindexJSON{Running: st.Running, Docs: st.Docs}
	if !st.Started.IsZero() {
		out.Started = st.Started.UTC().Format("2006-01-02T15:04:05Z")
	}
	if !st.Finished.IsZero() {
		out.Finished = st.Finished.UTC().Format("2006-01-02T15:04:05Z")
	}
	if st.Err != "" {
		out.Error = "reindex failed; see the server log"
	}
	return out
}

func (s *Server) apiReindexStart(c *fiber.Ctx) error {
	if s.deps.Indexing == nil {
		return &mitreden.Error{Code: mitreden.EUNAVAILABLE, Message: "search.unavailable"}
	}
	if err := s.deps.Indexing.Start(userOf(c)); err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusAccepted, s.reindexState())
}

func (s *Server) apiReindexStatus(c *fiber.Ctx) error {
	if s.deps.Indexing == nil {
		return &mitreden.Error{Code: mitreden.EUNAVAILABLE, Message: "search.unavailable"}
	}
	return sendJSON(c, fiber.StatusOK, s.reindexState())
}
