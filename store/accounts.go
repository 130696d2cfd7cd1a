package store

import (
	"context"
	"database/sql"
	"errors"
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
	ID         int64   `bun:"id"`
	OperatorID int64   `bun:"operator_id"`
	Role       string  `bun:"role"`
	ASLCode    *string `bun:"asl_code"`
	ASLShort   *string `bun:"asl_short"`
	ASLName    *string `bun:"asl_name"`
	DistrictID *int64  `bun:"district_id"`
	Location   string  `bun:"location"`
	Position   int     `bun:"position"`
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

// RecordLoginFailure counts a failed login and locks the account for
// lockFor once max failures in a row are reached. It returns the new count.
func (s *Store) RecordLoginFailure(ctx context.Context, operatorID int64, max int, lockFor time.Duration) (int, error) {
	var n int
	err := s.DB.NewRaw(`
UPDATE operator SET failed_logins = failed_logins + 1,
    locked_until = CASE WHEN failed_logins + 1 >= ? THEN now() + ?::interval ELSE locked_until END
WHERE id = ? RETURNING failed_logins`, max, lockFor.String(), operatorID).Scan(ctx, &n)
	return n, err
}

// ResetLoginFailures clears the counter after a good login.
func (s *Store) ResetLoginFailures(ctx context.Context, operatorID int64) error {
	_, err := s.DB.NewRaw(`UPDATE operator SET failed_logins = 0, locked_until = NULL WHERE id = ?`, operatorID).Exec(ctx)
	return err
}

// Session is a web session.
type Session struct {
	bun.BaseModel `bun:"table:web_session"`
	TokenHash     []byte    `bun:"token_hash,pk"`
	OperatorID    int64     `bun:"operator_id"`
	ProfileID     int64     `bun:"profile_id"`
	CSRFToken     string    `bun:"csrf_token"`
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

// SessionByToken returns a live session by token digest.
func (s *Store) SessionByToken(ctx context.Context, digest []byte) (Session, error) {
	var sess Session
	err := s.DB.NewSelect().Model(&sess).Where("token_hash = ? AND expires_at > now()", digest).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return sess, ErrNotFound
	}
	return sess, err
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

// OperatorByID returns an operator.
func (s *Store) OperatorByID(ctx context.Context, id int64) (Operator, error) {
	var o Operator
	err := s.DB.NewSelect().Model(&o).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return o, ErrNotFound
	}
	return o, err
}
