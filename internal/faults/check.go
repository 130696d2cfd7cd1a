package faults

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"

	"esenzioni/activities"
	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/store"
	"esenzioni/workflows"
)

// CheckResult is what the checker found for a set of actions.
type CheckResult struct {
	Practices  int
	Exemptions int
	// As the clients saw them.
	Attempted, Succeeded, Failed, Unknown int
	// Failed but not built to be refused.
	UnexpectedRefusals int
	// Lost: succeeded for the client, not in the history. Doubled: applied
	// more than once, or applied without a client asking for it.
	Lost, Doubled int
	// RefusedApplied: refused for the client, yet applied.
	RefusedApplied int
	// ReadModel: practice or exemption rows and events that differ from the
	// workflow (registry publication included). Audit: audit rows missing,
	// extra, rectified, or refusals recorded for actions that were not
	// refused.
	ReadModel, Audit int
	// DuplicateDeliveries are updates accepted twice in a history (the
	// second answered from the workflow's record of processed requests,
	// changing nothing): reported, not counted as doubled.
	DuplicateDeliveries int
	Details             []string
}

// Bad reports whether anything was lost, doubled or mismatched.
func (r CheckResult) Bad() bool {
	return r.Lost+r.Doubled+r.RefusedApplied+r.ReadModel+r.Audit > 0
}

func (r *CheckResult) add(o CheckResult) {
	r.Practices += o.Practices
	r.Exemptions += o.Exemptions
	r.Lost += o.Lost
	r.Doubled += o.Doubled
	r.RefusedApplied += o.RefusedApplied
	r.ReadModel += o.ReadModel
	r.Audit += o.Audit
	r.DuplicateDeliveries += o.DuplicateDeliveries
	r.Details = append(r.Details, o.Details...)
}

func (r *CheckResult) note(counter *int, format string, args ...any) {
	if counter != nil {
		*counter++
	}
	r.Details = append(r.Details, fmt.Sprintf(format, args...))
}

// practicesOf groups actions by practice number. Intakes without a final
// answer are looked up by their key: their practice may exist.
func (h *harness) practicesOf(ctx context.Context, acts []*action) (map[string][]*action, error) {
	out := map[string][]*action{}
	for _, a := range acts {
		if a.Kind == actIntake && a.Practice == "" {
			key := strings.TrimPrefix(a.RequestID, fmt.Sprintf("api:%d:", h.apiClientID))
			var number string
			err := h.db.NewSelect().Table("intake_request").Column("practice_number").
				Where("source = ? AND key = ?", fmt.Sprintf("api:%d", h.apiClientID), key).Scan(ctx, &number)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, err
			}
			a.Practice = strings.TrimSpace(number)
		}
		if a.Practice != "" {
			out[a.Practice] = append(out[a.Practice], a)
		}
	}
	return out, nil
}

// check compares, for every practice the actions touched, the workflows'
// state and histories with the read model, the audit log, the registry
// and what the clients saw.
func (h *harness) check(ctx context.Context, phase string, acts []*action) (CheckResult, error) {
	var res CheckResult
	for _, a := range acts {
		res.Attempted++
		switch a.Outcome {
		case outOK:
			res.Succeeded++
		case outRefused:
			res.Failed++
			if !a.WantRefusal {
				res.UnexpectedRefusals++
				res.Details = append(res.Details, fmt.Sprintf("unexpected refusal: %s %s %s: %s", a.Kind, a.Practice, a.RequestID, a.Last))
			}
		default:
			res.Unknown++
			res.Details = append(res.Details, fmt.Sprintf("no final answer: %s %s %s after %d attempts: %s", a.Kind, a.Practice, a.RequestID, a.Attempts, a.Last))
		}
	}
	byPractice, err := h.practicesOf(ctx, acts)
	if err != nil {
		return res, err
	}
	numbers := sortedKeys(byPractice)
	results := make([]CheckResult, len(numbers))
	errs := make([]error, len(numbers))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, n := range numbers {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i], errs[i] = h.checkPractice(ctx, n, byPractice[n])
		}()
	}
	wg.Wait()
	for i := range numbers {
		if errs[i] != nil {
			return res, errs[i]
		}
		res.add(results[i])
	}
	if phase != "" {
		h.logf("%s: checked %d practices, %d exemptions: lost %d, doubled %d, refused-applied %d, read model %d, audit %d",
			phase, res.Practices, res.Exemptions, res.Lost, res.Doubled, res.RefusedApplied, res.ReadModel, res.Audit)
	}
	return res, nil
}

// history is what the checker reads from a workflow's histories (every run).
type history struct {
	updates map[string]int // update ID -> times accepted
	issue   *activities.IssueInput
	// exemption records handed to the projection activity
	projected []exemption.Record
	// failed is set when a run failed or was terminated (a retryable error
	// must never end a workflow)
	failed string
}

func (h *harness) history(ctx context.Context, id string) (history, error) {
	out := history{updates: map[string]int{}}
	run := ""
	for hop := 0; hop < 100; hop++ {
		it := h.tc.GetWorkflowHistory(ctx, id, run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		prev := ""
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				return out, fmt.Errorf("history of %s: %w", id, err)
			}
			h.readEvent(&out, ev)
			if a := ev.GetWorkflowExecutionStartedEventAttributes(); a != nil {
				prev = a.GetContinuedExecutionRunId()
			}
		}
		if prev == "" {
			return out, nil
		}
		run = prev
	}
	return out, fmt.Errorf("history of %s: too many runs", id)
}

func (h *harness) readEvent(out *history, ev *historypb.HistoryEvent) {
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
		id := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetMeta().GetUpdateId()
		out.updates[id]++
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
		a := ev.GetActivityTaskScheduledEventAttributes()
		switch a.GetActivityType().GetName() {
		case "IssuePracticeExemption":
			var in activities.IssueInput
			if err := h.dc.FromPayloads(a.GetInput(), &in); err == nil {
				out.issue = &in
			}
		case "ProjectExemptionRecord":
			var rec exemption.Record
			if err := h.dc.FromPayloads(a.GetInput(), &rec); err == nil {
				out.projected = append(out.projected, rec)
			}
		}
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
		out.failed = "failed: " + ev.GetWorkflowExecutionFailedEventAttributes().GetFailure().GetMessage()
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
		out.failed = "terminated: " + ev.GetWorkflowExecutionTerminatedEventAttributes().GetReason()
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
		out.failed = "timed out"
	}
}

// workflowState returns the state of a workflow: its result when closed,
// the state query while it runs. found is false when it does not exist.
func workflowState[S any](ctx context.Context, h *harness, id string) (st S, running, found bool, err error) {
	desc, err := h.tc.DescribeWorkflowExecution(ctx, id, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return st, false, false, nil
	}
	if err != nil {
		return st, false, false, err
	}
	switch desc.GetWorkflowExecutionInfo().GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		v, err := h.tc.QueryWorkflow(ctx, id, "", workflows.QueryState)
		if err != nil {
			return st, true, true, fmt.Errorf("query %s: %w", id, err)
		}
		return st, true, true, v.Get(&st)
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		err := h.tc.GetWorkflow(ctx, id, "").Get(ctx, &st)
		return st, false, true, err
	default:
		return st, false, true, fmt.Errorf("workflow %s is %s", id, desc.GetWorkflowExecutionInfo().GetStatus())
	}
}

// groups splits a practice's events after the submission into its actions:
// one per action, two events for a validation straight from INVIATA.
func groups(events []practice.Event) [][]practice.Event {
	var out [][]practice.Event
	for i := 1; i < len(events); i++ {
		e := events[i]
		if n := len(out); n > 0 && e.Action == practice.Validate && e.State == practice.Validata &&
			len(out[n-1]) == 1 && out[n-1][0].Action == practice.Validate && out[n-1][0].State == practice.InLavorazione {
			out[n-1] = append(out[n-1], e)
			continue
		}
		out = append(out, []practice.Event{e})
	}
	return out
}

var actionOfKind = map[string]practice.Action{
	actTake: practice.Take, actValidate: practice.Validate, actReject: practice.Reject,
	actNote: practice.AddNote, actCancel: practice.Cancel,
}

func (h *harness) checkPractice(ctx context.Context, number string, acts []*action) (CheckResult, error) {
	var r CheckResult
	r.Practices = 1
	id := practice.WorkflowID(number)
	st, _, found, err := workflowState[workflows.PracticeState](ctx, h, id)
	if err != nil {
		r.note(&r.ReadModel, "practice %s: %v", number, err)
		return r, nil
	}
	intakeOK, intakeRefused := false, false
	for _, a := range acts {
		intakeOK = intakeOK || (a.Kind == actIntake && a.Outcome == outOK)
		intakeRefused = intakeRefused || (a.Kind == actIntake && a.Outcome == outRefused)
	}
	if !found {
		if intakeOK {
			r.note(&r.Lost, "practice %s: intake succeeded, no workflow", number)
		}
		return r, nil
	}
	if intakeRefused {
		r.note(&r.RefusedApplied, "practice %s: intake refused, workflow exists", number)
	}
	hist, err := h.history(ctx, id)
	if err != nil {
		return r, err
	}
	if hist.failed != "" {
		r.note(&r.ReadModel, "practice %s: a run %s", number, hist.failed)
	}

	// What the clients saw against what the workflow did.
	known := map[string]*action{}
	for _, a := range acts {
		act, ok := actionOfKind[a.Kind]
		if !ok {
			continue
		}
		known[a.RequestID] = a
		res, applied := st.Processed[a.RequestID]
		accepted := hist.updates[a.RequestID]
		if accepted > 1 {
			r.note(&r.DuplicateDeliveries, "practice %s: update %s (%s) accepted %d times", number, a.RequestID, a.Kind, accepted)
		}
		switch a.Outcome {
		case outOK:
			if !applied {
				r.note(&r.Lost, "practice %s: %s %s succeeded for the client, not in the workflow (accepted %d times)", number, a.Kind, a.RequestID, accepted)
				continue
			}
		case outRefused:
			if applied || accepted > 0 {
				r.note(&r.RefusedApplied, "practice %s: %s %s refused for the client (%s), applied", number, a.Kind, a.RequestID, a.Last)
			}
			continue
		}
		if !applied {
			continue
		}
		// Version v is the (v-1)th action after the submission.
		gs := groups(st.Events)
		if i := res.Version - 2; i < 0 || i >= len(gs) || gs[i][0].Action != act {
			r.note(&r.Doubled, "practice %s: %s %s answered version %d, which is not its action in the history", number, a.Kind, a.RequestID, res.Version)
		}
	}
	gs := groups(st.Events)
	if len(gs) != len(st.Processed) {
		r.note(&r.Doubled, "practice %s: %d actions in the history, %d requests processed", number, len(gs), len(st.Processed))
	}
	for _, k := range sortedKeys(st.Processed) {
		if a := known[k]; a == nil || (a.Outcome != outOK && a.Outcome != outUnknown) {
			if a == nil {
				r.note(&r.Doubled, "practice %s: request %s applied, sent by no client", number, k)
			}
		}
	}
	var dupes int
	if err := h.db.NewSelect().Table("practice").Where("beneficiary_fc = ?", st.Input.Beneficiary.FiscalCode).
		ColumnExpr("count(*)").Scan(ctx, &dupes); err != nil {
		return r, err
	}
	if dupes > 1 {
		r.note(&r.Doubled, "practice %s: %d practices for its beneficiary (one intake each)", number, dupes)
	}

	// The read model.
	rec := workflows.RecordOf(st).Sanitized()
	var row store.Practice
	err = h.db.NewSelect().Model(&row).ExcludeColumn("state_since").Where("number = ?", number).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		r.note(&r.ReadModel, "practice %s: not in the read model (workflow %s v%d)", number, st.State, st.Version)
		return r, nil
	}
	if err != nil {
		return r, err
	}
	comparePractice(&r, rec, row)
	var events []store.PracticeEvent
	if err := h.db.NewSelect().Model(&events).Where("practice_number = ?", number).Order("seq").Scan(ctx); err != nil {
		return r, err
	}
	comparePracticeEvents(&r, number, rec.Events, events)

	// The audit log: one row per action, none for actions not in the
	// history, no rectification, refusals only for refused requests.
	want := map[string]bool{}
	for _, a := range rec.Audits() {
		want[a.Key] = true
	}
	if err := h.checkAudit(ctx, &r, "pratica:"+number+":", want); err != nil {
		return r, err
	}
	refusedAttempts := 0
	for _, a := range acts {
		if a.Outcome == outRefused && actionOfKind[a.Kind] != "" && a.Kind != actCancel {
			refusedAttempts += a.Attempts
		}
	}
	var refusedRows int
	if err := h.db.NewSelect().Table("audit_log").ColumnExpr("count(*)").
		Where("target = ? AND outcome = 'RIFIUTATA'", number).Scan(ctx, &refusedRows); err != nil {
		return r, err
	}
	if refusedRows > refusedAttempts {
		r.note(&r.Audit, "practice %s: %d RIFIUTATA audit rows, the clients saw %d refused attempts", number, refusedRows, refusedAttempts)
	}

	if st.Exemption != nil {
		r.Exemptions++
		if err := h.checkExemption(ctx, &r, number, st.Exemption.ID, hist.issue, acts); err != nil {
			return r, err
		}
	} else if st.State == practice.Validata {
		r.note(&r.ReadModel, "practice %s: VALIDATA without exemption", number)
	}
	return r, nil
}

func (h *harness) checkAudit(ctx context.Context, r *CheckResult, prefix string, want map[string]bool) error {
	var keys []string
	if err := h.db.NewSelect().Table("audit_log").Column("source_key").
		Where("source_key LIKE ? OR source_key LIKE ?", prefix+"%", "rettifica:"+prefix+"%").Scan(ctx, &keys); err != nil {
		return err
	}
	have := map[string]int{}
	for _, k := range keys {
		have[k]++
	}
	for _, k := range sortedKeys(want) {
		if have[k] != 1 {
			r.note(&r.Audit, "audit %s: %d rows for an action in the history", k, have[k])
		}
	}
	for _, k := range sortedKeys(have) {
		if !want[k] {
			r.note(&r.Audit, "audit %s: row for no action in the history", k)
		}
	}
	return nil
}

func sameTime(a, b time.Time) bool {
	d := a.Sub(b)
	return d < time.Microsecond && d > -time.Microsecond
}

func sameDate(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Format(time.DateOnly) == b.Format(time.DateOnly)
}

func comparePractice(r *CheckResult, rec practice.Record, row store.Practice) {
	var diffs []string
	if row.State != string(rec.State) {
		diffs = append(diffs, fmt.Sprintf("state %s != %s", row.State, rec.State))
	}
	if row.Version != rec.Version {
		diffs = append(diffs, fmt.Sprintf("version %d != %d", row.Version, rec.Version))
	}
	if row.LastSeq != rec.LastSeq() {
		diffs = append(diffs, fmt.Sprintf("last_seq %d != %d", row.LastSeq, rec.LastSeq()))
	}
	if last := rec.Events[len(rec.Events)-1]; !sameTime(row.UpdatedAt, last.At) {
		diffs = append(diffs, fmt.Sprintf("updated_at %s != %s", row.UpdatedAt.Format(time.RFC3339Nano), last.At.Format(time.RFC3339Nano)))
	}
	var exID int64
	if row.ExemptionID != nil {
		exID = *row.ExemptionID
	}
	if exID != rec.ExemptionID {
		diffs = append(diffs, fmt.Sprintf("exemption %d != %d", exID, rec.ExemptionID))
	}
	if !sameDate(row.ValidFrom, rec.ValidFrom) || !sameDate(row.ValidUntil, rec.ValidUntil) {
		diffs = append(diffs, "validity dates differ")
	}
	if (row.ClosedAt != nil) != rec.State.IsClosed() {
		diffs = append(diffs, "closed_at differs")
	}
	if len(diffs) > 0 {
		r.note(&r.ReadModel, "practice %s: read model differs: %s", rec.Number, strings.Join(diffs, "; "))
	}
}

func comparePracticeEvents(r *CheckResult, number string, want []practice.Event, have []store.PracticeEvent) {
	if len(want) != len(have) {
		r.note(&r.ReadModel, "practice %s: %d events in the read model, %d in the workflow", number, len(have), len(want))
		return
	}
	for i, w := range want {
		g := have[i]
		if g.Seq != w.Seq || !sameTime(g.At, w.At) || g.Action != string(w.Action) || g.State != string(w.State) ||
			strings.TrimSpace(g.ActorFC) != w.Actor.FiscalCode || g.ActorRole != string(w.Actor.Role) ||
			g.BeneficiaryNote != w.BeneficiaryNote || g.InternalNote != w.InternalNote || g.ReasonCode != w.ReasonCode {
			r.note(&r.ReadModel, "practice %s: event %d differs: read model %d %s %s %s, workflow %d %s %s %s", number, i,
				g.Seq, g.Action, g.State, g.At.Format(time.RFC3339Nano), w.Seq, w.Action, w.State, w.At.Format(time.RFC3339Nano))
		}
	}
}

var changeOfKind = map[string]bool{actRenew: true, actRevoke: true}

func (h *harness) checkExemption(ctx context.Context, r *CheckResult, number string, id int64, issue *activities.IssueInput, acts []*action) error {
	wid := exemption.WorkflowID(id)
	st, _, found, err := workflowState[workflows.ExemptionState](ctx, h, wid)
	if err != nil {
		r.note(&r.ReadModel, "exemption %d: %v", id, err)
		return nil
	}
	if !found {
		r.note(&r.ReadModel, "exemption %d (practice %s): no workflow", id, number)
		return nil
	}
	hist, err := h.history(ctx, wid)
	if err != nil {
		return err
	}
	if hist.failed != "" {
		r.note(&r.ReadModel, "exemption %d: a run %s", id, hist.failed)
	}

	// The events: the issue (written by the validation's activity), then
	// what the projection activity was given, then what is still waiting.
	events := map[int]exemption.Event{}
	if issue != nil {
		events[1] = exemption.Event{Seq: 1, At: issue.At, Action: exemption.Issue, State: exemption.Valida}
	}
	for _, rec := range append(hist.projected, exemption.Record{Events: st.Unprojected}) {
		for _, e := range rec.Events {
			if old, ok := events[e.Seq]; ok && (!sameTime(old.At, e.At) || old.Action != e.Action) {
				r.note(&r.Doubled, "exemption %d: event %d recorded twice (%s %s, %s %s)", id, e.Seq, old.Action, old.At, e.Action, e.At)
			}
			events[e.Seq] = e
		}
	}

	// What the clients saw.
	changes := 0
	for seq := 2; seq <= st.Seq; seq++ {
		if e, ok := events[seq]; ok && e.Action != exemption.Expire && e.Action != exemption.Remind {
			changes++
		}
	}
	known := map[string]bool{}
	for _, a := range acts {
		if !changeOfKind[a.Kind] || a.Exemption != id {
			continue
		}
		known[a.RequestID] = true
		_, applied := st.Processed[a.RequestID]
		accepted := hist.updates[a.RequestID]
		if accepted > 1 {
			r.note(&r.DuplicateDeliveries, "exemption %d: update %s accepted %d times", id, a.RequestID, accepted)
		}
		switch a.Outcome {
		case outOK:
			if !applied {
				r.note(&r.Lost, "exemption %d: %s %s succeeded for the client, not in the workflow", id, a.Kind, a.RequestID)
			}
		case outRefused:
			if applied || accepted > 0 {
				r.note(&r.RefusedApplied, "exemption %d: %s %s refused for the client (%s), applied", id, a.Kind, a.RequestID, a.Last)
			}
		}
	}
	if changes != len(st.Processed) {
		r.note(&r.Doubled, "exemption %d: %d changes in the history, %d requests processed", id, changes, len(st.Processed))
	}
	for _, k := range sortedKeys(st.Processed) {
		if !known[k] {
			r.note(&r.Doubled, "exemption %d: request %s applied, sent by no client", id, k)
		}
	}

	// The read model.
	var row store.Exemption
	if err := h.db.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
		r.note(&r.ReadModel, "exemption %d: read model: %v", id, err)
		return nil
	}
	var diffs []string
	if row.State != string(st.State) {
		diffs = append(diffs, fmt.Sprintf("state %s != %s", row.State, st.State))
	}
	if row.Version != st.Version {
		diffs = append(diffs, fmt.Sprintf("version %d != %d", row.Version, st.Version))
	}
	if row.LastSeq != st.Seq {
		diffs = append(diffs, fmt.Sprintf("last_seq %d != %d", row.LastSeq, st.Seq))
	}
	if !sameDate(row.EndDate, st.EndDate) {
		diffs = append(diffs, "end date differs")
	}
	if st.PublishedVersion != st.Version {
		diffs = append(diffs, fmt.Sprintf("workflow published v%d of v%d", st.PublishedVersion, st.Version))
	}
	if row.PublishedVersion != st.PublishedVersion {
		diffs = append(diffs, fmt.Sprintf("published_version %d != %d", row.PublishedVersion, st.PublishedVersion))
	}
	if len(diffs) > 0 {
		r.note(&r.ReadModel, "exemption %d: read model differs: %s", id, strings.Join(diffs, "; "))
	}
	var rows []store.ExemptionEvent
	if err := h.db.NewSelect().Model(&rows).Where("exemption_id = ?", id).Order("seq").Scan(ctx); err != nil {
		return err
	}
	if len(rows) != st.Seq {
		r.note(&r.ReadModel, "exemption %d: %d events in the read model, %d in the workflow", id, len(rows), st.Seq)
	}
	want := map[string]bool{}
	for _, g := range rows {
		w, ok := events[g.Seq]
		switch {
		case !ok:
			r.note(&r.ReadModel, "exemption %d: event %d (%s) in the read model, in no history", id, g.Seq, g.Action)
		case !sameTime(g.At, w.At) || g.Action != string(w.Action) || g.State != string(w.State) ||
			(g.Seq > 1 && (!sameDate(g.NewEndDate, w.NewEndDate) || !sameDate(g.OldEndDate, w.OldEndDate))):
			r.note(&r.ReadModel, "exemption %d: event %d differs: read model %s %s %s, workflow %s %s %s", id, g.Seq,
				g.Action, g.State, g.At.Format(time.RFC3339Nano), w.Action, w.State, w.At.Format(time.RFC3339Nano))
		}
	}
	for seq, e := range events {
		if e.Audit != nil {
			want[exemption.AuditKey(id, seq)] = true
		}
	}
	if err := h.checkAudit(ctx, r, "esenzione:"+strconv.FormatInt(id, 10)+":", want); err != nil {
		return err
	}
	refusedAttempts := 0
	for _, a := range acts {
		if a.Outcome == outRefused && changeOfKind[a.Kind] && a.Exemption == id {
			refusedAttempts += a.Attempts
		}
	}
	var refusedRows int
	if err := h.db.NewSelect().Table("audit_log").ColumnExpr("count(*)").
		Where("target = ? AND outcome = 'RIFIUTATA'", strconv.FormatInt(id, 10)).Scan(ctx, &refusedRows); err != nil {
		return err
	}
	if refusedRows > refusedAttempts {
		r.note(&r.Audit, "exemption %d: %d RIFIUTATA audit rows, the clients saw %d refused attempts", id, refusedRows, refusedAttempts)
	}

	// The registry holds the published version.
	var reg struct {
		Version int        `bun:"version"`
		State   string     `bun:"state"`
		EndDate *time.Time `bun:"end_date,type:date"`
	}
	err = h.db.NewSelect().Table("registry_exemption").Column("version", "state", "end_date").Where("exemption_id = ?", id).Scan(ctx, &reg)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		r.note(&r.ReadModel, "exemption %d: not in the registry", id)
	case err != nil:
		return err
	case reg.Version != st.Version || reg.State != string(st.State) || !sameDate(reg.EndDate, st.EndDate):
		r.note(&r.ReadModel, "exemption %d: registry holds v%d %s, workflow v%d %s", id, reg.Version, reg.State, st.Version, st.State)
	}
	return nil
}

// settle waits until the workflows of the actions' practices have no
// effect pending: practices closed or projected, exemptions projected and
// published, no activity pending.
func (h *harness) settle(ctx context.Context, acts []*action) error {
	byPractice, err := h.practicesOf(ctx, acts)
	if err != nil {
		return err
	}
	pending := sortedKeys(byPractice)
	deadline := time.Now().Add(h.opts.SettleTimeout)
	start := time.Now()
	for len(pending) > 0 {
		var still []string
		for _, n := range pending {
			ok, err := h.quiet(ctx, n)
			if err != nil || !ok {
				still = append(still, n)
			}
		}
		pending = still
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			sort.Strings(pending)
			if len(pending) > 10 {
				pending = pending[:10]
			}
			return fmt.Errorf("%d practices still busy after %s (e.g. %s)", len(still), h.opts.SettleTimeout, strings.Join(pending, ", "))
		}
		if err := sleepCtx(ctx, 2*time.Second); err != nil {
			return err
		}
	}
	h.logf("settled in %s", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// quiet reports whether a practice (and its exemption) has no effect
// pending.
func (h *harness) quiet(ctx context.Context, number string) (bool, error) {
	id := practice.WorkflowID(number)
	if busy, err := h.pendingActivities(ctx, id); err != nil || busy {
		return false, err
	}
	st, running, found, err := workflowState[workflows.PracticeState](ctx, h, id)
	if err != nil || !found {
		return !found, err
	}
	if running && (st.ProjectedSeq < st.Events[len(st.Events)-1].Seq || (st.State == practice.Validata && !st.ExemptionStarted)) {
		return false, nil
	}
	if st.Exemption == nil {
		return true, nil
	}
	wid := exemption.WorkflowID(st.Exemption.ID)
	if busy, err := h.pendingActivities(ctx, wid); err != nil || busy {
		return false, err
	}
	ex, _, found, err := workflowState[workflows.ExemptionState](ctx, h, wid)
	if err != nil || !found {
		return false, err
	}
	return len(ex.Unprojected) == 0 && ex.PublishedVersion >= ex.Version, nil
}

func (h *harness) pendingActivities(ctx context.Context, id string) (bool, error) {
	desc, err := h.tc.DescribeWorkflowExecution(ctx, id, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return len(desc.GetPendingActivities()) > 0, nil
}
