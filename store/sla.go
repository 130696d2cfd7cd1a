package store

import (
	"context"
	"fmt"
	"time"
)

// OverdueCount is how many open practices of an ASL have been waiting in
// their state since before the SLA's limit.
type OverdueCount struct {
	ASLCode string `bun:"asl_code"`
	ASLName string `bun:"asl_name"`
	Sent    int    `bun:"sent"`        // INVIATA
	Working int    `bun:"in_progress"` // IN_LAVORAZIONE
}

// Total is the ASL's overdue practices in both states.
func (o OverdueCount) Total() int { return o.Sent + o.Working }

// OverdueByASL counts, per ASL, the open practices (INVIATA,
// IN_LAVORAZIONE) in their state since before `before`; asl "" counts
// every ASL (regional profiles), otherwise only that one. ASLs with none
// are left out. The partial index practice_open_state_since answers it.
func (s *Store) OverdueByASL(ctx context.Context, asl string, before time.Time) ([]OverdueCount, error) {
	var out []OverdueCount
	q := s.DB.NewSelect().TableExpr("practice AS p").
		ColumnExpr("p.asl_code, a.name AS asl_name").
		ColumnExpr("count(*) FILTER (WHERE p.state = 'INVIATA') AS sent").
		ColumnExpr("count(*) FILTER (WHERE p.state = 'IN_LAVORAZIONE') AS in_progress").
		Join("JOIN asl AS a ON a.code = p.asl_code").
		Where("p.state IN ('INVIATA', 'IN_LAVORAZIONE')").
		Where("p.state_since < ?", before).
		GroupExpr("p.asl_code, a.name").
		OrderExpr("a.name")
	if asl != "" {
		q = q.Where("p.asl_code = ?", asl)
	}
	if err := q.Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("overdue practices: %w", err)
	}
	return out, nil
}
