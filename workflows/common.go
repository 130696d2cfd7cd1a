package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"esenzioni/activities"
	"esenzioni/domain/audit"
	"esenzioni/domain/refusal"
)

// versionDurableEffects marks runs whose effects run after durability:
// regular activities, idempotent by workflow and event, and state changed
// only after the effects it depends on succeeded (practice_run.go,
// exemption_run.go). Runs without it are the legacy code (*_legacy.go).
const versionDurableEffects = "durable-effects"

// refuse is a command refused: a non-retryable application error whose
// type is the stable code and whose message is the Italian explanation.
func refuse(code, format string, args ...any) error {
	r := refusal.New(code, format, args...)
	return temporal.NewNonRetryableApplicationError(r.Message, r.Code, nil, r)
}

// asRefusal recovers the code and message of a refusal raised as an
// application error.
func asRefusal(err error) *refusal.Refusal {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return &refusal.Refusal{Code: app.Type(), Message: app.Message()}
	}
	return &refusal.Refusal{Code: "practice.failed", Message: err.Error()}
}

// Refusal codes of signals the worker cannot trust.
const (
	CodeUnencrypted = "signal.unencrypted"
	CodeNoCaller    = "signal.no_caller"
)

// effectOptions: every write (read model, registry, email) is a regular
// activity, scheduled only once the state change it reflects is in the
// history. Its retries add no history events and it shows under Pending
// Activities with its last error; with no schedule-to-close bound it is
// retried until the service answers, however long the outage.
func effectOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, // caught up within a minute of an outage's end
			MaximumAttempts:        effectAttempts,
			NonRetryableErrorTypes: []string{activities.ErrTypeInvalid, activities.CodeDuplicateExemption},
		},
	})
}

// effectAttempts bounds retries at about 70 days of outage at the maximum
// interval: in practice unlimited, and explicit, because the SDK's test
// environment caps an unlimited policy at ten attempts (the outage tests
// must see what the server does). A projection or publication that exhausts
// them is tried again by its coroutine an hour later, never dropped.
const effectAttempts = 100_000

// readOptions: catalogue look-ups a handler needs before it decides (a pure
// read) run as local activities, bounded: an outage fails the one command,
// which the caller may send again, never the workflow.
func readOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		ScheduleToCloseTimeout: 20 * time.Second,
		StartToCloseTimeout:    5 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 200 * time.Millisecond, MaximumInterval: 2 * time.Second,
			NonRetryableErrorTypes: []string{activities.ErrTypeInvalid},
		},
	})
}

// inbox receives the signals of several names and hands them over one at a
// time, in a fixed order of names (deterministic on replay).
type inbox[T any] struct {
	names    []string
	channels []workflow.ReceiveChannel
}

func newInbox[T any](ctx workflow.Context, names ...string) *inbox[T] {
	in := &inbox[T]{names: names}
	for _, n := range names {
		in.channels = append(in.channels, workflow.GetSignalChannel(ctx, n))
	}
	return in
}

// pending reports whether a signal is waiting.
func (in *inbox[T]) pending() bool {
	for _, c := range in.channels {
		if c.Len() > 0 {
			return true
		}
	}
	return false
}

// drain hands every waiting signal to handle, with the name it came by. A
// signal whose argument is not a T is handed over with bad set, to be
// refused and recorded (the SDK alone would drop it with a log line).
func (in *inbox[T]) drain(handle func(name string, msg T, bad bool)) {
	for i, c := range in.channels {
		for {
			msg, bad, ok := receiveAsync[T](c)
			if !ok {
				break
			}
			handle(in.names[i], msg, bad)
		}
	}
}

// addTo adds the inbox's channels to a selector: the one selected hands its
// signal to handle.
func (in *inbox[T]) addTo(ctx workflow.Context, sel workflow.Selector, handle func(name string, msg T, bad bool)) {
	for i, c := range in.channels {
		name := in.names[i]
		sel.AddReceive(c, func(c workflow.ReceiveChannel, _ bool) {
			msg, bad := receive[T](ctx, c)
			handle(name, msg, bad)
		})
	}
}

// receiveAsync takes a signal's argument as raw JSON and decodes it into T.
func receiveAsync[T any](c workflow.ReceiveChannel) (msg T, bad, ok bool) {
	var raw json.RawMessage
	if !c.ReceiveAsync(&raw) {
		return msg, false, false
	}
	return msg, json.Unmarshal(raw, &msg) != nil, true //workflowcheck:ignore decoding bytes is deterministic
}

// receive is receiveAsync that blocks.
func receive[T any](ctx workflow.Context, c workflow.ReceiveChannel) (msg T, bad bool) {
	var raw json.RawMessage
	c.Receive(ctx, &raw)
	return msg, json.Unmarshal(raw, &msg) != nil //workflowcheck:ignore decoding bytes is deterministic
}

// CodeBadSignal refuses a signal whose argument is not the command.
const CodeBadSignal = "signal.bad_request"

// visibility remembers the search attributes last written, so that a
// workflow upserts only those that changed: each upsert is a command and a
// history event.
type visibility struct {
	last map[string]string
}

// upsert writes the updates whose value differs from the last one written.
// key names an update (its attribute); value renders it for comparison.
func (v *visibility) upsert(ctx workflow.Context, updates []visibilityUpdate) {
	if v.last == nil {
		v.last = map[string]string{}
	}
	var changed []temporal.SearchAttributeUpdate
	for _, u := range updates {
		if old, ok := v.last[u.key]; ok && old == u.value {
			continue
		}
		v.last[u.key] = u.value
		changed = append(changed, u.update)
	}
	if len(changed) == 0 {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, changed...); err != nil {
		workflow.GetLogger(ctx).Error("upsert search attributes", "error", err)
	}
}

type visibilityUpdate struct {
	key, value string
	update     temporal.SearchAttributeUpdate
}

func keyword(k temporal.SearchAttributeKeyKeyword, v string) visibilityUpdate {
	return visibilityUpdate{k.GetName(), v, k.ValueSet(v)}
}

func datetime(k temporal.SearchAttributeKeyTime, t *time.Time) visibilityUpdate {
	if t == nil {
		return visibilityUpdate{k.GetName(), "", k.ValueUnset()}
	}
	return visibilityUpdate{k.GetName(), t.UTC().Format(time.RFC3339Nano), k.ValueSet(*t)}
}

func boolean(k temporal.SearchAttributeKeyBool, b bool) visibilityUpdate {
	return visibilityUpdate{k.GetName(), fmt.Sprint(b), k.ValueSet(b)}
}

// signalRefusal is the refusal of a signal that cannot be performed: an
// argument that is not a command, a plain (unencrypted) payload, or no
// caller stamped by the codec endpoint; nil for a signal to perform.
func signalRefusal(bad, unencrypted, noCaller bool) error {
	switch {
	case bad:
		return refuse(CodeBadSignal, msgBadSignal)
	case unencrypted:
		return refuse(CodeUnencrypted, msgUnencrypted)
	case noCaller:
		return refuse(CodeNoCaller, msgNoCaller)
	}
	return nil
}

// signalAudit is the audit context of a supervisor's signal, which acts as
// the caller the codec endpoint authenticated, not as the sender wrote.
func signalAudit(action audit.Action) *AuditContext {
	return &AuditContext{Action: action, Address: audit.ChannelTemporal, Channel: audit.ChannelTemporal}
}

// performer is a workflow run as serial sees it.
type performer[C, R any] interface {
	// answered returns the answer already given to the command's request
	// key (none without a key).
	answered(cmd C) (R, bool)
	// perform runs a command holding the mutex; answer completes a stored
	// answer for its caller (the record to apply).
	perform(ctx workflow.Context, cmd C) (R, error)
	answer(res R) R
	// refused records the refusal of a signal in the state: nobody waits
	// for its answer, supervisors read it there.
	refused(ctx workflow.Context, cmd C, r *refusal.Refusal)
}

// serial runs a workflow's commands one at a time, under mu: an update is
// refused at once while another command runs (the other operator acted
// first), a signal waits its turn. A request key already answered gets the
// same answer, even across runs.
type serial[C, R any] struct {
	mu   workflow.Mutex
	run  performer[C, R]
	busy func() error
}

func newSerial[C, R any](ctx workflow.Context, run performer[C, R], busy func() error) serial[C, R] {
	return serial[C, R]{mu: workflow.NewMutex(ctx), run: run, busy: busy}
}

// validate is an update's validator: check decides, unless the request was
// answered (the handler answers it again) or another command runs.
func (s *serial[C, R]) validate(cmd C, check func() error) error {
	if _, ok := s.run.answered(cmd); ok {
		return nil
	}
	if s.mu.IsLocked() {
		return s.busy()
	}
	return check()
}

// update performs an operator's command.
func (s *serial[C, R]) update(ctx workflow.Context, cmd C) (R, error) {
	if res, ok := s.run.answered(cmd); ok {
		return s.run.answer(res), nil
	}
	if !s.mu.TryLock(ctx) {
		var none R
		return none, s.busy()
	}
	defer s.mu.Unlock()
	return s.run.perform(ctx, cmd)
}

// signal performs a supervisor's command after the one in progress, unless
// it is refused already (signalRefusal); a refusal is recorded.
func (s *serial[C, R]) signal(ctx workflow.Context, cmd C, refused error) {
	err := refused
	if err == nil {
		if s.mu.Lock(ctx) != nil {
			return
		}
		if _, ok := s.run.answered(cmd); !ok {
			_, err = s.run.perform(ctx, cmd)
		}
		s.mu.Unlock()
	}
	if err != nil {
		s.run.refused(ctx, cmd, asRefusal(err))
	}
}

// answered looks a request key up in a state's answers (none without a key).
func answered[R any](processed map[string]R, key string) (R, bool) {
	res, ok := processed[key]
	return res, ok && key != ""
}

// deadline is a timer in a selector, shown in the Temporal UI with its
// summary; after the selection, fired says whether it fired, and cancel
// cancels it if it has not.
type deadline struct {
	fired  bool
	cancel workflow.CancelFunc
}

// addDeadline adds a timer firing at (at once if past) to sel; none for a
// zero at.
func addDeadline(ctx workflow.Context, sel workflow.Selector, at time.Time, summary string) *deadline {
	tctx, cancel := workflow.WithCancel(ctx)
	d := &deadline{cancel: cancel}
	if at.IsZero() {
		return d
	}
	wait := at.Sub(workflow.Now(ctx))
	if wait < 0 {
		wait = 0
	}
	timer := workflow.NewTimerWithOptions(tctx, wait, workflow.TimerOptions{Summary: summary})
	sel.AddFuture(timer, func(f workflow.Future) { d.fired = f.Get(ctx, nil) == nil })
	return d
}

// lastN keeps the last n elements of list (the refused commands a state
// carries, bounded through continue-as-new).
func lastN[T any](list []T, n int) []T {
	if len(list) > n {
		return list[len(list)-n:]
	}
	return list
}
