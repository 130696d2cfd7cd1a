// Package notifications is the service layer of the operators'
// notifications: which of them an operator has read (the notifications
// themselves are written by the workflows' activities).
package notifications

import (
	"context"

	"esenzioni/store"
)

// Service records the reading of notifications.
type Service struct {
	Store *store.Store
}

// MarkRead records that operatorID has seen the notifications ids.
func (s *Service) MarkRead(ctx context.Context, operatorID int64, ids []int64) error {
	return s.Store.MarkNotificationsRead(ctx, operatorID, ids)
}
