package exemption

import (
	"strings"
	"testing"
	"time"
)

func rome(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, Rome)
}

func TestEndDateTable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start Date
		dur   Duration
		want  Date
	}{
		{"1 year, the manual's example", NewDate(2026, 3, 10), Duration{1, Years}, NewDate(2027, 3, 9)},
		{"1 day is the start day", NewDate(2026, 3, 10), Duration{1, Days}, NewDate(2026, 3, 10)},
		{"30 days over a month end", NewDate(2026, 1, 20), Duration{30, Days}, NewDate(2026, 2, 18)},
		{"days over 29 February", NewDate(2028, 2, 28), Duration{3, Days}, NewDate(2028, 3, 1)},
		{"days over the year end", NewDate(2026, 12, 31), Duration{2, Days}, NewDate(2027, 1, 1)},
		{"1 month", NewDate(2026, 3, 10), Duration{1, Months}, NewDate(2026, 4, 9)},
		{"1 month from the 1st", NewDate(2026, 2, 1), Duration{1, Months}, NewDate(2026, 2, 28)},
		{"1 month from 1 February, leap year", NewDate(2028, 2, 1), Duration{1, Months}, NewDate(2028, 2, 29)},
		// The same date a month later does not exist: it is the last day
		// of that month (not Go's overflow into March), and validity
		// ends the day before.
		{"1 month from 31 January", NewDate(2026, 1, 31), Duration{1, Months}, NewDate(2026, 2, 28)}, // no 31 February: the last day,
		{"1 month from 31 January, leap year", NewDate(2028, 1, 31), Duration{1, Months}, NewDate(2028, 2, 29)},
		{"1 month from 30 January", NewDate(2026, 1, 30), Duration{1, Months}, NewDate(2026, 2, 28)},
		{"1 month from 31 March", NewDate(2026, 3, 31), Duration{1, Months}, NewDate(2026, 4, 30)},
		{"1 month from 31 December", NewDate(2026, 12, 31), Duration{1, Months}, NewDate(2027, 1, 30)},
		{"6 months from 31 August", NewDate(2026, 8, 31), Duration{6, Months}, NewDate(2027, 2, 28)},
		{"12 months equal 1 year", NewDate(2026, 5, 31), Duration{12, Months}, NewDate(2027, 5, 30)},
		{"13 months over the year", NewDate(2026, 12, 15), Duration{13, Months}, NewDate(2028, 1, 14)},
		{"1 year from 29 February", NewDate(2024, 2, 29), Duration{1, Years}, NewDate(2025, 2, 28)},
		{"4 years from 29 February", NewDate(2024, 2, 29), Duration{4, Years}, NewDate(2028, 2, 28)},
		{"1 year from 1 March of a leap year", NewDate(2028, 3, 1), Duration{1, Years}, NewDate(2029, 2, 28)},
		{"1 year from 1 March before a leap day", NewDate(2027, 3, 1), Duration{1, Years}, NewDate(2028, 2, 29)},
		{"5 years", NewDate(2026, 12, 5), Duration{5, Years}, NewDate(2031, 12, 4)},
		{"1 year from 1 January", NewDate(2026, 1, 1), Duration{1, Years}, NewDate(2026, 12, 31)},
	} {
		got, ok := tc.dur.EndDate(tc.start)
		if !ok || !got.Equal(tc.want) {
			t.Errorf("%s: %s from %s ends %s (ok %v), want %s", tc.name, tc.dur, tc.start.Format(time.DateOnly),
				got.Format(time.DateOnly), ok, tc.want.Format(time.DateOnly))
		}
		if got.Location() != time.UTC || got.Hour() != 0 {
			t.Errorf("%s: %v is not a date (midnight UTC)", tc.name, got)
		}
	}
	if _, ok := (Duration{}).EndDate(NewDate(2026, 1, 1)); ok {
		t.Error("an unlimited duration has an end date")
	}
}

// For every start of three years (a leap one among them) and 1-24 months:
// the end is the day before the same day N months later, or before that
// month's last day when the day does not exist; never in the month after.
func TestEndDateMonthsProperty(t *testing.T) {
	for start := NewDate(2027, 1, 1); start.Before(NewDate(2030, 1, 1)); start = start.AddDate(0, 0, 1) {
		prev := Date{}
		for n := 1; n <= 24; n++ {
			end, _ := Duration{n, Months}.EndDate(start)
			// The month N months later, and its last day.
			target := time.Date(start.Year(), start.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
			last := target.AddDate(0, 1, -1)
			if start.Day() <= last.Day() {
				// The first day no longer valid is the same date N months later.
				next := end.AddDate(0, 0, 1)
				if !next.Equal(target.AddDate(0, 0, start.Day()-1)) {
					t.Fatalf("%s + %d months: end %s", start.Format(time.DateOnly), n, end.Format(time.DateOnly))
				}
			} else if !end.Equal(last) {
				// No such date that month: valid to its last day (art. 2963 c.c.).
				t.Fatalf("%s + %d months: end %s, want the month's last day", start.Format(time.DateOnly), n, end.Format(time.DateOnly))
			}
			if !end.After(prev) {
				t.Fatalf("%s: %d months end %s, not after %d months", start.Format(time.DateOnly), n, end.Format(time.DateOnly), n-1)
			}
			prev = end
			if years, _ := (Duration{n, Years}).EndDate(start); n <= 2 {
				if twelve, _ := (Duration{12 * n, Months}).EndDate(start); !years.Equal(twelve) {
					t.Fatalf("%s: %d years %s, %d months %s", start.Format(time.DateOnly), n, years, 12*n, twelve)
				}
			}
		}
	}
}

func TestDurationTable(t *testing.T) {
	for _, tc := range []struct {
		d     Duration
		valid bool
		text  string
	}{
		{Duration{}, true, "senza scadenza"},
		{Duration{1, Days}, true, "1 giorno"},
		{Duration{15, Days}, true, "15 giorni"},
		{Duration{1, Months}, true, "1 mese"},
		{Duration{6, Months}, true, "6 mesi"},
		{Duration{1, Years}, true, "1 anno"},
		{Duration{10, Years}, true, "10 anni"},
		{Duration{Value: 3}, false, "senza scadenza"},
		{Duration{0, Years}, false, "0 anni"},
		{Duration{-1, Days}, false, "-1 giorni"},
		{Duration{1, "WEEKS"}, false, "1 anno"},
	} {
		if err := tc.d.Validate(); (err == nil) != tc.valid {
			t.Errorf("%+v: Validate = %v", tc.d, err)
		}
		if tc.d.String() != tc.text {
			t.Errorf("%+v: %q, want %q", tc.d, tc.d.String(), tc.text)
		}
		if tc.d.Unlimited() != (tc.d.Unit == "") {
			t.Errorf("%+v: Unlimited %v", tc.d, tc.d.Unlimited())
		}
	}
}

func TestDateOfAndEndOfDayInRome(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   time.Time
		want Date
	}{
		{"23:30 UTC in winter is tomorrow in Rome", time.Date(2026, 1, 31, 23, 30, 0, 0, time.UTC), NewDate(2026, 2, 1)},
		{"22:30 UTC in summer is tomorrow in Rome", time.Date(2026, 6, 30, 22, 30, 0, 0, time.UTC), NewDate(2026, 7, 1)},
		{"21:59 UTC in summer is today", time.Date(2026, 6, 30, 21, 59, 0, 0, time.UTC), NewDate(2026, 6, 30)},
		{"the year turns an hour early", time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), NewDate(2027, 1, 1)},
		{"the night daylight saving starts", time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), NewDate(2026, 3, 29)},
		{"the night daylight saving ends", time.Date(2026, 10, 24, 22, 30, 0, 0, time.UTC), NewDate(2026, 10, 25)},
		{"a date stays itself", NewDate(2026, 3, 10), NewDate(2026, 3, 10)},
	} {
		if got := DateOf(tc.at); !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("%s: DateOf = %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		end  Date
		want time.Time // the following midnight in Rome
		day  time.Duration
	}{
		{"winter", NewDate(2026, 1, 15), time.Date(2026, 1, 15, 23, 0, 0, 0, time.UTC), 24 * time.Hour},
		{"summer", NewDate(2026, 7, 15), time.Date(2026, 7, 15, 22, 0, 0, 0, time.UTC), 24 * time.Hour},
		{"the eve of the change to summer time", NewDate(2026, 3, 28), time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC), 24 * time.Hour},
		{"the 23-hour day", NewDate(2026, 3, 29), time.Date(2026, 3, 29, 22, 0, 0, 0, time.UTC), 23 * time.Hour},
		{"the 25-hour day", NewDate(2026, 10, 25), time.Date(2026, 10, 25, 23, 0, 0, 0, time.UTC), 25 * time.Hour},
		{"31 December", NewDate(2026, 12, 31), time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), 24 * time.Hour},
		{"28 February of a leap year", NewDate(2028, 2, 28), time.Date(2028, 2, 28, 23, 0, 0, 0, time.UTC), 24 * time.Hour},
	} {
		got := EndOfDay(tc.end)
		if !got.Equal(tc.want) {
			t.Errorf("%s: EndOfDay = %v, want %v", tc.name, got.UTC(), tc.want)
		}
		if length := got.Sub(EndOfDay(tc.end.AddDate(0, 0, -1))); length != tc.day {
			t.Errorf("%s: the last day lasts %v, want %v", tc.name, length, tc.day)
		}
		if !DateOf(got).Equal(tc.end.AddDate(0, 0, 1)) || !DateOf(got.Add(-time.Nanosecond)).Equal(tc.end) {
			t.Errorf("%s: EndOfDay is not the boundary of the day in Rome", tc.name)
		}
	}
}

// Reminders at whole days are calendar days in Rome, whatever daylight
// saving does in between; other offsets are exact durations.
func TestReminderAtTable(t *testing.T) {
	const day = 24 * time.Hour
	for _, tc := range []struct {
		name   string
		end    Date
		offset time.Duration
		want   time.Time
	}{
		{"the doc's example", NewDate(2026, 3, 9), 30 * day, rome(2026, 2, 8, 0, 0)},
		{"30 days across the change to summer time", NewDate(2026, 4, 20), 30 * day, rome(2026, 3, 22, 0, 0)},
		{"30 days across the change to winter time", NewDate(2026, 11, 10), 30 * day, rome(2026, 10, 12, 0, 0)},
		{"1 day: the start of the last day", NewDate(2026, 3, 29), day, rome(2026, 3, 29, 0, 0)},
		{"1 day, the 25-hour day", NewDate(2026, 10, 25), day, rome(2026, 10, 25, 0, 0)},
		{"7 days across a month end", NewDate(2026, 3, 3), 7 * day, rome(2026, 2, 25, 0, 0)},
		{"60 days across a leap day", NewDate(2028, 4, 1), 60 * day, rome(2028, 2, 2, 0, 0)},
		{"365 days across a year end", NewDate(2027, 1, 15), 365 * day, rome(2026, 1, 16, 0, 0)},
		{"an exact duration", NewDate(2026, 7, 15), 90 * time.Minute, rome(2026, 7, 15, 22, 30)},
		{"an exact duration across the change to winter time", NewDate(2026, 10, 25), 25*time.Hour + time.Minute, rome(2026, 10, 24, 23, 59)},
		{"an exact duration across the change to summer time", NewDate(2026, 3, 29), 23*time.Hour + time.Minute, rome(2026, 3, 28, 23, 59)},
	} {
		got := ReminderAt(tc.end, tc.offset)
		if !got.Equal(tc.want) {
			t.Errorf("%s: ReminderAt = %v, want %v", tc.name, got.In(Rome), tc.want)
		}
		if !got.Before(EndOfDay(tc.end)) {
			t.Errorf("%s: the reminder is not before the end", tc.name)
		}
	}
}

func TestReminderAndExpiryTimesTable(t *testing.T) {
	const day = 24 * time.Hour
	for _, tc := range []struct {
		name   string
		end    Date
		offset time.Duration
		date   Date // the day of the reminder in Rome
	}{
		{"30 days, winter", NewDate(2026, 2, 20), 30 * day, NewDate(2026, 1, 22)},
		{"30 days across the change to summer time", NewDate(2026, 4, 20), 30 * day, NewDate(2026, 3, 22)},
		{"on the 23-hour day", NewDate(2026, 4, 27), 30 * day, NewDate(2026, 3, 29)},
		{"on the 25-hour day", NewDate(2026, 11, 23), 30 * day, NewDate(2026, 10, 25)},
		{"1 day: the morning of the last day", NewDate(2026, 10, 25), day, NewDate(2026, 10, 25)},
		{"across 29 February", NewDate(2028, 3, 2), 3 * day, NewDate(2028, 2, 29)},
	} {
		for id := int64(1); id <= 300; id++ {
			got := ReminderTime(id, tc.end, tc.offset)
			local := got.In(Rome)
			if !DateOf(got).Equal(tc.date) || local.Hour() < ReminderHour || !got.Before(rome(tc.date.Year(), tc.date.Month(), tc.date.Day(), ReminderHour, 0).Add(ReminderWindow)) {
				t.Fatalf("%s, id %d: ReminderTime = %v, want %s between 08:00 and 10:00", tc.name, id, local, tc.date.Format(time.DateOnly))
			}
			if again := ReminderTime(id, tc.end, tc.offset); !again.Equal(got) {
				t.Fatalf("%s, id %d: not stable", tc.name, id)
			}
			if got.Second() != 0 || got.Nanosecond() != 0 {
				t.Fatalf("%s, id %d: %v is not on a minute", tc.name, id, local)
			}
		}
	}
	// Exact offsets ignore the morning and the spread.
	if got, want := ReminderTime(7, NewDate(2026, 10, 25), 2*time.Hour), rome(2026, 10, 25, 22, 0); !got.Equal(want) {
		t.Errorf("exact offset: %v, want %v", got.In(Rome), want)
	}

	for _, end := range []Date{NewDate(2026, 3, 28), NewDate(2026, 3, 29), NewDate(2026, 10, 24), NewDate(2026, 10, 25), NewDate(2028, 2, 28)} {
		for id := int64(1); id <= 300; id++ {
			got := ExpiryTime(id, end)
			local := got.In(Rome)
			if !DateOf(got).Equal(end.AddDate(0, 0, 1)) || local.Hour() != 0 || local.Minute() >= 30 {
				t.Fatalf("end %s, id %d: ExpiryTime = %v, want 00:00-00:29 the day after", end.Format(time.DateOnly), id, local)
			}
			if got.Before(EndOfDay(end)) {
				t.Fatalf("end %s, id %d: expires before the end of its last day", end.Format(time.DateOnly), id)
			}
		}
	}
}

// The spread uses the whole window, so that a day's reminders do not all
// leave in the same minute.
func TestSpreadCoversTheWindow(t *testing.T) {
	for _, window := range []time.Duration{ReminderWindow, ExpiryWindow} {
		minutes := map[time.Duration]bool{}
		for id := int64(1); id <= 5000; id++ {
			s := spread(id, window)
			if s < 0 || s >= window || s%time.Minute != 0 {
				t.Fatalf("spread(%d, %v) = %v", id, window, s)
			}
			minutes[s] = true
		}
		if want := int(window / time.Minute); len(minutes) < want*9/10 {
			t.Errorf("window %v: only %d of %d minutes used", window, len(minutes), want)
		}
	}
}

func TestExpiringTable(t *testing.T) {
	end := NewDate(2026, 4, 20)
	deadline := EndOfDay(end) // 21 April 00:00 in Rome
	const window = 30 * 24 * time.Hour
	for _, tc := range []struct {
		name  string
		state State
		end   *Date
		now   time.Time
		want  bool
	}{
		{"far from the end", Valida, &end, deadline.Add(-window - time.Second), false},
		{"exactly the window before", Valida, &end, deadline.Add(-window), true},
		{"within the window, before daylight saving starts", Valida, &end, rome(2026, 3, 22, 12, 0), true},
		{"a minute before the end", Valida, &end, deadline.Add(-time.Minute), true},
		{"at the end", Valida, &end, deadline, false},
		{"after the end", Valida, &end, deadline.Add(time.Hour), false},
		{"expired", Scaduta, &end, deadline.Add(-time.Hour), false},
		{"revoked", Annullata, &end, deadline.Add(-time.Hour), false},
		{"no end date", Valida, nil, deadline.Add(-time.Hour), false},
	} {
		if got := Expiring(tc.state, tc.end, tc.now, window); got != tc.want {
			t.Errorf("%s: Expiring = %v", tc.name, got)
		}
	}
}

func TestClassifyAndUnchangedTable(t *testing.T) {
	today := NewDate(2026, 12, 5)
	current := NewDate(2027, 6, 30)
	d := func(y int, m time.Month, day int) *Date { v := NewDate(y, m, day); return &v }
	for _, tc := range []struct {
		name    string
		current *Date
		newEnd  Date
		want    Change
	}{
		{"later", &current, NewDate(2028, 6, 30), Renew},
		{"the same date", &current, current, Renew},
		{"earlier but after today", &current, NewDate(2027, 1, 1), Shorten},
		{"tomorrow", &current, today.AddDate(0, 0, 1), Shorten},
		{"today", &current, today, Revoke},
		{"yesterday", &current, today.AddDate(0, 0, -1), Revoke},
		{"an end for an exemption without one", nil, NewDate(2030, 1, 1), Renew},
		{"today for an exemption without end", nil, today, Revoke},
	} {
		if got := Classify(tc.current, tc.newEnd, today); got != tc.want {
			t.Errorf("%s: Classify = %s, want %s", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name            string
		current, newEnd *Date
		noEnd, want     bool
	}{
		{"same date", d(2027, 6, 30), d(2027, 6, 30), false, true},
		{"other date", d(2027, 6, 30), d(2027, 7, 1), false, false},
		{"date for none", nil, d(2027, 7, 1), false, false},
		{"none for none", nil, nil, true, true},
		{"none for a date", d(2027, 6, 30), nil, true, false},
		{"noEnd wins over a date", nil, d(2027, 7, 1), true, true},
		{"nil without noEnd means none", nil, nil, false, true},
		{"the same day in another zone is the same date", d(2027, 6, 30), func() *Date { v := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC); return &v }(), false, true},
	} {
		if got := Unchanged(tc.current, tc.newEnd, tc.noEnd); got != tc.want {
			t.Errorf("%s: Unchanged = %v", tc.name, got)
		}
	}
}

func TestCheckEndDateBounds(t *testing.T) {
	for _, tc := range []struct {
		name        string
		end, today  Date
		issued      Date
		code        string
		latestInMsg string
	}{
		{"ten years on 29 February: Go's 29/02/2038 is 01/03/2038", NewDate(2038, 3, 1), NewDate(2028, 2, 29), Date{}, "", ""},
		{"a day after that", NewDate(2038, 3, 2), NewDate(2028, 2, 29), Date{}, CodeEndDateTooLate, "01/03/2038"},
		{"ten years to a leap day", NewDate(2036, 2, 29), NewDate(2026, 2, 28), Date{}, CodeEndDateTooLate, "28/02/2036"},
		{"exactly ten years on 31 December", NewDate(2036, 12, 31), NewDate(2026, 12, 31), Date{}, "", ""},
		{"ten years and a day over a year end", NewDate(2037, 1, 1), NewDate(2026, 12, 31), Date{}, CodeEndDateTooLate, "31/12/2036"},
		{"the issue date itself", NewDate(2026, 1, 31), NewDate(2026, 12, 5), NewDate(2026, 1, 31), "", ""},
		{"the day before the issue, across a month end", NewDate(2026, 2, 28), NewDate(2026, 12, 5), NewDate(2026, 3, 1), CodeEndDateBeforeIssue, ""},
		{"too late wins over before issue", NewDate(2099, 1, 1), NewDate(2026, 12, 5), NewDate(2100, 1, 1), CodeEndDateTooLate, ""},
	} {
		p := CheckEndDate(tc.end, tc.today, tc.issued)
		got := ""
		if p != nil {
			got = p.Code
			if p.Error() != p.Message || p.Message == "" {
				t.Errorf("%s: message %q", tc.name, p.Message)
			}
			if tc.latestInMsg != "" && !strings.Contains(p.Message, tc.latestInMsg) {
				t.Errorf("%s: message %q does not name %s", tc.name, p.Message, tc.latestInMsg)
			}
		}
		if got != tc.code {
			t.Errorf("%s: CheckEndDate = %v, want %q", tc.name, p, tc.code)
		}
	}
	// Every end date a catalogue duration gives on any day is accepted.
	for today := NewDate(2027, 1, 1); today.Before(NewDate(2029, 1, 1)); today = today.AddDate(0, 0, 1) {
		for _, dur := range []Duration{{5, Years}, {60, Months}, {1826, Days}} {
			end, _ := dur.EndDate(today)
			if p := CheckEndDate(end, today, today); p != nil {
				t.Fatalf("%s from %s: %v", dur, today.Format(time.DateOnly), p)
			}
		}
	}
}
