package web

import (
	"errors"
	"strings"

	"go.temporal.io/api/serviceerror"

	"esenzioni/domain/practice"
	"esenzioni/domain/refusal"
	"esenzioni/service"
)

// What the services return for an action is shown to operators and API
// clients only when it is one of the domain's refusals, whose codes and
// Italian messages the domain packages write (practice.*, exemption.*).
// Any other error, a workflow's failure with a database message inside
// included, is logged and answered with the generic page or code: no error
// text of a library, a database or the Go runtime reaches a client.

// domainRefusal returns err's refusal when it is one of the domain's.
func domainRefusal(err error) (*refusal.Refusal, bool) {
	var r *refusal.Refusal
	if !errors.As(err, &r) {
		return nil, false
	}
	if strings.HasPrefix(r.Code, "practice.") || strings.HasPrefix(r.Code, "exemption.") {
		return r, true
	}
	return nil, false
}

// workflowClosed reports whether err says the record's workflow is gone or
// finished (its history deleted after the retention period, or completed
// while the read model still showed it open): the record accepts no more
// actions.
func workflowClosed(err error) bool {
	var nf *serviceerror.NotFound
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	return errors.Is(err, service.ErrNotFound) || errors.As(err, &nf) || errors.As(err, &started)
}

// closedRefusal is what an operator reads for an action on a closed
// workflow.
func closedRefusal() *refusal.Refusal {
	return &refusal.Refusal{Code: practice.CodeWrongState,
		Message: msgPracticeClosed}
}

// badRequest reports whether Temporal refused the request as malformed
// (an ID or a payload over its limits): the client's input, not a failure.
func badRequest(err error) bool {
	var ia *serviceerror.InvalidArgument
	return errors.As(err, &ia)
}
