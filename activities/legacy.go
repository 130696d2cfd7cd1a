package activities

// The activities of the legacy (v2) workflow code, which running and
// recorded workflows still call by name. They write through the same
// writers as the durable path (store/records.go): bound statements, one
// transaction, idempotent.

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"

	"esenzioni/domain/access"
	"esenzioni/domain/audit"
	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/store"
)

// PracticeRecord is a practice and its whole cronologia, as the legacy
// workflow knows it.
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

// AuditRecord is the legacy workflow's audit row of an action, written with
// its projection; Key named its last event.
type AuditRecord struct {
	Key           string
	OperatorFC    string
	OperatorRole  string
	OperatorASL   string
	BeneficiaryFC string
	Action        audit.Action
	Target        string
	Address       string
	Detail        map[string]any
}

// record is the practice.Record of a legacy projection: the action's audit
// context rides on its last event, as in the durable path (same key).
func (rec PracticeRecord) record() practice.Record {
	r := practice.Record{
		Number: rec.Number, ASL: rec.ASL, DistrictID: rec.DistrictID, BeneficiaryFC: rec.BeneficiaryFC,
		BeneficiaryFirstName: rec.BeneficiaryFirstName, BeneficiaryLastName: rec.BeneficiaryLastName,
		SubmitterKind: rec.SubmitterKind, SubmitterFC: rec.SubmitterFC, SubmitterRole: rec.SubmitterRole,
		ExemptionCode: rec.ExemptionCode, DiagnosisCode: rec.DiagnosisCode, State: rec.State, Version: rec.Version,
		CreatedAt: rec.CreatedAt, ExemptionID: rec.ExemptionID, ValidFrom: rec.ValidFrom, ValidUntil: rec.ValidUntil,
		Events: append([]practice.Event(nil), rec.Events...),
	}
	if a := rec.Audit; a != nil && len(r.Events) > 0 {
		r.Events[len(r.Events)-1].Audit = &audit.Context{Action: a.Action, Address: a.Address, OperatorASL: a.OperatorASL}
	}
	return r
}

// ProjectPractice upserts the practice row and its history rows (legacy).
func (a *Activities) ProjectPractice(ctx context.Context, rec PracticeRecord) error {
	if rec.Number == "" || len(rec.Events) == 0 {
		return invalid("practice projection without number or events")
	}
	return a.Store.ApplyPractice(ctx, rec.record())
}

// IssueRequest records a new exemption (legacy: dates computed by the
// workflow).
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
// first event, once per practice: a retry returns the same id (legacy).
func (a *Activities) IssueExemption(ctx context.Context, req IssueRequest) (int64, error) {
	out, err := a.Store.IssuePracticeExemption(ctx, exemption.IssueRequest{
		PracticeNumber: req.PracticeNumber, ASL: req.ASL, BeneficiaryFC: req.BeneficiaryFC,
		BeneficiaryFirstName: req.BeneficiaryFirstName, BeneficiaryLastName: req.BeneficiaryLastName,
		ExemptionCode: req.ExemptionCode, DiagnosisCode: req.DiagnosisCode, IssuedOn: req.IssuedOn,
		EndDate: req.EndDate, NoEndDate: req.EndDate == nil, IssuedBy: req.IssuedBy, At: req.At,
	})
	if errors.Is(err, store.ErrDuplicateExemption) {
		return 0, temporal.NewNonRetryableApplicationError("duplicate valid exemption", CodeDuplicateExemption, err)
	}
	return out.ID, err
}

// IssueAndProjectInput is a validation's two writes (legacy).
type IssueAndProjectInput struct {
	Issue    IssueRequest
	Practice PracticeRecord
}

// IssueAndProject records the exemption (once per practice) and projects
// the validated practice with the exemption's id (legacy).
func (a *Activities) IssueAndProject(ctx context.Context, in IssueAndProjectInput) (int64, error) {
	if in.Practice.Number == "" || len(in.Practice.Events) == 0 {
		return 0, invalid("practice projection without number or events")
	}
	id, err := a.IssueExemption(ctx, in.Issue)
	if err != nil {
		return 0, err
	}
	rec := in.Practice.record()
	rec.ExemptionID = id
	return id, a.Store.ApplyPractice(ctx, rec)
}

// ExemptionEvent is one row of an exemption's history (legacy).
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

// ExemptionRecord is an exemption's new state with the event that made it
// (legacy).
type ExemptionRecord struct {
	ID      int64
	State   exemption.State
	EndDate *exemption.Date
	Version int
	Event   ExemptionEvent
}

// ProjectExemption updates the exemption row (never backwards) and adds the
// event (legacy).
func (a *Activities) ProjectExemption(ctx context.Context, rec ExemptionRecord) error {
	e := rec.Event
	return a.Store.ApplyExemption(ctx, exemption.Record{
		ID: rec.ID, State: rec.State, EndDate: rec.EndDate, Version: rec.Version,
		Events: []exemption.Event{{
			Seq: e.Seq, At: e.At, Action: exemption.Change(e.Action), Actor: e.Actor, State: e.State,
			OldEndDate: e.OldEndDate, NewEndDate: e.NewEndDate, Note: e.Note, DocumentIDs: e.DocumentIDs,
		}},
	})
}
