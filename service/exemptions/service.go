// Package exemptions is the service layer of issued exemptions: changes of
// end date (renewal, revocation) sent to their workflow as Updates.
package exemptions

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"esenzioni/domain/exemption"
	"esenzioni/domain/refusal"
	"esenzioni/service"
	"esenzioni/store"
	"esenzioni/workflows"
	"esenzioni/workflows/searchattr"
)

// Service changes exemptions.
type Service struct {
	Store           *store.Store
	Temporal        client.Client
	TaskQueue       string
	ReminderOffsets []time.Duration
	Timeout         time.Duration
}

// ErrNotFound: no such exemption.
var ErrNotFound = errors.New(msgNotFound)

// ErrTimeout: the change was sent but not yet confirmed (it may still be
// applied). (service.ErrInProgress)
var ErrTimeout = service.ErrInProgress

// ErrNotStarted: the exemption is valid but its workflow is not running
// yet; nothing was sent, try again shortly. It is a service.ErrUnavailable
// (503).
var ErrNotStarted = fmt.Errorf(msgNotStarted, service.ErrUnavailable)

// Done returns the answer exemption id's workflow gave to requestID, when
// it performed it: a form sent again after its first sending changed the
// exemption gets that answer, whatever the exemption shows now. The
// workflow is asked even when closed (within retention).
func (s *Service) Done(ctx context.Context, id int64, requestID string) (workflows.ChangeResult, bool, error) {
	if requestID == "" {
		return workflows.ChangeResult{}, false, nil
	}
	v, err := s.Temporal.QueryWorkflow(ctx, exemption.WorkflowID(id), "", workflows.QueryState)
	if err != nil {
		if errors.Is(service.MapError(err), service.ErrNotFound) {
			return workflows.ChangeResult{}, false, nil
		}
		return workflows.ChangeResult{}, false, err
	}
	var st workflows.ExemptionState
	if err := v.Get(&st); err != nil {
		return workflows.ChangeResult{}, false, err
	}
	res, ok := st.Processed[requestID]
	return res, ok, nil
}

// ChangeEndDate renews, shortens or revokes exemption id, then applies the
// answer's record to the read model (read-your-writes). A refusal comes back
// as *refusal.Refusal (code and Italian message). An exemption that came
// from the registry and has no lifecycle workflow yet gets one, started with
// this very change (update-with-start).
func (s *Service) ChangeEndDate(ctx context.Context, id int64, cmd workflows.ChangeEndDate) (workflows.ChangeResult, error) {
	ex, err := s.Store.ExemptionByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return workflows.ChangeResult{}, ErrNotFound
	}
	if err != nil {
		return workflows.ChangeResult{}, err
	}
	if ex.State != string(exemption.Valida) {
		// The same request sent again after it revoked the exemption (its
		// answer was lost): the answer it had.
		if res, done, err := s.Done(ctx, id, cmd.RequestID); err == nil && done {
			return res, nil
		}
		return workflows.ChangeResult{}, &refusal.Refusal{Code: workflows.CodeExemptionClosed,
			Message: fmt.Sprintf(msgClosed, exemption.State(ex.State).Label())}
	}
	update := client.UpdateWorkflowOptions{
		WorkflowID: exemption.WorkflowID(id), UpdateID: cmd.RequestID, UpdateName: workflows.MsgChangeEndDate, Args: []any{cmd},
	}
	var start client.WithStartWorkflowOperation
	if ex.Source == store.SourceRegistry {
		// Registry exemptions may never have had a workflow: start it with
		// the change if needed (an existing one is used as it is).
		asl, err := s.Store.ASLByCode(ctx, ex.ASLCode)
		if err != nil {
			return workflows.ChangeResult{}, err
		}
		st := workflows.ExemptionState{
			ID: ex.ID, ASL: ex.ASLCode, ASLShort: asl.ShortName, BeneficiaryFC: ex.BeneficiaryFC,
			ExemptionCode: ex.ExemptionCode, DiagnosisCode: ex.DiagnosisCode, IssuedOn: ex.IssuedOn, EndDate: ex.EndDate,
			State: exemption.Valida, Version: ex.Version, Seq: ex.LastSeq, PublishedVersion: ex.PublishedVersion,
			ReminderOffsets: s.ReminderOffsets,
		}
		start = s.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
			ID: exemption.WorkflowID(id), TaskQueue: s.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			// A closed lifecycle is never restarted.
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			StaticSummary:         fmt.Sprintf(summaryRegistry, id, ex.ExemptionCode),
			TypedSearchAttributes: temporal.NewSearchAttributes(
				searchattr.RecordKind.ValueSet(searchattr.KindExemption),
				searchattr.ExemptionState.ValueSet(ex.State),
				searchattr.AslCode.ValueSet(asl.ShortName),
				searchattr.ExemptionCode.ValueSet(ex.ExemptionCode),
				searchattr.RegistryPending.ValueSet(ex.PublishedVersion < ex.Version),
			),
		}, workflows.ExemptionWorkflowName, st)
	}
	res, err := service.Update[workflows.ChangeResult](ctx, s.Temporal, s.Timeout, update, start)
	if err != nil {
		return res, mapError(err, start != nil)
	}
	if res.Record == nil {
		return res, nil
	}
	return res, service.Apply(ctx, func(ctx context.Context) error { return s.Store.ApplyExemption(ctx, *res.Record) })
}

// mapError adds to service.Update's errors what an exemption's workflow
// not found means: with the change sent as update-with-start (withStart),
// or a workflow already closed, the exemption is closed; otherwise its
// workflow has not started yet.
func mapError(err error, withStart bool) error {
	if errors.Is(err, service.ErrNotFound) && !withStart {
		// A valid exemption of a practice whose workflow has not
		// started it yet (the practice's workflow does, after the
		// validation answered; a worker restart delays it): not a
		// refusal, a service not ready.
		return ErrNotStarted
	}
	if errors.Is(err, service.ErrNotFound) || temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return &refusal.Refusal{Code: workflows.CodeExemptionClosed, Message: msgNoLongerEditable}
	}
	return err
}
