package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"esenzioni/domain/audit"
	"esenzioni/internal/requestid"
)

// AuditEntry is one row of the GDPR audit log.
type AuditEntry struct {
	bun.BaseModel `bun:"table:audit_log"`
	ID            int64          `bun:"id,pk,autoincrement"`
	At            time.Time      `bun:"at,nullzero,default:now()"`
	OperatorFC    string         `bun:"operator_fc"`
	OperatorRole  string         `bun:"operator_role"`
	OperatorASL   string         `bun:"operator_asl"`
	BeneficiaryFC string         `bun:"beneficiary_fc"`
	Action        string         `bun:"action"`
	Target        string         `bun:"target"`
	Address       string         `bun:"address"`
	Outcome       string         `bun:"outcome"`
	Detail        map[string]any `bun:"detail,type:jsonb"`
	// SourceKey identifies the change a worker-written row records (nil
	// for rows written by the web server): a retried write adds nothing.
	SourceKey *string `bun:"source_key"`
	// RequestID is the ID of the HTTP request that wrote the row, if any.
	RequestID string `bun:"request_id,nullzero"`
}

// Audit appends records to the log (the database refuses any change to
// them afterwards), stamped now unless At is set; a record's Key, when set,
// is stored as its source key (the web's rows have none). The ID of the HTTP request ctx carries, if any,
// goes into each row's request_id, to join a row to the access log.
func (s *Store) Audit(ctx context.Context, recs ...audit.Record) error {
	if len(recs) == 0 {
		return nil
	}
	rid := requestid.From(ctx)
	entries := make([]AuditEntry, 0, len(recs))
	for _, r := range recs {
		row := auditRow(r)
		if row.RequestID == "" {
			row.RequestID = rid
		}
		entries = append(entries, row)
	}
	_, err := s.DB.NewInsert().Model(&entries).Exec(ctx)
	return err
}

// auditRow is the table's row of a record: its Key, when set, is the
// row's source key (a worker's idempotent write).
func auditRow(r audit.Record) AuditEntry {
	detail := r.Detail
	if detail == nil {
		detail = map[string]any{}
	}
	row := AuditEntry{
		At: r.At, OperatorFC: r.OperatorFC, OperatorRole: r.OperatorRole, OperatorASL: r.OperatorASL,
		BeneficiaryFC: r.BeneficiaryFC, Action: string(r.Action), Target: r.Target, Address: r.Address,
		Outcome: string(r.Outcome), Detail: detail, RequestID: r.RequestID,
	}
	if r.Key != "" {
		key := r.Key
		row.SourceKey = &key
	}
	return row
}

// AuditForBeneficiary returns every access to the data of one person, oldest
// first, for the export a citizen may ask for.
func (s *Store) AuditForBeneficiary(ctx context.Context, fc string, from, to time.Time) ([]AuditEntry, error) {
	var out []AuditEntry
	q := s.DB.NewSelect().Model(&out).Where("beneficiary_fc = ?", fc)
	if !from.IsZero() {
		q = q.Where("at >= ?", from)
	}
	if !to.IsZero() {
		q = q.Where("at < ?", to)
	}
	err := q.Order("at", "id").Scan(ctx)
	return out, err
}
