package practices

import (
	"context"

	"github.com/google/uuid"

	"esenzioni/store"
)

// StartDraft opens the wizard's draft of a new exemption of beneficiary fc
// for operatorID (the caller checked the beneficiary is in their scope).
// Its ID is random: it is in the wizard's URLs, and DraftOf finds it only
// for its operator.
func (s *Service) StartDraft(ctx context.Context, operatorID int64, fc string) (store.Draft, error) {
	d := store.Draft{ID: uuid.NewString(), OperatorID: operatorID, BeneficiaryFC: fc, Category: "MC"}
	return d, s.Store.CreateDraft(ctx, &d)
}

// SaveDraft keeps a wizard step's answers in the draft.
func (s *Service) SaveDraft(ctx context.Context, d *store.Draft) error {
	return s.Store.SaveDraft(ctx, d)
}
