package bench

import (
	"context"
	"errors"
)

// SearchReport compares searches at two scales and with raw SQL.
type SearchReport struct{}

func (e *env) search(ctx context.Context) (*SearchReport, error) {
	return nil, errors.New("not yet")
}

func (s *SearchReport) markdown() string { return "" }
