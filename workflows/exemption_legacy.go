package workflows

// The exemption workflow as released up to v2 (local-activity effects),
// frozen: histories recorded with it, and runs started by it, replay and
// finish on this code; its continue-as-new starts the durable path
// (exemption_run.go). Do not change what it does: it may call code shared
// with the durable path only where that produces the same commands and the
// same data (the recorded histories replay it: replay_test.go).

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"esenzioni/activities"
	"esenzioni/domain/access"
	"esenzioni/domain/exemption"
	"esenzioni/workflows/searchattr"
)

// legacyExemptionWorkflow is ExemptionWorkflow as released up to v2.
func legacyExemptionWorkflow(ctx workflow.Context, st ExemptionState) (ExemptionState, error) {
	w := &legacyExemption{st: st}
	if err := w.setup(ctx); err != nil {
		return w.st, err
	}
	return w.run(ctx)
}

type legacyExemption struct {
	st   ExemptionState
	busy bool
	// events recorded by this run, against RunEventBudget.
	events int
	// replan wakes the timer loop when a change moved the end date.
	replan workflow.Channel
}

func (w *legacyExemption) setup(ctx workflow.Context) error {
	w.replan = workflow.NewBufferedChannel(ctx, 1)
	w.st.setDefaults() // RemindersDue too, which this code does not use
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (ExemptionState, error) { return w.st, nil }); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, MsgChangeEndDate,
		func(ctx workflow.Context, cmd ChangeEndDate) (ChangeResult, error) { return w.change(ctx, cmd) },
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, cmd ChangeEndDate) error {
			if _, done := w.st.Processed[cmd.RequestID]; done && cmd.RequestID != "" {
				return nil
			}
			if w.busy {
				return refusalError(CodeExemptionStale, msgExemptionBusy)
			}
			return w.check(ctx, cmd)
		}})
}

// check validates a change without touching state.
func (w *legacyExemption) check(ctx workflow.Context, cmd ChangeEndDate) error {
	if cmd.RequestID == "" {
		return refusalError(CodeExemptionBadInput, msgNoRequestID)
	}
	if r := w.st.changeRefusal(cmd); r != nil {
		return refusalError(r.Code, "%s", r.Message)
	}
	if cmd.EndDate == nil && !cmd.NoEndDate {
		return refusalError(CodeExemptionBadDate, msgNewEndDate)
	}
	if cmd.EndDate != nil && cmd.EndDate.Before(w.st.IssuedOn) {
		return refusalError(CodeExemptionBadDate, msgLegacyBeforeIssueOn, w.st.IssuedOn.Format("02/01/2006"))
	}
	return nil
}

func refusalError(code, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return temporal.NewNonRetryableApplicationError(msg, code, nil)
}

func (w *legacyExemption) change(ctx workflow.Context, cmd ChangeEndDate) (ChangeResult, error) {
	if res, done := w.st.Processed[cmd.RequestID]; done && cmd.RequestID != "" {
		return res, nil
	}
	if err := w.check(ctx, cmd); err != nil {
		return ChangeResult{}, err
	}
	w.busy = true
	defer func() { w.busy = false }()

	// Documents added with the same end date are not a renewal since the
	// version marker (asked only then, as released).
	documentsOnly := exemption.Unchanged(w.st.EndDate, cmd.EndDate, cmd.NoEndDate) &&
		workflow.GetVersion(ctx, versionDocumentsOnly, workflow.DefaultVersion, 1) == 1
	old, kind := w.st.applyChange(cmd, exemption.DateOf(workflow.Now(ctx)), documentsOnly)
	w.replan.SendAsync(true) // buffered: a pending wake-up is enough
	note := cmd.Note
	if len(cmd.DocumentIDs) > 0 {
		note = joinNote(note, legacyNoteDocuments(len(cmd.DocumentIDs)))
	}
	if err := w.record(ctx, string(kind), cmd.Actor, old, note, cmd.DocumentIDs); err != nil {
		return ChangeResult{}, err
	}
	res := ChangeResult{ID: w.st.ID, State: w.st.State, EndDate: w.st.EndDate, Version: w.st.Version, Change: kind}
	w.st.Processed[cmd.RequestID] = res
	return res, nil
}

// record writes one event and the new state to the read model.
func (w *legacyExemption) record(ctx workflow.Context, action string, actor access.Actor, oldEnd *exemption.Date, note string, docs []string) error {
	w.st.Seq++
	w.events++
	w.publishVisibility(ctx)
	var a *activities.Activities
	return workflow.ExecuteLocalActivity(localOptions(ctx), a.ProjectExemption, activities.ExemptionRecord{
		ID: w.st.ID, State: w.st.State, EndDate: w.st.EndDate, Version: w.st.Version,
		Event: activities.ExemptionEvent{
			Seq: w.st.Seq, At: workflow.Now(ctx), Action: action, Actor: actor, State: w.st.State,
			OldEndDate: oldEnd, NewEndDate: w.st.EndDate, Note: note, DocumentIDs: docs,
		},
	}).Get(ctx, nil)
}

func (w *legacyExemption) run(ctx workflow.Context) (ExemptionState, error) {
	w.publishVisibility(ctx)
	logger := workflow.GetLogger(ctx)
	signal := workflow.GetSignalChannel(ctx, MsgChangeEndDate)

	// Registry publication runs beside the timers: while the registry is
	// down the exemption is valid, its publication pending, and renewals
	// still work; the newest version is published when it returns.
	publishing := false
	workflow.Go(ctx, func(ctx workflow.Context) {
		// Version 1 publishes with one local activity (registry, then read
		// model): no activity task round trips through the server for each
		// exemption issued. Older histories replay the activity path.
		local := false
		for {
			if err := workflow.Await(ctx, func() bool { return w.st.PublishedVersion < w.st.Version }); err != nil {
				return
			}
			local = local || workflow.GetVersion(ctx, versionLocalPublication, workflow.DefaultVersion, 1) == 1
			publishing = true
			v := w.st.Version
			var a *activities.Activities
			var err error
			if local {
				err = workflow.ExecuteLocalActivity(publishLocalOptions(ctx), a.PublishAndRecord, w.st.registryRecord()).Get(ctx, nil)
			} else {
				err = workflow.ExecuteActivity(publishOptions(ctx), (*activities.Activities).PublishExemption, w.st.registryRecord()).Get(ctx, nil)
			}
			publishing = false
			if err != nil {
				logger.Error("registry publication failed", "error", err)
				return
			}
			w.st.PublishedVersion = v
			if !local {
				_ = workflow.ExecuteLocalActivity(localOptions(ctx), a.MarkPublished, activities.Publication{ID: w.st.ID, Version: v}).Get(ctx, nil)
			}
		}
	})

	// drain handles the signals received so far (this code decodes them
	// straight into the command, unlike the inbox of the durable path).
	drain := func() {
		for {
			var cmd ChangeEndDate
			if !signal.ReceiveAsync(&cmd) {
				return
			}
			w.handleSignal(ctx, cmd)
		}
	}
	for w.st.State == exemption.Valida {
		sel := workflow.NewSelector(ctx)
		next, kind := w.nextDeadline(workflow.Now(ctx))
		timer := addDeadline(ctx, sel, next, kind)
		sel.AddReceive(signal, func(c workflow.ReceiveChannel, _ bool) {
			var cmd ChangeEndDate
			c.Receive(ctx, &cmd)
			w.handleSignal(ctx, cmd)
		})
		// An update moved the end date: wake up and re-plan.
		sel.AddReceive(w.replan, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		sel.Select(ctx)
		timer.cancel()
		if timer.fired {
			if err := w.onDeadline(ctx, kind); err != nil {
				return w.st, err
			}
		}
		if w.st.shouldContinueAsNew(ctx, w.events) {
			if err := workflow.Await(ctx, func() bool { return !w.busy && !publishing && workflow.AllHandlersFinished(ctx) }); err != nil {
				return w.st, err
			}
			drain()
			w.st.Runs++
			return w.st, workflow.NewContinueAsNewError(ctx, ExemptionWorkflow, w.st)
		}
	}
	// Closed (expired or revoked): finish publishing the final version, let
	// handlers finish, then end.
	if err := workflow.Await(ctx, func() bool {
		return w.st.PublishedVersion >= w.st.Version && !w.busy && workflow.AllHandlersFinished(ctx)
	}); err != nil {
		return w.st, err
	}
	drain()
	return w.st, nil
}

// nextDeadline returns the earliest pending reminder or the expiry.
func (w *legacyExemption) nextDeadline(now time.Time) (time.Time, string) {
	if w.st.EndDate == nil || w.st.State != exemption.Valida {
		return time.Time{}, ""
	}
	end := *w.st.EndDate
	type deadline struct {
		at   time.Time
		kind string
	}
	var ds []deadline
	offsets := append([]time.Duration(nil), w.st.ReminderOffsets...)
	sort.Slice(offsets, func(i, j int) bool { return offsets[i] > offsets[j] })
	for _, off := range offsets {
		key := ReminderKey(end, off)
		at := exemption.ReminderAt(end, off)
		// A reminder whose time passed before it was armed (the exemption
		// was issued or renewed inside the window) is sent at once: the
		// beneficiary still needs the warning.
		if !w.st.RemindersSent[key] {
			ds = append(ds, deadline{at, reminderPrefix + off.String()})
		}
	}
	ds = append(ds, deadline{exemption.EndOfDay(end), deadlineExpiry})
	best := ds[0]
	for _, d := range ds[1:] {
		if d.at.Before(best.at) {
			best = d
		}
	}
	return best.at, best.kind
}

// onDeadline sends a reminder or expires the exemption.
func (w *legacyExemption) onDeadline(ctx workflow.Context, kind string) error {
	end := *w.st.EndDate
	if kind == deadlineExpiry {
		w.st.State = exemption.Scaduta
		w.st.Version++
		return w.record(ctx, string(exemption.Expire), access.Actor{Role: access.Sistema}, w.st.EndDate, "", nil)
	}
	// Every reminder now due is marked sent and one email goes out, naming
	// the nearest: an exemption issued or renewed inside the window gets one
	// warning, not one per offset.
	now := workflow.Now(ctx)
	var nearest time.Duration = -1
	for _, off := range w.st.ReminderOffsets {
		if !exemption.ReminderAt(end, off).After(now) {
			w.st.RemindersSent[ReminderKey(end, off)] = true
			if nearest < 0 || off < nearest {
				nearest = off
			}
		}
	}
	if nearest < 0 {
		return nil // the timer fired early: nothing due yet
	}
	r := activities.Reminder{
		ExemptionID: w.st.ID, PracticeNumber: w.st.PracticeNumber, ASL: w.st.ASL,
		BeneficiaryFC: w.st.BeneficiaryFC, ExemptionCode: w.st.ExemptionCode, EndDate: end,
		DedupeKey: fmt.Sprintf("%d/%s", w.st.ID, ReminderKey(end, nearest)),
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: 10 * time.Minute, MaximumAttempts: 50},
	})
	emailF := workflow.ExecuteActivity(actx, (*activities.Activities).SendReminderEmail, r)
	notifyF := workflow.ExecuteActivity(actx, (*activities.Activities).NotifyOperators, r)
	var sent bool
	emailErr := emailF.Get(ctx, &sent)
	notifyErr := notifyF.Get(ctx, nil)
	note := noteReminder(nearest) + reminderOutcome(emailErr, sent, notifyErr)
	return w.record(ctx, string(exemption.Remind), access.Actor{Role: access.Sistema}, w.st.EndDate, note, nil)
}

func (w *legacyExemption) handleSignal(ctx workflow.Context, cmd ChangeEndDate) {
	if err := workflow.Await(ctx, func() bool { return !w.busy }); err != nil {
		return
	}
	if _, err := w.change(ctx, cmd); err != nil {
		var appErr *temporal.ApplicationError
		code := "exemption.failed"
		if errors.As(err, &appErr) {
			code = appErr.Type()
		}
		w.st.Refused = append(w.st.Refused, RefusedExemptionCommand{
			At: workflow.Now(ctx), RequestID: cmd.RequestID, Actor: cmd.Actor, Code: code, Message: appMessage(err),
		})
		w.st.Refused = lastN(w.st.Refused, maxRefused)
		workflow.GetLogger(ctx).Warn("signal refused", "code", code)
	}
}

func appMessage(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	return err.Error()
}

func (w *legacyExemption) publishVisibility(ctx workflow.Context) {
	updates := []temporal.SearchAttributeUpdate{
		searchattr.RecordKind.ValueSet(searchattr.KindExemption),
		searchattr.ExemptionState.ValueSet(string(w.st.State)),
		searchattr.AslCode.ValueSet(w.st.ASLShort),
		searchattr.ExemptionCode.ValueSet(w.st.ExemptionCode),
	}
	if w.st.PracticeNumber != "" {
		updates = append(updates, searchattr.PracticeNumber.ValueSet(w.st.PracticeNumber))
	}
	if w.st.EndDate != nil {
		updates = append(updates, searchattr.EndDate.ValueSet(*w.st.EndDate))
	} else {
		updates = append(updates, searchattr.EndDate.ValueUnset())
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Error("upsert search attributes", "error", err)
	}
	end := "senza scadenza"
	if w.st.EndDate != nil {
		end = "fino al " + w.st.EndDate.Format("02/01/2006")
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**Esenzione %d** · codice %s · ASL %s · **%s** %s · versione %d (registro: v%d)",
		w.st.ID, w.st.ExemptionCode, w.st.ASLShort, w.st.State, end, w.st.Version, w.st.PublishedVersion))
}

// versionLocalPublication marks the move of the registry publication to a
// local activity.
const versionLocalPublication = "local-publication"

// versionDocumentsOnly marks a Modifica that keeps the end date and adds
// documents, recorded as DOCUMENTI (it was recorded as a renewal before).
const versionDocumentsOnly = "documents-only"

// publishLocalOptions: the registry may be down for hours; the local
// activity retries forever with a capped backoff (the SDK turns long
// backoffs into timers), and publication is idempotent by version.
func publishLocalOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		// Without a schedule-to-close bound the SDK would stop retrying
		// after one start-to-close: a registry outage can last days.
		ScheduleToCloseTimeout: 365 * 24 * time.Hour,
		StartToCloseTimeout:    30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
		},
	})
}

// publishOptions is the activity path of histories before
// versionLocalPublication.
func publishOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
		},
	})
}
