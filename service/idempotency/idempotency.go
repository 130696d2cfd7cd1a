// Package idempotency is the service layer of the intake API's
// Idempotency-Key: the answers kept for replays of a repeated request.
package idempotency

import (
	"context"
	"net/http"

	"esenzioni/store"
)

// Service keeps and finds the API's answers.
type Service struct {
	Store *store.Store
}

// Previous returns the answer already given to (clientID, key);
// store.ErrNotFound when there is none.
func (s *Service) Previous(ctx context.Context, clientID int64, key string) (store.IdempotentResponse, error) {
	return s.Store.StoredResponse(ctx, clientID, key)
}

// Keep stores an answer for replays of (r.ClientID, r.Key) when it is
// final: a 202 (in progress) or a 5xx is not, so the same request sent
// again asks again (its update ID is the same) and gets the outcome. The
// first answer kept wins.
func (s *Service) Keep(ctx context.Context, r *store.IdempotentResponse) error {
	if r.Key == "" || r.Status >= 500 || r.Status == http.StatusAccepted {
		return nil
	}
	return s.Store.StoreResponse(ctx, r)
}
