package workflows_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"esenzioni/activities"
	"esenzioni/domain/exemption"
	"esenzioni/worker"
	"esenzioni/workflows"
)

// exemptionLog records what the exemption workflow did, with the virtual
// time of each reminder.
type exemptionLog struct {
	mu           sync.Mutex
	reminders    []time.Time
	reminderKeys []string
	notified     int
	published    []int // versions
	events       []exemption.Event
	records      []exemption.Record
	failPublish  int // publications to fail before the registry "returns"
	// registryDown and smtpDown, when set, say whether the registry or the
	// mail server is down at a (virtual) time; attempts count the calls.
	registryDown, smtpDown         func(now time.Time) bool
	publishAttempts, emailAttempts int
}

type exemptionHarness struct {
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment
	log *exemptionLog
}

func newExemptionHarness(t *testing.T, log *exemptionLog, start time.Time) *exemptionHarness {
	h := &exemptionHarness{log: log}
	h.env = h.NewTestWorkflowEnvironment()
	h.env.SetStartTime(start)
	// The suite's default execution timeout is ten years; exemptions live longer.
	h.env.SetWorkflowRunTimeout(50 * 365 * 24 * time.Hour)
	acts := &activities.Activities{}
	worker.Register(h.env, acts)
	env := h.env
	h.env.OnActivity(acts.ProjectExemptionRecord, mock.Anything, mock.Anything).Return(func(_ context.Context, rec exemption.Record) error {
		log.mu.Lock()
		defer log.mu.Unlock()
		log.records = append(log.records, rec)
		for _, e := range rec.Events {
			if n := len(log.events); n > 0 && log.events[n-1].Seq >= e.Seq {
				continue // written already
			}
			log.events = append(log.events, e)
		}
		return nil
	})
	h.env.OnActivity(acts.PublishVersion, mock.Anything, mock.Anything).Return(func(_ context.Context, rec activities.RegistryRecord) error {
		log.mu.Lock()
		defer log.mu.Unlock()
		log.publishAttempts++
		if log.registryDown != nil && log.registryDown(env.Now()) {
			return errors.New("registro regionale non disponibile")
		}
		if log.failPublish > 0 {
			log.failPublish--
			return errors.New("registro regionale non disponibile")
		}
		log.published = append(log.published, rec.Version)
		return nil
	})
	h.env.OnActivity(acts.SendReminderEmail, mock.Anything, mock.Anything).Return(func(_ context.Context, r activities.Reminder) (bool, error) {
		log.mu.Lock()
		defer log.mu.Unlock()
		log.emailAttempts++
		if log.smtpDown != nil && log.smtpDown(env.Now()) {
			return false, errors.New("smtp: 421 service not available")
		}
		log.reminders = append(log.reminders, env.Now().In(exemption.Rome))
		log.reminderKeys = append(log.reminderKeys, r.DedupeKey)
		return true, nil
	})
	h.env.OnActivity(acts.NotifyOperators, mock.Anything, mock.Anything).Return(func(_ context.Context, r activities.Reminder) error {
		log.mu.Lock()
		defer log.mu.Unlock()
		log.notified++
		return nil
	})
	return h
}

func exemptionInput(issued exemption.Date, end *exemption.Date) workflows.ExemptionState {
	return workflows.ExemptionState{
		ID: 77, PracticeNumber: number, ASL: aslTO3, ASLShort: "TO3", BeneficiaryFC: benefFC,
		ExemptionCode: "042", DiagnosisCode: "5771", IssuedOn: issued, EndDate: end,
		State: exemption.Valida, Version: 1, Seq: 1,
	}
}

func dptr(y int, m time.Month, d int) *exemption.Date {
	v := exemption.NewDate(y, m, d)
	return &v
}

func (h *exemptionHarness) change(at time.Duration, cmd workflows.ChangeEndDate, o *changeOutcome) {
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(workflows.MsgChangeEndDate, cmd.RequestID, &testsuite.TestUpdateCallback{
			OnReject: func(err error) { o.rejected = err },
			OnAccept: func() {},
			OnComplete: func(res interface{}, err error) {
				o.err = err
				if r, ok := res.(workflows.ChangeResult); ok {
					o.result = r
				}
			},
		}, cmd)
	}, at)
}

type changeOutcome struct {
	rejected error
	err      error
	result   workflows.ChangeResult
}

func rome(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, exemption.Rome)
}

// morning is when exemption 77's reminders go out on a day: 08:00 Rome
// plus its spread within the morning window.
func morning(y int, m time.Month, d int) time.Time {
	return exemption.ReminderTime(77, exemption.NewDate(y, m, d), 24*time.Hour).In(exemption.Rome)
}

// expiry is when exemption 77 expires at the start of a day (the end of the
// day before).
func expiry(y int, m time.Month, d int) time.Time {
	return exemption.ExpiryTime(77, exemption.NewDate(y, m, d-1)).In(exemption.Rome)
}

func TestRemindersThenExpiry(t *testing.T) {
	log := &exemptionLog{}
	h := newExemptionHarness(t, log, rome(2026, 3, 10, 10, 0))
	h.env.ExecuteWorkflow(workflows.ExemptionWorkflow, exemptionInput(exemption.NewDate(2026, 3, 10), dptr(2026, 6, 30)))
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())
	var st workflows.ExemptionState
	require.NoError(t, h.env.GetWorkflowResult(&st))

	require.Equal(t, exemption.Scaduta, st.State)
	require.Equal(t, []time.Time{morning(2026, 6, 1), morning(2026, 6, 24)}, log.reminders,
		"30 and 7 calendar days before the end of 30 June, in the morning")
	require.Equal(t, 2, log.notified)
	// Expired after the end of the last valid day, Europe/Rome.
	require.Equal(t, expiry(2026, 7, 1), h.env.Now().In(exemption.Rome))
	require.Equal(t, []int{1, 2}, log.published, "issue and expiry, each published once")
	require.Equal(t, 2, st.PublishedVersion)
	last := log.events[len(log.events)-1]
	require.Equal(t, exemption.Expire, last.Action)
	require.Equal(t, exemption.Scaduta, last.State)
	require.Equal(t, exemption.Scaduta, log.records[len(log.records)-1].State)
}

func TestRenewalMovesTheTimers(t *testing.T) {
	log := &exemptionLog{}
	h := newExemptionHarness(t, log, rome(2026, 3, 10, 10, 0))
	var renew changeOutcome
	// Renewed on 10 May, before any reminder: the June reminders never fire.
	h.change(61*24*time.Hour, workflows.ChangeEndDate{Actor: operatorTO3, EndDate: dptr(2026, 12, 31), ExpectedVersion: 1, RequestID: "r1"}, &renew)
	h.env.ExecuteWorkflow(workflows.ExemptionWorkflow, exemptionInput(exemption.NewDate(2026, 3, 10), dptr(2026, 6, 30)))
	require.NoError(t, h.env.GetWorkflowError())
	require.NoError(t, renew.err)
	require.Equal(t, exemption.Renew, renew.result.Change)
	require.Equal(t, 2, renew.result.Version)
	// 30 and 7 calendar days before the end of 31 December (1 January 00:00).
	require.Equal(t, []time.Time{morning(2026, 12, 2), morning(2026, 12, 25)}, log.reminders)
	require.Equal(t, expiry(2027, 1, 1), h.env.Now().In(exemption.Rome))
	require.Equal(t, []int{1, 2, 3}, log.published)
}

func TestRevokeEndsAtOnce(t *testing.T) {
	log := &exemptionLog{}
	h := newExemptionHarness(t, log, rome(2026, 3, 10, 10, 0))
	var revoke changeOutcome
	h.change(24*time.Hour, workflows.ChangeEndDate{Actor: operatorTO3, EndDate: dptr(2026, 3, 11), RequestID: "r1", Note: "revoca"}, &revoke)
	h.env.ExecuteWorkflow(workflows.ExemptionWorkflow, exemptionInput(exemption.NewDate(2026, 3, 10), dptr(2027, 3, 9)))
	require.NoError(t, h.env.GetWorkflowError())
	require.NoError(t, revoke.err)
	require.Equal(t, exemption.Revoke, revoke.result.Change)
	require.Equal(t, exemption.Annullata, revoke.result.State)
	require.Empty(t, log.reminders)
	require.Equal(t, rome(2026, 3, 11, 10, 0), h.env.Now().In(exemption.Rome), "no timer left to wait for")
	require.Equal(t, []int{1, 2}, log.published)
}

func TestNoEndDateHoldsNoTimerButAcceptsChanges(t *testing.T) {
	log := &exemptionLog{}
	h := newExemptionHarness(t, log, rome(2026, 3, 10, 10, 0))
	var timers, timersBeforeRenewal int
	h.env.SetOnTimerScheduledListener(func(string, time.Duration) { timers++ })
	var query workflows.ExemptionState
	var renew, revoke changeOutcome
	// Three years with no end date: no timer, no reminder.
	h.env.RegisterDelayedCallback(func() {
		timersBeforeRenewal = timers
		v, err := h.env.QueryWorkflow(workflows.QueryState)
		require.NoError(t, err)
		require.NoError(t, v.Get(&query))
	}, 3*365*24*time.Hour)
	h.change(3*365*24*time.Hour+time.Hour, workflows.ChangeEndDate{Actor: operatorTO3, EndDate: dptr(2029, 6, 30), RequestID: "r1"}, &renew)
	h.change(3*365*24*time.Hour+2*time.Hour, workflows.ChangeEndDate{Actor: operatorTO3, EndDate: dptr(2029, 3, 9), RequestID: "r2"}, &revoke)
	h.env.ExecuteWorkflow(workflows.ExemptionWorkflow, exemptionInput(exemption.NewDate(2026, 3, 10), nil))
	require.NoError(t, h.env.GetWorkflowError())
	require.Equal(t, exemption.Valida, query.State)
	require.Equal(t, 0, timersBeforeRenewal, "no timer before an end date exists")
	require.Positive(t, timers, "the renewal armed the timers")
	require.NoError(t, renew.err)
	require.NoError(t, revoke.err)
	require.Equal(t, exemption.Annullata, revoke.result.State)
	require.Empty(t, log.reminders)
}

func TestChangeOutOfScopeIsRefused(t *testing.T) {
	log := &exemptionLog{}
	h := newExemptionHarness(t, log, rome(2026, 3, 10, 10, 0))
	var other, stale, before, tooLate, revoke changeOutcome
	h.change(time.Hour, workflows.ChangeEndDate{Actor: operatorCN2, EndDate: dptr(2027, 12, 31), RequestID: "a"}, &other)
	h.change(3*time.Hour+time.Minute, workflows.ChangeEndDate{Actor: operatorTO3, EndDate: dptr(9999, 12, 31), RequestID: "late"}, &tooLate)
	h.change(2*time.Hour, workflows.ChangeEndDate{Actor: operatorTO3, EndDate: dptr(2027, 12, 31), ExpectedVersion: 9, RequestID: "b"}, &stale)
	h.change(3*time.Hour, workflows.ChangeEndDate{Actor: operatorTO3, EndDate: dptr(2020, 1, 1), RequestID: "c"}, &before)
	h.change(4*time.Hour, workflows.ChangeEndDate{Actor: admin, EndDate: dptr(2026, 3, 10), RequestID: "d"}, &revoke)
	h.env.ExecuteWorkflow(workflows.ExemptionWorkflow, exemptionInput(exemption.NewDate(2026, 3, 10), dptr(2027, 3, 9)))
	require.NoError(t, h.env.GetWorkflowError())
	require.Equal(t, workflows.CodeExemptionScope, refusalCode(other.rejected))
	require.Equal(t, workflows.CodeExemptionStale, refusalCode(stale.rejected))
	require.Equal(t, workflows.CodeExemptionBadDate, refusalCode(before.rejected))
	require.Equal(t, workflows.CodeExemptionBadDate, refusalCode(tooLate.rejected), "31/12/9999 is beyond the bound of end dates")
	require.NoError(t, revoke.err, "a regional administrator may revoke")
	require.Equal(t, 2, revoke.result.Version, "refused changes left the version alone")
}

func TestRegistryOutageIsRetriedDurably(t *testing.T) {
	log := &exemptionLog{failPublish: 5}
	h := newExemptionHarness(t, log, rome(2026, 3, 10, 10, 0))
	var mid workflows.ExemptionState
	var renew changeOutcome
	h.change(2*time.Second, workflows.ChangeEndDate{Actor: operatorTO3, EndDate: dptr(2027, 6, 30), RequestID: "r1"}, &renew)
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(workflows.QueryState)
		require.NoError(t, err)
		require.NoError(t, v.Get(&mid))
	}, 3*time.Second)
	h.env.ExecuteWorkflow(workflows.ExemptionWorkflow, exemptionInput(exemption.NewDate(2026, 3, 10), dptr(2026, 6, 30)))
	require.NoError(t, h.env.GetWorkflowError())
	require.NoError(t, renew.err, "changes work while the registry is down")
	require.Equal(t, exemption.Valida, mid.State)
	require.Less(t, mid.PublishedVersion, mid.Version, "publication pending during the outage")
	var st workflows.ExemptionState
	require.NoError(t, h.env.GetWorkflowResult(&st))
	require.Equal(t, st.Version, st.PublishedVersion)
	// Every version reached the registry exactly once, in order, once it
	// came back.
	require.Equal(t, []int{1, 2, 3}, log.published)
}

// TestTenYearsRenewedEveryYear follows an exemption issued on 10 March 2026
// for one year and renewed for one more year five days before each expiry,
// nine times, then left to expire. Each run continues as new after a few
// dozen events; every reminder and the final expiry fall where they should.
func TestTenYearsRenewedEveryYear(t *testing.T) {
	log := &exemptionLog{}
	st := exemptionInput(exemption.NewDate(2026, 3, 10), dptr(2027, 3, 9))
	st.RunEventBudget = 4
	now := rome(2026, 3, 10, 10, 0)
	renewals := 0
	for run := 0; run < 50; run++ {
		h := newExemptionHarness(t, log, now)
		// Schedule the renewals that fall in this run, at absolute times.
		for year := 2027; year <= 2035; year++ {
			at := rome(year, 3, 4, 9, 0) // five days before the end of 9 March
			if !at.After(now) {
				continue
			}
			year := year
			cmd := workflows.ChangeEndDate{Actor: operatorTO3, EndDate: dptr(year+1, 3, 9), RequestID: "renew-" + strconv.Itoa(year)}
			h.env.RegisterDelayedCallback(func() {
				h.env.UpdateWorkflow(workflows.MsgChangeEndDate, cmd.RequestID, &testsuite.TestUpdateCallback{
					OnReject:   func(err error) { t.Errorf("renewal %d refused: %v", year, err) },
					OnAccept:   func() {},
					OnComplete: func(_ interface{}, err error) { require.NoError(t, err); renewals++ },
				}, cmd)
			}, at.Sub(now))
		}
		h.env.ExecuteWorkflow(workflows.ExemptionWorkflow, st)
		require.True(t, h.env.IsWorkflowCompleted())
		err := h.env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			var next workflows.ExemptionState
			require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
			st, now = next, h.env.Now()
			continue
		}
		require.NoError(t, err)
		require.NoError(t, h.env.GetWorkflowResult(&st))
		now = h.env.Now()
		break
	}
	require.Equal(t, 9, renewals)
	require.Equal(t, exemption.Scaduta, st.State)
	require.Equal(t, exemption.NewDate(2036, 3, 9), *st.EndDate)
	require.Equal(t, expiry(2036, 3, 10), now.In(exemption.Rome), "expired at the end of the last day")
	require.Greater(t, st.Runs, 2, "the history was kept short by continue-as-new")

	var want []time.Time
	for year := 2027; year <= 2036; year++ {
		// 30 and 7 calendar days before 10 March 00:00: 30 days back is
		// 8 February, or 9 February in leap years.
		feb := 8
		if year%4 == 0 {
			feb = 9
		}
		want = append(want, morning(year, 2, feb), morning(year, 3, 3))
	}
	require.Equal(t, want, log.reminders)
	seen := map[string]bool{}
	for _, k := range log.reminderKeys {
		require.False(t, seen[k], "reminder %s sent twice", k)
		seen[k] = true
	}
	require.Equal(t, 20, log.notified)
	require.Equal(t, 11, log.published[len(log.published)-1], "issue + 9 renewals + expiry")
}

// A Modifica that keeps the end date and adds documents is not a renewal:
// recorded as DOCUMENTI, timers where they were.
func TestDocumentsWithTheSameEndDateAreNotARenewal(t *testing.T) {
	log := &exemptionLog{}
	h := newExemptionHarness(t, log, rome(2026, 3, 10, 10, 0))
	var docs changeOutcome
	h.change(24*time.Hour, workflows.ChangeEndDate{Actor: operatorTO3, EndDate: dptr(2026, 6, 30), ExpectedVersion: 1,
		RequestID: "r1", DocumentIDs: []string{"doc-1"}}, &docs)
	h.env.ExecuteWorkflow(workflows.ExemptionWorkflow, exemptionInput(exemption.NewDate(2026, 3, 10), dptr(2026, 6, 30)))
	require.NoError(t, h.env.GetWorkflowError())
	require.NoError(t, docs.err)
	require.Equal(t, exemption.Documents, docs.result.Change)
	require.Equal(t, exemption.Valida, docs.result.State)
	require.Equal(t, dptr(2026, 6, 30), docs.result.EndDate)
	require.Equal(t, 2, docs.result.Version)
	// The reminders (30 and 7 days before the end of 30 June) and the expiry are kept.
	require.Equal(t, []time.Time{morning(2026, 6, 1), morning(2026, 6, 24)}, log.reminders)
	require.Equal(t, expiry(2026, 7, 1), h.env.Now().In(exemption.Rome))
}
