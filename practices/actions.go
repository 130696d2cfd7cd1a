package practices

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"esenzioni/practice"
	"esenzioni/store"
	"esenzioni/workflows"
)

// ErrNotFound: no such practice.
var ErrNotFound = errors.New("pratica non trovata")

// ErrTimeout: the action was sent but its outcome is not known yet (the
// read model may be catching up); the operator should reload.
var ErrTimeout = errors.New("l'operazione è in corso: ricarica la pagina tra qualche secondo")

// Act performs cmd on practice number as a Temporal Update whose ID is the
// request's idempotency key, and returns once the read model shows the
// result. A refusal comes back as *practice.Refusal.
func (s *Service) Act(ctx context.Context, number string, cmd workflows.PracticeCommand) (workflows.ActionResult, error) {
	name, ok := workflows.ActionMessages[cmd.Action]
	if !ok {
		return workflows.ActionResult{}, &practice.Refusal{Code: practice.CodeBadRequest, Message: "Operazione sconosciuta."}
	}
	timeout := s.ActionTimeout
	if timeout == 0 {
		timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   practice.WorkflowID(number),
		UpdateID:     cmd.RequestID,
		UpdateName:   name,
		Args:         []interface{}{cmd},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var res workflows.ActionResult
	if err == nil {
		err = handle.Get(ctx, &res)
	}
	if err != nil {
		return res, s.mapError(ctx, number, err)
	}
	return res, nil
}

// mapError turns Temporal errors into what callers show operators.
func (s *Service) mapError(ctx context.Context, number string, err error) error {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return &practice.Refusal{Code: app.Type(), Message: app.Message()}
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		// The workflow of a closed practice has completed.
		p, lerr := s.Store.PracticeByNumber(context.WithoutCancel(ctx), number)
		if errors.Is(lerr, store.ErrNotFound) {
			return ErrNotFound
		}
		if lerr == nil && practice.State(p.State).IsClosed() {
			return &practice.Refusal{Code: practice.CodeWrongState,
				Message: fmt.Sprintf("La pratica %s è già chiusa (%s).", number, practice.State(p.State).Label())}
		}
		return ErrNotFound
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ErrTimeout
	}
	return err
}

// SubmitAndValidate is the new-exemption wizard: an operator's submission
// that is validated in the same step, with the end date the operator chose.
// It uses update-with-start, so confirming twice (same key) starts one
// workflow and validates it once.
func (s *Service) SubmitAndValidate(ctx context.Context, sub Submission, cmd workflows.PracticeCommand) (workflows.ActionResult, error) {
	p, err := s.check(ctx, sub)
	if err != nil {
		return workflows.ActionResult{}, err
	}
	number, _, err := s.allocate(ctx, p)
	if err != nil {
		return workflows.ActionResult{}, err
	}
	p.in.Number = number
	p.in.SubmittedAt = s.now()
	cmd.Action = practice.Validate
	if cmd.RequestID == "" {
		cmd.RequestID = sub.Source + "/" + sub.Key
	}
	timeout := s.ActionTimeout
	if timeout == 0 {
		timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := s.Temporal.NewWithStartWorkflowOperation(s.startOptions(p.in), workflows.PracticeWorkflowName, workflows.PracticeState{Input: p.in})
	handle, err := s.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID: cmd.RequestID, UpdateName: workflows.MsgValidate, Args: []interface{}{cmd},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	var res workflows.ActionResult
	if err == nil {
		err = handle.Get(ctx, &res)
	}
	if err != nil {
		return res, s.mapError(ctx, number, err)
	}
	return res, nil
}

// Query returns a practice's full workflow state.
func (s *Service) Query(ctx context.Context, number string) (workflows.PracticeState, error) {
	var st workflows.PracticeState
	v, err := s.Temporal.QueryWorkflow(ctx, practice.WorkflowID(number), "", workflows.QueryState)
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return st, ErrNotFound
		}
		return st, err
	}
	return st, v.Get(&st)
}
