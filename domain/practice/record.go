package practice

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"esenzioni/domain/access"
	"esenzioni/domain/audit"
)

// Record is a practice as the read model holds it: the workflow's state
// projected, with its whole cronologia. The workflow's projection activity
// and the web (reading its own write) apply the same record with the same
// idempotent upsert.
type Record struct {
	Number               string        `json:"number"`
	ASL                  string        `json:"asl"`
	DistrictID           int64         `json:"districtId,omitempty"`
	BeneficiaryFC        string        `json:"beneficiaryFc"`
	BeneficiaryFirstName string        `json:"beneficiaryFirstName"`
	BeneficiaryLastName  string        `json:"beneficiaryLastName"`
	SubmitterKind        SubmitterKind `json:"submitterKind"`
	SubmitterFC          string        `json:"submitterFc"`
	SubmitterRole        access.Role   `json:"submitterRole"`
	ExemptionCode        string        `json:"exemptionCode"`
	DiagnosisCode        string        `json:"diagnosisCode"`
	State                State         `json:"state"`
	Version              int           `json:"version"`
	CreatedAt            time.Time     `json:"createdAt"`
	ExemptionID          int64         `json:"exemptionId,omitempty"`
	ValidFrom            *time.Time    `json:"validFrom,omitempty"`
	ValidUntil           *time.Time    `json:"validUntil,omitempty"`
	Events               []Event       `json:"events"`
}

// Writable returns why the record cannot be written, nil if it can: a
// practice has a number and at least the event of its submission.
func (r Record) Writable() error {
	if r.Number == "" || len(r.Events) == 0 {
		return errors.New("practice record without number or events")
	}
	return nil
}

// LastSeq is the sequence number of the newest event (0 without events).
func (r Record) LastSeq() int {
	if n := len(r.Events); n > 0 {
		return r.Events[n-1].Seq
	}
	return 0
}

// AuditKey names the audit row of the action that produced event seq, so
// that a retried projection adds no second row.
func AuditKey(number string, seq int) string { return "pratica:" + number + ":" + strconv.Itoa(seq) }

// Audits are the audit rows of the record's actions that came with an audit
// context, one per action (on its last event).
func (r Record) Audits() []audit.Record {
	var out []audit.Record
	for _, e := range r.Events {
		if e.Audit == nil {
			continue
		}
		out = append(out, audit.Record{
			Key: AuditKey(r.Number, e.Seq), At: e.At,
			OperatorFC: e.Actor.FiscalCode, OperatorRole: string(e.Actor.Role), OperatorASL: e.Audit.OperatorASL,
			BeneficiaryFC: r.BeneficiaryFC, Action: e.Audit.Action, Target: r.Number, Address: e.Audit.Address,
			Outcome: audit.OutcomeOK, Detail: auditDetail(e), RequestID: e.Audit.RequestID,
		})
	}
	return out
}

func auditDetail(e Event) map[string]any {
	d := map[string]any{"azione": string(e.Action)}
	if e.Audit.Channel != "" {
		d["canale"] = e.Audit.Channel
	}
	return d
}

// Sanitized returns r with every text field made storable: records of
// histories written before input was checked at every boundary may hold a
// NUL or invalid UTF-8, which PostgreSQL refuses; such a character is
// replaced rather than freezing the projection forever. Actions are given
// their current code: runs started before the Italian codes still carry the
// English ones in their older events.
func (r Record) Sanitized() Record {
	r.BeneficiaryFirstName, r.BeneficiaryLastName = clean(r.BeneficiaryFirstName), clean(r.BeneficiaryLastName)
	events := make([]Event, len(r.Events))
	for i, e := range r.Events {
		e.BeneficiaryNote, e.InternalNote, e.ReasonCode = clean(e.BeneficiaryNote), clean(e.InternalNote), clean(e.ReasonCode)
		e.Action = e.Action.Canonical()
		events[i] = e
	}
	r.Events = events
	return r
}

func clean(s string) string {
	if ValidText(s, true) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f {
			return '\uFFFD'
		}
		return r
	}, s)
}
