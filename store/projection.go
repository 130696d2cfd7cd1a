package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"esenzioni/exemption"
)

// PracticeProjection is a practice row with its cronologia.
type PracticeProjection struct {
	Practice Practice
	Events   []PracticeEvent
	// Audit, when set, is the operator's action that produced this
	// projection: it commits with it (an action is never without its audit
	// row, and the operator does not wait for a second commit).
	Audit *AuditEntry
}

var practiceUpdatable = []string{
	"asl_code", "district_id", "beneficiary_fc", "beneficiary_last_name", "beneficiary_first_name",
	"submitter_kind", "submitter_fc", "submitter_role", "exemption_code", "diagnosis_code",
	"state", "version", "last_seq", "created_at", "updated_at", "closed_at", "reject_reason_code",
	"valid_from", "valid_until", "exemption_id",
}

// ProjectPractice writes a practice and its events in one transaction. The
// row moves only forward (by last_seq), so a late retry of an older
// projection cannot undo a newer one; events are immutable and inserted once.
// The statements go in one message (PostgreSQL runs them as one implicit
// transaction): a single round trip on the operator's wait.
func (s *Store) ProjectPractice(ctx context.Context, p PracticeProjection) error {
	q, err := practiceStatements(s.DB, p)
	if err != nil {
		return err
	}
	if _, err := s.DB.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("project practice %s: %w", p.Practice.Number, err)
	}
	return nil
}

// practiceStatements are the statements of a practice projection, joined.
func practiceStatements(db bun.IDB, p PracticeProjection) (string, error) {
	q := db.NewInsert().Model(&p.Practice).On("CONFLICT (number) DO UPDATE")
	for _, c := range practiceUpdatable {
		q = q.Set(c + " = EXCLUDED." + c)
	}
	stmts := []string{q.Where("practice.last_seq <= EXCLUDED.last_seq").String()}
	if len(p.Events) > 0 {
		stmts = append(stmts, db.NewInsert().Model(&p.Events).On("CONFLICT (practice_number, seq) DO NOTHING").String())
	}
	if a := p.Audit; a != nil {
		if a.SourceKey == nil || *a.SourceKey == "" {
			return "", fmt.Errorf("audit of %s without a source key", p.Practice.Number)
		}
		if a.Detail == nil {
			a.Detail = map[string]any{}
		}
		stmts = append(stmts, db.NewInsert().Model(a).On("CONFLICT (source_key) WHERE source_key IS NOT NULL DO NOTHING").String())
	}
	return strings.Join(stmts, ";\n"), nil
}

func projectPractice(ctx context.Context, tx bun.Tx, p PracticeProjection) error {
	q, err := practiceStatements(tx, p)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("project practice %s: %w", p.Practice.Number, err)
	}
	return nil
}

// IssueAndProject records a validation's exemption (once per practice) and
// projects the practice, carrying the exemption's id, in one transaction:
// one message of statements (an implicit transaction) and one read of the
// id, instead of a round trip per statement on the operator's wait.
func (s *Store) IssueAndProject(ctx context.Context, e Exemption, first ExemptionEvent, p PracticeProjection) (int64, error) {
	if e.PracticeNumber == nil {
		return 0, errors.New("issue and project: exemption without practice number")
	}
	number := *e.PracticeNumber
	e.PublicationState = "PENDING"
	p.Practice.ExemptionID = nil // set below from the exemption row
	proj, err := practiceStatements(s.DB, p)
	if err != nil {
		return 0, err
	}
	var newEnd any // a date, not a timestamp
	if first.NewEndDate != nil {
		newEnd = first.NewEndDate.Format(time.DateOnly)
	}
	stmts := []string{
		// A retry finds the practice's exemption already there.
		s.DB.NewInsert().Model(&e).ExcludeColumn("id").On("CONFLICT (practice_number) DO NOTHING").String(),
		s.DB.NewRaw(`INSERT INTO exemption_event (exemption_id, seq, at, action, actor_fc, actor_role, state, new_end_date, note)
SELECT id, ?, ?, ?, ?, ?, ?, ?, ? FROM exemption WHERE practice_number = ? ON CONFLICT DO NOTHING`,
			first.Seq, first.At, first.Action, first.ActorFC, first.ActorRole, first.State, newEnd, first.Note, number).String(),
		proj,
		s.DB.NewRaw(`UPDATE practice SET exemption_id = (SELECT id FROM exemption WHERE practice_number = ?) WHERE number = ?`, number, number).String(),
	}
	if _, err := s.DB.ExecContext(ctx, strings.Join(stmts, ";\n")); err != nil {
		if isUniqueViolation(err, "exemption_one_valid") {
			return 0, ErrDuplicateExemption
		}
		return 0, fmt.Errorf("issue exemption of %s: %w", number, err)
	}
	var id int64
	err = s.DB.NewSelect().Table("exemption").Column("id").Where("practice_number = ?", number).Scan(ctx, &id)
	return id, err
}

// RejectReasonActive reports whether code is an active reject reason.
func (s *Store) RejectReasonActive(ctx context.Context, code string) (bool, error) {
	return s.DB.NewSelect().Table("reject_reason").Where("code = ? AND active", code).Exists(ctx)
}

// DiagnosisDuration returns how long an exemption for code and diagnosis
// lasts; found is false when the diagnosis is not linked to the code.
func (s *Store) DiagnosisDuration(ctx context.Context, code, diagnosis string) (d exemption.Duration, found bool, err error) {
	v, err := s.catalog.get("duration:"+code+":"+diagnosis, func() (any, error) {
		var row struct {
			Value sql.NullInt64  `bun:"duration_value"`
			Unit  sql.NullString `bun:"duration_unit"`
		}
		err := s.DB.NewSelect().Table("exemption_diagnosis").Column("duration_value", "duration_unit").
			Where("exemption_code = ? AND diagnosis_code = ?", code, diagnosis).Scan(ctx, &row)
		if errors.Is(err, sql.ErrNoRows) {
			return exemption.Duration{}, ErrNotFound
		}
		if err != nil || !row.Unit.Valid {
			return exemption.Duration{}, err
		}
		return exemption.Duration{Value: int(row.Value.Int64), Unit: exemption.Unit(row.Unit.String)}, nil
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return d, false, nil
	case err != nil:
		return d, false, err
	}
	return v.(exemption.Duration), true, nil
}

// ValidExemptionWithCode returns the id of a valid exemption of person fc with
// code, other than the one issued by exceptPractice (0 = none).
func (s *Store) ValidExemptionWithCode(ctx context.Context, fc, code, exceptPractice string) (int64, error) {
	var id int64
	err := s.DB.NewSelect().Table("exemption").Column("id").
		Where("beneficiary_fc = ? AND exemption_code = ? AND state = 'VALIDA'", fc, code).
		Where("practice_number IS DISTINCT FROM ?", exceptPractice).
		Limit(1).Scan(ctx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// ErrDuplicateExemption: the person already holds a valid exemption with
// that code.
var ErrDuplicateExemption = errors.New("a valid exemption with this code already exists for this person")

// IssueExemption inserts an exemption and its first event once per practice
// number; a retry returns the existing id.
func (s *Store) IssueExemption(ctx context.Context, e Exemption, first ExemptionEvent) (int64, error) {
	var id int64
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		id, err = issueExemption(ctx, tx, e, first)
		if err != nil || e.PracticeNumber == nil {
			return err
		}
		_, err = tx.NewUpdate().Table("practice").Set("exemption_id = ?", id).
			Where("number = ?", *e.PracticeNumber).Exec(ctx)
		return err
	})
	return id, err
}

// issueExemption inserts an exemption and its first event, once per
// practice number (an existing one's id is returned).
func issueExemption(ctx context.Context, tx bun.Tx, e Exemption, first ExemptionEvent) (int64, error) {
	var id int64
	if e.PracticeNumber != nil {
		err := tx.NewSelect().Table("exemption").Column("id").Where("practice_number = ?", *e.PracticeNumber).Scan(ctx, &id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
	}
	e.PublicationState = "PENDING"
	if _, err := tx.NewInsert().Model(&e).Returning("id").Exec(ctx, &id); err != nil {
		if isUniqueViolation(err, "exemption_one_valid") {
			return 0, ErrDuplicateExemption
		}
		return 0, fmt.Errorf("issue exemption: %w", err)
	}
	first.ExemptionID = id
	if _, err := tx.NewInsert().Model(&first).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return 0, fmt.Errorf("issue exemption event: %w", err)
	}
	return id, nil
}

func isUniqueViolation(err error, constraint string) bool {
	var pgErr pgdriver.Error
	if !errors.As(err, &pgErr) || pgErr.Field('C') != "23505" {
		return false
	}
	return constraint == "" || pgErr.Field('n') == constraint
}

// ProjectExemption moves the exemption row forward to version and records
// the event; document ids are linked to the exemption.
func (s *Store) ProjectExemption(ctx context.Context, id int64, state string, end *time.Time, version int, ev ExemptionEvent, documentIDs []string) error {
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewUpdate().Table("exemption").
			Set("state = ?", state).Set("end_date = ?", end).Set("version = ?", version).
			Set("last_seq = ?", ev.Seq).Set("updated_at = ?", ev.At).
			Set("publication_state = CASE WHEN published_version < ? THEN 'PENDING' ELSE publication_state END", version).
			Where("id = ? AND last_seq <= ?", id, ev.Seq).Exec(ctx)
		if err != nil {
			return fmt.Errorf("project exemption %d: %w", id, err)
		}
		ev.ExemptionID = id
		if _, err := tx.NewInsert().Model(&ev).On("CONFLICT (exemption_id, seq) DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("project exemption event %d/%d: %w", id, ev.Seq, err)
		}
		if len(documentIDs) > 0 {
			if _, err := tx.NewUpdate().Table("attachment").Set("exemption_id = ?, staging_key = NULL", id).
				Where("id IN (?) AND (exemption_id IS NULL OR exemption_id = ?)", bun.In(documentIDs), id).Exec(ctx); err != nil {
				return fmt.Errorf("link documents to exemption %d: %w", id, err)
			}
		}
		return nil
	})
}

// MarkPublished records that version of exemption id reached the registry.
func (s *Store) MarkPublished(ctx context.Context, id int64, version int) error {
	_, err := s.DB.NewUpdate().Table("exemption").
		Set("published_version = ?", version).
		Set("publication_state = CASE WHEN version <= ? THEN 'PUBLISHED' ELSE 'PENDING' END", version).
		Where("id = ? AND published_version < ?", id, version).Exec(ctx)
	return err
}
