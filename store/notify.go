package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun/dialect/pgdialect"
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

// States of an email in the outbox (email_outbox.state). Technical states,
// kept in their released values (see PublicationPending): a worker of the
// previous release that read a new value as "not sent" would send a
// reminder twice during a rolling update.
const (
	EmailSending = "SENDING" // claimed: being sent, or its sender died
	EmailSent    = "SENT"
)

// ClaimEmail records the intent to send the email identified by key. It
// returns sent=true when that email has already gone out.
func (s *Store) ClaimEmail(ctx context.Context, key, to, subject string) (sent bool, err error) {
	var state string
	err = s.DB.NewRaw(`
INSERT INTO email_outbox (dedupe_key, recipient, subject, state, attempts) VALUES (?, ?, ?, ?, 1)
ON CONFLICT (dedupe_key) DO UPDATE SET attempts = email_outbox.attempts + 1
RETURNING state`, key, to, subject, EmailSending).Scan(ctx, &state)
	if err != nil {
		return false, fmt.Errorf("email outbox: %w", err)
	}
	return state == EmailSent, nil
}

// MarkEmailSent closes the outbox row.
func (s *Store) MarkEmailSent(ctx context.Context, key string) error {
	_, err := s.DB.NewRaw(`UPDATE email_outbox SET state = ?, sent_at = now() WHERE dedupe_key = ?`, EmailSent, key).Exec(ctx)
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

// Notification is an in-app notification as an operator sees it.
type Notification struct {
	ID        int64     `bun:"id"`
	Kind      string    `bun:"kind"`
	Title     string    `bun:"title"`
	Body      string    `bun:"body"`
	Link      string    `bun:"link"`
	CreatedAt time.Time `bun:"created_at"`
	Personal  bool      `bun:"personal"`
	Read      bool      `bun:"read"`
}

// NotificationsFor returns the newest notifications of an operator: the
// personal ones and those of the ASL they act for (every ASL for a regional
// profile, asl = "").
func (s *Store) NotificationsFor(ctx context.Context, operatorID int64, asl string, limit int) ([]Notification, error) {
	var out []Notification
	q := s.DB.NewSelect().TableExpr("notification AS n").
		ColumnExpr("n.id, n.kind, n.title, n.body, n.link, n.created_at").
		ColumnExpr("n.operator_id IS NOT NULL AS personal").
		ColumnExpr("EXISTS (SELECT 1 FROM notification_read r WHERE r.notification_id = n.id AND r.operator_id = ?) AS read", operatorID)
	if asl == "" {
		q = q.Where("n.operator_id = ? OR n.operator_id IS NULL", operatorID)
	} else {
		q = q.Where("n.operator_id = ? OR (n.operator_id IS NULL AND n.asl_code = ?)", operatorID, asl)
	}
	err := q.OrderExpr("n.created_at DESC, n.id DESC").Limit(int64(limit)).Scan(ctx, &out)
	return out, err
}

// MarkNotificationsRead records that the operator has seen ids.
func (s *Store) MarkNotificationsRead(ctx context.Context, operatorID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.DB.NewRaw(`INSERT INTO notification_read (notification_id, operator_id)
SELECT unnest(?::bigint[]), ? ON CONFLICT DO NOTHING`, pgdialect.Array(ids), operatorID).Exec(ctx)
	return err
}
