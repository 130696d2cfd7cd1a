package workflows

import (
	"time"

	"esenzioni/domain/access"
	"esenzioni/domain/audit"
	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
)

// PracticeInput is what intake starts a practice with.
type PracticeInput struct {
	Number      string `json:"number"`
	ASL         string `json:"asl"`      // Ministry code
	ASLShort    string `json:"aslShort"` // TO3: the search attribute supervisors type
	DistrictID  int64  `json:"districtId,omitempty"`
	Beneficiary struct {
		FiscalCode string `json:"fiscalCode"`
		FirstName  string `json:"firstName"`
		LastName   string `json:"lastName"`
	} `json:"beneficiary"`
	Submitter struct {
		Kind       practice.SubmitterKind `json:"kind"`
		FiscalCode string                 `json:"fiscalCode"`
		Role       access.Role            `json:"role"`
	} `json:"submitter"`
	ExemptionCode string    `json:"exemptionCode"`
	DiagnosisCode string    `json:"diagnosisCode"`
	SubmittedAt   time.Time `json:"submittedAt"`
	// ExemptionOffsets are the reminder offsets handed to the exemption
	// workflow when the practice is validated.
	ReminderOffsets []time.Duration `json:"reminderOffsets,omitempty"`
	// Audit is the submission's own audit context, when the channel wants
	// its row written with the first projection (the wizard, the API).
	Audit *audit.Context `json:"audit,omitempty"`
}

// IssuedExemption is the exemption a validation produced.
type IssuedExemption struct {
	ID        int64           `json:"id"`
	ValidFrom exemption.Date  `json:"validFrom"`
	EndDate   *exemption.Date `json:"endDate,omitempty"`
}

// ActionResult answers a command.
type ActionResult struct {
	Number    string           `json:"number"`
	State     practice.State   `json:"state"`
	Version   int              `json:"version"`
	Exemption *IssuedExemption `json:"exemption,omitempty"`
	// Record is the practice as the read model must show it after the
	// action: the caller applies it (read-your-writes) with the same
	// idempotent upsert the workflow's projection activity uses. Absent
	// from answers of histories recorded before it existed.
	Record *practice.Record `json:"record,omitempty"`
}

// RefusedCommand records a signal that failed validation: it changed
// nothing, and supervisors see why in the state query and the workflow's
// current details.
type RefusedCommand struct {
	At        time.Time       `json:"at"`
	Action    practice.Action `json:"action"`
	RequestID string          `json:"requestId"`
	Actor     access.Actor    `json:"actor"`
	Code      string          `json:"code"`
	Message   string          `json:"message"`
}

const maxRefused = 50

// ValidateOptions ride on a Validate command from the new-exemption wizard,
// where the operator chooses the end date.
type ValidateOptions struct {
	EndDate   *exemption.Date `json:"endDate,omitempty"`
	NoEndDate bool            `json:"noEndDate,omitempty"`
}

// PracticeCommand is the argument of every practice update and signal.
type PracticeCommand struct {
	practice.Command
	Validate ValidateOptions `json:"validate,omitempty"`
	// Audit, set by the channel the command came through, makes the
	// workflow's projection write the action's audit row with it.
	Audit *AuditContext `json:"audit,omitempty"`
	// Caller is who sent a signal, stamped into the encrypted payload by the
	// codec endpoint that authenticated the supervisor (never taken from the
	// sender's own JSON: plain payloads are refused by the worker). Signals
	// act as the Caller.
	Caller *access.Actor `json:"caller,omitempty"`
	// Unencrypted is set by the worker's codec on a payload that arrived in
	// clear: such a command is refused.
	Unencrypted bool `json:"unencrypted,omitempty"`
}

// AuditContext is what the audit log needs of a request beyond the command.
type AuditContext = audit.Context
