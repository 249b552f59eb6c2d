package service

import (
	"context"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// What a person's data export and account deletion do with the participant
// records of the citizens' service linked to their account.
//
// The export holds each linked record as the person gave it to the office
// (name, locality, address, phone, e-mail) and every proposal and comment
// staff entered for it, with channel, date received and the public text;
// never who entered it nor the office's reference, which are the office's
// working notes, not data about the person.
//
// A deletion unlinks the records and leaves them: a record is the office's
// file about a letter writer, kept under the office's own retention rules
// (it answers their letters by post), not part of the account. What staff
// entered stays signed as before, under the record's public name, as the
// person gave it by letter; the votes moved to the account at the link are
// unlinked from the person with the account's other votes. The privacy
// notice beside export and deletion says so (data.assisted_note).

// AuthoredData streams the proposals and comments of an author by an
// index on the author (mitreden.UserDataStore has both).
type AuthoredData interface {
	EachUserProposal(ctx context.Context, userID string, yield func(*mitreden.Proposal) error) error
	EachUserComment(ctx context.Context, userID string, yield func(*mitreden.Comment) error) error
}

// RecordExport is a linked participant record in a person's data export.
type RecordExport struct {
	DisplayName string        `json:"display_name"`
	Anonymous   bool          `json:"anonymous"`
	PublicName  string        `json:"public_name"`
	Locality    string        `json:"locality"`
	Address     string        `json:"address,omitempty"`
	Phone       string        `json:"phone,omitempty"`
	Email       string        `json:"email,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
	LinkedAt    time.Time     `json:"linked_at"`
	Entries     []EntryExport `json:"entries"`
}

// EntryExport is a proposal or comment staff entered for a record.
type EntryExport struct {
	Type           string    `json:"type"`
	ID             string    `json:"id"`
	ConsultationID string    `json:"consultation_id,omitempty"`
	Channel        string    `json:"channel"`
	ReceivedAt     time.Time `json:"received_at"`
	Title          string    `json:"title,omitempty"`
	Body           string    `json:"body"`
	Deleted        bool      `json:"deleted,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// ExportRecords returns the records linked to userID with what staff
// entered for each: one query for the records, two indexed streams per
// record (its proposals and comments, by the record's author key).
func (a *Assisted) ExportRecords(ctx context.Context, authored AuthoredData, userID string) ([]RecordExport, error) {
	rs, err := a.st.RecordsLinkedTo(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]RecordExport, 0, len(rs))
	for _, r := range rs {
		x := RecordExport{DisplayName: r.DisplayName, Anonymous: r.Anonymous, PublicName: r.PublicName(), Locality: r.Locality,
			Address: r.Address, Phone: r.Phone, Email: r.Email, CreatedAt: r.CreatedAt, LinkedAt: r.LinkedAt, Entries: []EntryExport{}}
		entry := func(e EntryExport, prov *mitreden.Provenance) {
			if prov != nil {
				e.Channel, e.ReceivedAt = prov.Channel, prov.ReceivedAt
			}
			x.Entries = append(x.Entries, e)
		}
		if err := authored.EachUserProposal(ctx, r.VoterKey(), func(pr *mitreden.Proposal) error {
			entry(EntryExport{Type: mitreden.ItemProposal, ID: pr.ID, ConsultationID: pr.ConsultationID, Title: pr.Title, Body: pr.Body,
				CreatedAt: pr.CreatedAt}, pr.Prov)
			return nil
		}); err != nil {
			return nil, err
		}
		if err := authored.EachUserComment(ctx, r.VoterKey(), func(cm *mitreden.Comment) error {
			entry(EntryExport{Type: mitreden.ItemComment, ID: cm.ID, ConsultationID: cm.ConsultationID, Body: cm.Body, Deleted: cm.Deleted,
				CreatedAt: cm.CreatedAt}, cm.Prov)
			return nil
		}); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// EraseRecordLinks unlinks every record linked to userID and notes it in
// each record's audit, without the account's id. Idempotent: a record
// unlinked before is no longer found.
func (a *Assisted) EraseRecordLinks(ctx context.Context, userID string) error {
	rs, err := a.st.RecordsLinkedTo(ctx, userID)
	if err != nil {
		return err
	}
	for _, r := range rs {
		done, err := a.st.UnlinkRecord(ctx, r.ID, userID)
		if err != nil {
			return err
		}
		if done {
			a.audit(ctx, &mitreden.AuditEntry{At: a.p.now(), Action: mitreden.AuditUnlink, RecordID: r.ID})
		}
	}
	return nil
}

// DataSection is assisted participation's part of a person's data export
// and account deletion; authored reads the records' proposals and
// comments (the user data store).
func (a *Assisted) DataSection(authored AuthoredData) mitreden.UserDataSection {
	return mitreden.UserDataSection{
		Name: "assisted",
		Export: func(ctx context.Context, u *mitreden.User) (any, error) {
			rs, err := a.ExportRecords(ctx, authored, u.ID)
			if err != nil || len(rs) == 0 {
				return nil, err
			}
			return map[string]any{"records": rs}, nil
		},
		Erase: func(ctx context.Context, e *mitreden.Erasure) error {
			return a.EraseRecordLinks(ctx, e.UserID)
		},
	}
}
