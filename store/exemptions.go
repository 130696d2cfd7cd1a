package store

import (
	"context"
	"database/sql"
	"errors"
)

// ExemptionByID returns one exemption of the read model.
func (s *Store) ExemptionByID(ctx context.Context, id int64) (Exemption, error) {
	var e Exemption
	err := s.DB.NewSelect().Model(&e).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return e, ErrNotFound
	}
	return e, err
}
