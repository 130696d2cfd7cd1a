package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"esenzioni/practice"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// AllocatePracticeNumber gives the next number of asl in year, once per
// (source, key): the same request key always gets the same number. The
// counter row is locked by the UPDATE, so concurrent allocations serialise
// per ASL and year and never repeat a number.
func (s *Store) AllocatePracticeNumber(ctx context.Context, asl string, year int, source, key string, hash []byte) (number string, created bool, err error) {
	err = s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if key != "" {
			var prev struct {
				Number string `bun:"practice_number"`
				Hash   []byte `bun:"request_hash"`
			}
			err := tx.NewSelect().Table("intake_request").Column("practice_number", "request_hash").
				Where("source = ? AND key = ?", source, key).Scan(ctx, &prev)
			if err == nil {
				number = prev.Number
				if len(hash) > 0 && len(prev.Hash) > 0 && !bytes.Equal(hash, prev.Hash) {
					return ErrKeyReused
				}
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		var counter int64
		err := tx.NewRaw(`
INSERT INTO practice_counter (asl_code, year, last) VALUES (?, ?, 1)
ON CONFLICT (asl_code, year) DO UPDATE SET last = practice_counter.last + 1
RETURNING last`, asl, year).Scan(ctx, &counter)
		if err != nil {
			return fmt.Errorf("allocate practice number: %w", err)
		}
		if number, err = practice.FormatNumber(year, asl, counter); err != nil {
			return err
		}
		created = true
		if key == "" {
			return nil
		}
		res, err := tx.NewRaw(`INSERT INTO intake_request (source, key, practice_number, request_hash) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			source, key, number, hash).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// A concurrent request with the same key won: use its number
			// (this transaction's counter step is rolled back).
			return errRetryIntake
		}
		return nil
	})
	if errors.Is(err, errRetryIntake) {
		created = false
		err = s.DB.NewSelect().Table("intake_request").Column("practice_number").
			Where("source = ? AND key = ?", source, key).Scan(ctx, &number)
	}
	return number, created, err
}

var errRetryIntake = errors.New("intake key taken concurrently")

// ErrKeyReused: an idempotency key already used for a different request.
var ErrKeyReused = errors.New("idempotency key reused with a different request")

// Beneficiary returns the person with fiscal code fc.
func (s *Store) Beneficiary(ctx context.Context, fc string) (Beneficiary, error) {
	var b Beneficiary
	err := s.DB.NewSelect().Model(&b).Where("fiscal_code = ?", fc).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return b, ErrNotFound
	}
	return b, err
}

// UpsertBeneficiary inserts or refreshes a person of the registry copy.
func (s *Store) UpsertBeneficiary(ctx context.Context, b *Beneficiary) error {
	_, err := s.DB.NewInsert().Model(b).On("CONFLICT (fiscal_code) DO UPDATE").
		Set("first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name").
		Set("residence_address = CASE WHEN EXCLUDED.residence_address <> '' THEN EXCLUDED.residence_address ELSE beneficiary.residence_address END").
		Set("residence_comune = CASE WHEN EXCLUDED.residence_comune <> '' THEN EXCLUDED.residence_comune ELSE beneficiary.residence_comune END").
		Set("email = CASE WHEN EXCLUDED.email <> '' THEN EXCLUDED.email ELSE beneficiary.email END").
		Set("asl_code = EXCLUDED.asl_code, district_id = COALESCE(EXCLUDED.district_id, beneficiary.district_id)").
		Set("updated_at = now()").
		Exec(ctx)
	return err
}

// ASLs returns every ASL, by name.
func (s *Store) ASLs(ctx context.Context) ([]ASL, error) {
	var out []ASL
	err := s.DB.NewSelect().Model(&out).Order("name").Scan(ctx)
	return out, err
}

// ASLByCode returns one ASL.
func (s *Store) ASLByCode(ctx context.Context, code string) (ASL, error) {
	var a ASL
	err := s.DB.NewSelect().Model(&a).Where("code = ?", code).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNotFound
	}
	return a, err
}

// ExemptionCodeInfo is a catalogue code with what intake needs.
type ExemptionCodeInfo struct {
	Code        string `bun:"code"`
	Description string `bun:"description"`
	Category    string `bun:"category"`
	Level       string `bun:"level"`
	Active      bool   `bun:"active"`
}

// ExemptionCode returns one code of the catalogue.
func (s *Store) ExemptionCode(ctx context.Context, code string) (ExemptionCodeInfo, error) {
	var c ExemptionCodeInfo
	err := s.DB.NewSelect().Table("exemption_code").Column("code", "description", "category", "level", "active").
		Where("code = ?", code).Scan(ctx, &c)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	return c, err
}

// DiagnosisLinked reports whether diagnosis belongs to exemption code.
func (s *Store) DiagnosisLinked(ctx context.Context, code, diagnosis string) (bool, error) {
	return s.DB.NewSelect().Table("exemption_diagnosis").
		Where("exemption_code = ? AND diagnosis_code = ?", code, diagnosis).Exists(ctx)
}

// IntakeNumber returns the practice number a (source, key) request got.
func (s *Store) IntakeNumber(ctx context.Context, source, key string) (string, error) {
	var n string
	err := s.DB.NewSelect().Table("intake_request").Column("practice_number").
		Where("source = ? AND key = ?", source, key).Scan(ctx, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return n, err
}
