package workflows_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"esenzioni/activities"
	"esenzioni/domain/access"
	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/worker"
	"esenzioni/workflows"
)

const (
	aslTO3  = "010203"
	aslCN2  = "010211"
	number  = "202601020300000001"
	benefFC = "RSSMRA80A01H501U"
)

var (
	operatorTO3 = access.Actor{FiscalCode: "LBRCRD53H10D205E", Role: access.OperatoreASL, ASL: aslTO3}
	operatorCN2 = access.Actor{FiscalCode: "VNTRLA92B26C688M", Role: access.OperatoreASL, ASL: aslCN2}
	admin       = access.Actor{FiscalCode: "AAAAAA00A11D000L", Role: access.Amministratore}
	doctor      = access.Actor{FiscalCode: "BBBBBB00A11D000L", Role: access.MedicoSpecialista}
)

// fakeReadModel records what the workflow projects, standing in for the
// PostgreSQL activities.
type fakeReadModel struct {
	mu          sync.Mutex
	projections []practice.Record
	issued      []activities.IssueInput
	duplicate   int64
	duration    exemption.Duration
}

func (f *fakeReadModel) last() practice.Record {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.projections[len(f.projections)-1]
}

type harness struct {
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment
	rm  *fakeReadModel
	t   *testing.T
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, rm: &fakeReadModel{duration: exemption.Duration{Value: 1, Unit: exemption.Years}}}
	h.env = h.NewTestWorkflowEnvironment()
	acts := &activities.Activities{}
	worker.Register(h.env, acts)
	rm := h.rm
	h.env.OnActivity(acts.ProjectPracticeRecord, mock.Anything, mock.Anything).Return(func(_ context.Context, rec practice.Record) error {
		rm.mu.Lock()
		defer rm.mu.Unlock()
		rm.projections = append(rm.projections, rec)
		return nil
	})
	h.env.OnActivity(acts.RejectReasonExists, mock.Anything, mock.Anything).Return(func(_ context.Context, code string) (bool, error) {
		return code == "REQUISITI_NON_SUFFICIENTI", nil
	})
	h.env.OnActivity(acts.IssuePracticeExemption, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.IssueInput) (activities.Issued, error) {
		rm.mu.Lock()
		defer rm.mu.Unlock()
		if rm.duplicate != 0 {
			return activities.Issued{}, temporal.NewNonRetryableApplicationError("L'assistito ha già un'esenzione valida", activities.CodeDuplicateExemption, nil)
		}
		rm.issued = append(rm.issued, in)
		out := activities.Issued{ID: 77, ValidFrom: in.IssuedOn, EndDate: in.EndDate}
		if in.EndDate == nil && !in.NoEndDate {
			if end, ok := rm.duration.EndDate(in.IssuedOn); ok {
				out.EndDate = &end
			}
		}
		return out, nil
	})
	h.env.OnActivity(acts.ProjectExemptionRecord, mock.Anything, mock.Anything).Return(nil)
	h.env.OnActivity(acts.PublishVersion, mock.Anything, mock.Anything).Return(nil)
	h.env.OnActivity(acts.SendReminderEmail, mock.Anything, mock.Anything).Return(true, nil)
	h.env.OnActivity(acts.NotifyOperators, mock.Anything, mock.Anything).Return(nil)
	h.env.SetStartTime(time.Date(2026, 3, 10, 9, 30, 0, 0, exemption.Rome))
	return h
}

func practiceInput() workflows.PracticeState {
	in := workflows.PracticeInput{
		Number: number, ASL: aslTO3, ASLShort: "TO3", ExemptionCode: "044", DiagnosisCode: "2960",
		SubmittedAt: time.Date(2026, 3, 10, 9, 0, 0, 0, exemption.Rome),
	}
	in.Beneficiary.FiscalCode = benefFC
	in.Beneficiary.FirstName, in.Beneficiary.LastName = "MARIO", "ROSSI"
	in.Submitter.Kind, in.Submitter.FiscalCode, in.Submitter.Role = practice.SubmitterDoctor, doctor.FiscalCode, access.MedicoSpecialista
	return workflows.PracticeState{Input: in}
}

// outcome collects an update's fate.
type outcome struct {
	rejected error // refused by the validator: no history
	accepted bool
	result   workflows.ActionResult
	err      error // accepted but failed
	done     bool
}

func (h *harness) update(at time.Duration, name string, cmd practice.Command, o *outcome) {
	h.updateWith(at, name, workflows.PracticeCommand{Command: cmd}, o)
}

func (h *harness) updateWith(at time.Duration, name string, cmd workflows.PracticeCommand, o *outcome) {
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(name, cmd.RequestID, &testsuite.TestUpdateCallback{
			OnReject: func(err error) { o.rejected = err; o.done = true },
			OnAccept: func() { o.accepted = true },
			OnComplete: func(res interface{}, err error) {
				o.done = true
				o.err = err
				if r, ok := res.(workflows.ActionResult); ok {
					o.result = r
				}
			},
		}, cmd)
	}, at)
}

func (h *harness) query() workflows.PracticeState {
	v, err := h.env.QueryWorkflow(workflows.QueryState)
	require.NoError(h.t, err)
	var st workflows.PracticeState
	require.NoError(h.t, v.Get(&st))
	return st
}

func refusalCode(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return ""
}

func TestTakeThenValidate(t *testing.T) {
	h := newHarness(t)
	var take, validate outcome
	h.update(time.Minute, workflows.MsgTake, practice.Command{Actor: operatorTO3, ExpectedVersion: 1, RequestID: "k1", BeneficiaryNote: "presa in carico", InternalNote: "ok"}, &take)
	h.update(2*time.Minute, workflows.MsgValidate, practice.Command{Actor: operatorTO3, ExpectedVersion: 2, RequestID: "k2"}, &validate)
	h.env.ExecuteWorkflow(workflows.PracticeWorkflow, practiceInput())
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())

	require.NoError(t, take.err)
	require.Equal(t, practice.InLavorazione, take.result.State)
	require.Equal(t, 2, take.result.Version)
	require.NoError(t, validate.err)
	require.Equal(t, practice.Validata, validate.result.State)
	require.NotNil(t, validate.result.Exemption)
	require.Equal(t, int64(77), validate.result.Exemption.ID)
	// One year from 10/03/2026: valid up to 09/03/2027 included.
	require.Equal(t, exemption.NewDate(2027, 3, 9), *validate.result.Exemption.EndDate)
	require.Equal(t, exemption.NewDate(2026, 3, 10), validate.result.Exemption.ValidFrom)

	var st workflows.PracticeState
	require.NoError(t, h.env.GetWorkflowResult(&st))
	require.Len(t, st.Events, 3)
	require.Equal(t, []practice.State{practice.Inviata, practice.InLavorazione, practice.Validata},
		[]practice.State{st.Events[0].State, st.Events[1].State, st.Events[2].State})
	require.Equal(t, "presa in carico", st.Events[1].BeneficiaryNote)
	require.Equal(t, operatorTO3, st.Events[1].Actor)

	last := h.rm.last()
	require.Equal(t, practice.Validata, last.State)
	require.Len(t, last.Events, 3)
	require.Equal(t, int64(77), last.ExemptionID)
	require.Len(t, h.rm.issued, 1)
	require.Equal(t, operatorTO3, h.rm.issued[0].IssuedBy)
}

func TestValidateStraightFromInviataWritesTwoRows(t *testing.T) {
	h := newHarness(t)
	var validate outcome
	h.update(time.Minute, workflows.MsgValidate, practice.Command{Actor: operatorTO3, ExpectedVersion: 1, RequestID: "k1", InternalNote: "tutto regolare"}, &validate)
	h.env.ExecuteWorkflow(workflows.PracticeWorkflow, practiceInput())
	require.NoError(t, h.env.GetWorkflowError())
	require.NoError(t, validate.err)
	var st workflows.PracticeState
	require.NoError(t, h.env.GetWorkflowResult(&st))
	require.Len(t, st.Events, 3)
	require.Equal(t, practice.InLavorazione, st.Events[1].State)
	require.Equal(t, practice.Validata, st.Events[2].State)
	require.Equal(t, practice.Validate, st.Events[1].Action)
	require.Equal(t, 2, validate.result.Version, "one action, one version step")
}

func TestRefusals(t *testing.T) {
	cases := []struct {
		name  string
		msg   string
		cmd   practice.Command
		code  string
		setup func(h *harness)
	}{
		{"reject without reason", workflows.MsgReject, practice.Command{Actor: operatorTO3, ExpectedVersion: 1, RequestID: "r"}, practice.CodeReasonRequired, nil},
		{"wrong ASL", workflows.MsgTake, practice.Command{Actor: operatorCN2, ExpectedVersion: 1, RequestID: "r"}, practice.CodeOutOfScope, nil},
		{"stale version", workflows.MsgTake, practice.Command{Actor: operatorTO3, ExpectedVersion: 5, RequestID: "r"}, practice.CodeStaleVersion, nil},
		{"doctor cannot take", workflows.MsgTake, practice.Command{Actor: doctor, RequestID: "r"}, practice.CodeNotAllowed, nil},
		{"missing idempotency key", workflows.MsgTake, practice.Command{Actor: operatorTO3}, practice.CodeBadRequest, nil},
		{"empty note", workflows.MsgNote, practice.Command{Actor: operatorTO3, RequestID: "r"}, practice.CodeNoteEmpty, nil},
		{"NUL in a note", workflows.MsgNote, practice.Command{Actor: operatorTO3, RequestID: "r", BeneficiaryNote: "a\x00b"}, practice.CodeBadText, nil},
		{"control character in a reason", workflows.MsgReject, practice.Command{Actor: operatorTO3, RequestID: "r", ReasonCode: "REQUISITI\x1b"}, practice.CodeBadText, nil},
		{"C1 control character", workflows.MsgTake, practice.Command{Actor: operatorTO3, RequestID: "r", InternalNote: "a\u0085b"}, practice.CodeBadText, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			var o, cancel outcome
			h.update(time.Minute, tc.msg, tc.cmd, &o)
			h.update(2*time.Minute, workflows.MsgCancel, practice.Command{Actor: doctor, RequestID: "end"}, &cancel)
			h.env.ExecuteWorkflow(workflows.PracticeWorkflow, practiceInput())
			require.NoError(t, h.env.GetWorkflowError())
			require.Error(t, o.rejected, "refused by the validator")
			require.False(t, o.accepted, "a refused update is never accepted, so it leaves no history")
			require.Equal(t, tc.code, refusalCode(o.rejected))
			var st workflows.PracticeState
			require.NoError(t, h.env.GetWorkflowResult(&st))
			require.Len(t, st.Events, 2, "submission and the submitter's cancellation only")
			require.Equal(t, practice.Annullata, st.State)
		})
	}
}

func TestValidateClosedPracticeIsRefused(t *testing.T) {
	h := newHarness(t)
	var reject, validate outcome
	h.update(time.Minute, workflows.MsgReject, practice.Command{Actor: operatorTO3, ExpectedVersion: 1, RequestID: "k1", ReasonCode: "REQUISITI_NON_SUFFICIENTI"}, &reject)
	// Sent in the same instant as the closing update, before the workflow ends.
	h.update(time.Minute, workflows.MsgValidate, practice.Command{Actor: operatorTO3, RequestID: "k2"}, &validate)
	h.env.ExecuteWorkflow(workflows.PracticeWorkflow, practiceInput())
	require.NoError(t, h.env.GetWorkflowError())
	require.NoError(t, reject.err)
	require.Equal(t, practice.Respinta, reject.result.State)
	require.Error(t, validate.rejected)
	// The reject was busy or had closed the practice: either way a conflict
	// or wrong state, never a second transition.
	require.Contains(t, []string{practice.CodeWrongState, practice.CodeStaleVersion}, refusalCode(validate.rejected))
	require.Empty(t, h.rm.issued)
	require.Equal(t, "REQUISITI_NON_SUFFICIENTI", h.rm.last().Events[1].ReasonCode)
}

func TestRejectWithUnknownReasonChangesNothing(t *testing.T) {
	h := newHarness(t)
	var reject, cancel outcome
	h.update(time.Minute, workflows.MsgReject, practice.Command{Actor: operatorTO3, RequestID: "k1", ReasonCode: "INVENTATA"}, &reject)
	h.update(2*time.Minute, workflows.MsgCancel, practice.Command{Actor: operatorTO3, RequestID: "k2"}, &cancel)
	h.env.ExecuteWorkflow(workflows.PracticeWorkflow, practiceInput())
	require.NoError(t, h.env.GetWorkflowError())
	require.Error(t, reject.err)
	require.Equal(t, practice.CodeReasonUnknown, refusalCode(reject.err))
	require.NoError(t, cancel.err)
	require.Equal(t, 2, cancel.result.Version, "the failed reject did not bump the version")
}

func TestDuplicateKeyPerformsOnce(t *testing.T) {
	h := newHarness(t)
	var first, second, cancel outcome
	cmd := practice.Command{Actor: operatorTO3, ExpectedVersion: 1, RequestID: "same-key", InternalNote: "una volta"}
	h.update(time.Minute, workflows.MsgTake, cmd, &first)
	h.update(2*time.Minute, workflows.MsgTake, cmd, &second)
	h.update(3*time.Minute, workflows.MsgCancel, practice.Command{Actor: operatorTO3, RequestID: "k3"}, &cancel)
	h.env.ExecuteWorkflow(workflows.PracticeWorkflow, practiceInput())
	require.NoError(t, h.env.GetWorkflowError())
	require.NoError(t, first.err)
	require.NoError(t, second.err)
	require.Nil(t, second.rejected)
	require.Equal(t, first.result, second.result)
	var st workflows.PracticeState
	require.NoError(t, h.env.GetWorkflowResult(&st))
	require.Len(t, st.Events, 3, "submit, take once, cancel")
}

func TestDuplicateExemptionRefusesValidation(t *testing.T) {
	h := newHarness(t)
	h.rm.duplicate = 12
	var validate, cancel outcome
	h.update(time.Minute, workflows.MsgValidate, practice.Command{Actor: operatorTO3, RequestID: "k1"}, &validate)
	h.update(2*time.Minute, workflows.MsgCancel, practice.Command{Actor: operatorTO3, RequestID: "k2"}, &cancel)
	h.env.ExecuteWorkflow(workflows.PracticeWorkflow, practiceInput())
	require.NoError(t, h.env.GetWorkflowError())
	require.Equal(t, activities.CodeDuplicateExemption, refusalCode(validate.err))
	require.Empty(t, h.rm.issued)
	require.Equal(t, practice.Annullata, cancel.result.State)
}

func TestSignalsShareTheCodePath(t *testing.T) {
	h := newHarness(t)
	var mid workflows.PracticeState
	h.env.RegisterDelayedCallback(func() {
		// Refused: wrong ASL. Recorded, nothing changes.
		h.env.SignalWorkflow(workflows.MsgTake, workflows.PracticeCommand{Command: practice.Command{RequestID: "s1"}, Caller: &operatorCN2})
	}, time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.MsgTake, workflows.PracticeCommand{Command: practice.Command{RequestID: "s2", InternalNote: "dal supervisore"}, Caller: &admin})
	}, 2*time.Minute)
	h.env.RegisterDelayedCallback(func() { mid = h.query() }, 3*time.Minute)
	h.env.RegisterDelayedCallback(func() {
		// The actor a sender writes is ignored: the caller acts.
		h.env.SignalWorkflow(workflows.MsgReject, workflows.PracticeCommand{Command: practice.Command{Actor: operatorCN2, RequestID: "s3", ReasonCode: "REQUISITI_NON_SUFFICIENTI"}, Caller: &admin})
	}, 4*time.Minute)
	h.env.ExecuteWorkflow(workflows.PracticeWorkflow, practiceInput())
	require.NoError(t, h.env.GetWorkflowError())

	require.Equal(t, practice.InLavorazione, mid.State)
	require.Len(t, mid.Refused, 1)
	require.Equal(t, practice.CodeOutOfScope, mid.Refused[0].Code)
	require.Equal(t, "s1", mid.Refused[0].RequestID)
	require.Equal(t, "dal supervisore", mid.Events[1].InternalNote)

	var st workflows.PracticeState
	require.NoError(t, h.env.GetWorkflowResult(&st))
	require.Equal(t, practice.Respinta, st.State)
	require.Equal(t, h.rm.last().State, practice.Respinta)
}

func TestSubmitterCancelsOwnPracticeOnly(t *testing.T) {
	h := newHarness(t)
	var other, own outcome
	h.update(time.Minute, workflows.MsgCancel, practice.Command{Actor: access.Actor{FiscalCode: "ZZZZZZ00A11D000L", Role: access.Cittadino}, RequestID: "c1"}, &other)
	h.update(2*time.Minute, workflows.MsgCancel, practice.Command{Actor: doctor, RequestID: "c2", BeneficiaryNote: "inviata per errore"}, &own)
	h.env.ExecuteWorkflow(workflows.PracticeWorkflow, practiceInput())
	require.NoError(t, h.env.GetWorkflowError())
	require.Equal(t, practice.CodeNotAllowed, refusalCode(other.rejected))
	require.NoError(t, own.err)
	require.Equal(t, practice.Annullata, own.result.State)
}

func TestWizardEndDateOverride(t *testing.T) {
	h := newHarness(t)
	var v outcome
	end := exemption.NewDate(2026, 12, 31)
	h.updateWith(time.Minute, workflows.MsgValidate, workflows.PracticeCommand{
		Command:  practice.Command{Actor: operatorTO3, RequestID: "w1"},
		Validate: workflows.ValidateOptions{EndDate: &end},
	}, &v)
	h.env.ExecuteWorkflow(workflows.PracticeWorkflow, practiceInput())
	require.NoError(t, h.env.GetWorkflowError())
	require.NoError(t, v.err)
	require.Equal(t, end, *v.result.Exemption.EndDate)
}

// A run continued from one started before the Italian codes carries the
// English ones in its events and refusals, and supervisors may still send
// an old payload: every action is stored, answered and projected with its
// current code, and an old code in a payload changes nothing (the message's
// name is the action).
func TestLegacyActionCodes(t *testing.T) {
	h := newHarness(t)
	st := practiceInput()
	sub := st.Input.SubmittedAt
	st.State, st.Version, st.ProjectedSeq, st.StateSince = practice.InLavorazione, 3, 3, sub.Add(2*time.Minute)
	st.Events = []practice.Event{
		{Seq: 1, At: sub, Action: "SUBMIT", Actor: doctor, State: practice.Inviata},
		{Seq: 2, At: sub.Add(time.Minute), Action: "NOTE", Actor: operatorTO3, State: practice.Inviata, InternalNote: "x"},
		{Seq: 3, At: sub.Add(2 * time.Minute), Action: "TAKE", Actor: operatorTO3, State: practice.InLavorazione},
	}
	st.Refused = []workflows.RefusedCommand{{At: sub, Action: "VALIDATE", RequestID: "old", Code: practice.CodeOutOfScope}}

	var note outcome
	var mid workflows.PracticeState
	h.update(time.Minute, workflows.MsgNote, practice.Command{Action: "TAKE", Actor: operatorTO3, ExpectedVersion: 3, RequestID: "n1", InternalNote: "nota"}, &note)
	h.env.RegisterDelayedCallback(func() { mid = h.query() }, 2*time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.MsgReject, workflows.PracticeCommand{
			Command: practice.Command{Action: "REJECT", RequestID: "s1", ReasonCode: "REQUISITI_NON_SUFFICIENTI"}, Caller: &admin})
	}, 3*time.Minute)
	h.env.ExecuteWorkflow(workflows.PracticeWorkflow, st)
	require.NoError(t, h.env.GetWorkflowError())

	require.NoError(t, note.rejected)
	require.NoError(t, note.err)
	require.Equal(t, practice.InLavorazione, note.result.State, "a note, whatever its payload says")
	require.Equal(t, practice.Validate, mid.Refused[0].Action)
	require.Equal(t, sub.Add(2*time.Minute), mid.StateSince.In(exemption.Rome), "a note keeps the wait")

	var end workflows.PracticeState
	require.NoError(t, h.env.GetWorkflowResult(&end))
	require.Equal(t, practice.Respinta, end.State)
	want := []practice.Action{practice.Submit, practice.AddNote, practice.Take, practice.AddNote, practice.Reject}
	actions := func(evs []practice.Event) []practice.Action {
		out := make([]practice.Action, len(evs))
		for i, e := range evs {
			out[i] = e.Action
		}
		return out
	}
	require.Equal(t, want, actions(end.Events))
	require.Equal(t, want, actions(h.rm.last().Events))
	require.Equal(t, want[:4], actions(note.result.Record.Events), "the answer holds the record as the note left it")
}
