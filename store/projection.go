package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/uptrace/bun/driver/pgdriver"

	"esenzioni/domain/exemption"
)

// practiceUpdatable are the columns a practice projection overwrites.
var practiceUpdatable = []string{
	"asl_code", "district_id", "beneficiary_fc", "beneficiary_last_name", "beneficiary_first_name",
	"submitter_kind", "submitter_fc", "submitter_role", "exemption_code", "diagnosis_code",
	"state", "version", "last_seq", "created_at", "updated_at", "closed_at", "reject_reason_code",
	"valid_from", "valid_until", "exemption_id",
}

// RejectReasonActive reports whether code is an active reject reason.
func (s *Store) RejectReasonActive(ctx context.Context, code string) (bool, error) {
	return s.DB.NewSelect().Table("reject_reason").Where("code = ? AND active", code).Exists(ctx)
}

// DiagnosisDuration returns how long an exemption for code and diagnosis
// lasts; found is false when the diagnosis is not linked to the code.
func (s *Store) DiagnosisDuration(ctx context.Context, code, diagnosis string) (d exemption.Duration, found bool, err error) {
	v, err := s.catalog.get("duration:"+code+":"+diagnosis, func() (any, error) {
		var row struct {
			Value sql.NullInt64  `bun:"duration_value"`
			Unit  sql.NullString `bun:"duration_unit"`
		}
		err := s.DB.NewSelect().Table("exemption_diagnosis").Column("duration_value", "duration_unit").
			Where("exemption_code = ? AND diagnosis_code = ?", code, diagnosis).Scan(ctx, &row)
		if errors.Is(err, sql.ErrNoRows) {
			return exemption.Duration{}, ErrNotFound
		}
		if err != nil || !row.Unit.Valid {
			return exemption.Duration{}, err
		}
		return exemption.Duration{Value: int(row.Value.Int64), Unit: exemption.Unit(row.Unit.String)}, nil
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return d, false, nil
	case err != nil:
		return d, false, err
	}
	return v.(exemption.Duration), true, nil
}

// ValidExemptionWithCode returns the id of a valid exemption of person fc with
// code, other than the one issued by exceptPractice (0 = none).
func (s *Store) ValidExemptionWithCode(ctx context.Context, fc, code, exceptPractice string) (int64, error) {
	var id int64
	err := s.DB.NewSelect().Table("exemption").Column("id").
		Where("beneficiary_fc = ? AND exemption_code = ? AND state = 'VALIDA'", fc, code).
		Where("practice_number IS DISTINCT FROM ?", exceptPractice).
		Limit(1).Scan(ctx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// ErrDuplicateExemption: the person already holds a valid exemption with
// that code.
var ErrDuplicateExemption = errors.New("a valid exemption with this code already exists for this person")

func isUniqueViolation(err error, constraint string) bool {
	var pgErr pgdriver.Error
	if !errors.As(err, &pgErr) || pgErr.Field('C') != "23505" {
		return false
	}
	return constraint == "" || pgErr.Field('n') == constraint
}

// MarkPublished records that version of exemption id reached the registry.
func (s *Store) MarkPublished(ctx context.Context, id int64, version int) error {
	_, err := s.DB.NewUpdate().Table("exemption").
		Set("published_version = ?", version).
		Set("publication_state = CASE WHEN version <= ? THEN ? ELSE ? END", version, PublicationDone, PublicationPending).
		Where("id = ? AND published_version < ?", id, version).Exec(ctx)
	return err
}
