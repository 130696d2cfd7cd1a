package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// APIClient is a submitter system allowed to call the intake API.
type APIClient struct {
	bun.BaseModel  `bun:"table:api_client"`
	ID             int64      `bun:"id,pk,autoincrement"`
	Name           string     `bun:"name"`
	TokenHash      []byte     `bun:"token_hash"`
	SubmitterKinds []string   `bun:"submitter_kinds,array"`
	FiscalCode     *string    `bun:"fiscal_code"`
	Demo           bool       `bun:"demo"`
	CreatedAt      time.Time  `bun:"created_at,nullzero,default:now()"`
	RevokedAt      *time.Time `bun:"revoked_at"`
}

// APIClientByToken returns the active client holding the token digest.
func (s *Store) APIClientByToken(ctx context.Context, digest []byte) (APIClient, error) {
	var c APIClient
	err := s.DB.NewSelect().Model(&c).Where("token_hash = ? AND revoked_at IS NULL", digest).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	return c, err
}

// UpsertAPIClient creates or updates a client by name.
func (s *Store) UpsertAPIClient(ctx context.Context, c *APIClient) error {
	_, err := s.DB.NewInsert().Model(c).On("CONFLICT (name) DO UPDATE").
		Set("token_hash = EXCLUDED.token_hash, submitter_kinds = EXCLUDED.submitter_kinds, fiscal_code = EXCLUDED.fiscal_code, revoked_at = NULL").
		Returning("id").Exec(ctx)
	return err
}

// IdempotentResponse is the stored answer to a POST with an Idempotency-Key.
type IdempotentResponse struct {
	bun.BaseModel `bun:"table:api_idempotency"`
	ClientID      int64     `bun:"client_id,pk"`
	Key           string    `bun:"key,pk"`
	RequestHash   []byte    `bun:"request_hash"`
	Status        int       `bun:"status"`
	Body          []byte    `bun:"body"`
	CreatedAt     time.Time `bun:"created_at,nullzero,default:now()"`
}

// StoredResponse returns the answer already given to (client, key).
func (s *Store) StoredResponse(ctx context.Context, clientID int64, key string) (IdempotentResponse, error) {
	var r IdempotentResponse
	err := s.DB.NewSelect().Model(&r).Where("client_id = ? AND key = ?", clientID, key).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

// StoreResponse keeps an answer for replays; the first one stored wins.
func (s *Store) StoreResponse(ctx context.Context, r *IdempotentResponse) error {
	_, err := s.DB.NewInsert().Model(r).On("CONFLICT DO NOTHING").Exec(ctx)
	return err
}

// IntakeSource returns the source that submitted a practice ("" if none is
// recorded).
func (s *Store) IntakeSource(ctx context.Context, number string) (string, error) {
	var src string
	err := s.DB.NewSelect().Table("intake_request").Column("source").Where("practice_number = ?", number).Limit(1).Scan(ctx, &src)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return src, err
}
