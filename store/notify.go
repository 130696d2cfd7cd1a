package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// BeneficiaryContact returns a person's name and email (empty when unknown).
func (s *Store) BeneficiaryContact(ctx context.Context, fc string) (Beneficiary, error) {
	var b Beneficiary
	err := s.DB.NewSelect().Model(&b).Column("fiscal_code", "first_name", "last_name", "email").
		Where("fiscal_code = ?", fc).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Beneficiary{FiscalCode: fc}, nil
	}
	return b, err
}

// ExemptionCodeDescription returns the description of a code ("" if unknown).
func (s *Store) ExemptionCodeDescription(ctx context.Context, code string) (string, error) {
	var d string
	err := s.DB.NewSelect().Table("exemption_code").Column("description").Where("code = ?", code).Scan(ctx, &d)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return d, err
}

// ClaimEmail records the intent to send the email identified by key. It
// returns sent=true when that email has already gone out.
func (s *Store) ClaimEmail(ctx context.Context, key, to, subject string) (sent bool, err error) {
	var state string
	err = s.DB.NewRaw(`
INSERT INTO email_outbox (dedupe_key, recipient, subject, state, attempts) VALUES (?, ?, ?, 'SENDING', 1)
ON CONFLICT (dedupe_key) DO UPDATE SET attempts = email_outbox.attempts + 1
RETURNING state`, key, to, subject).Scan(ctx, &state)
	if err != nil {
		return false, fmt.Errorf("email outbox: %w", err)
	}
	return state == "SENT", nil
}

// MarkEmailSent closes the outbox row.
func (s *Store) MarkEmailSent(ctx context.Context, key string) error {
	_, err := s.DB.NewRaw(`UPDATE email_outbox SET state = 'SENT', sent_at = now() WHERE dedupe_key = ?`, key).Exec(ctx)
	return err
}

// CreateNotification posts a notification for every operator of asl, once
// per dedupe key.
func (s *Store) CreateNotification(ctx context.Context, key, asl, kind, title, body, link string) error {
	_, err := s.DB.NewRaw(`
INSERT INTO notification (dedupe_key, asl_code, kind, title, body, link) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (dedupe_key) DO NOTHING`, key, asl, kind, title, body, link).Exec(ctx)
	if err != nil {
		return fmt.Errorf("notification: %w", err)
	}
	return nil
}
