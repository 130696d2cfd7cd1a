// Package activities holds every side effect of the workflows: projections
// into the PostgreSQL read model, catalogue look-ups, registry publication,
// reminder emails and in-app notifications. Each is idempotent, so Temporal
// may retry it freely.
package activities

import (
	"context"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/temporal"

	"esenzioni/adapters/attachments"
	"esenzioni/adapters/registry"
	"esenzioni/domain/exemption"
	"esenzioni/store"
)

// Mailer sends one email. Implementations must be safe for concurrent use.
type Mailer interface {
	Send(ctx context.Context, to, subject, body, messageID string) error
}

// Activities is registered with the worker; workflows call its methods.
type Activities struct {
	Store    *store.Store
	Registry registry.Registry
	Mailer   Mailer // nil: reminder emails are not sent (logged instead)
	// PublicURL builds links in notifications.
	PublicURL string
	// Attachments is used by the cleanup of orphaned documents.
	Attachments *attachments.Service
	// Reconciler runs the reconciliation of the open workflows (it queries
	// them, so it lives above this package).
	Reconciler func(context.Context) (ReconcileReport, error)
	Log        *slog.Logger
}

// ErrTypeInvalid marks errors retries cannot fix (bad input).
const ErrTypeInvalid = "invalid"

// CodeDuplicateExemption refuses a second valid exemption with the same
// code for the same person.
const CodeDuplicateExemption = "exemption.duplicate"

func invalid(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrTypeInvalid, nil)
}

// RejectReasonExists checks a reason code against the configured list.
func (a *Activities) RejectReasonExists(ctx context.Context, code string) (bool, error) {
	return a.Store.RejectReasonActive(ctx, code)
}

// ValidationCheck asks what a validation needs from the catalogue and the
// registry of exemptions.
type ValidationCheck struct {
	PracticeNumber string
	BeneficiaryFC  string
	ExemptionCode  string
	DiagnosisCode  string
}

// ValidationFacts answers ValidationCheck.
type ValidationFacts struct {
	Duration exemption.Duration
	// DuplicateExemptionID is a valid exemption with the same code for the
	// same person, issued by another practice (0 = none).
	DuplicateExemptionID int64
}

// PrepareValidation looks up the diagnosis duration and any valid
// exemption with the same code for the same beneficiary.
func (a *Activities) PrepareValidation(ctx context.Context, in ValidationCheck) (ValidationFacts, error) {
	d, found, err := a.Store.DiagnosisDuration(ctx, in.ExemptionCode, in.DiagnosisCode)
	if err != nil {
		return ValidationFacts{}, err
	}
	if !found {
		return ValidationFacts{}, invalid("diagnosis %s is not linked to exemption code %s", in.DiagnosisCode, in.ExemptionCode)
	}
	dup, err := a.Store.ValidExemptionWithCode(ctx, in.BeneficiaryFC, in.ExemptionCode, in.PracticeNumber)
	if err != nil {
		return ValidationFacts{}, err
	}
	return ValidationFacts{Duration: d, DuplicateExemptionID: dup}, nil
}

// RegistryRecord is what the regional registry holds of an exemption.
type RegistryRecord = registry.Record

// PublishExemption sends a version of the exemption to the registry. The
// registry keeps the highest version, so retries and reorderings are safe.
func (a *Activities) PublishExemption(ctx context.Context, rec RegistryRecord) error {
	return a.Registry.Publish(ctx, rec)
}

// PublishAndRecord publishes a version to the registry and records it in
// the read model (both idempotent by version).
func (a *Activities) PublishAndRecord(ctx context.Context, rec RegistryRecord) error {
	if err := a.Registry.Publish(ctx, rec); err != nil {
		return err
	}
	return a.Store.MarkPublished(ctx, rec.ExemptionID, rec.Version)
}

// Publication acknowledges a published version.
type Publication struct {
	ID      int64
	Version int
}

// MarkPublished records in the read model that version was published.
func (a *Activities) MarkPublished(ctx context.Context, p Publication) error {
	return a.Store.MarkPublished(ctx, p.ID, p.Version)
}

func (a *Activities) logger() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.Default()
}
