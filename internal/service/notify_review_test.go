package service_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// TestNotify_JobAfterTheActorsDeletionNamesNobody checks that a comment's
// fan-out that runs only after its author deleted the account does not
// write the author's name from the queued event into others' notifications.
func TestNotify_JobAfterTheActorsDeletionNamesNobody(t *testing.T) {
	e := newNotes(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	anna, bert := e.account(t, "anna"), e.account(t, "bert")
	pr := e.proposal(t, c, anna, "Sitzbänke am Rheinufer")
	e.comment(t, c, pr, bert, "Bitte mit Blick aufs Wasser.")
	// Bert deletes the account before the fan-out job runs.
	if err := e.db.UserData().AnonymizeAuthor(ctx, bert.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.n.EraseUser(ctx, bert.ID); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	ns, _ := e.inbox(t, anna)
	if len(ns) != 1 || ns[0].ActorID != "" || ns[0].ActorName != "" {
		t.Fatalf("notification after bert's deletion: %d %+v", len(ns), ns)
	}
}

// TestDigest_UnsubscribingStopsTheNextDigest checks that a notification
// stored for the daily digest does not go out once its person followed
// the digest's unsubscribe link; it stays in the list.
func TestDigest_UnsubscribingStopsTheNextDigest(t *testing.T) {
	e := newNotes(t)
	ctx := context.Background()
	c := e.consultation(t, nil)
	anna, bert, cem := e.account(t, "anna"), e.account(t, "bert"), e.account(t, "cem")
	pa := e.proposal(t, c, anna, "Sitzbänke am Rheinufer")
	pc := e.proposal(t, c, cem, "Trinkbrunnen am Markt")
	e.comment(t, c, pa, bert, "Bitte mit Blick aufs Wasser.")
	e.comment(t, c, pc, bert, "Gerne auch einen für Hunde.")
	e.run(t)
	link, err := url.Parse(e.n.UnsubscribeURL(anna.ID, service.UnsubscribeDaily))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.n.Unsubscribe(ctx, anna.ID, service.UnsubscribeDaily, link.Query().Get("t")); err != nil {
		t.Fatal(err)
	}
	e.clk.now = time.Date(2026, 6, 2, 5, 1, 0, 0, time.UTC)
	if err := e.n.Schedule(ctx); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if m := e.mail.mails(anna.Email); len(m) != 0 {
		t.Fatalf("digest after unsubscribing: %q\n%s", m[0].Subject, m[0].Text)
	}
	if m := e.mail.mails(cem.Email); len(m) != 1 {
		t.Fatalf("cem, still subscribed: %d mails", len(m))
	}
	if ns, _ := e.inbox(t, anna); !strings.Contains(kinds(ns), "comment") {
		t.Fatalf("anna's list: %s", kinds(ns))
	}
}

// TestNotify_RecordsAreNeitherFollowersNorRecipientsTheirAccountsAre
// checks that a contribution staff entered for a participant record
// stores no follow and no notification under the record's key, which
// nobody can read; once the record is linked, its account hears of
// comments, but not of its own.
func TestNotify_RecordsAreNeitherFollowersNorRecipientsTheirAccountsAre(t *testing.T) {
	e := newNotes(t)
	ctx := context.Background()
	a := service.NewAssisted(e.p, e.db.Participation(), e.db.Users(), mitreden.DefaultLateEntryDays, nil)
	staff := &mitreden.User{ID: "staff1", DisplayName: "Sachbearbeiterin Kurz", Roles: []mitreden.Role{mitreden.RoleService}}
	c := e.consultation(t, nil)
	r := &mitreden.ParticipantRecord{DisplayName: "Erika M.", Locality: "Musterhausen", Address: "Hauptstraße 1\n12345 Musterhausen"}
	if err := a.CreateRecord(ctx, staff, r); err != nil {
		t.Fatal(err)
	}
	pr := &mitreden.Proposal{Title: "Bibliothek samstags öffnen", Body: "Bitte die Bibliothek auch samstags öffnen, per Brief eingereicht."}
	entry := mitreden.AssistedEntry{Channel: mitreden.ChannelLetter, ReceivedAt: e.clk.now.Add(-time.Minute)}
	if err := a.EnterProposal(ctx, staff, r.ID, c.ID, entry, pr); err != nil {
		t.Fatal(err)
	}
	bert := e.account(t, "bert")
	e.comment(t, c, pr, bert, "Samstags wäre eine große Hilfe.")
	e.run(t)
	for _, typ := range []string{mitreden.FollowProposal, mitreden.FollowConsultation} {
		id := pr.ID
		if typ == mitreden.FollowConsultation {
			id = c.ID
		}
		if err := e.db.Notifications().EachFollower(ctx, typ, id, 100, func(ids []string) error {
			for _, f := range ids {
				if strings.HasPrefix(f, mitreden.RecordVoterPrefix) {
					t.Errorf("the record follows the %s: %s", typ, f)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if ns, _ := e.inbox(t, &mitreden.User{ID: r.VoterKey()}); len(ns) != 0 {
		t.Fatalf("notifications stored for the record: %s", kinds(ns))
	}
	erika := e.account(t, "erika")
	if _, err := a.Link(ctx, staff, r.ID, erika.ID); err != nil {
		t.Fatal(err)
	}
	e.comment(t, c, pr, bert, "Und bitte auch in den Ferien.")
	if _, err := a.EnterComment(ctx, staff, r.ID, pr.ID, entry, mitreden.Comment{Body: "Per Brief ergänzt: auch abends."}); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if ns, _ := e.inbox(t, erika); kinds(ns) != "comment" || ns[0].ActorName != bert.DisplayName {
		t.Fatalf("the linked account: %s %+v", kinds(ns), ns)
	}
	if ns, _ := e.inbox(t, &mitreden.User{ID: r.VoterKey()}); len(ns) != 0 {
		t.Fatalf("notifications stored for the linked record: %s", kinds(ns))
	}
}
