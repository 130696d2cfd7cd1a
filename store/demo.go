package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"esenzioni/domain/exemption"
)

// OperatorProfile is a row of operator_profile.
type OperatorProfile struct {
	bun.BaseModel `bun:"table:operator_profile"`
	ID            int64   `bun:"id,pk,autoincrement"`
	OperatorID    int64   `bun:"operator_id"`
	Role          string  `bun:"role"`
	ASLCode       *string `bun:"asl_code"`
	DistrictID    *int64  `bun:"district_id"`
	Location      string  `bun:"location"`
	Position      int     `bun:"position"`
}

// CreateOperator inserts an operator with its profiles.
func (s *Store) CreateOperator(ctx context.Context, o *Operator, profiles []OperatorProfile) error {
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(o).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("create operator %s: %w", o.Username, err)
		}
		for i := range profiles {
			profiles[i].OperatorID = o.ID
		}
		if len(profiles) == 0 {
			return nil
		}
		_, err := tx.NewInsert().Model(&profiles).Exec(ctx)
		return err
	})
}

// Districts returns every district.
func (s *Store) Districts(ctx context.Context) ([]District, error) {
	var out []District
	err := s.DB.NewSelect().Model(&out).Order("asl_code", "name").Scan(ctx)
	return out, err
}

// InsertBeneficiaryIfMissing adds a person unless already present.
func (s *Store) InsertBeneficiaryIfMissing(ctx context.Context, b *Beneficiary) error {
	_, err := s.DB.NewInsert().Model(b).On("CONFLICT (fiscal_code) DO NOTHING").Exec(ctx)
	return err
}

// DiagnosisLink is an exemption code with one of its diagnoses.
type DiagnosisLink struct {
	ExemptionCode string `bun:"exemption_code"`
	DiagnosisCode string `bun:"diagnosis_code"`
}

// DiagnosisLinksWithServices lists the code-diagnosis pairs that have exempt
// services, the ones worth showing in a demo.
func (s *Store) DiagnosisLinksWithServices(ctx context.Context) ([]DiagnosisLink, error) {
	var out []DiagnosisLink
	err := s.DB.NewRaw(`
SELECT DISTINCT ed.exemption_code, ed.diagnosis_code
FROM exemption_diagnosis ed JOIN exemption_service es USING (exemption_code, diagnosis_code)
ORDER BY 1, 2`).Scan(ctx, &out)
	return out, err
}

// ImportRegistryExemption records an exemption that came from the regional
// registry (by registry id, once) and its registry row. created is false
// when it was already there.
func (s *Store) ImportRegistryExemption(ctx context.Context, e *Exemption) (id int64, created bool, err error) {
	err = s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		err := tx.NewSelect().Table("exemption").Column("id").Where("registry_id = ?", *e.RegistryID).Scan(ctx, &id)
		if err == nil {
			return nil
		}
		if e.CreatedAt.IsZero() {
			e.CreatedAt = time.Now()
		}
		if e.UpdatedAt.IsZero() {
			e.UpdatedAt = e.CreatedAt
		}
		if _, err := tx.NewInsert().Model(e).Returning("id").Exec(ctx, &id); err != nil {
			if isUniqueViolation(err, "exemption_one_valid") {
				return ErrDuplicateExemption
			}
			return err
		}
		created = true
		ev := ExemptionEvent{ExemptionID: id, Seq: 1, At: e.CreatedAt, Action: string(exemption.Issue), State: e.State,
			NewEndDate: e.EndDate, Note: "Esenzione rilasciata tramite AURA"}
		if ev.At.IsZero() {
			ev.At = e.IssuedOn
		}
		if _, err := tx.NewInsert().Model(&ev).Exec(ctx); err != nil {
			return err
		}
		_, err = tx.NewRaw(`INSERT INTO registry_exemption (exemption_id, beneficiary_fc, exemption_code, diagnosis_code, issued_on, end_date, state, version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, id, e.BeneficiaryFC, e.ExemptionCode, e.DiagnosisCode, e.IssuedOn, e.EndDate, e.State, e.Version).Exec(ctx)
		return err
	})
	return id, created, err
}
