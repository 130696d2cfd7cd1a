package attachments

import (
	"context"
	"fmt"
	"time"

	"github.com/minio/minio-go/v7"
)

// CleanupReport tells what Cleanup removed.
type CleanupReport struct {
	OrphanObjects int `json:"orphanObjects"` // objects whose metadata never arrived
	StaleStaged   int `json:"staleStaged"`   // staged documents never confirmed
}

// Cleanup removes objects older than grace that have no metadata (left by
// a crash between the upload and the metadata insert), and documents staged
// longer than staleAfter and never confirmed. It runs as a Temporal
// schedule.
func (s *Service) Cleanup(ctx context.Context, grace, staleAfter time.Duration) (CleanupReport, error) {
	var rep CleanupReport
	now := s.now()
	stale, err := s.Store.StaleStagedAttachments(ctx, now.Add(-staleAfter))
	if err != nil {
		return rep, err
	}
	for _, a := range stale {
		if err := s.DeleteStaged(ctx, a.ID, *a.StagingKey); err != nil {
			return rep, fmt.Errorf("cleanup staged %s: %w", a.ID, err)
		}
		rep.StaleStaged++
	}
	batch := make([]string, 0, 500)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		known, err := s.Store.KnownObjectKeys(ctx, batch)
		if err != nil {
			return err
		}
		for _, k := range batch {
			if !known[k] {
				if err := s.S3.RemoveObject(ctx, s.Bucket, k, minio.RemoveObjectOptions{}); err != nil {
					return fmt.Errorf("cleanup %s: %w", k, err)
				}
				rep.OrphanObjects++
			}
		}
		batch = batch[:0]
		return nil
	}
	for obj := range s.S3.ListObjects(ctx, s.Bucket, minio.ListObjectsOptions{Prefix: "documenti/", Recursive: true}) {
		if obj.Err != nil {
			return rep, fmt.Errorf("%w (%v)", ErrUnavailable, obj.Err)
		}
		if obj.LastModified.After(now.Add(-grace)) {
			continue // an upload may be between its object and its metadata
		}
		batch = append(batch, obj.Key)
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return rep, err
			}
		}
	}
	return rep, flush()
}
