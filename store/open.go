package store

import (
	"context"
	"database/sql"
	"errors"
)

// OpenPracticeOf returns the number of an open practice (INVIATA,
// IN_LAVORAZIONE) of the person for the exemption code, or "" when there is
// none.
func (s *Store) OpenPracticeOf(ctx context.Context, fc, code string) (string, error) {
	var n string
	err := s.DB.NewSelect().TableExpr("practice AS p").Column("p.number").
		Where("p.beneficiary_fc = ?", fc).Where("p.exemption_code = ?", code).
		Where("p.state IN ('INVIATA', 'IN_LAVORAZIONE')").
		OrderExpr("p.created_at").Limit(1).Scan(ctx, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return n, err
}
