// Package exemption holds the rules of an issued exemption as plain Go: its
// states, how long it lasts, when reminders and the expiry fall, and what a
// change of end date means (renewal or revocation).
package exemption

import (
	"fmt"
	"strconv"
	"time"
	_ "time/tzdata" // Rome on any machine, zoneinfo installed or not
)

// State of an exemption.
type State string

// States (DESIGN section 3).
const (
	Valida    State = "VALIDA"
	Scaduta   State = "SCADUTA"
	Annullata State = "ANNULLATA"
)

// Label is the Italian name.
func (s State) Label() string {
	switch s {
	case Valida:
		return "Valida"
	case Scaduta:
		return "Scaduta"
	case Annullata:
		return "Annullata"
	}
	return string(s)
}

// Valid reports whether s is a known state.
func (s State) Valid() bool { return s == Valida || s == Scaduta || s == Annullata }

// Rome is the time zone of every date rule: "today", end of day, expiry.
var Rome = mustLoad("Europe/Rome")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // the binary embeds time/tzdata
	}
	return loc
}

// Date is a calendar date, carried as midnight UTC so that it survives JSON,
// PostgreSQL `date` columns and workflow payloads unchanged.
type Date = time.Time

// DateOf returns the calendar date of t in Europe/Rome.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Rome).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// NewDate builds a date.
func NewDate(y int, m time.Month, d int) Date { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// EndOfDay is the instant an exemption ending on d stops being valid: the
// following midnight in Europe/Rome.
func EndOfDay(d Date) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, Rome)
}

// Unit of a duration.
type Unit string

// Units. An empty unit means the exemption has no end date.
const (
	Days   Unit = "DAYS"
	Months Unit = "MONTHS"
	Years  Unit = "YEARS"
)

// Duration is how long an exemption for a diagnosis lasts.
type Duration struct {
	Value int  `json:"value,omitempty"`
	Unit  Unit `json:"unit,omitempty"`
}

// Unlimited reports whether the exemption has no end date.
func (d Duration) Unlimited() bool { return d.Unit == "" }

// Validate checks the duration's consistency.
func (d Duration) Validate() error {
	switch d.Unit {
	case "":
		if d.Value != 0 {
			return fmt.Errorf("duration %d without a unit", d.Value)
		}
		return nil
	case Days, Months, Years:
		if d.Value <= 0 {
			return fmt.Errorf("duration must be positive, got %d", d.Value)
		}
		return nil
	}
	return fmt.Errorf("duration unit %q is not DAYS, MONTHS or YEARS", d.Unit)
}

// String renders the duration in Italian ("2 anni", "senza scadenza").
func (d Duration) String() string {
	if d.Unlimited() {
		return "senza scadenza"
	}
	n := strconv.Itoa(d.Value)
	switch d.Unit {
	case Days:
		if d.Value == 1 {
			return "1 giorno"
		}
		return n + " giorni"
	case Months:
		if d.Value == 1 {
			return "1 mese"
		}
		return n + " mesi"
	default:
		if d.Value == 1 {
			return "1 anno"
		}
		return n + " anni"
	}
}

// EndDate is the last day of validity of an exemption starting on start: the
// day before the same date N days, months or years later (a one-year
// exemption issued on 10/03/2026 is valid up to 09/03/2027 included). Where
// that month has no such date (a month from 31 January, a year from 29
// February) the term ends on the month's last day, as terms in months do
// (codice civile, art. 2963). ok is false for an unlimited duration.
func (d Duration) EndDate(start Date) (end Date, ok bool) {
	switch d.Unit {
	case Days:
		return start.AddDate(0, 0, d.Value-1), true
	case Months:
		return monthsLater(start, d.Value), true
	case Years:
		return monthsLater(start, 12*d.Value), true
	}
	return Date{}, false
}

// monthsLater is the day before the same date months later, or that month's
// last day when it has no such date (never Go's overflow into the next
// month: 31 January + 1 month is not 3 March).
func monthsLater(t Date, months int) Date {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(months), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1)
	if d > last.Day() {
		return last
	}
	return time.Date(first.Year(), first.Month(), d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
}

// Change is what a new end date means for a valid exemption, and the kind
// of every event of an exemption's history (exemption_event.action, the
// workflow's events, the kind of an operator's notification): stored codes,
// in Italian, never written as literals elsewhere (like practice.Action).
type Change string

// Kinds of change.
const (
	Renew   Change = "RINNOVO" // end date later than today
	Revoke  Change = "REVOCA"  // end date today or earlier: the exemption is annulled
	Shorten Change = "RIDUZIONE"
	// Documents: the end date stays as it was and documents are added.
	Documents Change = "DOCUMENTI"

	// Events of the lifecycle that are not changes by an operator.
	Issue  Change = "EMISSIONE"  // the exemption is issued
	Expire Change = "SCADENZA"   // the end date has passed
	Remind Change = "PROMEMORIA" // a reminder before expiry
)

// Unchanged reports whether setting newEnd (nil with noEnd: no end date)
// leaves an exemption ending on currentEnd as it is.
func Unchanged(currentEnd, newEnd *Date, noEnd bool) bool {
	if noEnd || newEnd == nil {
		return currentEnd == nil
	}
	return currentEnd != nil && newEnd.Equal(*currentEnd)
}

// Classify tells what setting newEnd does to an exemption currently ending on
// currentEnd (nil = no end date), today being today.
func Classify(currentEnd *Date, newEnd Date, today Date) Change {
	if !newEnd.After(today) {
		return Revoke
	}
	if currentEnd != nil && newEnd.Before(*currentEnd) {
		return Shorten
	}
	return Renew
}

// ReminderAt is when the reminder offset before an exemption ending on end
// fires. Whole days are calendar days in Europe/Rome (30 days before the end
// of 9 March is midnight of 8 February, whatever daylight saving does in
// between); other offsets are exact durations, which demos use to shorten
// the wait.
func ReminderAt(end Date, offset time.Duration) time.Time {
	const day = 24 * time.Hour
	if offset%day == 0 {
		return time.Date(end.Year(), end.Month(), end.Day()+1-int(offset/day), 0, 0, 0, 0, Rome)
	}
	return EndOfDay(end).Add(-offset)
}

// Expiring reports the "in scadenza" flag: a valid exemption whose end falls
// within window of now.
func Expiring(state State, end *Date, now time.Time, window time.Duration) bool {
	if state != Valida || end == nil {
		return false
	}
	deadline := EndOfDay(*end)
	return deadline.After(now) && deadline.Sub(now) <= window
}

// WorkflowID is the exemption workflow's ID: the exemption's id only.
func WorkflowID(id int64) string { return "esenzione-" + strconv.FormatInt(id, 10) }

// DuplicateMessage is why a second valid exemption with code is not issued
// to a person who has one: the validation's refusal (workflow and
// activity, code exemption.duplicate) and the wizard's check say it alike.
func DuplicateMessage(code string) string {
	return "L'assistito ha già un'esenzione valida con codice " + code + ": non se ne può rilasciare una seconda."
}
