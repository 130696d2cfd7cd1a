package activities_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esenzioni/activities"
	"esenzioni/domain/access"
	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/internal/apptest"
	"esenzioni/internal/config"
	"esenzioni/internal/mailsink"
	"esenzioni/workflows"
)

// TestReminderEmailsThroughARealSMTPServer issues an exemption ending
// today with a reminder due a few seconds from now: the exemption workflow's
// timer fires, the beneficiary gets one email through SMTP, and the
// operators of the ASL get a notification.
func TestReminderEmailsThroughARealSMTPServer(t *testing.T) {
	sink, err := mailsink.Start("127.0.0.1:0")
	require.NoError(t, err)
	defer sink.Close()
	e := apptest.New(t, apptest.Options{Configure: func(c *config.Config) {
		c.SMTPAddr = sink.Addr()
		now := time.Now().In(exemption.Rome)
		// Both reminders already due when the exemption is issued: the
		// 30-day one, and one whose time passed a minute before the start.
		c.ReminderOffsets = []time.Duration{30 * 24 * time.Hour, exemption.EndOfDay(exemption.DateOf(now)).Sub(now) + time.Minute}
	}})
	ctx := context.Background()
	person := e.Person("CARLA", "FERRARI", apptest.ASLTO3, "carla.ferrari@example.com")
	number := e.Submit(person, "044", "2960")
	today := exemption.DateOf(time.Now())
	res := e.Act(number, practice.Validate, access.Actor{FiscalCode: "LBRCRD53H10D205E", Role: access.OperatoreASL, ASL: apptest.ASLTO3},
		func(c *workflows.PracticeCommand) { c.Validate.EndDate = &today })
	// The validation wrote the exemption's first event with the chosen end.
	evs, err := e.Store().ExemptionEvents(ctx, res.Exemption.ID)
	require.NoError(t, err)
	require.NotEmpty(t, evs)
	require.Equal(t, "EMISSIONE", evs[0].Action)
	require.NotNil(t, evs[0].NewEndDate)
	require.Equal(t, today.Format(time.DateOnly), evs[0].NewEndDate.Format(time.DateOnly))

	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	msg, err := sink.WaitFor(wctx, func(m mailsink.Message) bool { return len(m.To) == 1 && m.To[0] == "carla.ferrari@example.com" })
	require.NoError(t, err)
	require.Contains(t, msg.Subject, "044")
	require.Contains(t, msg.Subject, today.Format("02/01/2006"))
	require.Contains(t, msg.Text, "Gentile CARLA FERRARI")
	require.Contains(t, msg.Text, "PSICOSI")

	e.Eventually(20*time.Second, "the operators' notification", func() (bool, error) {
		ns, err := e.Store().NotificationsFor(ctx, 0, apptest.ASLTO3, 10)
		return err == nil && len(ns) == 1 && strings.Contains(ns[0].Title, "044"), err
	})
	e.Eventually(20*time.Second, "the reminder in the exemption's history", func() (bool, error) {
		evs, err := e.Store().ExemptionEvents(ctx, res.Exemption.ID)
		for _, ev := range evs {
			if ev.Action == "PROMEMORIA" && strings.Contains(ev.Note, "email inviata") {
				return true, nil
			}
		}
		return false, err
	})
	// Both reminders were due (the 30-day one long ago): one email only.
	time.Sleep(time.Second)
	require.Len(t, sink.Messages(), 1)
}

// TestReminderIsSentOnceUnderRetries calls the activity again with the same
// reminder, as a retry would: no second email, no second notification.
func TestReminderIsSentOnceUnderRetries(t *testing.T) {
	sink, err := mailsink.Start("127.0.0.1:0")
	require.NoError(t, err)
	defer sink.Close()
	e := apptest.New(t, apptest.Options{NoWorker: true, Configure: func(c *config.Config) { c.SMTPAddr = sink.Addr() }})
	ctx := context.Background()
	person := e.Person("ANNA", "GALLO", apptest.ASLTO3, "anna.gallo@example.com")
	acts := e.App.Activities()
	r := activities.Reminder{ExemptionID: 99, ASL: apptest.ASLTO3, BeneficiaryFC: person.FiscalCode, ExemptionCode: "044",
		EndDate: exemption.NewDate(2027, 1, 31), DedupeKey: "99/2027-01-31/720h0m0s"}
	for i := 0; i < 3; i++ {
		sent, err := acts.SendReminderEmail(ctx, r)
		require.NoError(t, err)
		require.True(t, sent)
		require.NoError(t, acts.NotifyOperators(ctx, r))
	}
	require.Len(t, sink.Messages(), 1, "one email for one reminder")
	ns, err := e.Store().NotificationsFor(ctx, 0, apptest.ASLTO3, 10)
	require.NoError(t, err)
	require.Len(t, ns, 1, "one notification for one reminder")

	// A person without an email address: nothing is sent, and it is said.
	nobody := e.Person("PIETRO", "NERI", apptest.ASLTO3, "")
	r.BeneficiaryFC, r.DedupeKey = nobody.FiscalCode, "100/x"
	sent, err := acts.SendReminderEmail(ctx, r)
	require.NoError(t, err)
	require.False(t, sent)
}
