package practices

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"

	"esenzioni/domain/practice"
	"esenzioni/domain/refusal"
	"esenzioni/service"
	"esenzioni/store"
	"esenzioni/workflows"
)

// ErrNotFound: no such practice.
var ErrNotFound = errors.New(msgNotFound)

// ErrTimeout: the action was sent but its outcome is not known yet; the
// operator should reload. (service.ErrInProgress)
var ErrTimeout = service.ErrInProgress

// Act performs cmd on practice number as a Temporal Update whose ID is the
// request's idempotency key, then applies the answer's record to the read
// model (the same idempotent write as the workflow's projection activity),
// so the caller reads its own write. A refusal comes back as
// *refusal.Refusal; an action whose answer did not come in time as
// ErrTimeout (it may still be applied); an action done whose record could
// not be written now as service.ErrRecorded.
func (s *Service) Act(ctx context.Context, number string, cmd workflows.PracticeCommand) (workflows.ActionResult, error) {
	name, ok := workflows.ActionMessages[cmd.Action]
	if !ok {
		return workflows.ActionResult{}, &refusal.Refusal{Code: practice.CodeBadRequest, Message: msgUnknownAction}
	}
	res, err := service.Update[workflows.ActionResult](ctx, s.Temporal, s.ActionTimeout, client.UpdateWorkflowOptions{
		WorkflowID: practice.WorkflowID(number), UpdateID: cmd.RequestID, UpdateName: name, Args: []any{cmd},
	}, nil)
	if err != nil {
		return res, s.mapError(ctx, number, err)
	}
	return res, s.apply(ctx, res)
}

// apply writes the record of an action's answer to the read model.
func (s *Service) apply(ctx context.Context, res workflows.ActionResult) error {
	if res.Record == nil {
		return nil // an answer of the legacy code: its workflow wrote it
	}
	return service.Apply(ctx, func(ctx context.Context) error { return s.Store.ApplyPractice(ctx, *res.Record) })
}

// mapError adds what only the read model knows: the workflow of a closed
// practice may have been deleted by retention.
func (s *Service) mapError(ctx context.Context, number string, err error) error {
	if !errors.Is(err, service.ErrNotFound) {
		return err
	}
	ctx, cancel := service.Detached(ctx, 5*time.Second)
	defer cancel()
	p, lerr := s.Store.PracticeByNumber(ctx, number)
	if lerr == nil && practice.State(p.State).IsClosed() {
		return &refusal.Refusal{Code: practice.CodeWrongState,
			Message: fmt.Sprintf(msgClosed, number, practice.State(p.State).Label())}
	}
	if lerr != nil && !errors.Is(lerr, store.ErrNotFound) {
		return lerr
	}
	return ErrNotFound
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
	p.in.Audit = sub.Audit
	cmd.Action = practice.Validate
	if cmd.RequestID == "" {
		cmd.RequestID = sub.Source + "/" + sub.Key
	}
	start := s.Temporal.NewWithStartWorkflowOperation(s.startOptions(p.in), workflows.PracticeWorkflowName, workflows.PracticeState{Input: p.in})
	res, err := service.Update[workflows.ActionResult](ctx, s.Temporal, s.ActionTimeout, client.UpdateWorkflowOptions{
		UpdateID: cmd.RequestID, UpdateName: workflows.MsgValidate, Args: []any{cmd},
	}, start)
	if err != nil {
		return res, s.mapError(ctx, number, err)
	}
	return res, s.apply(ctx, res)
}

// DraftStagingKey names the documents staged for the wizard's draft id.
func DraftStagingKey(id string) string { return "bozza:" + id }

// ConfirmDraft is the wizard's confirmation of draft d: SubmitAndValidate,
// then, before returning, the documents staged for the draft
// (DraftStagingKey) attached to the exemption issued and the draft updated
// with the practice number and exemption id, in one transaction. An action
// done whose record could not be written now (service.ErrRecorded) is done:
// the draft is completed and the error returned.
func (s *Service) ConfirmDraft(ctx context.Context, d *store.Draft, sub Submission, cmd workflows.PracticeCommand) (workflows.ActionResult, error) {
	res, err := s.SubmitAndValidate(ctx, sub, cmd)
	if err != nil && !errors.Is(err, service.ErrRecorded) {
		return res, err
	}
	var exemptionID *int64
	if res.Exemption != nil {
		id := res.Exemption.ID
		exemptionID = &id
	}
	// The practice exists: the draft and its documents follow it even if
	// the operator has gone (an idempotent write).
	cctx, cancel := service.Detached(ctx, 10*time.Second)
	defer cancel()
	if cerr := service.Retry(cctx, func(ctx context.Context) error {
		return s.Store.CompleteDraft(ctx, d, DraftStagingKey(d.ID), res.Number, exemptionID)
	}); cerr != nil {
		return res, cerr
	}
	return res, err
}

// Query returns a practice's full workflow state.
func (s *Service) Query(ctx context.Context, number string) (workflows.PracticeState, error) {
	var st workflows.PracticeState
	v, err := s.Temporal.QueryWorkflow(ctx, practice.WorkflowID(number), "", workflows.QueryState)
	if err != nil {
		if errors.Is(service.MapError(err), service.ErrNotFound) {
			return st, ErrNotFound
		}
		return st, err
	}
	return st, v.Get(&st)
}
