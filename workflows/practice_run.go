package workflows

import (
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

// PracticeWorkflow runs one practice from submission to its closing state.
//
// Operator actions arrive as Updates (validated before they enter history)
// or as Signals from supervisors (validated when received; refusals are
// recorded). An action changes the state only after the effects it depends
// on have succeeded (a validation's exemption is issued first); every other
// effect (the read model, the audit row) runs afterwards as a regular
// activity, so nothing is written that the history does not hold. The
// caller applies the answer's record to the read model itself, with the same
// idempotent upsert, to read its own write at once.
//
// It ends once the practice is closed, its projection written and every
// handler finished; a validated practice leaves a running ExemptionWorkflow
// behind.
func PracticeWorkflow(ctx workflow.Context, st PracticeState) (PracticeState, error) {
	if workflow.GetVersion(ctx, versionDurableEffects, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return legacyPracticeWorkflow(ctx, st)
	}
	if st.Input.Number == "" || st.Input.ASL == "" {
		// A start typed in clear (refused by the worker's codec) or malformed.
		return st, temporal.NewNonRetryableApplicationError("practice started without number or ASL", CodeBadSignal, nil)
	}
	w := &practiceRun{st: st}
	w.st.canonicalActions()
	w.submit()
	if err := w.setup(ctx); err != nil {
		return w.st, err
	}
	return w.run(ctx)
}

type practiceRun struct {
	st PracticeState
	// cmds performs the commands one at a time.
	cmds serial[PracticeCommand, ActionResult]
	vis  visibility
}

// submit records the submission itself, before any handler: an update
// delivered with the start (update-with-start, the new-exemption wizard)
// must find the practice already INVIATA.
func (w *practiceRun) submit() {
	if w.st.State != "" {
		if w.st.StateSince.IsZero() && len(w.st.Events) > 0 {
			w.st.StateSince = w.st.Events[len(w.st.Events)-1].At
		}
		return
	}
	in := w.st.Input
	w.st.State, w.st.Version, w.st.StateSince = practice.Inviata, 1, in.SubmittedAt
	w.st.Events = append(w.st.Events, practice.Event{
		Seq: 1, At: in.SubmittedAt, Action: practice.Submit, State: practice.Inviata,
		Actor: access.Actor{FiscalCode: in.Submitter.FiscalCode, Role: in.Submitter.Role},
		Audit: in.Audit,
	})
}

func (w *practiceRun) setup(ctx workflow.Context) error {
	if w.st.Processed == nil {
		w.st.Processed = map[string]ActionResult{}
	}
	w.cmds = newSerial[PracticeCommand, ActionResult](ctx, w, errBusy)
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (PracticeState, error) { return w.st, nil }); err != nil {
		return err
	}
	for _, action := range practice.Actions { // a slice: a fixed order, unlike the map
		action := action
		err := workflow.SetUpdateHandlerWithOptions(ctx, ActionMessages[action],
			func(ctx workflow.Context, cmd PracticeCommand) (ActionResult, error) {
				cmd.Action = action
				return w.cmds.update(ctx, cmd)
			},
			workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, cmd PracticeCommand) error {
				cmd.Action = action
				return w.cmds.validate(cmd, func() error { return w.check(ctx, cmd) })
			}})
		if err != nil {
			return err
		}
	}
	return nil
}

func (w *practiceRun) answered(cmd PracticeCommand) (ActionResult, bool) {
	return answered(w.st.Processed, cmd.RequestID)
}

// check is the whole rule of a command against the current state: pure.
func (w *practiceRun) check(ctx workflow.Context, cmd PracticeCommand) error {
	if cmd.Unencrypted {
		return refuse(CodeUnencrypted, msgUnencrypted)
	}
	if r := practice.CheckInput(cmd.Command); r != nil {
		return refuse(r.Code, "%s", r.Message)
	}
	if cmd.Validate.EndDate != nil && cmd.Validate.NoEndDate {
		return refuse(practice.CodeBadRequest, msgEndDateOrNone)
	}
	if end := cmd.Validate.EndDate; end != nil {
		today := exemption.DateOf(workflow.Now(ctx))
		if p := exemption.CheckEndDate(*end, today, today); p != nil {
			return refuse(practice.CodeBadRequest, "%s", p.Message)
		}
	}
	if r := practice.Check(w.st.subject(), cmd.Command); r != nil {
		return refuse(r.Code, "%s", r.Message)
	}
	return nil
}

// signal performs a supervisor's command, after the one in progress; a
// refusal is recorded, not returned, because nobody waits for the answer.
func (w *practiceRun) signal(ctx workflow.Context, cmd PracticeCommand, bad bool) {
	if cmd.Caller != nil {
		cmd.Actor, cmd.Audit = *cmd.Caller, signalAudit(audit.PracticeAction)
	}
	w.cmds.signal(ctx, cmd, signalRefusal(bad, cmd.Unencrypted, cmd.Caller == nil))
}

func (w *practiceRun) refused(ctx workflow.Context, cmd PracticeCommand, r *refusal.Refusal) {
	w.st.Refused = lastN(append(w.st.Refused, RefusedCommand{
		At: workflow.Now(ctx), Action: cmd.Action, RequestID: cmd.RequestID, Actor: cmd.Actor,
		Code: r.Code, Message: r.Message,
	}), maxRefused)
	w.publishVisibility(ctx)
	workflow.GetLogger(ctx).Warn("signal refused", "action", cmd.Action, "code", r.Code)
}

// perform runs one command holding the mutex: checks, the effects the
// transition depends on, then the transition itself.
func (w *practiceRun) perform(ctx workflow.Context, cmd PracticeCommand) (ActionResult, error) {
	if err := w.check(ctx, cmd); err != nil {
		return ActionResult{}, err
	}
	var issued *IssuedExemption
	if cmd.Action == practice.Reject || cmd.ReasonCode != "" {
		// A reason code, on a rejection or any other action, must be one of
		// the configured list.
		var known bool
		var a *activities.Activities
		if err := workflow.ExecuteLocalActivity(readOptions(ctx), a.RejectReasonExists, cmd.ReasonCode).Get(ctx, &known); err != nil {
			return ActionResult{}, err
		}
		if !known {
			return ActionResult{}, refuse(practice.CodeReasonUnknown, msgReasonUnknown, cmd.ReasonCode)
		}
	}
	if cmd.Action == practice.Validate {
		// The exemption first: no VALIDATA without it. The activity is
		// idempotent by practice number and refuses a second valid
		// exemption of the same code for the same person.
		// Once it is issued the transition follows unconditionally: the
		// mutex kept every other command out meanwhile.
		var err error
		if issued, err = w.issue(ctx, cmd); err != nil {
			return ActionResult{}, err
		}
	}

	now := workflow.Now(ctx)
	steps := practice.Steps(w.st.State, cmd.Action)
	for i, to := range steps {
		ev := practice.Event{
			Seq: w.st.lastSeq() + 1, At: now, Action: cmd.Action, Actor: cmd.Actor, State: to,
			BeneficiaryNote: cmd.BeneficiaryNote, InternalNote: cmd.InternalNote, ReasonCode: cmd.ReasonCode,
		}
		if i == len(steps)-1 {
			ev.Audit = cmd.Audit // one audit row per action, on its last event
		}
		w.st.Events = append(w.st.Events, ev)
		w.st.State = to
	}
	if cmd.Action != practice.AddNote { // a note does not change the state: the wait goes on
		w.st.StateSince = now
	}
	w.st.Version++
	if issued != nil {
		w.st.Exemption = issued
	}
	res := ActionResult{Number: w.st.Input.Number, State: w.st.State, Version: w.st.Version, Exemption: w.st.Exemption}
	if cmd.RequestID != "" {
		w.st.Processed[cmd.RequestID] = res
	}
	w.publishVisibility(ctx)
	return w.answer(res), nil
}

// answer adds the record to show to a stored result.
func (w *practiceRun) answer(res ActionResult) ActionResult {
	rec := RecordOf(w.st)
	res.Record = &rec
	return res
}

func errBusy() error { return refuse(practice.CodeStaleVersion, "%s", practice.ConflictMessage) }

// issue records the exemption of a validation (once per practice) and
// returns it; its dates are today (Europe/Rome) and the operator's choice
// or the diagnosis duration.
func (w *practiceRun) issue(ctx workflow.Context, cmd PracticeCommand) (*IssuedExemption, error) {
	in := w.st.Input
	req := activities.IssueInput{
		PracticeNumber: in.Number, ASL: in.ASL,
		BeneficiaryFC: in.Beneficiary.FiscalCode, BeneficiaryFirstName: in.Beneficiary.FirstName,
		BeneficiaryLastName: in.Beneficiary.LastName,
		ExemptionCode:       in.ExemptionCode, DiagnosisCode: in.DiagnosisCode,
		IssuedOn: exemption.DateOf(workflow.Now(ctx)), EndDate: cmd.Validate.EndDate, NoEndDate: cmd.Validate.NoEndDate,
		IssuedBy: cmd.Actor, At: workflow.Now(ctx),
	}
	var out activities.Issued
	if err := workflow.ExecuteActivity(effectOptions(ctx), (*activities.Activities).IssuePracticeExemption, req).Get(ctx, &out); err != nil {
		return nil, err
	}
	return &IssuedExemption{ID: out.ID, ValidFrom: out.ValidFrom, EndDate: out.EndDate}, nil
}

func (w *practiceRun) run(ctx workflow.Context) (PracticeState, error) {
	w.publishVisibility(ctx)
	// The read model follows the history: a projector writes the current
	// record whenever it is behind.
	workflow.Go(ctx, w.projector)

	signals := newInbox[PracticeCommand](ctx, actionNames()...)
	handle := func(name string, cmd PracticeCommand, bad bool) {
		cmd.Action = actionOf(name)
		w.signal(ctx, cmd, bad)
	}
	idle := func() bool { return !w.cmds.mu.IsLocked() && workflow.AllHandlersFinished(ctx) }
	for !w.st.State.IsClosed() {
		// Updates run in their own handlers; the main loop wakes for signals,
		// for the closing of the practice, and for continue-as-new.
		err := workflow.Await(ctx, func() bool {
			return signals.pending() || w.st.State.IsClosed() || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
		})
		if err != nil {
			return w.st, err
		}
		signals.drain(handle)
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() && !w.st.State.IsClosed() {
			if err := workflow.Await(ctx, func() bool { return idle() && w.projected() }); err != nil {
				return w.st, err
			}
			signals.drain(handle)
			return w.st, workflow.NewContinueAsNewError(ctx, PracticeWorkflow, w.st)
		}
	}
	// Let running handlers (the closing update itself) finish, refuse the
	// signals that arrived meanwhile, and end only once the read model
	// holds the closed practice: PostgreSQL keeps it after the workflow.
	if err := workflow.Await(ctx, idle); err != nil {
		return w.st, err
	}
	signals.drain(handle)
	if err := workflow.Await(ctx, w.projected); err != nil {
		return w.st, err
	}
	if w.st.State == practice.Validata && w.st.Exemption != nil && !w.st.ExemptionStarted {
		if err := w.startExemptionWorkflow(ctx); err != nil {
			return w.st, err
		}
	}
	return w.st, nil
}

func (w *practiceRun) projected() bool { return w.st.ProjectedSeq >= w.st.lastSeq() }

// projector writes the current record to the read model whenever it is
// behind the history. The activity is retried until PostgreSQL answers; a
// record it refuses as invalid (a bug) is retried hourly and reported in the
// logs and the current details, never dropped.
func (w *practiceRun) projector(ctx workflow.Context) {
	for {
		if err := workflow.Await(ctx, func() bool { return !w.projected() }); err != nil {
			return
		}
		seq := w.st.lastSeq()
		err := workflow.ExecuteActivity(effectOptions(ctx), (*activities.Activities).ProjectPracticeRecord, RecordOf(w.st)).Get(ctx, nil)
		if err != nil {
			workflow.GetLogger(ctx).Error("practice projection refused", "error", err)
			if workflow.Sleep(ctx, time.Hour) != nil {
				return
			}
			continue
		}
		if seq > w.st.ProjectedSeq {
			w.st.ProjectedSeq = seq
		}
	}
}

// startExemptionWorkflow starts the exemption's own lifecycle (timers,
// registry publication) as a child that outlives the practice.
func (w *practiceRun) startExemptionWorkflow(ctx workflow.Context) error {
	err := startExemptionChild(ctx, w.st, searchattr.RegistryPending.ValueSet(true))
	if err != nil && !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return err
	}
	w.st.ExemptionStarted = true
	return nil
}

// publishVisibility updates what supervisors see in the Temporal UI: search
// attributes and the current details. No personal data.
func (w *practiceRun) publishVisibility(ctx workflow.Context) {
	updates := []visibilityUpdate{
		keyword(searchattr.RecordKind, searchattr.KindPractice),
		keyword(searchattr.PracticeState, string(w.st.State)),
		keyword(searchattr.AslCode, w.st.Input.ASLShort),
		keyword(searchattr.ExemptionCode, w.st.Input.ExemptionCode),
		keyword(searchattr.PracticeNumber, w.st.Input.Number),
		datetime(searchattr.SubmittedAt, &w.st.Input.SubmittedAt),
		datetime(searchattr.StateSince, &w.st.StateSince),
	}
	if ex := w.st.Exemption; ex != nil && ex.EndDate != nil {
		updates = append(updates, datetime(searchattr.EndDate, ex.EndDate))
	}
	w.vis.upsert(ctx, updates)
	workflow.SetCurrentDetails(ctx, practiceDetails(w.st))
}

func actionNames() []string {
	names := make([]string, len(practice.Actions))
	for i, a := range practice.Actions {
		names[i] = ActionMessages[a]
	}
	return names
}

func actionOf(name string) practice.Action {
	for _, a := range practice.Actions {
		if ActionMessages[a] == name {
			return a
		}
	}
	return ""
}
