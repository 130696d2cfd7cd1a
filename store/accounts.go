package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Operator is a back-office user.
type Operator struct {
	bun.BaseModel `bun:"table:operator"`
	ID            int64      `bun:"id,pk,autoincrement"`
	Username      string     `bun:"username"`
	FiscalCode    string     `bun:"fiscal_code"`
	FirstName     string     `bun:"first_name"`
	LastName      string     `bun:"last_name"`
	Email         string     `bun:"email"`
	PasswordHash  string     `bun:"password_hash"`
	PINHash       string     `bun:"pin_hash"`
	FailedLogins  int        `bun:"failed_logins"`
	LockedUntil   *time.Time `bun:"locked_until"`
	Active        bool       `bun:"active"`
	Demo          bool       `bun:"demo"`
	CreatedAt     time.Time  `bun:"created_at,nullzero,default:now()"`
}

// Profile is a role an operator holds, with the ASL and location names.
type Profile struct {
	ID         int64   `bun:"id" json:"id"`
	OperatorID int64   `bun:"operator_id" json:"operator_id"`
	Role       string  `bun:"role" json:"role"`
	ASLCode    *string `bun:"asl_code" json:"asl_code"`
	ASLShort   *string `bun:"asl_short" json:"asl_short"`
	ASLName    *string `bun:"asl_name" json:"asl_name"`
	DistrictID *int64  `bun:"district_id" json:"district_id"`
	Location   string  `bun:"location" json:"location"`
	Position   int     `bun:"position" json:"position"`
}

// OperatorByUsername returns an operator by login name.
func (s *Store) OperatorByUsername(ctx context.Context, username string) (Operator, error) {
	var o Operator
	err := s.DB.NewSelect().Model(&o).Where("username = ?", username).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return o, ErrNotFound
	}
	return o, err
}

// Profiles returns an operator's profiles, in their display order.
func (s *Store) Profiles(ctx context.Context, operatorID int64) ([]Profile, error) {
	var out []Profile
	err := s.DB.NewRaw(`
SELECT p.id, p.operator_id, p.role, p.asl_code, a.short_name AS asl_short, a.name AS asl_name,
       p.district_id, p.location, p.position
FROM operator_profile p LEFT JOIN asl a ON a.code = p.asl_code
WHERE p.operator_id = ? ORDER BY p.position, p.id`, operatorID).Scan(ctx, &out)
	return out, err
}

// Session is a web session.
type Session struct {
	bun.BaseModel `bun:"table:web_session"`
	TokenHash     []byte    `bun:"token_hash,pk"`
	OperatorID    int64     `bun:"operator_id"`
	ProfileID     int64     `bun:"profile_id"`
	Address       string    `bun:"address"`
	CreatedAt     time.Time `bun:"created_at,nullzero,default:now()"`
	LastSeenAt    time.Time `bun:"last_seen_at,nullzero,default:now()"`
	ExpiresAt     time.Time `bun:"expires_at"`
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, sess *Session) error {
	_, err := s.DB.NewInsert().Model(sess).Exec(ctx)
	return err
}

// TouchSession extends a session's idle expiry.
func (s *Store) TouchSession(ctx context.Context, digest []byte, expires time.Time) error {
	_, err := s.DB.NewUpdate().Table("web_session").Set("last_seen_at = now(), expires_at = ?", expires).
		Where("token_hash = ?", digest).Exec(ctx)
	return err
}

// SetSessionProfile switches the profile a session acts with ("Cambia").
func (s *Store) SetSessionProfile(ctx context.Context, digest []byte, profileID int64) error {
	_, err := s.DB.NewUpdate().Table("web_session").Set("profile_id = ?", profileID).
		Where("token_hash = ?", digest).Exec(ctx)
	return err
}

// DeleteSession ends a session (logout) and sweeps expired ones.
func (s *Store) DeleteSession(ctx context.Context, digest []byte) error {
	_, err := s.DB.NewDelete().Table("web_session").Where("token_hash = ? OR expires_at < now()", digest).Exec(ctx)
	return err
}

// SessionContext is a live session with its operator and profiles, loaded
// in one round trip (every page and action needs them).
type SessionContext struct {
	Session  Session
	Operator Operator
	Profiles []Profile
	// Unread counts the notifications of the operator, and of the ASL of
	// the session's profile (all ASL for regional roles), not yet read:
	// the header's badge.
	Unread int
}

// LoadSession returns the live session with token digest, or ErrNotFound
// (expired, unknown, or its operator deactivated).
func (s *Store) LoadSession(ctx context.Context, digest []byte) (SessionContext, error) {
	var row struct {
		Session
		OpUsername  string `bun:"op_username"`
		OpFC        string `bun:"op_fiscal_code"`
		OpFirstName string `bun:"op_first_name"`
		OpLastName  string `bun:"op_last_name"`
		OpEmail     string `bun:"op_email"`
		Profiles    []byte `bun:"profiles"`
		Unread      int    `bun:"unread"`
	}
	err := s.DB.NewRaw(`
SELECT s.token_hash, s.operator_id, s.profile_id, s.address, s.created_at, s.last_seen_at, s.expires_at,
       o.username AS op_username, o.fiscal_code AS op_fiscal_code, o.first_name AS op_first_name,
       o.last_name AS op_last_name, o.email AS op_email,
       (SELECT json_agg(json_build_object('id', p.id, 'operator_id', p.operator_id, 'role', p.role,
                'asl_code', p.asl_code, 'asl_short', a.short_name, 'asl_name', a.name, 'district_id', p.district_id,
                'location', p.location, 'position', p.position) ORDER BY p.position, p.id)
        FROM operator_profile p LEFT JOIN asl a ON a.code = p.asl_code WHERE p.operator_id = o.id) AS profiles,
       (SELECT count(*) FROM notification n
        WHERE NOT EXISTS (SELECT 1 FROM notification_read r WHERE r.notification_id = n.id AND r.operator_id = o.id)
          AND (n.operator_id = o.id OR (n.operator_id IS NULL AND (sp.asl_code IS NULL OR n.asl_code = sp.asl_code)))) AS unread
FROM web_session s JOIN operator o ON o.id = s.operator_id
LEFT JOIN operator_profile sp ON sp.id = s.profile_id
WHERE s.token_hash = ? AND s.expires_at > now() AND o.active`, digest).Scan(ctx, &row)
	if errors.Is(err, sql.ErrNoRows) {
		return SessionContext{}, ErrNotFound
	}
	if err != nil {
		return SessionContext{}, err
	}
	out := SessionContext{Session: row.Session, Unread: row.Unread, Operator: Operator{ID: row.OperatorID, Username: row.OpUsername,
		FiscalCode: row.OpFC, FirstName: row.OpFirstName, LastName: row.OpLastName, Email: row.OpEmail, Active: true}}
	if len(row.Profiles) > 0 {
		if err := json.Unmarshal(row.Profiles, &out.Profiles); err != nil {
			return out, fmt.Errorf("session profiles: %w", err)
		}
	}
	return out, nil
}
