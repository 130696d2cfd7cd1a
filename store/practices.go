package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// PracticeByNumber returns one practice of the read model.
func (s *Store) PracticeByNumber(ctx context.Context, number string) (Practice, error) {
	var p Practice
	err := s.DB.NewSelect().Model(&p).Where("number = ?", number).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotFound
	}
	return p, err
}

// PracticeEvents returns the cronologia of a practice, newest first as the
// manual shows it.
func (s *Store) PracticeEvents(ctx context.Context, number string) ([]PracticeEvent, error) {
	var out []PracticeEvent
	err := s.DB.NewSelect().Model(&out).Where("practice_number = ?", number).Order("seq DESC").Scan(ctx)
	return out, err
}

// PracticeDetail is a practice with the names the detail page shows.
type PracticeDetail struct {
	Practice
	ASLName              string  `bun:"asl_name"`
	ASLShort             string  `bun:"asl_short"`
	DistrictName         string  `bun:"district_name"`
	CodeDescription      string  `bun:"code_description"`
	CodeCategory         string  `bun:"code_category"`
	DiagnosisDescription string  `bun:"diagnosis_description"`
	RejectReasonLabel    string  `bun:"reject_reason_label"`
	PublicationState     *string `bun:"publication_state"`
}

// Publishing reports whether the practice's exemption waits for the
// registry to acknowledge its newest version.
func (d PracticeDetail) Publishing() bool {
	return d.PublicationState != nil && *d.PublicationState == PublicationPending
}

// PracticeDetailByNumber loads a practice for the detail page.
func (s *Store) PracticeDetailByNumber(ctx context.Context, number string) (PracticeDetail, error) {
	var d PracticeDetail
	err := s.DB.NewSelect().TableExpr("practice AS practice").
		ColumnExpr("practice.*").
		ColumnExpr("a.name AS asl_name, a.short_name AS asl_short, COALESCE(di.name, '') AS district_name").
		ColumnExpr("COALESCE(c.description, '') AS code_description, COALESCE(c.category, '') AS code_category").
		ColumnExpr("COALESCE(dg.description, '') AS diagnosis_description").
		ColumnExpr("COALESCE(r.description, '') AS reject_reason_label").
		ColumnExpr("e.publication_state").
		Join("JOIN asl AS a ON a.code = practice.asl_code").
		Join("LEFT JOIN district AS di ON di.id = practice.district_id").
		Join("LEFT JOIN exemption_code AS c ON c.code = practice.exemption_code").
		Join("LEFT JOIN diagnosis AS dg ON dg.code = practice.diagnosis_code").
		Join("LEFT JOIN reject_reason AS r ON r.code = practice.reject_reason_code").
		Join("LEFT JOIN exemption AS e ON e.id = practice.exemption_id").
		Where("practice.number = ?", number).Scan(ctx, &d)
	if errors.Is(err, sql.ErrNoRows) {
		return d, ErrNotFound
	}
	return d, err
}

// ExemptService is a line of the exempt services list.
type ExemptService struct {
	Code        string `bun:"service_code"`
	Description string `bun:"description"`
}

// ExemptServices lists the services exempt for code and diagnosis on day
// at, in catalogue order.
func (s *Store) ExemptServices(ctx context.Context, code, diagnosis string, at time.Time) ([]ExemptService, error) {
	var out []ExemptService
	err := s.DB.NewSelect().TableExpr("exemption_service AS es").
		ColumnExpr("es.service_code, s.description").
		Join("JOIN service AS s ON s.code = es.service_code").
		Where("es.exemption_code = ? AND es.diagnosis_code = ?", code, diagnosis).
		Where("es.valid_from <= ? AND (es.valid_to IS NULL OR es.valid_to >= ?)", at, at).
		OrderExpr("es.position, es.service_code").Scan(ctx, &out)
	return out, err
}

// RejectReason is a configured reason.
type RejectReason struct {
	Code        string `bun:"code"`
	Description string `bun:"description"`
}

// RejectReasons lists the active reasons in their order.
func (s *Store) RejectReasons(ctx context.Context) ([]RejectReason, error) {
	var out []RejectReason
	err := s.DB.NewSelect().Table("reject_reason").Column("code", "description").Where("active").
		OrderExpr("position, code").Scan(ctx, &out)
	return out, err
}
