package http

import (
	"net/url"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// Notification pages: the list with marking read, the mail settings per
// kind, following proposals and consultations, and the one-click
// unsubscribe of mails. Each works without JavaScript.

func (s *Server) notificationRoutes() {
	s.add("GET", "/notifications", s.requireUser, s.handleNotifications)
	s.add("POST", "/notifications/read-all", s.requireUser, s.handleNotificationsReadAll)
	s.add("GET", "/notifications/settings", s.requireUser, s.handleNotificationSettings)
	s.add("POST", "/notifications/settings", s.requireUser, s.handleNotificationSettingsSave)
	s.add("GET", service.UnsubscribePath, s.handleUnsubscribeForm)
	s.add("POST", service.UnsubscribePath, s.handleUnsubscribe)
	s.add("POST", "/notifications/:id/open", s.requireUser, s.handleNotificationOpen)
	s.add("POST", "/notifications/:id/read", s.requireUser, s.handleNotificationRead)
	for _, t := range []string{mitreden.FollowProposal, mitreden.FollowConsultation} {
		s.add("POST", "/"+t+"s/:id/follow", s.requireUser, s.handleFollow(t, true))
		s.add("POST", "/"+t+"s/:id/unfollow", s.requireUser, s.handleFollow(t, false))
	}

	s.add("GET", "/api/v1/notifications", s.apiRequireUser, s.apiNotifications)
	s.add("POST", "/api/v1/notifications/read-all", s.apiRequireUser, s.apiNotificationsReadAll)
	s.add("POST", "/api/v1/notifications/:id/read", s.apiRequireUser, s.apiNotificationRead)
	s.add("GET", "/api/v1/me/notification-settings", s.apiRequireUser, s.apiNotificationSettings)
	s.add("PUT", "/api/v1/me/notification-settings", s.apiRequireUser, s.apiNotificationSettingsSave)
	for _, t := range []string{mitreden.FollowProposal, mitreden.FollowConsultation} {
		s.add("PUT", "/api/v1/"+t+"s/:id/follow", s.apiRequireUser, s.apiFollow(t, true))
		s.add("DELETE", "/api/v1/"+t+"s/:id/follow", s.apiRequireUser, s.apiFollow(t, false))
	}
}

// unsubscribePath is the one-click unsubscribe's path, which the CSRF
// check lets through.
const unsubscribePath = service.UnsubscribePath

// unreadKey keeps the header's count for the rest of a request, so a
// page built twice reads it once.
const unreadKey = "notifications.unread"

// unread returns the viewer's unread count for the header: one lookup by
// _id per request for people logged in, none for visitors.
func (s *Server) unread(c *fiber.Ctx, u *mitreden.User) int {
	if u == nil || s.deps.Notifications == nil {
		return 0
	}
	if n, ok := c.Locals(unreadKey).(int); ok {
		return n
	}
	n := s.deps.Notifications.Unread(c.UserContext(), u)
	c.Locals(unreadKey, n)
	return n
}

// notificationView is one entry of the list.
type notificationView struct {
	*mitreden.Notification
	// Text says what happened, translated.
	Text string
}

// listQuery is the page of a list.
type listQuery struct {
	Page    int `query:"page" validate:"min=0,max=100000"`
	PerPage int `query:"per_page" validate:"min=0,max=100"`
}

func (s *Server) handleNotifications(c *fiber.Ctx) error {
	var q listQuery
	if err := s.parseQuery(c, &q); err != nil {
		return err
	}
	pg, err := s.deps.Notifications.ReadNotifications(c.UserContext(), userOf(c), q.Page, service.NotificationsPerPage)
	if err != nil {
		return err
	}
	c.Locals(unreadKey, pg.Unread) // the header shows the count the list read
	p := s.page(c, "notifications.title")
	items := make([]notificationView, len(pg.Items))
	for i, n := range pg.Items {
		items[i] = notificationView{Notification: n, Text: notificationText(p, n)}
	}
	p.Data = fiber.Map{"Items": items, "Unread": pg.Unread, "Total": pg.Total, "Page": pg.Page}
	p.Pager = newPager(c, pg.Page, pg.PerPage, pg.Total)
	return s.render(c, fiber.StatusOK, "notifications/list", p)
}

// notificationText says in the page's language what happened.
func notificationText(p *Page, n *mitreden.Notification) string {
	args := []any{"actor", p.Author(n.ActorName), "title", n.Title}
	switch n.Kind {
	case mitreden.NotifyAnswer:
		args = append(args, "status", p.Tr("search.status."+n.Status))
	case mitreden.NotifyPhase:
		args = append(args, "phase", p.Tr("phase."+n.Phase))
	case mitreden.NotifyModeration:
		args = append(args, "action", p.Tr("notifications.action."+n.Action))
	}
	key := "notifications.text." + n.Kind
	if n.Title == "" && (n.Kind == mitreden.NotifyReply || n.Kind == mitreden.NotifyModeration) {
		key += "_untitled"
	}
	return upperFirst(p.Tr(key, args...))
}

// upperFirst starts a sentence with a capital ("gelöschtes Konto hat …").
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// backToList is where marking read returns to: the list page it came from.
func backToList(c *fiber.Ctx) string {
	if n, err := strconv.Atoi(c.FormValue("page")); err == nil && n > 1 {
		return "/notifications?page=" + strconv.Itoa(n)
	}
	return "/notifications"
}

func (s *Server) handleNotificationsReadAll(c *fiber.Ctx) error {
	if err := s.deps.Notifications.MarkAllRead(c.UserContext(), userOf(c)); err != nil {
		return err
	}
	s.flash(c, "notifications.all_read")
	return c.Redirect(backToList(c), fiber.StatusSeeOther)
}

func (s *Server) handleNotificationRead(c *fiber.Ctx) error {
	if err := s.deps.Notifications.MarkRead(c.UserContext(), userOf(c), c.Params("id")); err != nil {
		return err
	}
	s.flash(c, "notifications.marked_read")
	return c.Redirect(backToList(c), fiber.StatusSeeOther)
}

// handleNotificationOpen marks the notification read and goes to what it
// is about.
func (s *Server) handleNotificationOpen(c *fiber.Ctx) error {
	n, err := s.deps.Notifications.OpenNotification(c.UserContext(), userOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.Redirect(localPath(n.URL), fiber.StatusSeeOther)
}

// settingsRow is one kind's radio group.
type settingsRow struct {
	Kind    string
	Current string
}

func (s *Server) renderNotificationSettings(c *fiber.Ctx, status int, values map[string]string, err error) error {
	p := s.page(c, "notifications.settings_title")
	modes, rerr := s.deps.Notifications.Settings(c.UserContext(), p.User)
	if rerr != nil {
		return rerr
	}
	rows := make([]settingsRow, len(mitreden.NotificationKinds))
	for i, k := range mitreden.NotificationKinds {
		rows[i] = settingsRow{Kind: k, Current: string(modes[k])}
		if v, ok := values[k]; ok {
			rows[i].Current = v
		}
	}
	ids := map[string]string{}
	for _, k := range mitreden.NotificationKinds {
		ids[k] = "mode-" + k
	}
	s.fillForm(p, values, err, ids)
	p.Data = fiber.Map{"Rows": rows, "Modes": mitreden.MailModes}
	return s.render(c, status, "notifications/settings", p)
}

func (s *Server) handleNotificationSettings(c *fiber.Ctx) error {
	return s.renderNotificationSettings(c, fiber.StatusOK, nil, nil)
}

func (s *Server) handleNotificationSettingsSave(c *fiber.Ctx) error {
	values := map[string]string{}
	modes := map[string]mitreden.MailMode{}
	for _, k := range mitreden.NotificationKinds {
		if v := c.FormValue(k); v != "" {
			values[k] = v
			modes[k] = mitreden.MailMode(v)
		}
	}
	_, err := s.deps.Notifications.SaveSettings(c.UserContext(), userOf(c), modes)
	if formFailed(err) {
		return s.renderNotificationSettings(c, fiber.StatusUnprocessableEntity, values, err)
	}
	if err != nil {
		return err
	}
	s.flash(c, "notifications.settings_saved")
	return c.Redirect("/notifications/settings", fiber.StatusSeeOther)
}

// unsubscribeLink is the query of a one-click link.
type unsubscribeLink struct {
	User  string `query:"u" validate:"max=100"`
	Kind  string `query:"k" validate:"max=40"`
	Token string `query:"t" validate:"max=100"`
}

func (l unsubscribeLink) action() string {
	return service.UnsubscribePath + "?" + url.Values{"u": {l.User}, "k": {l.Kind}, "t": {l.Token}}.Encode()
}

// handleUnsubscribeForm shows what the link would end, with a button:
// opening a link (a mail scanner does) never unsubscribes.
func (s *Server) handleUnsubscribeForm(c *fiber.Ctx) error {
	var l unsubscribeLink
	err := s.parseQuery(c, &l)
	if err == nil {
		err = s.deps.Notifications.CheckUnsubscribe(l.User, l.Kind, l.Token)
	}
	p := s.page(c, "notifications.unsubscribe_title")
	p.Data = fiber.Map{"Kind": l.Kind, "Action": l.action(), "Valid": err == nil}
	status := fiber.StatusOK
	if err != nil {
		status = fiber.StatusBadRequest
	}
	return s.render(c, status, "notifications/unsubscribe", p)
}

// handleUnsubscribe is the one-click unsubscribe (RFC 8058): the signed
// link is the credential, so it needs no session and no CSRF token (the
// middleware lets this path through), and a mail client posting
// "List-Unsubscribe=One-Click" gets the same as the page's button.
func (s *Server) handleUnsubscribe(c *fiber.Ctx) error {
	var l unsubscribeLink
	err := s.parseQuery(c, &l)
	if err == nil {
		err = s.deps.Notifications.Unsubscribe(c.UserContext(), l.User, l.Kind, l.Token)
	}
	p := s.page(c, "notifications.unsubscribe_title")
	p.Data = fiber.Map{"Kind": l.Kind, "Action": l.action(), "Valid": err == nil, "Done": err == nil}
	if mitreden.ErrorCode(err) == mitreden.EINVALID || mitreden.ErrorCode(err) == ebadRequest {
		return s.render(c, fiber.StatusBadRequest, "notifications/unsubscribe", p)
	}
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "notifications/unsubscribe", p)
}

// followView is the follow button of a proposal or consultation page.
type followView struct {
	Following bool
	Action    string
}

// addFollow puts the viewer's follow button on a page whose Data is a
// map, from the follow state the page's read returned (nil for visitors:
// no button).
func (s *Server) addFollow(p *Page, following *bool, targetType, id string) {
	data, ok := p.Data.(fiber.Map)
	if !ok || following == nil || s.deps.Notifications == nil {
		return
	}
	data["Follow"] = &followView{Following: *following, Action: "/" + targetType + "s/" + id}
}

func (s *Server) handleFollow(targetType string, follow bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, u, id := c.UserContext(), userOf(c), c.Params("id")
		var err error
		key := "notifications.followed"
		if follow {
			err = s.deps.Notifications.Follow(ctx, u, targetType, id)
		} else {
			err, key = s.deps.Notifications.Unfollow(ctx, u, targetType, id), "notifications.unfollowed"
		}
		if err != nil {
			return err
		}
		s.confirmAt(c, key, "follow")
		return c.Redirect("/"+targetType+"s/"+id+"#confirmation", fiber.StatusSeeOther)
	}
}
