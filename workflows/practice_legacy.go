package workflows

// The practice workflow as released up to v2 (local-activity effects),
// frozen: histories recorded with it, and runs started by it, replay and
// finish on this code. New runs take the durable path (practice_run.go).
// Do not change what it does: it may call code shared with the durable path
// only where that produces the same commands and the same data (the
// recorded histories replay it: replay_test.go).

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"esenzioni/activities"
	"esenzioni/domain/access"
	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/workflows/searchattr"
)

// legacyPracticeWorkflow is PracticeWorkflow as released up to v2.
func legacyPracticeWorkflow(ctx workflow.Context, st PracticeState) (PracticeState, error) {
	w := &legacyPractice{st: st}
	// The submission itself, before any handler: an update delivered with
	// the start (update-with-start, the new-exemption wizard) must find the
	// practice already INVIATA.
	if w.st.State == "" {
		w.st.State = practice.Inviata
		w.st.Version = 1
		w.st.Events = append(w.st.Events, practice.Event{
			Seq: 1, At: w.st.Input.SubmittedAt, Action: practice.Submit, State: practice.Inviata,
			Actor: access.Actor{FiscalCode: w.st.Input.Submitter.FiscalCode, Role: w.st.Input.Submitter.Role},
		})
	}
	if err := w.setup(ctx); err != nil {
		return w.st, err
	}
	return w.run(ctx)
}

type legacyPractice struct {
	st   PracticeState
	busy bool // a command is being processed; others wait or are refused
	// audit is the audit row of the command being processed, written with
	// its projection.
	audit *activities.AuditRecord
}

// errBusy refuses a command while another one is being processed: the other
// operator acted first.

func (w *legacyPractice) setup(ctx workflow.Context) error {
	if w.st.Processed == nil {
		w.st.Processed = map[string]ActionResult{}
	}
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (PracticeState, error) { return w.st, nil }); err != nil {
		return err
	}
	for _, action := range practice.Actions { // a slice: a fixed order, unlike the map
		action, name := action, ActionMessages[action]
		err := workflow.SetUpdateHandlerWithOptions(ctx, name,
			func(ctx workflow.Context, cmd PracticeCommand) (ActionResult, error) {
				cmd.Action = action
				return w.process(ctx, cmd)
			},
			workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, cmd PracticeCommand) error {
				cmd.Action = action
				if _, done := w.st.Processed[cmd.RequestID]; done && cmd.RequestID != "" {
					return nil // answered from Processed
				}
				if w.busy {
					return errBusy()
				}
				if r := practice.Check(w.st.subject(), cmd.Command); r != nil {
					return refuse(r.Code, "%s", r.Message)
				}
				return nil
			}})
		if err != nil {
			return err
		}
	}
	return nil
}

func (w *legacyPractice) run(ctx workflow.Context) (PracticeState, error) {
	w.publishVisibility(ctx)
	if w.st.ProjectedSeq < w.st.lastSeq() {
		if err := w.project(ctx); err != nil {
			return w.st, err
		}
	}

	type signalChannel struct {
		action practice.Action
		ch     workflow.ReceiveChannel
	}
	var channels []signalChannel
	for _, action := range practice.Actions {
		channels = append(channels, signalChannel{action, workflow.GetSignalChannel(ctx, ActionMessages[action])})
	}
	pending := func() bool {
		for _, c := range channels {
			if c.ch.Len() > 0 {
				return true
			}
		}
		return false
	}
	// drain handles every signal received so far, one at a time, in the
	// fixed order of practice.Actions (deterministic on replay).
	drain := func() {
		for _, c := range channels {
			var cmd PracticeCommand
			for c.ch.ReceiveAsync(&cmd) {
				cmd.Action = c.action
				w.handleSignal(ctx, cmd)
				cmd = PracticeCommand{}
			}
		}
	}
	idle := func() bool { return !w.busy && workflow.AllHandlersFinished(ctx) }
	for !w.st.State.IsClosed() {
		// Updates run in their own handlers; the main loop wakes for signals,
		// for the closing of the practice, and for continue-as-new.
		err := workflow.Await(ctx, func() bool {
			return pending() || w.st.State.IsClosed() || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
		})
		if err != nil {
			return w.st, err
		}
		drain()
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() && !w.st.State.IsClosed() {
			if err := workflow.Await(ctx, idle); err != nil {
				return w.st, err
			}
			drain()
			return w.st, workflow.NewContinueAsNewError(ctx, PracticeWorkflow, w.st)
		}
	}
	// Let running handlers (the closing update itself) finish and drain
	// signals that arrived meanwhile, recording them as refused.
	if err := workflow.Await(ctx, idle); err != nil {
		return w.st, err
	}
	drain()
	// The exemption's lifecycle starts after the validation has answered the
	// operator, so its start does not add to the action's latency.
	if w.st.State == practice.Validata && w.st.Exemption != nil {
		if err := w.startExemptionWorkflow(ctx); err != nil {
			return w.st, err
		}
	}
	return w.st, nil
}

// handleSignal runs a supervisor's command; a refusal is recorded, not
// returned, because a signal has no caller waiting for an answer.
func (w *legacyPractice) handleSignal(ctx workflow.Context, cmd PracticeCommand) {
	if err := workflow.Await(ctx, func() bool { return !w.busy }); err != nil {
		return
	}
	if _, err := w.process(ctx, cmd); err != nil {
		r := asRefusal(err)
		w.st.Refused = append(w.st.Refused, RefusedCommand{
			At: workflow.Now(ctx), Action: cmd.Action, RequestID: cmd.RequestID, Actor: cmd.Actor,
			Code: r.Code, Message: r.Message,
		})
		w.st.Refused = lastN(w.st.Refused, maxRefused)
		workflow.GetLogger(ctx).Warn("signal refused", "action", cmd.Action, "code", r.Code)
	}
}

// process performs one command: checks, preflight look-ups, the transition,
// the projection into the read model (so the caller reads its own write),
// and for a validation the exemption. Only one runs at a time.
func (w *legacyPractice) process(ctx workflow.Context, cmd PracticeCommand) (ActionResult, error) {
	if res, done := w.st.Processed[cmd.RequestID]; done && cmd.RequestID != "" {
		return res, nil
	}
	if w.busy {
		return ActionResult{}, errBusy()
	}
	if r := practice.Check(w.st.subject(), cmd.Command); r != nil {
		return ActionResult{}, refuse(r.Code, "%s", r.Message)
	}
	w.busy = true
	defer func() { w.busy = false }()

	lctx := localOptions(ctx)
	var a *activities.Activities
	var facts activities.ValidationFacts
	switch cmd.Action {
	case practice.Reject:
		var known bool
		if err := workflow.ExecuteLocalActivity(lctx, a.RejectReasonExists, cmd.ReasonCode).Get(ctx, &known); err != nil {
			return ActionResult{}, err
		}
		if !known {
			return ActionResult{}, refuse(practice.CodeReasonUnknown, msgReasonUnknown, cmd.ReasonCode)
		}
	case practice.Validate:
		req := activities.ValidationCheck{
			PracticeNumber: w.st.Input.Number, BeneficiaryFC: w.st.Input.Beneficiary.FiscalCode,
			ExemptionCode: w.st.Input.ExemptionCode, DiagnosisCode: w.st.Input.DiagnosisCode,
		}
		if err := workflow.ExecuteLocalActivity(lctx, a.PrepareValidation, req).Get(ctx, &facts); err != nil {
			return ActionResult{}, err
		}
		if facts.DuplicateExemptionID != 0 {
			return ActionResult{}, refuse(activities.CodeDuplicateExemption, "%s", exemption.DuplicateMessage(w.st.Input.ExemptionCode))
		}
	}

	now := workflow.Now(ctx)
	from := w.st.State
	for _, to := range practice.Steps(from, cmd.Action) {
		w.st.Events = append(w.st.Events, practice.Event{
			Seq: w.st.lastSeq() + 1, At: now, Action: cmd.Action, Actor: cmd.Actor, State: to,
			BeneficiaryNote: cmd.BeneficiaryNote, InternalNote: cmd.InternalNote, ReasonCode: cmd.ReasonCode,
		})
		w.st.State = to
	}
	w.st.Version++
	w.audit = w.auditOf(cmd)
	defer func() { w.audit = nil }()

	switch {
	case cmd.Action == practice.Validate && workflow.GetVersion(ctx, versionSingleWriteValidation, workflow.DefaultVersion, 1) == 1:
		// Version 1: the exemption and the practice's projection are written
		// in one transaction (one commit less on the operator's wait).
		if err := w.issueAndProject(ctx, cmd, facts, now); err != nil {
			return ActionResult{}, err
		}
		w.publishVisibility(ctx)
	case cmd.Action == practice.Validate:
		if err := w.issueExemption(ctx, cmd, facts, now); err != nil {
			return ActionResult{}, err
		}
		w.publishVisibility(ctx)
		if err := w.project(ctx); err != nil {
			return ActionResult{}, err
		}
	default:
		w.publishVisibility(ctx)
		if err := w.project(ctx); err != nil {
			return ActionResult{}, err
		}
	}
	res := ActionResult{Number: w.st.Input.Number, State: w.st.State, Version: w.st.Version, Exemption: w.st.Exemption}
	if cmd.RequestID != "" {
		w.st.Processed[cmd.RequestID] = res
	}
	return res, nil
}

// versionSingleWriteValidation marks the change that merged the two writes
// of a validation; histories recorded before it replay the old path.
const versionSingleWriteValidation = "single-write-validation"

// exemptionDates are the start (today, Europe/Rome) and the end (the
// operator's choice, or the diagnosis duration) of a new exemption.
func exemptionDates(cmd PracticeCommand, facts activities.ValidationFacts, now time.Time) (exemption.Date, *exemption.Date) {
	start := exemption.DateOf(now)
	switch {
	case cmd.Validate.NoEndDate:
		return start, nil
	case cmd.Validate.EndDate != nil:
		d := *cmd.Validate.EndDate
		return start, &d
	}
	if d, ok := legacyEndDate(facts.Duration, start); ok {
		return start, &d
	}
	return start, nil
}

// legacyEndDate is exemption.Duration.EndDate as released up to v2 (the day
// before the same date N months later, that date clamped to the month's
// last day): the dates these runs computed, so that their replay computes
// them again. The current rule (the month's last day when it has no such
// date) is the store's, in the activity of the durable path.
func legacyEndDate(d exemption.Duration, start exemption.Date) (exemption.Date, bool) {
	months := 0
	switch d.Unit {
	case exemption.Days:
		return start.AddDate(0, 0, d.Value-1), true
	case exemption.Months:
		months = d.Value
	case exemption.Years:
		months = 12 * d.Value
	default:
		return exemption.Date{}, false
	}
	y, m, day := start.Date()
	first := time.Date(y, m+time.Month(months), 1, 0, 0, 0, 0, time.UTC)
	if last := first.AddDate(0, 1, -1).Day(); day > last {
		day = last
	}
	return time.Date(first.Year(), first.Month(), day, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1), true
}

func (w *legacyPractice) issueRequest(cmd PracticeCommand, start exemption.Date, end *exemption.Date, now time.Time) activities.IssueRequest {
	return activities.IssueRequest{
		PracticeNumber: w.st.Input.Number, ASL: w.st.Input.ASL,
		BeneficiaryFC: w.st.Input.Beneficiary.FiscalCode, BeneficiaryFirstName: w.st.Input.Beneficiary.FirstName,
		BeneficiaryLastName: w.st.Input.Beneficiary.LastName,
		ExemptionCode:       w.st.Input.ExemptionCode, DiagnosisCode: w.st.Input.DiagnosisCode,
		IssuedOn: start, EndDate: end, IssuedBy: cmd.Actor, At: now,
	}
}

// issueAndProject records the exemption and projects the validated
// practice (with the exemption's id) in one local activity.
func (w *legacyPractice) issueAndProject(ctx workflow.Context, cmd PracticeCommand, facts activities.ValidationFacts, now time.Time) error {
	start, end := exemptionDates(cmd, facts, now)
	w.st.Exemption = &IssuedExemption{ValidFrom: start, EndDate: end}
	seq := w.st.lastSeq()
	var a *activities.Activities
	var id int64
	err := workflow.ExecuteLocalActivity(localOptions(ctx), a.IssueAndProject, activities.IssueAndProjectInput{
		Issue: w.issueRequest(cmd, start, end, now), Practice: w.projection(),
	}).Get(ctx, &id)
	if err != nil {
		w.st.Exemption = nil
		return err
	}
	w.st.Exemption.ID = id
	if seq > w.st.ProjectedSeq {
		w.st.ProjectedSeq = seq
	}
	return nil
}

// issueExemption computes the dates (start today in Europe/Rome, end from
// the diagnosis duration unless the operator chose one) and records the
// exemption in the read model, idempotently by practice number.
func (w *legacyPractice) issueExemption(ctx workflow.Context, cmd PracticeCommand, facts activities.ValidationFacts, now time.Time) error {
	start, end := exemptionDates(cmd, facts, now)
	var a *activities.Activities
	var id int64
	err := workflow.ExecuteLocalActivity(localOptions(ctx), a.IssueExemption, w.issueRequest(cmd, start, end, now)).Get(ctx, &id)
	if err != nil {
		return err
	}
	w.st.Exemption = &IssuedExemption{ID: id, ValidFrom: start, EndDate: end}
	return nil
}

// startExemptionWorkflow starts the exemption's own lifecycle (timers,
// registry publication) as a child that outlives the practice.
func (w *legacyPractice) startExemptionWorkflow(ctx workflow.Context) error {
	err := startExemptionChild(ctx, w.st)
	if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return nil // started by an earlier attempt
	}
	return err
}

// projection is the read-model record of the current state, with the audit
// row of the command being processed.
func (w *legacyPractice) projection() activities.PracticeRecord {
	return activities.PracticeRecord{Record: RecordOf(w.st), Audit: w.audit}
}

// auditOf is the audit row of a command from the operators' interface
// (nil for other channels, which keep their own audit).
func (w *legacyPractice) auditOf(cmd PracticeCommand) *activities.AuditRecord {
	if cmd.Audit == nil {
		return nil
	}
	return &activities.AuditRecord{
		Key:        fmt.Sprintf("pratica:%s:%d", w.st.Input.Number, w.st.lastSeq()),
		OperatorFC: cmd.Actor.FiscalCode, OperatorRole: string(cmd.Actor.Role), OperatorASL: cmd.Audit.OperatorASL,
		BeneficiaryFC: w.st.Input.Beneficiary.FiscalCode, Action: cmd.Audit.Action, Target: w.st.Input.Number,
		Address: cmd.Audit.Address, Detail: map[string]any{"azione": string(cmd.Action)},
	}
}

// project writes the practice and its cronologia to the read model.
func (w *legacyPractice) project(ctx workflow.Context) error {
	seq := w.st.lastSeq()
	var a *activities.Activities
	if err := workflow.ExecuteLocalActivity(localOptions(ctx), a.ProjectPractice, w.projection()).Get(ctx, nil); err != nil {
		return err
	}
	if seq > w.st.ProjectedSeq {
		w.st.ProjectedSeq = seq
	}
	return nil
}

// publishVisibility updates what supervisors see in the Temporal UI: search
// attributes and the current details line. No personal data.
func (w *legacyPractice) publishVisibility(ctx workflow.Context) {
	updates := []temporal.SearchAttributeUpdate{
		searchattr.RecordKind.ValueSet(searchattr.KindPractice),
		searchattr.PracticeState.ValueSet(string(w.st.State)),
		searchattr.AslCode.ValueSet(w.st.Input.ASLShort),
		searchattr.ExemptionCode.ValueSet(w.st.Input.ExemptionCode),
		searchattr.PracticeNumber.ValueSet(w.st.Input.Number),
	}
	if ex := w.st.Exemption; ex != nil && ex.EndDate != nil {
		updates = append(updates, searchattr.EndDate.ValueSet(*ex.EndDate))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Error("upsert search attributes", "error", err)
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**Pratica %s** · codice %s · ASL %s · stato **%s** · versione %d",
		w.st.Input.Number, w.st.Input.ExemptionCode, w.st.Input.ASLShort, w.st.State, w.st.Version))
}

// localOptions: read-model writes and catalogue look-ups are quick and
// idempotent, so they run as local activities (no round trip through the
// server, which keeps operator actions fast) and are retried until
// PostgreSQL answers, because the action has happened.
func localOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 100 * time.Millisecond, MaximumInterval: 30 * time.Second,
			NonRetryableErrorTypes: []string{activities.ErrTypeInvalid},
		},
	})
}
