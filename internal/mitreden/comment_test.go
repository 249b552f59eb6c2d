package mitreden_test

import (
	"strings"
	"testing"

	"github.com/mitreden/mitreden/internal/mitreden"
)

func TestComment_BodyBoundsAndScore(t *testing.T) {
	if err := mitreden.ValidateCommentBody("Gute Idee"); err != nil {
		t.Fatal(err)
	}
	if err := mitreden.ValidateCommentBody(strings.Repeat("ß", mitreden.CommentBodyMax)); err != nil {
		t.Fatalf("upper bound in runes: %v", err)
	}
	if fs := fieldErrors(t, mitreden.ValidateCommentBody(" \n ")); fs["body"].Code != "required" {
		t.Fatalf("blank: %+v", fs)
	}
	if fs := fieldErrors(t, mitreden.ValidateCommentBody(strings.Repeat("x", mitreden.CommentBodyMax+1))); fs["body"].Code != "max" {
		t.Fatalf("too long: %+v", fs)
	}
	if s := (&mitreden.Comment{Up: 2, Down: 5}).Score(); s != -3 {
		t.Fatalf("score %d", s)
	}
}
