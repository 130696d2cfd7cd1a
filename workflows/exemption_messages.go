package workflows

import (
	"time"

	"esenzioni/domain/access"
	"esenzioni/domain/exemption"
)

// DefaultReminderOffsets are used when a workflow was started without any.
var DefaultReminderOffsets = []time.Duration{30 * 24 * time.Hour, 7 * 24 * time.Hour}

// ChangeEndDate is the argument of the change-end-date update and signal.
type ChangeEndDate struct {
	Actor access.Actor `json:"actor"`
	// EndDate is the new last day of validity; nil with NoEndDate false is
	// invalid. Today or earlier revokes the exemption.
	EndDate   *exemption.Date `json:"endDate,omitempty"`
	NoEndDate bool            `json:"noEndDate,omitempty"`
	// DocumentIDs are attachments uploaded with the change.
	DocumentIDs     []string `json:"documentIds,omitempty"`
	Note            string   `json:"note,omitempty"`
	ExpectedVersion int      `json:"expectedVersion,omitempty"`
	RequestID       string   `json:"requestId"`
	// Audit, set by the channel the change came through, makes the
	// workflow's projection write the change's audit row with it.
	Audit *AuditContext `json:"audit,omitempty"`
	// Caller and Unencrypted are as in PracticeCommand (signals).
	Caller      *access.Actor `json:"caller,omitempty"`
	Unencrypted bool          `json:"unencrypted,omitempty"`
}

// ChangeResult answers a change.
type ChangeResult struct {
	ID      int64            `json:"id"`
	State   exemption.State  `json:"state"`
	EndDate *exemption.Date  `json:"endDate,omitempty"`
	Version int              `json:"version"`
	Change  exemption.Change `json:"change"`
	// Record is what the caller applies to the read model (read-your-writes);
	// absent from answers recorded before it existed.
	Record *exemption.Record `json:"record,omitempty"`
}

// RefusedExemptionCommand records a refused signal.
type RefusedExemptionCommand struct {
	At        time.Time    `json:"at"`
	RequestID string       `json:"requestId"`
	Actor     access.Actor `json:"actor"`
	Code      string       `json:"code"`
	Message   string       `json:"message"`
}

// Refusal codes of exemption changes.
const (
	CodeExemptionClosed   = "exemption.closed"
	CodeExemptionScope    = "exemption.out_of_scope"
	CodeExemptionStale    = "exemption.stale_version"
	CodeExemptionBadDate  = "exemption.bad_end_date"
	CodeExemptionBadInput = "exemption.bad_request"
)
