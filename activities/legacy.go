package activities

// The activities of the legacy (v2) workflow code, which running and
// recorded workflows still call by name. They write through the same
// writers as the durable path (store/records.go): bound statements, one
// transaction, idempotent.
//
// The legacy code calls the practice activities below as local activities:
// the SDK hands them the workflow's Go values and records only their result
// (a marker), so no history holds their arguments, and the argument types
// may be the domain's own records.

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
// workflow knows it, with the audit row of the action it records, if any.
type PracticeRecord struct {
	practice.Record
	Audit *AuditRecord
}

// AuditRecord is the legacy workflow's audit row of an action, written with
// its projection; of it the writer takes only the audit context.
type AuditRecord = audit.Record

// record is the practice.Record of a legacy projection: the action's audit
// context rides on its last event, as in the durable path (same key).
func (rec PracticeRecord) record() practice.Record {
	r := rec.Record
	r.Events = append([]practice.Event(nil), rec.Events...)
	if a := rec.Audit; a != nil && len(r.Events) > 0 {
		r.Events[len(r.Events)-1].Audit = &audit.Context{Action: a.Action, Address: a.Address, OperatorASL: a.OperatorASL}
	}
	return r
}

// ProjectPractice upserts the practice row and its history rows (legacy).
func (a *Activities) ProjectPractice(ctx context.Context, rec PracticeRecord) error {
	if err := rec.Writable(); err != nil {
		return invalid("%v", err)
	}
	return a.Store.ApplyPractice(ctx, rec.record())
}

// IssueRequest records a new exemption (legacy). The legacy workflow
// computes the dates itself: a nil EndDate means no end date, never the
// diagnosis duration, whatever NoEndDate says.
type IssueRequest = exemption.IssueRequest

// IssueExemption inserts the exemption (VALIDA, publication pending) and its
// first event, once per practice: a retry returns the same id (legacy).
func (a *Activities) IssueExemption(ctx context.Context, req IssueRequest) (int64, error) {
	req.NoEndDate = req.EndDate == nil
	out, err := a.Store.IssuePracticeExemption(ctx, req)
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
	if err := in.Practice.Writable(); err != nil {
		return 0, invalid("%v", err)
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
