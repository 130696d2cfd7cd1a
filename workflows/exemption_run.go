package workflows

import (
	"fmt"
	"sort"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"esenzioni/activities"
	"esenzioni/domain/access"
	"esenzioni/domain/audit"
	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/domain/refusal"
	"esenzioni/workflows/searchattr"
)

// ExemptionWorkflow keeps an exemption's lifecycle: it publishes every
// version to the regional registry (retrying while the registry is down,
// without growing its history), sends reminders in the morning before the
// expiry (retried until the expiry), expires it after its last day
// (Europe/Rome), and accepts renewals and revocations, which move the timers
// at once. An exemption without end date holds no timer.
//
// Every effect runs after the change it reflects is in the history, as a
// regular activity idempotent by exemption and event; the caller of a change
// applies the answer's record to the read model itself (read-your-writes).
// It continues as new after a budget of events, even while a publication or
// a reminder is pending: the next run takes them over.
func ExemptionWorkflow(ctx workflow.Context, st ExemptionState) (ExemptionState, error) {
	if workflow.GetVersion(ctx, versionDurableEffects, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return legacyExemptionWorkflow(ctx, st)
	}
	if st.ID == 0 || st.State == "" {
		return st, temporal.NewNonRetryableApplicationError("exemption started without id or state", CodeBadSignal, nil)
	}
	w := &exemptionRun{st: st}
	if err := w.setup(ctx); err != nil {
		return w.st, err
	}
	return w.run(ctx)
}

type exemptionRun struct {
	st ExemptionState
	// cmds performs the changes one at a time.
	cmds serial[ChangeEndDate, ChangeResult]
	vis  visibility
	// events recorded by this run, against RunEventBudget.
	events int
	// wake re-plans the main loop: a change moved the end date, a reminder
	// was recorded.
	wake workflow.Channel
	// reminding cancels the reminders being sent: a change of end date makes
	// them moot. A slice, not a map: cancellations are commands, their
	// order must replay.
	reminding []reminding
}

type reminding struct {
	end    string
	cancel workflow.CancelFunc
}

func (w *exemptionRun) setup(ctx workflow.Context) error {
	w.wake = workflow.NewBufferedChannel(ctx, 1)
	w.cmds = newSerial[ChangeEndDate, ChangeResult](ctx, w, errExemptionBusy)
	w.st.setDefaults()
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (ExemptionState, error) { return w.st, nil }); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, MsgChangeEndDate,
		func(ctx workflow.Context, cmd ChangeEndDate) (ChangeResult, error) { return w.cmds.update(ctx, cmd) },
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, cmd ChangeEndDate) error {
			return w.cmds.validate(cmd, func() error { return w.check(ctx, cmd) })
		}})
}

func errExemptionBusy() error { return refuse(CodeExemptionStale, msgExemptionBusy) }

func (w *exemptionRun) answered(cmd ChangeEndDate) (ChangeResult, bool) {
	return answered(w.st.Processed, cmd.RequestID)
}

// check validates a change without touching state.
func (w *exemptionRun) check(ctx workflow.Context, cmd ChangeEndDate) error {
	if cmd.Unencrypted {
		return refuse(CodeUnencrypted, msgUnencrypted)
	}
	if cmd.RequestID == "" {
		return refuse(CodeExemptionBadInput, msgNoRequestID)
	}
	if !practice.ValidText(cmd.Note, true) || !practice.ValidText(cmd.RequestID, false) || len(cmd.RequestID) > practice.MaxRequestIDLength {
		return refuse(practice.CodeBadText, msgBadText)
	}
	if len([]rune(cmd.Note)) > practice.MaxNoteLength {
		return refuse(practice.CodeNoteTooLong, msgNoteTooLong, practice.MaxNoteLength)
	}
	for _, id := range cmd.DocumentIDs {
		if len(id) > 64 || !practice.ValidText(id, false) {
			return refuse(CodeExemptionBadInput, msgBadDocumentID)
		}
	}
	if r := w.st.changeRefusal(cmd); r != nil {
		return refuse(r.Code, "%s", r.Message)
	}
	if cmd.EndDate != nil && cmd.NoEndDate {
		return refuse(CodeExemptionBadDate, msgNewEndDateOrNone)
	}
	if cmd.EndDate == nil && !cmd.NoEndDate {
		return refuse(CodeExemptionBadDate, msgNewEndDate)
	}
	if cmd.EndDate != nil {
		// Not before the issue date, not beyond the bound of end dates.
		if p := exemption.CheckEndDate(*cmd.EndDate, exemption.DateOf(workflow.Now(ctx)), w.st.IssuedOn); p != nil {
			return refuse(CodeExemptionBadDate, "%s", p.Message)
		}
	}
	return nil
}

// signal performs a supervisor's change; a refusal is recorded.
func (w *exemptionRun) signal(ctx workflow.Context, cmd ChangeEndDate, bad bool) {
	if cmd.Caller != nil {
		cmd.Actor, cmd.Audit = *cmd.Caller, signalAudit(audit.ExemptionChange)
	}
	w.cmds.signal(ctx, cmd, signalRefusal(bad, cmd.Unencrypted, cmd.Caller == nil))
}

func (w *exemptionRun) refused(ctx workflow.Context, cmd ChangeEndDate, r *refusal.Refusal) {
	w.st.Refused = lastN(append(w.st.Refused, RefusedExemptionCommand{
		At: workflow.Now(ctx), RequestID: cmd.RequestID, Actor: cmd.Actor, Code: r.Code, Message: r.Message,
	}), maxRefused)
	w.publishVisibility(ctx)
	workflow.GetLogger(ctx).Warn("signal refused", "code", r.Code)
}

// perform applies a change holding the mutex. Nothing it depends on can
// fail: the read model and the registry follow it.
func (w *exemptionRun) perform(ctx workflow.Context, cmd ChangeEndDate) (ChangeResult, error) {
	if err := w.check(ctx, cmd); err != nil {
		return ChangeResult{}, err
	}
	old, kind := w.st.applyChange(cmd, exemption.DateOf(workflow.Now(ctx)),
		exemption.Unchanged(w.st.EndDate, cmd.EndDate, cmd.NoEndDate))
	if kind != exemption.Documents {
		w.cancelReminders() // the reminders of the old end date are moot
	}
	note := cmd.Note
	if n := len(cmd.DocumentIDs); n > 0 {
		note = joinNote(note, noteDocuments(n))
	}
	w.record(ctx, exemption.Event{
		Action: kind, Actor: cmd.Actor, State: w.st.State, OldEndDate: old, NewEndDate: w.st.EndDate,
		Note: note, DocumentIDs: cmd.DocumentIDs, Audit: cmd.Audit,
	})
	res := ChangeResult{ID: w.st.ID, State: w.st.State, EndDate: w.st.EndDate, Version: w.st.Version, Change: kind}
	w.st.Processed[cmd.RequestID] = res
	return w.answer(res), nil
}

// answer adds the record to apply to a stored result.
func (w *exemptionRun) answer(res ChangeResult) ChangeResult {
	rec := w.st.record()
	res.Record = &rec
	return res
}

// record adds an event: the projector writes it, the main loop re-plans.
func (w *exemptionRun) record(ctx workflow.Context, ev exemption.Event) {
	w.st.Seq++
	w.events++
	ev.Seq, ev.At = w.st.Seq, workflow.Now(ctx)
	w.st.Unprojected = append(w.st.Unprojected, ev)
	w.publishVisibility(ctx)
	w.wake.SendAsync(true) // buffered: a pending wake-up is enough
}

func (w *exemptionRun) run(ctx workflow.Context) (ExemptionState, error) {
	w.publishVisibility(ctx)
	// The coroutines that follow the state (read model, registry,
	// reminders) run in bg, which continue-as-new cancels: their pending
	// work is in the state and the next run takes it over.
	bg, stop := workflow.WithCancel(ctx)
	workflow.Go(bg, w.projector)
	workflow.Go(bg, w.publisher)
	w.resumeReminders(bg)

	signals := newInbox[ChangeEndDate](ctx, MsgChangeEndDate)
	handle := func(_ string, cmd ChangeEndDate, bad bool) { w.signal(ctx, cmd, bad) }
	for w.st.State == exemption.Valida {
		sel := workflow.NewSelector(ctx)
		next, kind := w.nextDeadline()
		timer := addDeadline(ctx, sel, next, kind)
		signals.addTo(ctx, sel, handle)
		sel.AddReceive(w.wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		sel.Select(ctx)
		timer.cancel()
		if timer.fired {
			w.onDeadline(ctx, bg, kind)
		}
		if w.st.shouldContinueAsNew(ctx, w.events) {
			stop()
			if err := workflow.Await(ctx, func() bool { return !w.cmds.mu.IsLocked() && workflow.AllHandlersFinished(ctx) }); err != nil {
				return w.st, err
			}
			signals.drain(handle)
			w.st.Runs++
			return w.st, workflow.NewContinueAsNewError(ctx, ExemptionWorkflow, w.st)
		}
	}
	// Closed (expired or revoked): the reminders are moot; finish writing
	// and publishing the final version, let handlers finish, then end.
	w.cancelReminders()
	if err := workflow.Await(ctx, func() bool {
		return w.st.PublishedVersion >= w.st.Version && len(w.st.Unprojected) == 0 &&
			len(w.reminding) == 0 && !w.cmds.mu.IsLocked() && workflow.AllHandlersFinished(ctx)
	}); err != nil {
		return w.st, err
	}
	signals.drain(handle)
	stop()
	return w.st, nil
}

// projector writes recorded events and the current state to the read model,
// oldest first, until stopped.
func (w *exemptionRun) projector(ctx workflow.Context) {
	for {
		if err := workflow.Await(ctx, func() bool { return len(w.st.Unprojected) > 0 }); err != nil {
			return
		}
		rec := w.st.record()
		err := workflow.ExecuteActivity(effectOptions(ctx), (*activities.Activities).ProjectExemptionRecord, rec).Get(ctx, nil)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			workflow.GetLogger(ctx).Error("exemption projection refused", "error", err)
			if workflow.Sleep(ctx, time.Hour) != nil {
				return
			}
			continue
		}
		w.st.Unprojected = w.st.Unprojected[len(rec.Events):]
		w.wake.SendAsync(true)
	}
}

// publisher sends the newest version to the registry whenever it is behind.
// While the registry is down the activity is retried (no history events),
// the exemption stays valid and changeable, RegistryPending is set and the
// current details say since when.
func (w *exemptionRun) publisher(ctx workflow.Context) {
	for {
		if err := workflow.Await(ctx, func() bool { return w.st.PublishedVersion < w.st.Version }); err != nil {
			return
		}
		if w.st.PublishingSince.IsZero() {
			w.st.PublishingSince = workflow.Now(ctx)
			w.publishVisibility(ctx)
		}
		v := w.st.Version
		err := workflow.ExecuteActivity(effectOptions(ctx), (*activities.Activities).PublishVersion, w.st.registryRecord()).Get(ctx, nil)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			workflow.GetLogger(ctx).Error("registry publication refused", "error", err)
			if workflow.Sleep(ctx, time.Hour) != nil {
				return
			}
			continue
		}
		if v > w.st.PublishedVersion {
			w.st.PublishedVersion = v
		}
		if w.st.PublishedVersion >= w.st.Version {
			w.st.PublishingSince = time.Time{}
		}
		w.publishVisibility(ctx)
		w.wake.SendAsync(true)
	}
}

// Deadline kinds, the timers' summaries in the Temporal UI.
const (
	deadlineExpiry = "scadenza"
	reminderPrefix = "promemoria-"
)

// ReminderKey names one reminder: the end date it warns about and how long
// before it fires. A renewal changes the end date, hence new keys.
func ReminderKey(end exemption.Date, offset time.Duration) string {
	return fmt.Sprintf("%s/%s", end.Format("2006-01-02"), offset)
}

// nextDeadline returns the earliest reminder not yet sent nor being sent, or
// the expiry.
func (w *exemptionRun) nextDeadline() (time.Time, string) {
	if w.st.EndDate == nil || w.st.State != exemption.Valida {
		return time.Time{}, ""
	}
	end := *w.st.EndDate
	best, kind := exemption.ExpiryTime(w.st.ID, end), deadlineExpiry
	for _, off := range w.offsets() {
		key := ReminderKey(end, off)
		if w.st.RemindersSent[key] || w.st.RemindersDue[key] {
			continue
		}
		// A reminder whose time passed before it was armed (the exemption
		// was issued or renewed inside the window) is sent at once.
		if at := exemption.ReminderTime(w.st.ID, end, off); at.Before(best) {
			best, kind = at, reminderPrefix+off.String()
		}
	}
	return best, kind
}

// offsets are the reminder offsets, longest first.
func (w *exemptionRun) offsets() []time.Duration {
	offsets := append([]time.Duration(nil), w.st.ReminderOffsets...)
	sort.Slice(offsets, func(i, j int) bool { return offsets[i] > offsets[j] })
	return offsets
}

// onDeadline expires the exemption or starts sending the reminders now due.
func (w *exemptionRun) onDeadline(ctx, bg workflow.Context, kind string) {
	end := *w.st.EndDate
	now := workflow.Now(ctx)
	if kind == deadlineExpiry {
		if now.Before(exemption.EndOfDay(end)) {
			return // the timer fired early: nothing due yet
		}
		w.st.State = exemption.Scaduta
		w.st.Version++
		w.record(ctx, exemption.Event{Action: exemption.Expire, Actor: access.Actor{Role: access.Sistema},
			State: w.st.State, OldEndDate: w.st.EndDate, NewEndDate: w.st.EndDate})
		return
	}
	// Every reminder now due is marked due and one email goes out, naming
	// the nearest: an exemption issued or renewed inside the window gets one
	// warning, not one per offset.
	var due []string
	var nearest time.Duration = -1
	for _, off := range w.offsets() {
		key := ReminderKey(end, off)
		if w.st.RemindersSent[key] || w.st.RemindersDue[key] || exemption.ReminderTime(w.st.ID, end, off).After(now) {
			continue
		}
		w.st.RemindersDue[key] = true
		due = append(due, key)
		nearest = off
	}
	if nearest < 0 {
		return
	}
	w.remind(bg, end, nearest, due)
}

// resumeReminders restarts the sending of reminders that were due when the
// previous run continued as new.
func (w *exemptionRun) resumeReminders(bg workflow.Context) {
	if w.st.EndDate == nil || w.st.State != exemption.Valida || len(w.st.RemindersDue) == 0 {
		return
	}
	end := *w.st.EndDate
	var due []string
	var nearest time.Duration = -1
	for _, off := range w.offsets() {
		if key := ReminderKey(end, off); w.st.RemindersDue[key] {
			due = append(due, key)
			nearest = off
		}
	}
	if nearest >= 0 {
		w.remind(bg, end, nearest, due)
	}
}

// remind sends one reminder (email to the beneficiary, notification to the
// ASL's operators) in a coroutine, retried until the exemption expires; a
// change of end date cancels it. The keys are marked sent once it is done
// either way, and the outcome is recorded as an event.
func (w *exemptionRun) remind(bg workflow.Context, end exemption.Date, offset time.Duration, keys []string) {
	endKey := end.Format("2006-01-02")
	rctx, cancel := workflow.WithCancel(bg)
	w.reminding = append(w.reminding, reminding{end: endKey, cancel: cancel})
	workflow.Go(rctx, func(ctx workflow.Context) {
		defer w.doneReminding(endKey)
		r := activities.Reminder{
			ExemptionID: w.st.ID, PracticeNumber: w.st.PracticeNumber, ASL: w.st.ASL,
			BeneficiaryFC: w.st.BeneficiaryFC, ExemptionCode: w.st.ExemptionCode, EndDate: end,
			DedupeKey: fmt.Sprintf("%d/%s", w.st.ID, ReminderKey(end, offset)),
		}
		note := noteReminder(offset)
		window := exemption.ExpiryTime(w.st.ID, end).Sub(workflow.Now(ctx))
		if window <= 0 {
			w.reminded(ctx, keys, note+noteReminderExpired)
			return
		}
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout:    time.Minute,
			ScheduleToCloseTimeout: window,
			RetryPolicy: &temporal.RetryPolicy{
				InitialInterval: 10 * time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Minute,
				MaximumAttempts:        effectAttempts, // until the expiry (the schedule-to-close bound)
				NonRetryableErrorTypes: []string{activities.ErrTypeInvalid},
			},
		})
		emailF := workflow.ExecuteActivity(actx, (*activities.Activities).SendReminderEmail, r)
		notifyF := workflow.ExecuteActivity(actx, (*activities.Activities).NotifyOperators, r)
		var sent bool
		emailErr := emailF.Get(ctx, &sent)
		notifyErr := notifyF.Get(ctx, nil)
		if ctx.Err() != nil {
			// Cancelled: the end date changed (new keys will be armed) or
			// the run continues as new (the keys stay due).
			return
		}
		w.reminded(ctx, keys, note+reminderOutcome(emailErr, sent, notifyErr))
	})
}

// cancelReminders cancels the reminders being sent.
func (w *exemptionRun) cancelReminders() {
	for _, r := range w.reminding {
		r.cancel()
	}
}

func (w *exemptionRun) doneReminding(end string) {
	for i, r := range w.reminding {
		if r.end == end {
			w.reminding = append(w.reminding[:i], w.reminding[i+1:]...)
			return
		}
	}
}

func (w *exemptionRun) reminded(ctx workflow.Context, keys []string, note string) {
	for _, k := range keys {
		w.st.RemindersSent[k] = true
		delete(w.st.RemindersDue, k)
	}
	w.record(ctx, exemption.Event{Action: exemption.Remind, Actor: access.Actor{Role: access.Sistema},
		State: w.st.State, OldEndDate: w.st.EndDate, NewEndDate: w.st.EndDate, Note: note})
}

func (w *exemptionRun) publishVisibility(ctx workflow.Context) {
	updates := []visibilityUpdate{
		keyword(searchattr.RecordKind, searchattr.KindExemption),
		keyword(searchattr.ExemptionState, string(w.st.State)),
		keyword(searchattr.AslCode, w.st.ASLShort),
		keyword(searchattr.ExemptionCode, w.st.ExemptionCode),
		boolean(searchattr.RegistryPending, w.st.PublishedVersion < w.st.Version),
		datetime(searchattr.EndDate, w.st.EndDate),
	}
	if w.st.PracticeNumber != "" {
		updates = append(updates, keyword(searchattr.PracticeNumber, w.st.PracticeNumber))
	}
	w.vis.upsert(ctx, updates)
	workflow.SetCurrentDetails(ctx, exemptionDetails(w.st))
}
