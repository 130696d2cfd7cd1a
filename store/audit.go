package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

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

// Audit appends entries to the log (the database refuses any change to
// them afterwards). The ID of the HTTP request ctx carries, if any, goes
// into each row's request_id, to join a row to the access log.
func (s *Store) Audit(ctx context.Context, entries ...AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	rid := requestid.From(ctx)
	for i := range entries {
		if entries[i].Detail == nil {
			entries[i].Detail = map[string]any{}
		}
		if entries[i].RequestID == "" {
			entries[i].RequestID = rid
		}
	}
	_, err := s.DB.NewInsert().Model(&entries).Exec(ctx)
	return err
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
