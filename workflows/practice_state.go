package workflows

import (
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/workflows/searchattr"
)

// PracticeState is the whole state: the query result and the continue-as-new
// input.
type PracticeState struct {
	Input     PracticeInput    `json:"input"`
	State     practice.State   `json:"state"`
	Version   int              `json:"version"`
	Events    []practice.Event `json:"events"`
	Exemption *IssuedExemption `json:"exemption,omitempty"`
	// Processed keeps the answer of every request performed, by idempotency
	// key, so a repeated key (even across runs) gets the same answer.
	Processed map[string]ActionResult `json:"processed"`
	Refused   []RefusedCommand        `json:"refused,omitempty"`
	// ProjectedSeq is the newest event the read model acknowledged.
	ProjectedSeq int `json:"projectedSeq"`
	// StateSince is when the practice entered its current state (the
	// submission for INVIATA): how long it has been waiting.
	StateSince time.Time `json:"stateSince,omitempty"`
	// ExemptionStarted records that the exemption's own workflow was
	// started (validated practices only).
	ExemptionStarted bool `json:"exemptionStarted,omitempty"`
}

func (st *PracticeState) lastSeq() int {
	if n := len(st.Events); n > 0 {
		return st.Events[n-1].Seq
	}
	return 0
}

// canonicalActions gives the events and refusals carried from a run of the
// English codes (a continue-as-new input written before the Italian ones) their current
// codes, so that the rules and the read model see one code per action.
// Commands need no such step: their action is the message's name.
func (st *PracticeState) canonicalActions() {
	for i := range st.Events {
		st.Events[i].Action = st.Events[i].Action.Canonical()
	}
	for i := range st.Refused {
		st.Refused[i].Action = st.Refused[i].Action.Canonical()
	}
}

func (st *PracticeState) subject() practice.Subject {
	return practice.Subject{
		Number: st.Input.Number, State: st.State, Version: st.Version, ASL: st.Input.ASL,
		SubmitterFC: st.Input.Submitter.FiscalCode, SubmitterKind: st.Input.Submitter.Kind,
	}
}

// RecordOf is the read-model record of a practice state: what the
// projection activity, the caller of an action and reindex write.
func RecordOf(st PracticeState) practice.Record {
	in := st.Input
	rec := practice.Record{
		Number: in.Number, ASL: in.ASL, DistrictID: in.DistrictID,
		BeneficiaryFC: in.Beneficiary.FiscalCode, BeneficiaryFirstName: in.Beneficiary.FirstName,
		BeneficiaryLastName: in.Beneficiary.LastName,
		SubmitterKind:       in.Submitter.Kind, SubmitterFC: in.Submitter.FiscalCode, SubmitterRole: in.Submitter.Role,
		ExemptionCode: in.ExemptionCode, DiagnosisCode: in.DiagnosisCode,
		State: st.State, Version: st.Version, CreatedAt: in.SubmittedAt,
		Events: append([]practice.Event(nil), st.Events...),
	}
	if ex := st.Exemption; ex != nil {
		rec.ExemptionID = ex.ID
		from := ex.ValidFrom
		rec.ValidFrom = &from
		if ex.EndDate != nil {
			end := *ex.EndDate
			rec.ValidUntil = &end
		}
	}
	return rec
}

// startExemptionChild starts the exemption of a validated practice as a
// child workflow that outlives the practice, and waits for its start. Its
// search attributes are set at the start, so that supervisors find it at
// once; extra adds to those the legacy code set.
func startExemptionChild(ctx workflow.Context, st PracticeState, extra ...temporal.SearchAttributeUpdate) error {
	ex, in := st.Exemption, st.Input
	attrs := append([]temporal.SearchAttributeUpdate{
		searchattr.RecordKind.ValueSet(searchattr.KindExemption),
		searchattr.ExemptionState.ValueSet(string(exemption.Valida)),
		searchattr.AslCode.ValueSet(in.ASLShort),
		searchattr.ExemptionCode.ValueSet(in.ExemptionCode),
		searchattr.PracticeNumber.ValueSet(in.Number),
	}, extra...)
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            exemption.WorkflowID(ex.ID),
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		StaticSummary:         exemptionSummary(ex.ID, in.ExemptionCode, in.Number),
		TypedSearchAttributes: temporal.NewSearchAttributes(attrs...),
	})
	child := workflow.ExecuteChildWorkflow(cctx, ExemptionWorkflow, ExemptionState{
		ID: ex.ID, PracticeNumber: in.Number, ASL: in.ASL, ASLShort: in.ASLShort,
		BeneficiaryFC: in.Beneficiary.FiscalCode, ExemptionCode: in.ExemptionCode,
		DiagnosisCode: in.DiagnosisCode, IssuedOn: ex.ValidFrom, EndDate: ex.EndDate,
		State: exemption.Valida, Version: 1, Seq: 1, ReminderOffsets: in.ReminderOffsets,
	})
	var exec workflow.Execution
	return child.GetChildWorkflowExecution().Get(ctx, &exec)
}
