package http

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// notificationJSON is one notification in the API.
type notificationJSON struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Read      bool      `json:"read"`
	CreatedAt time.Time `json:"created_at"`
	URL       string    `json:"url"`
	// Title names what it is about; Summary says what happened, in the
	// request's language.
	Title        string `json:"title"`
	Summary      string `json:"summary"`
	Actor        string `json:"actor,omitempty"`
	Status       string `json:"status,omitempty"`
	Phase        string `json:"phase,omitempty"`
	Action       string `json:"action,omitempty"`
	Excerpt      string `json:"excerpt,omitempty"`
	Consultation string `json:"consultation_id,omitempty"`
}

// notificationListJSON is a page of notifications.
type notificationListJSON struct {
	Items   []notificationJSON `json:"items"`
	Total   int                `json:"total"`
	Unread  int                `json:"unread"`
	Page    int                `json:"page"`
	PerPage int                `json:"per_page"`
}

func (s *Server) apiNotifications(c *fiber.Ctx) error {
	var q listQuery
	if err := s.parseQuery(c, &q); err != nil {
		return err
	}
	pg, err := s.deps.Notifications.ReadNotifications(c.UserContext(), userOf(c), q.Page, q.PerPage)
	if err != nil {
		return err
	}
	p := s.page(c, "")
	out := notificationListJSON{Items: make([]notificationJSON, 0, len(pg.Items)), Total: pg.Total, Unread: pg.Unread, Page: pg.Page, PerPage: pg.PerPage}
	for _, n := range pg.Items {
		out.Items = append(out.Items, notificationJSON{ID: n.ID, Kind: n.Kind, Read: n.Read, CreatedAt: n.CreatedAt, URL: n.URL, Title: n.Title,
			Summary: notificationText(p, n), Actor: n.ActorName, Status: n.Status, Phase: n.Phase, Action: n.Action, Excerpt: n.Excerpt,
			Consultation: n.ConsultationID})
	}
	return c.JSON(out)
}

// unreadJSON answers marking read with what is left.
type unreadJSON struct {
	Unread int `json:"unread"`
}

func (s *Server) apiNotificationsReadAll(c *fiber.Ctx) error {
	if err := s.deps.Notifications.MarkAllRead(c.UserContext(), userOf(c)); err != nil {
		return err
	}
	return c.JSON(unreadJSON{Unread: s.deps.Notifications.Unread(c.UserContext(), userOf(c))})
}

func (s *Server) apiNotificationRead(c *fiber.Ctx) error {
	if err := s.deps.Notifications.MarkRead(c.UserContext(), userOf(c), c.Params("id")); err != nil {
		return err
	}
	return c.JSON(unreadJSON{Unread: s.deps.Notifications.Unread(c.UserContext(), userOf(c))})
}

// notificationSettingsRequest sets the mail mode of the kinds given.
type notificationSettingsRequest struct {
	Reply      string `json:"reply" validate:"max=20"`
	Comment    string `json:"comment" validate:"max=20"`
	Answer     string `json:"answer" validate:"max=20"`
	Phase      string `json:"phase" validate:"max=20"`
	Moderation string `json:"moderation" validate:"max=20"`
	Citation   string `json:"citation" validate:"max=20"`
}

func (r *notificationSettingsRequest) modes() map[string]mitreden.MailMode {
	modes := map[string]mitreden.MailMode{}
	for k, v := range map[string]string{mitreden.NotifyReply: r.Reply, mitreden.NotifyComment: r.Comment, mitreden.NotifyAnswer: r.Answer,
		mitreden.NotifyPhase: r.Phase, mitreden.NotifyModeration: r.Moderation, mitreden.NotifyCitation: r.Citation} {
		if v != "" {
			modes[k] = mitreden.MailMode(v)
		}
	}
	return modes
}

func (s *Server) apiNotificationSettings(c *fiber.Ctx) error {
	modes, err := s.deps.Notifications.Settings(c.UserContext(), userOf(c))
	if err != nil {
		return err
	}
	return c.JSON(modes)
}

func (s *Server) apiNotificationSettingsSave(c *fiber.Ctx) error {
	var req notificationSettingsRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	out, err := s.deps.Notifications.SaveSettings(c.UserContext(), userOf(c), req.modes())
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// followJSON is the viewer's follow of a target.
type followJSON struct {
	TargetType string `json:"target_type"`
	TargetID   string `json:"target_id"`
	Following  bool   `json:"following"`
}

func (s *Server) apiFollow(targetType string, follow bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, u, id := c.UserContext(), userOf(c), c.Params("id")
		var err error
		if follow {
			err = s.deps.Notifications.Follow(ctx, u, targetType, id)
		} else {
			err = s.deps.Notifications.Unfollow(ctx, u, targetType, id)
		}
		if err != nil {
			return err
		}
		return c.JSON(followJSON{TargetType: targetType, TargetID: id, Following: follow})
	}
}
