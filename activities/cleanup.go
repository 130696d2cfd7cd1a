package activities

import (
	"context"
	"time"

	"esenzioni/adapters/attachments"
)

// CleanupInput tunes a cleanup run.
type CleanupInput struct {
	// Grace keeps objects younger than this (an upload in flight).
	Grace time.Duration
	// StaleAfter removes staged documents never confirmed for this long.
	StaleAfter time.Duration
}

// CleanupAttachments removes orphaned objects and stale staged documents.
func (a *Activities) CleanupAttachments(ctx context.Context, in CleanupInput) (attachments.CleanupReport, error) {
	rep, err := a.Attachments.Cleanup(ctx, in.Grace, in.StaleAfter)
	if err == nil && (rep.OrphanObjects > 0 || rep.StaleStaged > 0) {
		a.logger().Info("attachments cleaned up", "orphans", rep.OrphanObjects, "stale_staged", rep.StaleStaged)
	}
	return rep, err
}
