// Package accesslog is the service layer of the audit rows the web writes
// itself: reads of personal data, logins and logouts, and refusals (GDPR
// log). The rows of actions are written with their workflow's record
// (activities), not here.
package accesslog

import (
	"context"

	"esenzioni/domain/audit"
	"esenzioni/store"
)

// Service appends access rows to the audit log.
type Service struct {
	Store *store.Store
}

// Record appends recs, stamped now, with the HTTP request ID ctx carries.
func (s *Service) Record(ctx context.Context, recs ...audit.Record) error {
	return s.Store.Audit(ctx, recs...)
}
