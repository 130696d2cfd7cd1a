package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/temporal"

	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/store"
)

// The effects of the durable workflow path: each runs as a regular activity
// once the state change it reflects is in the history, and is idempotent by
// workflow and event, so a retry, a second writer (the caller reading its
// own write) or a replayed run changes nothing twice.

// ProjectPracticeRecord writes a practice record to the read model (row,
// cronologia and audit rows of its actions, in one transaction).
func (a *Activities) ProjectPracticeRecord(ctx context.Context, rec practice.Record) error {
	if err := rec.Writable(); err != nil {
		return invalid("%v", err)
	}
	return a.Store.ApplyPracticeIfBehind(ctx, rec)
}

// IssueInput asks for a validated practice's exemption.
type IssueInput = exemption.IssueRequest

// Issued is the exemption a validation produced.
type Issued = store.Issued

// IssuePracticeExemption records the exemption of a validation, once per
// practice, before the practice changes state. A valid exemption of the same
// code for the same person refuses the validation (exemption.duplicate).
func (a *Activities) IssuePracticeExemption(ctx context.Context, in IssueInput) (Issued, error) {
	out, err := a.Store.IssuePracticeExemption(ctx, in)
	switch {
	case errors.Is(err, store.ErrDuplicateExemption):
		return out, temporal.NewNonRetryableApplicationError(
			exemption.DuplicateMessage(in.ExemptionCode), CodeDuplicateExemption, nil)
	case errors.Is(err, store.ErrDiagnosisNotLinked):
		return out, invalid("diagnosis %s is not linked to exemption code %s", in.DiagnosisCode, in.ExemptionCode)
	}
	return out, err
}

// ProjectExemptionRecord writes an exemption record (row, events, audit
// rows, linked documents) to the read model.
func (a *Activities) ProjectExemptionRecord(ctx context.Context, rec exemption.Record) error {
	if rec.ID == 0 {
		return invalid("exemption record without id")
	}
	return a.Store.ApplyExemptionIfBehind(ctx, rec)
}

// PublishVersion sends a version of the exemption to the regional registry
// and records in the read model that it was published. The registry keeps
// the highest version, so retries and reorderings are safe.
func (a *Activities) PublishVersion(ctx context.Context, rec RegistryRecord) error {
	if err := a.Registry.Publish(ctx, rec); err != nil {
		return err
	}
	return a.Store.MarkPublished(ctx, rec.ExemptionID, rec.Version)
}

// ReconcileReport says what a reconciliation looked at and what it changed
// (the result of the reconciliation workflow).
type ReconcileReport = store.ReconcileReport

// Reconcile compares the open practices and exemptions with their workflows
// and repairs the read model where it differs (Reconciler, wired by the
// application); the report says what changed (the Temporal UI shows it as
// the workflow's result) and divergences are logged.
func (a *Activities) Reconcile(ctx context.Context) (ReconcileReport, error) {
	if a.Reconciler == nil {
		return ReconcileReport{}, invalid("no reconciler configured")
	}
	rep, err := a.Reconciler(ctx)
	if n := len(rep.PracticesChanged) + len(rep.ExemptionsChanged); n > 0 {
		a.logger().Warn("reconciliation repaired the read model", "practices", len(rep.PracticesChanged),
			"exemptions", len(rep.ExemptionsChanged), "missing", len(rep.Missing))
	}
	return rep, err
}
