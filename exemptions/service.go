// Package exemptions is the service layer of issued exemptions: changes of
// end date (renewal, revocation) sent to their workflow as Updates.
package exemptions

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"esenzioni/exemption"
	"esenzioni/practice"
	"esenzioni/search"
	"esenzioni/store"
	"esenzioni/workflows"
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
var ErrNotFound = errors.New("esenzione non trovata")

// ErrTimeout: the change was sent but not yet confirmed.
var ErrTimeout = errors.New("la modifica è in corso: ricarica la pagina tra qualche secondo")

// ChangeEndDate renews, shortens or revokes exemption id. A refusal comes
// back as *practice.Refusal (code and Italian message). An exemption that
// came from the registry and has no lifecycle workflow yet gets one, started
// with this very change (update-with-start).
func (s *Service) ChangeEndDate(ctx context.Context, id int64, cmd workflows.ChangeEndDate) (workflows.ChangeResult, error) {
	ex, err := s.Store.ExemptionByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return workflows.ChangeResult{}, ErrNotFound
	}
	if err != nil {
		return workflows.ChangeResult{}, err
	}
	if ex.State != string(exemption.Valida) {
		return workflows.ChangeResult{}, &practice.Refusal{Code: workflows.CodeExemptionClosed,
			Message: fmt.Sprintf("L'esenzione è %s: non può essere modificata.", exemption.State(ex.State).Label())}
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	update := client.UpdateWorkflowOptions{
		WorkflowID: exemption.WorkflowID(id), UpdateID: cmd.RequestID, UpdateName: workflows.MsgChangeEndDate,
		Args: []interface{}{cmd}, WaitForStage: client.WorkflowUpdateStageCompleted,
	}
	var handle client.WorkflowUpdateHandle
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
		start := s.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
			ID: exemption.WorkflowID(id), TaskQueue: s.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			// A closed lifecycle is never restarted.
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			StaticSummary:         fmt.Sprintf("Esenzione %d · %s · dal registro regionale", id, ex.ExemptionCode),
			TypedSearchAttributes: temporal.NewSearchAttributes(
				search.RecordKind.ValueSet(search.KindExemption),
				search.ExemptionState.ValueSet(ex.State),
				search.AslCode.ValueSet(asl.ShortName),
				search.ExemptionCode.ValueSet(ex.ExemptionCode),
			),
		}, workflows.ExemptionWorkflowName, st)
		handle, err = s.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
			StartWorkflowOperation: start, UpdateOptions: update,
		})
	} else {
		handle, err = s.Temporal.UpdateWorkflow(ctx, update)
	}
	var res workflows.ChangeResult
	if err == nil {
		err = handle.Get(ctx, &res)
	}
	if err != nil {
		return res, s.mapError(err)
	}
	return res, nil
}

func (s *Service) mapError(err error) error {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return &practice.Refusal{Code: app.Type(), Message: app.Message()}
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) || temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return &practice.Refusal{Code: workflows.CodeExemptionClosed, Message: "L'esenzione non è più modificabile."}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ErrTimeout
	}
	return err
}
