package http_test

import (
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// TestModeration_QueueNamesADeletedModeratorAsDeleted: once a moderator
// deleted the account, the actions of the item shown in the queue say
// "gelöschtes Konto" instead of naming nobody.
func TestModeration_QueueNamesADeletedModeratorAsDeleted(t *testing.T) {
	f := newModFixture(t, nil, nil)
	a := f.comment(f.bernd, "proposal", f.pid, "Ein gemeldeter Kommentar über Kartoffelkanonen.", 201)
	f.report(f.jona, "comment", a, map[string]any{"reason": "spam"}, 201)
	if err := f.e.DB.Participation().AppendModerationAction(context.Background(), &mitreden.ModerationAction{ActorID: mitreden.DeletedAuthorID,
		Action: "unhide", ItemType: "comment", ItemID: a, TargetType: "proposal", TargetID: f.pid, Reason: "Passt."}); err != nil {
		t.Fatal(err)
	}
	_, doc := f.mod.b.get("/moderation")
	var actions []string
	doc.Find("li.queue-item li").Each(func(_ int, s *goquery.Selection) { actions = append(actions, s.Text()) })
	if all := strings.Join(actions, "\n"); !strings.Contains(all, "Wieder eingeblendet (gelöschtes Konto)") {
		t.Errorf("actions in the queue:\n%s", all)
	}
}
