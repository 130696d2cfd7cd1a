package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun/driver/pgdriver"

	"esenzioni/domain/practice"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// AllocatePracticeNumber gives the next number of asl in year, once per
// (source, key): the same request key always gets the same number. The
// counter row is locked by the UPDATE, so concurrent allocations serialise
// per ASL and year and never repeat a number.
func (s *Store) AllocatePracticeNumber(ctx context.Context, asl string, year int, source, key string, hash []byte) (number string, created bool, err error) {
	prefix := fmt.Sprintf("%04d%s", year, asl)
	if _, err := practice.FormatNumber(year, asl, 1); err != nil {
		return "", false, err
	}
	if key == "" {
		var counter int64
		err := s.DB.NewRaw(`
INSERT INTO practice_counter (asl_code, year, last) VALUES (?, ?, 1)
ON CONFLICT (asl_code, year) DO UPDATE SET last = practice_counter.last + 1
RETURNING last`, asl, year).Scan(ctx, &counter)
		if err != nil {
			return "", false, fmt.Errorf("allocate practice number: %w", err)
		}
		number, err = practice.FormatNumber(year, asl, counter)
		return number, err == nil, err
	}
	// One statement, committed on its own: the counter row of the ASL and
	// year, which every submission of that ASL updates, stays locked for
	// one round trip only. A key seen before returns its number without
	// moving the counter; a key taken by a concurrent request makes the
	// statement fail on purpose, so that its counter step is rolled back
	// (numbers have no gaps), and the winner's number is read.
	var row struct {
		PrevNumber sql.NullString `bun:"prev_number"`
		PrevHash   []byte         `bun:"prev_hash"`
		NewNumber  sql.NullString `bun:"new_number"`
		Abort      sql.NullInt64  `bun:"abort"`
	}
	err = s.DB.NewRaw(`
WITH prev AS (
    SELECT practice_number, request_hash FROM intake_request WHERE source = ?0 AND key = ?1
), c AS (
    INSERT INTO practice_counter (asl_code, year, last)
    SELECT ?2, ?3, 1 WHERE NOT EXISTS (SELECT 1 FROM prev)
    ON CONFLICT (asl_code, year) DO UPDATE SET last = practice_counter.last + 1
    RETURNING last
), ins AS (
    INSERT INTO intake_request (source, key, practice_number, request_hash)
    SELECT ?0, ?1, ?4 || CASE WHEN c.last <= ?6 THEN lpad(c.last::text, 8, '0') END, ?5 FROM c
    ON CONFLICT DO NOTHING
    RETURNING practice_number
)
SELECT (SELECT practice_number FROM prev) AS prev_number, (SELECT request_hash FROM prev) AS prev_hash,
       (SELECT practice_number FROM ins) AS new_number,
       CASE WHEN NOT EXISTS (SELECT 1 FROM prev) AND NOT EXISTS (SELECT 1 FROM ins)
            -- A stable (not constant) expression, so it is evaluated here
            -- only, not when the statement is planned.
            THEN (current_setting('application_name') || ' `+keyTakenConcurrently+`')::int END AS abort`,
		source, key, asl, year, prefix, hash, practice.MaxCounter).Scan(ctx, &row)
	var pgErr pgdriver.Error
	switch {
	case errors.As(err, &pgErr) && strings.Contains(pgErr.Field('M'), keyTakenConcurrently):
		err = s.DB.NewSelect().Table("intake_request").Column("practice_number", "request_hash").
			Where("source = ? AND key = ?", source, key).Scan(ctx, &row.PrevNumber, &row.PrevHash)
		if err != nil {
			return "", false, err
		}
	case err != nil:
		return "", false, fmt.Errorf("allocate practice number: %w", err)
	case row.NewNumber.Valid:
		return row.NewNumber.String, true, nil
	}
	if len(hash) > 0 && len(row.PrevHash) > 0 && !bytes.Equal(hash, row.PrevHash) {
		return "", false, ErrKeyReused
	}
	return row.PrevNumber.String, false, nil
}

// keyTakenConcurrently aborts an allocation whose key another request
// inserted meanwhile.
const keyTakenConcurrently = "intake key taken concurrently"

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

// ASLByCode returns one ASL.
func (s *Store) ASLByCode(ctx context.Context, code string) (ASL, error) {
	v, err := s.catalog.get("asl:"+code, func() (any, error) {
		var a ASL
		err := s.DB.NewSelect().Model(&a).Where("code = ?", code).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return a, ErrNotFound
		}
		return a, err
	})
	return v.(ASL), err
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
	v, err := s.catalog.get("code:"+code, func() (any, error) {
		var c ExemptionCodeInfo
		err := s.DB.NewSelect().Table("exemption_code").Column("code", "description", "category", "level", "active").
			Where("code = ?", code).Scan(ctx, &c)
		if errors.Is(err, sql.ErrNoRows) {
			return c, ErrNotFound
		}
		return c, err
	})
	return v.(ExemptionCodeInfo), err
}

// DiagnosisLinked reports whether diagnosis belongs to exemption code.
func (s *Store) DiagnosisLinked(ctx context.Context, code, diagnosis string) (bool, error) {
	v, err := s.catalog.get("diagnosis:"+code+":"+diagnosis, func() (any, error) {
		return s.DB.NewSelect().Table("exemption_diagnosis").
			Where("exemption_code = ? AND diagnosis_code = ?", code, diagnosis).Exists(ctx)
	})
	return v.(bool), err
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
