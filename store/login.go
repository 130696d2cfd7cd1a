package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// Login methods, as the audit log and the sessions record them.
const (
	LoginPassword    = "PASSWORD"
	LoginCertificate = "CERTIFICATO"
	LoginSPID        = "SPID"
	LoginCIE         = "CIE"
)

// OperatorsByFiscalCode returns the accounts of a fiscal code (certificate
// and SPID/CIE logins), active ones first.
func (s *Store) OperatorsByFiscalCode(ctx context.Context, fc string) ([]Operator, error) {
	var out []Operator
	err := s.DB.NewSelect().Model(&out).Where("fiscal_code = ?", fc).OrderExpr("active DESC, id").Scan(ctx)
	return out, err
}

// LoginAttempt is a login in progress (certificate, SPID, CIE).
type LoginAttempt struct {
	bun.BaseModel `bun:"table:login_attempt"`
	IDHash        []byte    `bun:"id_hash,pk"`
	Method        string    `bun:"method"`
	Provider      string    `bun:"provider"`
	Nonce         string    `bun:"nonce"`
	PKCEVerifier  string    `bun:"pkce_verifier"`
	Next          string    `bun:"next"`
	FiscalCode    *string   `bun:"fiscal_code"`
	Refusal       *string   `bun:"refusal"`
	CreatedAt     time.Time `bun:"created_at,nullzero,default:now()"`
	ExpiresAt     time.Time `bun:"expires_at"`
}

// CreateLoginAttempt stores a new attempt and sweeps the expired ones.
func (s *Store) CreateLoginAttempt(ctx context.Context, a *LoginAttempt) error {
	if _, err := s.DB.NewDelete().Model((*LoginAttempt)(nil)).Where("expires_at < now()").Exec(ctx); err != nil {
		return err
	}
	_, err := s.DB.NewInsert().Model(a).Exec(ctx)
	return err
}

// RecordCertificateResult writes the outcome of the certificate check into
// a live certificate attempt that has none yet; false when there is no such
// attempt (unknown, expired, already used).
func (s *Store) RecordCertificateResult(ctx context.Context, idHash []byte, fiscalCode, refusal string) (bool, error) {
	q := s.DB.NewUpdate().Model((*LoginAttempt)(nil)).
		Where("id_hash = ? AND method = ? AND expires_at > now() AND fiscal_code IS NULL AND refusal IS NULL", idHash, LoginCertificate)
	if refusal != "" {
		q = q.Set("refusal = ?", refusal)
	} else {
		q = q.Set("fiscal_code = ?", fiscalCode)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// TakeLoginAttempt removes and returns a live attempt of method: an attempt
// completes once. ErrNotFound when unknown, expired or taken.
func (s *Store) TakeLoginAttempt(ctx context.Context, idHash []byte, method string) (LoginAttempt, error) {
	var a LoginAttempt
	err := s.DB.NewDelete().Model(&a).Where("id_hash = ? AND method = ? AND expires_at > now()", idHash, method).
		Returning("*").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNotFound
	}
	return a, err
}

// SessionLogin tells how a session was opened.
type SessionLogin struct {
	bun.BaseModel `bun:"table:web_session_login"`
	TokenHash     []byte `bun:"token_hash,pk"`
	Method        string `bun:"method"`
	Provider      string `bun:"provider"`
	IDTokenHint   string `bun:"id_token_hint"`
}

// CreateSessionWithLogin stores a session and how it was opened, together.
func (s *Store) CreateSessionWithLogin(ctx context.Context, sess *Session, login *SessionLogin) error {
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(sess).Exec(ctx); err != nil {
			return err
		}
		login.TokenHash = sess.TokenHash
		_, err := tx.NewInsert().Model(login).Exec(ctx)
		return err
	})
}

// SessionLoginByToken returns how a session was opened; a session opened
// with username and password has no row (LoginPassword is returned).
func (s *Store) SessionLoginByToken(ctx context.Context, digest []byte) (SessionLogin, error) {
	var l SessionLogin
	err := s.DB.NewSelect().Model(&l).Where("token_hash = ?", digest).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return SessionLogin{TokenHash: digest, Method: LoginPassword}, nil
	}
	return l, err
}
