package store

import (
	"context"

	"github.com/uptrace/bun"
)

// SubmittedDifference is one field of a beneficiary where what a submitter
// system sent differs from the registry copy.
type SubmittedDifference struct {
	bun.BaseModel  `bun:"table:practice_submitted_difference"`
	PracticeNumber string `bun:"practice_number,pk"`
	Field          string `bun:"field,pk"`
	Submitted      string `bun:"submitted"`
	Registry       string `bun:"registry"`
}

// InsertBeneficiaryIfAbsent records a new person and reports whether it
// was inserted: an existing row (another request created it first, or the
// registry import) is left as it is.
func (s *Store) InsertBeneficiaryIfAbsent(ctx context.Context, b *Beneficiary) (bool, error) {
	res, err := s.DB.NewInsert().Model(b).On("CONFLICT (fiscal_code) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SaveSubmittedDifferences keeps the differences of a practice (once: a
// repeated request finds them in place).
func (s *Store) SaveSubmittedDifferences(ctx context.Context, number string, diffs []SubmittedDifference) error {
	if len(diffs) == 0 {
		return nil
	}
	for i := range diffs {
		diffs[i].PracticeNumber = number
	}
	_, err := s.DB.NewInsert().Model(&diffs).On("CONFLICT (practice_number, field) DO NOTHING").Exec(ctx)
	return err
}

// SubmittedDifferences lists a practice's differences, by field.
func (s *Store) SubmittedDifferences(ctx context.Context, number string) ([]SubmittedDifference, error) {
	var out []SubmittedDifference
	err := s.DB.NewSelect().Model(&out).Where("practice_number = ?", number).Order("field").Scan(ctx)
	return out, err
}
