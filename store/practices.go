package store

import (
	"context"
	"database/sql"
	"errors"
)

// PracticeByNumber returns one practice of the read model.
func (s *Store) PracticeByNumber(ctx context.Context, number string) (Practice, error) {
	var p Practice
	err := s.DB.NewSelect().Model(&p).Where("number = ?", number).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotFound
	}
	return p, err
}

// PracticeEvents returns the cronologia of a practice, newest first as the
// manual shows it.
func (s *Store) PracticeEvents(ctx context.Context, number string) ([]PracticeEvent, error) {
	var out []PracticeEvent
	err := s.DB.NewSelect().Model(&out).Where("practice_number = ?", number).Order("seq DESC").Scan(ctx)
	return out, err
}
