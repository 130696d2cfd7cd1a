// Package activities holds every side effect of the workflows: projections
// into the PostgreSQL read model, catalogue look-ups, registry publication,
// reminder emails and in-app notifications. Each is idempotent, so Temporal
// may retry it freely.
package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/temporal"

	"esenzioni/access"
	"esenzioni/attachments"
	"esenzioni/exemption"
	"esenzioni/practice"
	"esenzioni/registry"
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

// PracticeRecord is a practice and its whole cronologia, as the workflow
// knows it.
type PracticeRecord struct {
	Number               string
	ASL                  string
	DistrictID           int64
	BeneficiaryFC        string
	BeneficiaryFirstName string
	BeneficiaryLastName  string
	SubmitterKind        practice.SubmitterKind
	SubmitterFC          string
	SubmitterRole        access.Role
	ExemptionCode        string
	DiagnosisCode        string
	State                practice.State
	Version              int
	CreatedAt            time.Time
	ExemptionID          int64
	ValidFrom            *exemption.Date
	ValidUntil           *exemption.Date
	Events               []practice.Event
	// Audit is the operator's action this projection records, if any.
	Audit *AuditRecord `json:",omitempty"`
}

// AuditRecord is an audit-log row written with a projection. Key makes the
// write idempotent across retries.
type AuditRecord struct {
	Key           string
	OperatorFC    string
	OperatorRole  string
	OperatorASL   string
	BeneficiaryFC string
	Action        string
	Target        string
	Address       string
	Detail        map[string]any
}

// ProjectPractice upserts the practice row and its history rows, keyed by
// practice number and event sequence. A projection older than what the read
// model has (a retry overtaken by a later one) leaves the row alone.
func (a *Activities) ProjectPractice(ctx context.Context, rec PracticeRecord) error {
	if rec.Number == "" || len(rec.Events) == 0 {
		return invalid("practice projection without number or events")
	}
	return a.Store.ProjectPractice(ctx, toStorePractice(rec))
}

func toStorePractice(rec PracticeRecord) store.PracticeProjection {
	p := store.PracticeProjection{
		Practice: store.Practice{
			Number: rec.Number, ASLCode: rec.ASL, BeneficiaryFC: rec.BeneficiaryFC,
			BeneficiaryFirstName: rec.BeneficiaryFirstName, BeneficiaryLastName: rec.BeneficiaryLastName,
			SubmitterKind: string(rec.SubmitterKind), SubmitterFC: rec.SubmitterFC, SubmitterRole: string(rec.SubmitterRole),
			ExemptionCode: rec.ExemptionCode, DiagnosisCode: rec.DiagnosisCode,
			State: string(rec.State), Version: rec.Version, CreatedAt: rec.CreatedAt,
			ValidFrom: rec.ValidFrom, ValidUntil: rec.ValidUntil,
		},
	}
	if rec.DistrictID != 0 {
		id := rec.DistrictID
		p.Practice.DistrictID = &id
	}
	if rec.ExemptionID != 0 {
		id := rec.ExemptionID
		p.Practice.ExemptionID = &id
	}
	last := rec.Events[len(rec.Events)-1]
	p.Practice.LastSeq = last.Seq
	p.Practice.UpdatedAt = last.At
	if rec.State.IsClosed() {
		at := last.At
		p.Practice.ClosedAt = &at
	}
	for _, e := range rec.Events {
		if e.Action == practice.Reject {
			code := e.ReasonCode
			p.Practice.RejectReasonCode = &code
		}
		p.Events = append(p.Events, store.PracticeEvent{
			PracticeNumber: rec.Number, Seq: e.Seq, At: e.At, Action: string(e.Action),
			ActorFC: e.Actor.FiscalCode, ActorRole: string(e.Actor.Role), ActorASL: e.Actor.ASL,
			State: string(e.State), BeneficiaryNote: e.BeneficiaryNote, InternalNote: e.InternalNote,
			ReasonCode: e.ReasonCode,
		})
	}
	if a := rec.Audit; a != nil {
		key := a.Key
		p.Audit = &store.AuditEntry{
			OperatorFC: a.OperatorFC, OperatorRole: a.OperatorRole, OperatorASL: a.OperatorASL,
			BeneficiaryFC: a.BeneficiaryFC, Action: a.Action, Target: a.Target, Address: a.Address,
			Outcome: "OK", Detail: a.Detail, SourceKey: &key,
		}
	}
	return p
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

// IssueRequest records a new exemption.
type IssueRequest struct {
	PracticeNumber       string
	ASL                  string
	BeneficiaryFC        string
	BeneficiaryFirstName string
	BeneficiaryLastName  string
	ExemptionCode        string
	DiagnosisCode        string
	IssuedOn             exemption.Date
	EndDate              *exemption.Date
	IssuedBy             access.Actor
	At                   time.Time
}

// IssueExemption inserts the exemption (VALIDA, publication pending) and its
// first event, once per practice: a retry returns the same id.
func (a *Activities) IssueExemption(ctx context.Context, req IssueRequest) (int64, error) {
	e, first := exemptionRow(req)
	id, err := a.Store.IssueExemption(ctx, e, first)
	if errors.Is(err, store.ErrDuplicateExemption) {
		return 0, temporal.NewNonRetryableApplicationError("duplicate valid exemption", CodeDuplicateExemption, err)
	}
	return id, err
}

// IssueAndProjectInput is a validation's two writes.
type IssueAndProjectInput struct {
	Issue    IssueRequest
	Practice PracticeRecord
}

// IssueAndProject records the exemption (once per practice) and projects
// the validated practice with the exemption's id, in one transaction.
func (a *Activities) IssueAndProject(ctx context.Context, in IssueAndProjectInput) (int64, error) {
	if in.Practice.Number == "" || len(in.Practice.Events) == 0 {
		return 0, invalid("practice projection without number or events")
	}
	e, first := exemptionRow(in.Issue)
	id, err := a.Store.IssueAndProject(ctx, e, first, toStorePractice(in.Practice))
	if errors.Is(err, store.ErrDuplicateExemption) {
		return 0, temporal.NewNonRetryableApplicationError("duplicate valid exemption", CodeDuplicateExemption, err)
	}
	return id, err
}

// exemptionRow is the read-model row and first event of a new exemption.
func exemptionRow(req IssueRequest) (store.Exemption, store.ExemptionEvent) {
	fc, role := req.IssuedBy.FiscalCode, string(req.IssuedBy.Role)
	return store.Exemption{
			PracticeNumber: &req.PracticeNumber, BeneficiaryFC: req.BeneficiaryFC,
			BeneficiaryFirstName: req.BeneficiaryFirstName, BeneficiaryLastName: req.BeneficiaryLastName,
			ASLCode: req.ASL, ExemptionCode: req.ExemptionCode, DiagnosisCode: req.DiagnosisCode,
			IssuedOn: req.IssuedOn, EndDate: req.EndDate, State: string(exemption.Valida), Source: store.SourcePractice,
			IssuedByFC: &fc, IssuedByRole: &role, Version: 1, LastSeq: 1, CreatedAt: req.At, UpdatedAt: req.At,
		}, store.ExemptionEvent{
			Seq: 1, At: req.At, Action: "EMISSIONE", ActorFC: fc, ActorRole: role, State: string(exemption.Valida),
			NewEndDate: req.EndDate, Note: "Pratica " + req.PracticeNumber,
		}
}

// ExemptionEvent is one row of an exemption's history.
type ExemptionEvent struct {
	Seq         int
	At          time.Time
	Action      string
	Actor       access.Actor
	State       exemption.State
	OldEndDate  *exemption.Date
	NewEndDate  *exemption.Date
	Note        string
	DocumentIDs []string
}

// ExemptionRecord is an exemption's new state with the event that made it.
type ExemptionRecord struct {
	ID      int64
	State   exemption.State
	EndDate *exemption.Date
	Version int
	Event   ExemptionEvent
}

// ProjectExemption updates the exemption row (never backwards) and upserts
// the event; documents named in the event are linked to the exemption.
func (a *Activities) ProjectExemption(ctx context.Context, rec ExemptionRecord) error {
	e := rec.Event
	return a.Store.ProjectExemption(ctx, rec.ID, string(rec.State), rec.EndDate, rec.Version, store.ExemptionEvent{
		ExemptionID: rec.ID, Seq: e.Seq, At: e.At, Action: e.Action, ActorFC: e.Actor.FiscalCode,
		ActorRole: string(e.Actor.Role), State: string(e.State), OldEndDate: e.OldEndDate, NewEndDate: e.NewEndDate,
		Note: e.Note,
	}, e.DocumentIDs)
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
