// Package registry is the adapter to the regional registry of people and
// exemptions (AURA in the manual). The default adapter writes the local
// registry tables; a real deployment plugs in the regional service.
package registry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"esenzioni/domain/exemption"
)

// Record is what the registry holds of one exemption. Version grows with
// every change; the registry never moves a record back to an older version,
// so publishing is idempotent and order-insensitive.
type Record struct {
	ExemptionID   int64           `json:"exemptionId"`
	BeneficiaryFC string          `json:"beneficiaryFc"`
	ExemptionCode string          `json:"exemptionCode"`
	DiagnosisCode string          `json:"diagnosisCode"`
	IssuedOn      exemption.Date  `json:"issuedOn"`
	EndDate       *exemption.Date `json:"endDate,omitempty"`
	State         exemption.State `json:"state"`
	Version       int             `json:"version"`
}

// Registry publishes exemptions.
type Registry interface {
	Publish(ctx context.Context, r Record) error
}

// ErrUnavailable is returned while the registry cannot be reached; the
// workflow retries until it can.
var ErrUnavailable = errors.New("registro regionale non disponibile")

// Local is the registry kept in the application's own database (tables
// registry_exemption and registry_status). Its availability can be switched
// off to demonstrate and test durable publication.
type Local struct {
	DB *bun.DB
}

// Publish upserts the record unless the registry already has a newer
// version.
func (l *Local) Publish(ctx context.Context, r Record) error {
	up, err := l.Available(ctx)
	if err != nil {
		return err
	}
	if !up {
		return ErrUnavailable
	}
	_, err = l.DB.NewRaw(`
INSERT INTO registry_exemption (exemption_id, beneficiary_fc, exemption_code, diagnosis_code, issued_on, end_date, state, version, published_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (exemption_id) DO UPDATE SET
    beneficiary_fc = EXCLUDED.beneficiary_fc, exemption_code = EXCLUDED.exemption_code,
    diagnosis_code = EXCLUDED.diagnosis_code, issued_on = EXCLUDED.issued_on, end_date = EXCLUDED.end_date,
    state = EXCLUDED.state, version = EXCLUDED.version, published_at = EXCLUDED.published_at
WHERE registry_exemption.version < EXCLUDED.version`,
		r.ExemptionID, r.BeneficiaryFC, r.ExemptionCode, r.DiagnosisCode, r.IssuedOn, r.EndDate,
		string(r.State), r.Version, time.Now()).Exec(ctx)
	if err != nil {
		return fmt.Errorf("registry: publish exemption %d v%d: %w", r.ExemptionID, r.Version, err)
	}
	return nil
}

// Available reports whether the (simulated) registry accepts publications.
func (l *Local) Available(ctx context.Context) (bool, error) {
	var up bool
	err := l.DB.NewRaw(`SELECT available FROM registry_status`).Scan(ctx, &up)
	if err != nil {
		return false, fmt.Errorf("registry: %w", err)
	}
	return up, nil
}

// SetAvailable switches the simulated outage on or off.
func (l *Local) SetAvailable(ctx context.Context, up bool) error {
	_, err := l.DB.NewRaw(`UPDATE registry_status SET available = ?`, up).Exec(ctx)
	return err
}
