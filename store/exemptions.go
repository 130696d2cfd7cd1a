package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// ExemptionByID returns one exemption of the read model.
func (s *Store) ExemptionByID(ctx context.Context, id int64) (Exemption, error) {
	var e Exemption
	err := s.DB.NewSelect().Model(&e).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return e, ErrNotFound
	}
	return e, err
}

// ExemptionFilter is the search of the "Esenzioni" tab. A search needs a
// surname or a fiscal code (manual 7.1).
type ExemptionFilter struct {
	LastName      string // prefix, upper case
	FirstName     string // prefix, upper case
	FiscalCode    string // exact
	States        []string
	ExemptionCode string
	IssuedFrom    time.Time // inclusive (date)
	IssuedTo      time.Time // inclusive (date)
}

// ExemptionCursor is a keyset position in the exemption results, which
// are in name order, then newest issue first.
type ExemptionCursor struct {
	LastName, FirstName string
	IssuedOn            time.Time
	ID                  int64
	// Offset skips rows instead (numbered pages). Not part of String.
	Offset int
}

// String encodes the cursor for a URL.
func (c ExemptionCursor) String() string {
	if c.ID == 0 {
		return ""
	}
	names := base64.RawURLEncoding.EncodeToString([]byte(c.LastName + "\n" + c.FirstName))
	return c.IssuedOn.Format("20060102") + "-" + strconv.FormatInt(c.ID, 10) + "-" + names
}

// ParseExemptionCursor decodes ExemptionCursor.String.
func ParseExemptionCursor(s string) (ExemptionCursor, bool) {
	parts := strings.SplitN(s, "-", 3)
	if len(parts) != 3 {
		return ExemptionCursor{}, false
	}
	d, err := time.Parse("20060102", parts[0])
	if err != nil {
		return ExemptionCursor{}, false
	}
	n, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return ExemptionCursor{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return ExemptionCursor{}, false
	}
	last, first, ok := strings.Cut(string(raw), "\n")
	if !ok || !cursorTime(d) || n <= 0 || !cursorText(last) || !cursorText(first) {
		return ExemptionCursor{}, false
	}
	return ExemptionCursor{LastName: last, FirstName: first, IssuedOn: d, ID: n}, true
}

// ExemptionRow is a line of the exemption results and the data of the
// detail page.
type ExemptionRow struct {
	Exemption
	CodeDescription      string `bun:"code_description"`
	Category             string `bun:"category"`
	Level                string `bun:"level"`
	DiagnosisDescription string `bun:"diagnosis_description"`
	ASLName              string `bun:"asl_name"`
	ASLShort             string `bun:"asl_short"`
}

func (s *Store) exemptionQuery() *bun.SelectQuery {
	return withExemptionNames(s.DB.NewSelect().TableExpr("exemption AS exemption"))
}

// withExemptionNames adds the row's columns and catalogue names to a query
// reading "exemption AS exemption".
func withExemptionNames(q *bun.SelectQuery) *bun.SelectQuery {
	return q.ColumnExpr("exemption.*").
		ColumnExpr("COALESCE(c.description, '') AS code_description, COALESCE(c.category, '') AS category, COALESCE(c.level, 'NAZIONALE') AS level").
		ColumnExpr("COALESCE(d.description, '') AS diagnosis_description").
		ColumnExpr("a.name AS asl_name, a.short_name AS asl_short").
		Join("LEFT JOIN exemption_code AS c ON c.code = exemption.exemption_code").
		Join("LEFT JOIN diagnosis AS d ON d.code = exemption.diagnosis_code").
		Join("JOIN asl AS a ON a.code = exemption.asl_code")
}

// exemptionOrder is the order of the search results: by name (byte order,
// as the exemption_name_order index), then newest issue first.
const exemptionOrder = `exemption.beneficiary_last_name COLLATE "C", exemption.beneficiary_first_name COLLATE "C", exemption.issued_on DESC, exemption.id DESC`

func (f ExemptionFilter) apply(q *bun.SelectQuery) *bun.SelectQuery {
	return listFilter{Table: "exemption", States: f.States, ExemptionCode: f.ExemptionCode,
		DateColumn: "issued_on", From: f.IssuedFrom, To: f.IssuedTo, ToInclusive: true,
		LastName: f.LastName, FirstName: f.FirstName, FiscalCode: f.FiscalCode}.apply(q)
}

// SearchExemptions returns a page of exemptions, newest issue first, and
// the count of matches (capped at countLimit).
func (s *Store) SearchExemptions(ctx context.Context, f ExemptionFilter, after ExemptionCursor, limit, countLimit int) (rows []ExemptionRow, total int, capped bool, err error) {
	if f.LastName == "" && f.FiscalCode == "" {
		return nil, 0, false, errors.New("search exemptions: a surname or a fiscal code is required")
	}
	q, cq := s.ExemptionSearchQueries(f, after, limit, countLimit)
	total, capped, err = pageAndCount(ctx, q, cq, &rows, countLimit)
	if err != nil {
		return nil, 0, false, fmt.Errorf("search exemptions: %w", err)
	}
	return rows, total, capped, nil
}

// ExemptionSearchQueries builds the page and count queries of a search. The
// page is found among index entries only (exemption_name_order holds the
// names, the order and the other filters), then its rows are read.
func (s *Store) ExemptionSearchQueries(f ExemptionFilter, after ExemptionCursor, limit, countLimit int) (rows, count *bun.SelectQuery) {
	top := f.apply(s.DB.NewSelect().TableExpr("exemption AS exemption").Column("exemption.id"))
	if after.ID != 0 {
		// The first condition only lets the index start at the cursor.
		top = top.Where(`exemption.beneficiary_last_name COLLATE "C" >= ?`, after.LastName).
			WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
				return q.Where(`exemption.beneficiary_last_name COLLATE "C" > ?`, after.LastName).
					WhereOr(`exemption.beneficiary_last_name = ? AND exemption.beneficiary_first_name COLLATE "C" > ?`, after.LastName, after.FirstName).
					WhereOr(`exemption.beneficiary_last_name = ? AND exemption.beneficiary_first_name = ? AND (exemption.issued_on, exemption.id) < (?, ?)`,
						after.LastName, after.FirstName, after.IssuedOn, after.ID)
			})
	}
	top = top.OrderExpr(exemptionOrder).Limit(int64(limit))
	if after.Offset > 0 && after.ID == 0 {
		top = top.Offset(int64(after.Offset))
	}
	q := withExemptionNames(s.DB.NewSelect().TableExpr("(?) AS top", top).
		Join("JOIN exemption AS exemption ON exemption.id = top.id")).OrderExpr(exemptionOrder)
	cq := f.apply(s.DB.NewSelect().TableExpr("exemption AS exemption").Column("exemption.id")).Limit(int64(countLimit) + 1)
	return q, s.DB.NewSelect().TableExpr("(?) AS m", cq)
}

// ExemptionDetail loads one exemption with its catalogue names.
func (s *Store) ExemptionDetail(ctx context.Context, id int64) (ExemptionRow, error) {
	var r ExemptionRow
	err := s.exemptionQuery().Where("exemption.id = ?", id).Scan(ctx, &r)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

// ExemptionsOf lists every exemption of a person (valid, expired, annulled;
// from practices and from the registry), newest first.
func (s *Store) ExemptionsOf(ctx context.Context, fc string) ([]ExemptionRow, error) {
	var out []ExemptionRow
	err := s.exemptionQuery().Where("exemption.beneficiary_fc = ?", fc).
		OrderExpr("exemption.issued_on DESC, exemption.id DESC").Scan(ctx, &out)
	return out, err
}

// ExemptionEvents returns an exemption's history, newest first.
func (s *Store) ExemptionEvents(ctx context.Context, id int64) ([]ExemptionEvent, error) {
	var out []ExemptionEvent
	err := s.DB.NewSelect().Model(&out).Where("exemption_id = ?", id).Order("seq DESC").Scan(ctx)
	return out, err
}

// FindBeneficiaries looks people up in the registry copy by fiscal code or
// by surname and name prefixes (the new-exemption wizard).
func (s *Store) FindBeneficiaries(ctx context.Context, fc, lastName, firstName string, limit int) ([]Beneficiary, error) {
	var out []Beneficiary
	q := s.DB.NewSelect().Model(&out)
	switch {
	case fc != "":
		q = q.Where("fiscal_code = ?", fc)
	case lastName != "":
		q = q.Where("last_name LIKE ?", likePrefix(lastName))
		if firstName != "" {
			q = q.Where("first_name LIKE ?", likePrefix(firstName))
		}
	default:
		return nil, errors.New("find beneficiaries: a fiscal code or a surname is required")
	}
	err := q.OrderExpr("last_name, first_name, fiscal_code").Limit(int64(limit)).Scan(ctx)
	return out, err
}

// Draft is the new-exemption wizard's work in progress.
type Draft struct {
	bun.BaseModel  `bun:"table:exemption_draft"`
	ID             string     `bun:"id,pk"`
	OperatorID     int64      `bun:"operator_id"`
	BeneficiaryFC  string     `bun:"beneficiary_fc"`
	Category       string     `bun:"category"`
	DiagnosisCode  string     `bun:"diagnosis_code"`
	ExemptionCode  string     `bun:"exemption_code"`
	EndDate        *time.Time `bun:"end_date,type:date"`
	NoEndDate      bool       `bun:"no_end_date"`
	PracticeNumber *string    `bun:"practice_number"`
	ExemptionID    *int64     `bun:"exemption_id"`
	CreatedAt      time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt      time.Time  `bun:"updated_at,nullzero,default:now()"`
}

// CreateDraft stores a new draft.
func (s *Store) CreateDraft(ctx context.Context, d *Draft) error {
	_, err := s.DB.NewInsert().Model(d).Exec(ctx)
	return err
}

// DraftOf returns an operator's draft (another operator's is not found).
func (s *Store) DraftOf(ctx context.Context, id string, operatorID int64) (Draft, error) {
	var d Draft
	err := s.DB.NewSelect().Model(&d).Where("id = ? AND operator_id = ?", id, operatorID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return d, ErrNotFound
	}
	return d, err
}

// SaveDraft updates a draft.
func (s *Store) SaveDraft(ctx context.Context, d *Draft) error {
	d.UpdatedAt = time.Now()
	_, err := s.DB.NewUpdate().Model(d).WherePK().Exec(ctx)
	return err
}

// CatalogItem is a code or a diagnosis for a select list.
type CatalogItem struct {
	Code        string `bun:"code"`
	Description string `bun:"description"`
}

// DiagnosesOfCategory lists the diagnoses covered by the codes of category.
func (s *Store) DiagnosesOfCategory(ctx context.Context, category string) ([]CatalogItem, error) {
	var out []CatalogItem
	err := s.DB.NewRaw(`
SELECT DISTINCT d.code, d.description
FROM exemption_diagnosis ed
JOIN exemption_code c ON c.code = ed.exemption_code AND c.active
JOIN diagnosis d ON d.code = ed.diagnosis_code
WHERE c.category = ?
ORDER BY d.code`, category).Scan(ctx, &out)
	return out, err
}

// CodesOfDiagnosis lists the codes of category covering diagnosis.
func (s *Store) CodesOfDiagnosis(ctx context.Context, category, diagnosis string) ([]CatalogItem, error) {
	var out []CatalogItem
	err := s.DB.NewRaw(`
SELECT c.code, c.description
FROM exemption_diagnosis ed JOIN exemption_code c ON c.code = ed.exemption_code AND c.active
WHERE c.category = ? AND ed.diagnosis_code = ?
ORDER BY c.code`, category, diagnosis).Scan(ctx, &out)
	return out, err
}

// Categories lists the categories that have codes with diagnoses.
func (s *Store) Categories(ctx context.Context) ([]string, error) {
	var out []string
	err := s.DB.NewRaw(`
SELECT DISTINCT c.category FROM exemption_code c JOIN exemption_diagnosis ed ON ed.exemption_code = c.code
WHERE c.active ORDER BY 1`).Scan(ctx, &out)
	return out, err
}

// DiagnosisDescription returns the description of an ICD-9-CM code.
func (s *Store) DiagnosisDescription(ctx context.Context, code string) (string, error) {
	var d string
	err := s.DB.NewSelect().Table("diagnosis").Column("description").Where("code = ?", code).Scan(ctx, &d)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return d, err
}

// CompleteDraft records the outcome of a confirmed draft, in one
// transaction: the documents staged under key are attached to the exemption
// issued (and the practice that issued it), and the draft keeps the
// practice number and the exemption id. Without an exemption (nil) only the
// practice number is kept.
func (s *Store) CompleteDraft(ctx context.Context, d *Draft, key string, practiceNumber string, exemptionID *int64) error {
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if exemptionID != nil {
			if _, err := tx.NewUpdate().Table("attachment").
				Set("exemption_id = ?, practice_number = ?, staging_key = NULL", *exemptionID, practiceNumber).
				Where("staging_key = ?", key).Exec(ctx); err != nil {
				return err
			}
			d.ExemptionID = exemptionID
		}
		d.PracticeNumber = &practiceNumber
		d.UpdatedAt = time.Now()
		_, err := tx.NewUpdate().Model(d).WherePK().Exec(ctx)
		return err
	})
}
