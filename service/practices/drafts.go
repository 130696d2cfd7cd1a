package practices

import (
	"context"
	"crypto/rand"
	"fmt"

	"esenzioni/store"
)

// StartDraft opens the wizard's draft of a new exemption of beneficiary fc
// for operatorID (the caller checked the beneficiary is in their scope).
// Its ID is random: it is in the wizard's URLs, and DraftOf finds it only
// for its operator.
func (s *Service) StartDraft(ctx context.Context, operatorID int64, fc string) (store.Draft, error) {
	d := store.Draft{ID: newUUID(), OperatorID: operatorID, BeneficiaryFC: fc, Category: "MC"}
	return d, s.Store.CreateDraft(ctx, &d)
}

// SaveDraft keeps a wizard step's answers in the draft.
func (s *Service) SaveDraft(ctx context.Context, d *store.Draft) error {
	return s.Store.SaveDraft(ctx, d)
}

// newUUID is a random (version 4) UUID.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
