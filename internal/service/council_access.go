package service

import (
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// The council's workspace is closed: members (role council) and admins
// read and write there; to everyone else every page and endpoint answers
// 404, as if it did not exist, so that drafts cannot be discovered.

// isCouncil tells whether actor works in the council's workspace.
func isCouncil(actor *mitreden.User) bool {
	return actor.HasRole(mitreden.RoleCouncil) || actor.HasRole(mitreden.RoleAdmin)
}

// councilReader admits members and admins to read the workspace; ENOTFOUND
// for everyone else.
func councilReader(actor *mitreden.User) mitreden.Permission {
	if actor == nil || !isCouncil(actor) {
		return mitreden.Deny(mitreden.ENOTFOUND, "error.not_found", nil)
	}
	return mitreden.Allow()
}

// councilMember admits members and admins to write in the workspace:
// ENOTFOUND for everyone else, the block's refusal for a blocked member.
func councilMember(actor *mitreden.User) mitreden.Permission {
	if p := councilReader(actor); !p.Allowed() {
		return p
	}
	if actor.BlockedAt(time.Now()) {
		return blockedPermission(actor)
	}
	return mitreden.Allow()
}
