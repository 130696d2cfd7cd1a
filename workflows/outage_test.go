package workflows_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"esenzioni/activities"
	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/worker"
	"esenzioni/workflows"
)

// Outages of days and weeks, in virtual time: no workflow fails, nothing is
// lost, and everything catches up when the service returns.

var errDown = errors.New("connection refused")

// TestDatabaseDownTenMinutes: PostgreSQL is unreachable for ten minutes
// while an operator takes and validates a practice. The take is recorded at
// once (its projection waits); the validation waits for its exemption; when
// the database returns both are written, the exemption once.
func TestDatabaseDownTenMinutes(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	acts := &activities.Activities{}
	worker.Register(env, acts)
	start := time.Date(2026, 3, 10, 9, 30, 0, 0, exemption.Rome)
	env.SetStartTime(start)
	up := func() bool { return env.Now().Sub(start) > 10*time.Minute }
	var projected []practice.Record
	issued, attempts := 0, 0
	env.OnActivity(acts.ProjectPracticeRecord, mock.Anything, mock.Anything).Return(func(_ context.Context, rec practice.Record) error {
		attempts++
		if !up() {
			return errDown
		}
		projected = append(projected, rec)
		return nil
	})
	env.OnActivity(acts.IssuePracticeExemption, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.IssueInput) (activities.Issued, error) {
		if !up() {
			return activities.Issued{}, errDown
		}
		issued++
		end := in.IssuedOn.AddDate(1, 0, -1)
		return activities.Issued{ID: 77, ValidFrom: in.IssuedOn, EndDate: &end}, nil
	})
	env.OnActivity(acts.ProjectExemptionRecord, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(acts.PublishVersion, mock.Anything, mock.Anything).Return(nil)
	var take, validate outcome
	h := &harness{env: env, t: t}
	h.update(time.Minute, workflows.MsgTake, practice.Command{Actor: operatorTO3, ExpectedVersion: 1, RequestID: "k1"}, &take)
	h.update(2*time.Minute, workflows.MsgValidate, practice.Command{Actor: operatorTO3, ExpectedVersion: 2, RequestID: "k2"}, &validate)
	env.ExecuteWorkflow(workflows.PracticeWorkflow, practiceInput())

	require.NoError(t, env.GetWorkflowError(), "no workflow fails")
	require.NoError(t, take.err)
	require.NoError(t, validate.err)
	require.Equal(t, practice.Validata, validate.result.State)
	require.Equal(t, 1, issued, "the exemption issued once")
	require.Greater(t, attempts, 3, "the projection was retried during the outage")
	last := projected[len(projected)-1]
	require.Equal(t, practice.Validata, last.State)
	require.Len(t, last.Events, 3, "submit, take, validate")
	require.Equal(t, int64(77), last.ExemptionID)
	require.True(t, env.Now().Sub(start) > 10*time.Minute)
}

// TestRegistryDownFourteenDays: the registry is down for two weeks while the
// exemption is renewed; the exemption stays valid and changeable, and every
// version reaches the registry once it returns, the newest last.
func TestRegistryDownFourteenDays(t *testing.T) {
	start := rome(2026, 3, 10, 10, 0)
	log := &exemptionLog{registryDown: func(now time.Time) bool { return now.Sub(start) < 14*24*time.Hour }}
	h := newExemptionHarness(t, log, start)
	var renew changeOutcome
	var mid workflows.ExemptionState
	h.change(7*24*time.Hour, workflows.ChangeEndDate{Actor: operatorTO3, EndDate: dptr(2028, 3, 9), RequestID: "r1"}, &renew)
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(workflows.QueryState)
		require.NoError(t, err)
		require.NoError(t, v.Get(&mid))
	}, 13*24*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		// Revoked after the outage, to end the test.
		h.env.UpdateWorkflow(workflows.MsgChangeEndDate, "r2", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Error(err) }, OnAccept: func() {}, OnComplete: func(any, error) {},
		}, workflows.ChangeEndDate{Actor: operatorTO3, EndDate: dptr(2026, 4, 1), RequestID: "r2"})
	}, 22*24*time.Hour)
	h.env.ExecuteWorkflow(workflows.ExemptionWorkflow, exemptionInput(exemption.NewDate(2026, 3, 10), dptr(2027, 3, 9)))
	require.NoError(t, h.env.GetWorkflowError(), "no workflow fails")
	require.NoError(t, renew.err, "renewed while the registry was down")
	require.Equal(t, exemption.Valida, mid.State)
	require.Equal(t, 2, mid.Version)
	require.Zero(t, mid.PublishedVersion, "nothing published during the outage")
	require.Greater(t, log.publishAttempts, 10, "retried during the outage")
	var st workflows.ExemptionState
	require.NoError(t, h.env.GetWorkflowResult(&st))
	require.Equal(t, st.Version, st.PublishedVersion)
	require.Equal(t, 3, log.published[len(log.published)-1], "the newest version published last")
	require.Zero(t, st.Runs, "the outage grew no history: no continue-as-new was needed")
}

// TestSMTPDownThreeDays: the mail server is down for three days when a
// reminder is due: the reminder is sent once, when it returns, and recorded
// as sent; the lifecycle goes on.
func TestSMTPDownThreeDays(t *testing.T) {
	start := rome(2026, 3, 10, 10, 0)
	due := exemption.ReminderTime(77, exemption.NewDate(2026, 6, 30), 30*24*time.Hour)
	log := &exemptionLog{smtpDown: func(now time.Time) bool { return now.Before(due.Add(72 * time.Hour)) }}
	h := newExemptionHarness(t, log, start)
	h.env.ExecuteWorkflow(workflows.ExemptionWorkflow, exemptionInput(exemption.NewDate(2026, 3, 10), dptr(2026, 6, 30)))
	require.NoError(t, h.env.GetWorkflowError(), "no workflow fails")
	require.Greater(t, log.emailAttempts, 5)
	require.Len(t, log.reminders, 2, "the 30-day reminder (late) and the 7-day one")
	require.True(t, !log.reminders[0].Before(due.Add(72*time.Hour)), "sent when the mail server returned")
	require.NotEqual(t, log.reminderKeys[0], log.reminderKeys[1])
	var notes []string
	for _, e := range log.events {
		if e.Action == exemption.Remind {
			notes = append(notes, e.Note)
		}
	}
	require.Len(t, notes, 2)
	require.Contains(t, notes[0], "email inviata")
	var st workflows.ExemptionState
	require.NoError(t, h.env.GetWorkflowResult(&st))
	require.Equal(t, exemption.Scaduta, st.State)
}

// TestSMTPDownUntilTheExpiry: the mail server never returns before the
// exemption expires: the reminder is given up at the expiry, recorded as not
// sent, and the exemption expires on time.
func TestSMTPDownUntilTheExpiry(t *testing.T) {
	log := &exemptionLog{smtpDown: func(time.Time) bool { return true }}
	h := newExemptionHarness(t, log, rome(2026, 3, 10, 10, 0))
	h.env.ExecuteWorkflow(workflows.ExemptionWorkflow, exemptionInput(exemption.NewDate(2026, 3, 10), dptr(2026, 6, 30)))
	require.NoError(t, h.env.GetWorkflowError())
	var st workflows.ExemptionState
	require.NoError(t, h.env.GetWorkflowResult(&st))
	require.Equal(t, exemption.Scaduta, st.State)
	require.Equal(t, expiry(2026, 7, 1), h.env.Now().In(exemption.Rome), "expired on time")
	var notSent int
	for _, e := range log.events {
		if e.Action == exemption.Remind && !strings.Contains(e.Note, "email inviata") {
			notSent++
		}
	}
	require.Positive(t, notSent, "the reminder is recorded as not sent")
}
