package exemption

import (
	"hash/fnv"
	"strconv"
	"time"

	"esenzioni/domain/access"
	"esenzioni/domain/audit"
)

// Event is one row of an exemption's history.
type Event struct {
	Seq         int          `json:"seq"`
	At          time.Time    `json:"at"`
	Action      Change       `json:"action"`
	Actor       access.Actor `json:"actor"`
	State       State        `json:"state"`
	OldEndDate  *Date        `json:"oldEndDate,omitempty"`
	NewEndDate  *Date        `json:"newEndDate,omitempty"`
	Note        string       `json:"note,omitempty"`
	DocumentIDs []string     `json:"documentIds,omitempty"`
	// Audit, for changes that came with one, is what the event's audit row
	// needs beyond the event.
	Audit *audit.Context `json:"audit,omitempty"`
}

// Record is an exemption's new state with the events that made it, as the
// read model must show it: the workflow's projection activity and the
// caller of a change apply it with the same idempotent upsert.
type Record struct {
	ID            int64   `json:"id"`
	BeneficiaryFC string  `json:"beneficiaryFc"`
	State         State   `json:"state"`
	EndDate       *Date   `json:"endDate,omitempty"`
	Version       int     `json:"version"`
	Events        []Event `json:"events"`
}

// LastSeq is the newest event's sequence number (0 without events).
func (r Record) LastSeq() int {
	if n := len(r.Events); n > 0 {
		return r.Events[n-1].Seq
	}
	return 0
}

// AuditKey names the audit row of the change that produced event seq.
func AuditKey(id int64, seq int) string {
	return "esenzione:" + strconv.FormatInt(id, 10) + ":" + strconv.Itoa(seq)
}

// Audits are the audit rows of the record's events that came with an audit
// context.
func (r Record) Audits() []audit.Record {
	var out []audit.Record
	for _, e := range r.Events {
		if e.Audit == nil {
			continue
		}
		d := map[string]any{"operazione": string(e.Action)}
		if e.Audit.Channel != "" {
			d["canale"] = e.Audit.Channel
		}
		out = append(out, audit.Record{
			Key: AuditKey(r.ID, e.Seq), At: e.At,
			OperatorFC: e.Actor.FiscalCode, OperatorRole: string(e.Actor.Role), OperatorASL: e.Audit.OperatorASL,
			BeneficiaryFC: r.BeneficiaryFC, Action: e.Audit.Action, Target: strconv.FormatInt(r.ID, 10),
			Address: e.Audit.Address, Outcome: audit.OutcomeOK, Detail: d, RequestID: e.Audit.RequestID,
		})
	}
	return out
}

// Times of day of the lifecycle, Europe/Rome. Reminders go out in the
// morning, when the beneficiary reads mail and the district can answer the
// phone, spread over a window so that a day's reminders of the region do not
// all leave at once; expiries are spread over the first half hour after
// midnight for the same reason.
const (
	ReminderHour   = 8
	ReminderWindow = 2 * time.Hour
	ExpiryWindow   = 30 * time.Minute
)

// spread is a stable offset within window for exemption id.
func spread(id int64, window time.Duration) time.Duration {
	h := fnv.New32a()
	_, _ = h.Write([]byte(strconv.FormatInt(id, 10)))
	return time.Duration(h.Sum32()%uint32(window/time.Minute)) * time.Minute
}

// ReminderTime is when the reminder offset before an exemption ending on end
// is sent: whole days are calendar days in Europe/Rome, sent in the morning
// of that day (between 08:00 and 10:00, the same minute for the same
// exemption); other offsets are exact durations before the end of the last
// day, which demos use to shorten the wait.
func ReminderTime(id int64, end Date, offset time.Duration) time.Time {
	const day = 24 * time.Hour
	if offset%day == 0 {
		d := time.Date(end.Year(), end.Month(), end.Day()+1-int(offset/day), ReminderHour, 0, 0, 0, Rome)
		return d.Add(spread(id, ReminderWindow))
	}
	return EndOfDay(end).Add(-offset)
}

// ExpiryTime is when an exemption ending on end expires: after the end of
// its last day, within the expiry window.
func ExpiryTime(id int64, end Date) time.Time {
	return EndOfDay(end).Add(spread(id, ExpiryWindow))
}

// IssueRequest asks to issue a validated practice's exemption: the workflow's
// request, the activity's input and the store's writer all take it.
type IssueRequest struct {
	PracticeNumber       string
	ASL                  string
	BeneficiaryFC        string
	BeneficiaryFirstName string
	BeneficiaryLastName  string
	ExemptionCode        string
	DiagnosisCode        string
	IssuedOn             Date
	// EndDate is the operator's choice; nil with NoEndDate false means the
	// diagnosis duration.
	EndDate   *Date
	NoEndDate bool
	IssuedBy  access.Actor
	At        time.Time
}
