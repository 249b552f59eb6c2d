package service

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// A scheduler in every server instance enqueues one digest job per period
// under an ID made of the period ("digest:daily:2026-11-29"), so of
// several instances exactly one sends each digest: the job store keeps
// one job per ID and one runner claims it. The same tick records the phase
// changes that come with the clock (a consultation opening or closing);
// their events have IDs made of consultation, phase and time, so every
// instance may record them.

// digestJob is the payload of a digest job.
type digestJob struct {
	Mode   mitreden.MailMode `json:"mode"`
	Period string            `json:"period"`
	Before time.Time         `json:"before"`
}

// digestBatch bounds the notifications one digest round reads.
const digestBatch = 500

// phaseWindow is how long after a phase change by the clock its event is
// still recorded (a server that was down catches up within it).
const phaseWindow = 48 * time.Hour

// berlinZone is the zone digest hours are meant in.
var berlinZone = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}()

// digestSlots returns the latest daily and weekly digest times at or
// before now.
func (n *Notifications) digestSlots(now time.Time) (daily, weekly time.Time) {
	t := now.In(berlinZone)
	daily = time.Date(t.Year(), t.Month(), t.Day(), n.cfg.DigestHour, 0, 0, 0, berlinZone)
	if daily.After(t) {
		daily = daily.AddDate(0, 0, -1)
	}
	back := (int(daily.Weekday()) + 6) % 7 // days since Monday
	weekly = daily.AddDate(0, 0, -back)
	return daily.UTC(), weekly.UTC()
}

// DigestJobID is the ID of the digest of mode for the period starting at
// slot.
func DigestJobID(mode mitreden.MailMode, slot time.Time) string {
	return fmt.Sprintf("%s:%s:%s", JobDigest, mode, slot.In(berlinZone).Format("2006-01-02"))
}

// Schedule enqueues the digests due by now and records the phase changes
// the clock brought; the scheduler calls it every minute, tests call it
// with the service clock.
func (n *Notifications) Schedule(ctx context.Context) error {
	now := n.now()
	daily, weekly := n.digestSlots(now)
	var jobs []*mitreden.Job
	for _, d := range []struct {
		mode mitreden.MailMode
		slot time.Time
	}{{mitreden.MailDaily, daily}, {mitreden.MailWeekly, weekly}} {
		id := DigestJobID(d.mode, d.slot)
		b, err := json.Marshal(digestJob{Mode: d.mode, Period: id[len(JobDigest)+1:], Before: d.slot})
		if err != nil {
			return err
		}
		jobs = append(jobs, &mitreden.Job{ID: id, Kind: JobDigest, Payload: b, State: mitreden.JobQueued, RunAt: d.slot, CreatedAt: now})
	}
	if err := n.jobs.Enqueue(ctx, jobs...); err != nil {
		return err
	}
	return n.schedulePhases(ctx, now)
}

// schedulePhases records the openings and closings of the last
// phaseWindow.
func (n *Notifications) schedulePhases(ctx context.Context, now time.Time) error {
	for page := 1; ; page++ {
		cs, _, err := n.part.ListConsultations(ctx, mitreden.ConsultationFilter{Now: now, Page: page, PerPage: 100})
		if err != nil {
			return err
		}
		for _, c := range cs {
			for _, ch := range []struct {
				phase mitreden.Phase
				at    time.Time
			}{{mitreden.PhaseOpen, c.OpensAt}, {mitreden.PhaseClosed, c.ClosesAt}} {
				if ch.at.IsZero() || ch.at.After(now) || now.Sub(ch.at) > phaseWindow || !c.EvaluatedAt.IsZero() {
					continue
				}
				n.record(ctx, phaseEvent(c, ch.phase, ch.at, nil))
			}
		}
		if len(cs) < 100 {
			return nil
		}
	}
}

// StartScheduler runs Schedule now and every interval until ctx ends or
// stop is called.
func (n *Notifications) StartScheduler(ctx context.Context, interval time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if err := n.Schedule(ctx); err != nil && ctx.Err() == nil {
				n.log.Warn("scheduling digests failed; will try again", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

// DigestGroup is the part of a digest about one consultation ("" for
// what belongs to none).
type DigestGroup struct {
	Consultation string
	Items        []map[string]any
}

// HandleDigest runs a digest job: one mail per person with notifications
// of the job's mode not yet mailed, grouped by consultation, keyed by
// period and person, after which they are marked mailed. Running it again
// sends nothing twice.
func (n *Notifications) HandleDigest(ctx context.Context, job *mitreden.Job) error {
	var d digestJob
	if err := json.Unmarshal(job.Payload, &d); err != nil {
		return mitreden.Permanent(fmt.Errorf("digest payload: %w", err))
	}
	after := ""
	for {
		ns, err := n.st.PendingDigest(ctx, d.Mode, d.Before, after, digestBatch)
		if err != nil {
			return err
		}
		if len(ns) == 0 {
			return nil
		}
		byUser := map[string][]*mitreden.Notification{}
		var order []string
		for _, nt := range ns {
			if byUser[nt.UserID] == nil {
				order = append(order, nt.UserID)
			}
			byUser[nt.UserID] = append(byUser[nt.UserID], nt)
		}
		full := len(ns) == digestBatch
		if full && len(order) > 1 {
			// The last person may have more in the next round.
			order = order[:len(order)-1]
		}
		if err := n.mailDigests(ctx, d, order, byUser); err != nil {
			return err
		}
		if !full {
			return nil
		}
		after = order[len(order)-1]
	}
}

// mailDigests queues the digests of the people and marks theirs mailed.
func (n *Notifications) mailDigests(ctx context.Context, d digestJob, people []string, byUser map[string][]*mitreden.Notification) error {
	var addrs map[string]*mitreden.MailRecipient
	if n.users != nil && n.mail != nil {
		var err error
		if addrs, err = n.users.MailRecipients(ctx, people); err != nil {
			return err
		}
	}
	// The settings as they are now: a notification stored with this mode
	// whose kind the person since unsubscribed from or moved to another
	// mode is marked mailed without going into the digest.
	settings, err := n.st.NotificationSettings(ctx, people)
	if err != nil {
		return err
	}
	for _, u := range people {
		all := byUser[u]
		var ns []*mitreden.Notification
		for _, nt := range all {
			if settings[u].Mode(nt.Kind) == d.Mode {
				ns = append(ns, nt)
			}
		}
		if r := addrs[u]; r != nil && r.Email != "" && len(ns) > 0 {
			var groups []*DigestGroup
			at := map[string]*DigestGroup{}
			for _, nt := range ns {
				g := at[nt.ConsultationID]
				if g == nil {
					g = &DigestGroup{Consultation: nt.ConsultationTitle}
					at[nt.ConsultationID] = g
					groups = append(groups, g)
				}
				g.Items = append(g.Items, n.mailItem(nt))
			}
			scope := UnsubscribeDaily
			if d.Mode == mitreden.MailWeekly {
				scope = UnsubscribeWeekly
			}
			m := mitreden.OutgoingMail{Key: JobDigest + ":" + d.Period + ":" + u, To: r.Email, Language: mailLang(r.Language), Template: "digest",
				Data: map[string]any{"Name": r.DisplayName, "Mode": string(d.Mode), "Groups": groups, "Count": len(ns),
					"ListURL": n.cfg.BaseURL + "/notifications", "SettingsURL": n.cfg.BaseURL + "/notifications/settings"},
				Unsubscribe: n.UnsubscribeURL(u, scope)}
			if err := n.mail.SendMail(ctx, m); err != nil {
				return err
			}
		}
		ids := make([]string, len(all))
		for i, nt := range all {
			ids[i] = nt.ID
		}
		if err := n.st.MarkNotificationsMailed(ctx, ids); err != nil {
			return err
		}
	}
	return nil
}
