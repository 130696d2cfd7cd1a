package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"esenzioni/activities"
	"esenzioni/domain/access"
	"esenzioni/domain/exemption"
	"esenzioni/domain/refusal"
)

// ExemptionState is the exemption workflow's whole state: query result and
// continue-as-new input.
type ExemptionState struct {
	ID             int64           `json:"id"`
	PracticeNumber string          `json:"practiceNumber,omitempty"` // empty for registry exemptions
	ASL            string          `json:"asl"`                      // beneficiary's ASL of residence (Ministry code)
	ASLShort       string          `json:"aslShort"`
	BeneficiaryFC  string          `json:"beneficiaryFc"`
	ExemptionCode  string          `json:"exemptionCode"`
	DiagnosisCode  string          `json:"diagnosisCode"`
	IssuedOn       exemption.Date  `json:"issuedOn"`
	EndDate        *exemption.Date `json:"endDate,omitempty"`
	State          exemption.State `json:"state"`
	Version        int             `json:"version"`
	// Seq is the newest event recorded (legacy runs: written to the read
	// model).
	Seq int `json:"seq"`
	// Unprojected are the events recorded but not yet written to the read
	// model, oldest first.
	Unprojected []exemption.Event `json:"unprojected,omitempty"`
	// ReminderOffsets are how long before the end of the last valid day the
	// reminders fire (default 30 and 7 days).
	ReminderOffsets []time.Duration `json:"reminderOffsets,omitempty"`
	// RemindersSent holds ReminderKey values already sent (or given up at
	// the expiry), so a renewal re-arms reminders for the new date while a
	// replayed timer never sends twice.
	RemindersSent map[string]bool `json:"remindersSent,omitempty"`
	// RemindersDue holds ReminderKey values whose time has come and whose
	// sending is in progress (retried until the expiry).
	RemindersDue     map[string]bool           `json:"remindersDue,omitempty"`
	PublishedVersion int                       `json:"publishedVersion"`
	Processed        map[string]ChangeResult   `json:"processed,omitempty"`
	Refused          []RefusedExemptionCommand `json:"refused,omitempty"`
	// RunEventBudget is how many lifecycle events (reminders, changes,
	// expiry) a run records before it continues as new, which keeps each
	// run's history short (0 = DefaultRunEventBudget). The SDK's own
	// suggestion to continue as new is honoured too.
	RunEventBudget int `json:"runEventBudget,omitempty"`
	// Runs counts continue-as-new generations, for tests and supervisors.
	Runs int `json:"runs,omitempty"`
	// PublishingSince is when the version now waiting for the registry was
	// made (zero when the registry is up to date).
	PublishingSince time.Time `json:"publishingSince,omitempty"`
}

// DefaultRunEventBudget keeps a run to a few hundred history events.
const DefaultRunEventBudget = 40

// RecordOf is the read-model record of the state, with the events not yet
// projected.
func (st *ExemptionState) record() exemption.Record {
	return exemption.Record{
		ID: st.ID, BeneficiaryFC: st.BeneficiaryFC, State: st.State, EndDate: st.EndDate, Version: st.Version,
		Events: append([]exemption.Event(nil), st.Unprojected...),
	}
}

// changeRefusal is the refusal of a change by the state's rules, which both
// code paths apply in this order; nil if they allow it.
func (st *ExemptionState) changeRefusal(cmd ChangeEndDate) *refusal.Refusal {
	if st.State != exemption.Valida {
		return refusal.New(CodeExemptionClosed, msgExemptionClosed, st.State.Label())
	}
	// Only the operators of the beneficiary's ASL of residence may change it
	// (manual 7.2); regional roles too.
	if !cmd.Actor.Role.Operator() || !access.InScope(cmd.Actor.Role, cmd.Actor.ASL, st.ASL) {
		return refusal.New(CodeExemptionScope, msgExemptionScope)
	}
	if cmd.ExpectedVersion != 0 && cmd.ExpectedVersion != st.Version {
		return refusal.New(CodeExemptionStale, msgExemptionStale)
	}
	return nil
}

// setDefaults fills what a state started without (or recorded before it
// existed) needs to run.
func (st *ExemptionState) setDefaults() {
	if st.RemindersSent == nil {
		st.RemindersSent = map[string]bool{}
	}
	if st.RemindersDue == nil {
		st.RemindersDue = map[string]bool{}
	}
	if st.Processed == nil {
		st.Processed = map[string]ChangeResult{}
	}
	if len(st.ReminderOffsets) == 0 {
		st.ReminderOffsets = DefaultReminderOffsets
	}
}

// shouldContinueAsNew reports whether a run that recorded events should
// continue as new: its event budget is spent, or the SDK suggests it.
func (st *ExemptionState) shouldContinueAsNew(ctx workflow.Context, events int) bool {
	budget := st.RunEventBudget
	if budget <= 0 {
		budget = DefaultRunEventBudget
	}
	return events >= budget || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

// registryRecord is the version of the exemption the registry holds.
func (st *ExemptionState) registryRecord() activities.RegistryRecord {
	return activities.RegistryRecord{
		ExemptionID: st.ID, BeneficiaryFC: st.BeneficiaryFC, ExemptionCode: st.ExemptionCode,
		DiagnosisCode: st.DiagnosisCode, IssuedOn: st.IssuedOn, EndDate: st.EndDate,
		State: st.State, Version: st.Version,
	}
}

// applyChange moves the end date (and the state, on a revocation) as a
// change asks and counts the new version; documentsOnly: the end date stays,
// documents are added. It returns the end date before the change and the
// kind of change.
func (st *ExemptionState) applyChange(cmd ChangeEndDate, today exemption.Date, documentsOnly bool) (old *exemption.Date, kind exemption.Change) {
	old = st.EndDate
	switch {
	case documentsOnly:
		kind = exemption.Documents
	case cmd.NoEndDate:
		kind = exemption.Renew
		st.EndDate = nil
	default:
		kind = exemption.Classify(old, *cmd.EndDate, today)
		d := *cmd.EndDate
		st.EndDate = &d
		if kind == exemption.Revoke {
			st.State = exemption.Annullata
		}
	}
	st.Version++
	return old, kind
}
