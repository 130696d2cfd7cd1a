// Package service holds what the service layers of practices and exemptions
// share: sending an Update to a workflow, waiting a bounded time for its
// answer, and mapping Temporal's errors to what callers show.
package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"esenzioni/domain/refusal"
)

// Errors of an update call, besides a refusal (*refusal.Refusal).
var (
	// ErrInProgress: the action was sent but its outcome is not known
	// within the time allowed (a slow or unreachable dependency); it may
	// still be applied. Never a failure to report as a refusal.
	ErrInProgress = errors.New(msgInProgress)
	// ErrNotFound: no such workflow (never started, or closed and deleted
	// by retention).
	ErrNotFound = errors.New("not found")
	// ErrUnavailable: Temporal cannot be reached; nothing was sent.
	ErrUnavailable = errors.New(msgUnavailable)
	// ErrRecorded: the action is done and in the workflow's history, but the
	// read model could not be updated now (the workflow will).
	ErrRecorded = errors.New(msgRecorded)
)

// DefaultTimeout bounds an operator's wait for an action.
const DefaultTimeout = 20 * time.Second

// Update sends an Update (or, with start set, an update-with-start) and
// waits for its outcome. The call is detached from ctx's cancellation: an
// operator who closes the browser does not cancel an action already sent.
func Update[R any](ctx context.Context, c client.Client, timeout time.Duration, opts client.UpdateWorkflowOptions, start client.WithStartWorkflowOperation) (R, error) {
	var res R
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	opts.WaitForStage = client.WorkflowUpdateStageCompleted
	var handle client.WorkflowUpdateHandle
	var err error
	if start != nil {
		handle, err = c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{StartWorkflowOperation: start, UpdateOptions: opts})
	} else {
		handle, err = c.UpdateWorkflow(ctx, opts)
	}
	if err == nil {
		err = handle.Get(ctx, &res)
	}
	return res, MapError(err)
}

// MapError turns Temporal's errors into the package's: a refusal (an
// application error raised by a validator or handler) becomes a
// *refusal.Refusal with its code and message.
func MapError(err error) error {
	if err == nil {
		return nil
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return &refusal.Refusal{Code: app.Type(), Message: app.Message()}
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return ErrNotFound
	}
	var timeout *client.WorkflowUpdateServiceTimeoutOrCanceledError
	var deadline *serviceerror.DeadlineExceeded
	var canceled *serviceerror.Canceled
	if errors.As(err, &timeout) || errors.As(err, &deadline) || errors.As(err, &canceled) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return ErrInProgress
	}
	var unavailable *serviceerror.Unavailable
	if errors.As(err, &unavailable) {
		return ErrUnavailable
	}
	if s, ok := status.FromError(err); ok {
		switch s.Code() {
		case codes.DeadlineExceeded, codes.Canceled:
			return ErrInProgress
		case codes.Unavailable:
			return ErrUnavailable
		}
	}
	return err
}

// Apply writes the record of an action's answer to the read model with
// write, so that the caller reads its own write: detached from the caller's
// cancellation and tried again (Retry) for up to 10 seconds. A write that
// still fails leaves the record to the workflow's projection and returns
// ErrRecorded.
func Apply(ctx context.Context, write func(context.Context) error) error {
	ctx, cancel := Detached(ctx, 10*time.Second)
	defer cancel()
	if err := Retry(ctx, write); err != nil {
		return fmt.Errorf("%w (%v)", ErrRecorded, err)
	}
	return nil
}

// Detached runs f on a context that survives the caller's cancellation, for
// the writes that must happen once an action is done (applying its record,
// writing a refusal's audit row).
func Detached(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), timeout)
}

// Retry calls write until it succeeds or ctx ends, pausing briefly between
// tries: for the idempotent writes a caller makes once an action is done
// (applying its record), so that a database outage of a few seconds (a
// restart) does not cost the operator's read-your-writes. It returns the
// last error.
func Retry(ctx context.Context, write func(context.Context) error) error {
	for {
		err := write(ctx)
		if err == nil || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(250 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}
