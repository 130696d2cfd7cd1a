package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"esenzioni/domain/audit"
	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
)

// The writers of the records the workflows own. Each applies a record
// idempotently (rows move only forward, events and audit rows are inserted
// once by key), in one transaction with bound statements: the workflow's
// projection activity and the caller that reads its own write may both apply
// the same record, in any order, any number of times.

// ApplyPractice writes a practice record: the row (never backwards), its
// cronologia and the audit rows of its actions, in one statement (data-
// modifying CTEs: atomic, one round trip on the operator's wait).
func (s *Store) ApplyPractice(ctx context.Context, rec practice.Record) error {
	if err := rec.Writable(); err != nil {
		return err
	}
	rec = rec.Sanitized()
	p := practiceRow(rec)
	events := practiceEventRows(rec)
	audits := auditRows(rec.Audits())
	upsert := s.DB.NewInsert().Model(&p).On("CONFLICT (number) DO UPDATE")
	for _, c := range append(practiceUpdatable, "state_since") {
		upsert = upsert.Set(c + " = EXCLUDED." + c)
	}
	upsert = upsert.Where("practice.last_seq <= EXCLUDED.last_seq")
	q := s.DB.NewSelect().With("p", upsert).
		With("e", s.DB.NewInsert().Model(&events).On("CONFLICT (practice_number, seq) DO NOTHING"))
	if len(audits) > 0 {
		q = q.With("a", s.DB.NewInsert().Model(&audits).On("CONFLICT (source_key) WHERE source_key IS NOT NULL DO NOTHING"))
	}
	if _, err := q.ColumnExpr("1").Exec(ctx); err != nil {
		return fmt.Errorf("apply practice %s: %w", rec.Number, err)
	}
	return nil
}

// ApplyPracticeIfBehind is ApplyPractice for the workflow's projection
// activity, which usually follows the caller's own write of the same record:
// a row already at the record's newest event is left alone (no write, no
// wait on the caller's row lock). The row, its events and its audit rows
// are only ever written together, so the row's sequence says it all.
func (s *Store) ApplyPracticeIfBehind(ctx context.Context, rec practice.Record) error {
	var seq int
	err := s.DB.NewSelect().Table("practice").Column("last_seq").Where("number = ?", rec.Number).Scan(ctx, &seq)
	if err == nil && seq >= rec.LastSeq() {
		return nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return s.ApplyPractice(ctx, rec)
}

// ReplacePractice makes the read model of a practice equal to rec whether
// it is behind or ahead (reindex, reconciliation): the row is overwritten,
// events are rewritten (their times included) and those the history does
// not hold are removed; missing audit rows are added. It reports whether
// anything changed.
func (s *Store) ReplacePractice(ctx context.Context, rec practice.Record) (changed bool, err error) {
	rec = rec.Sanitized()
	p := practiceRow(rec)
	events := practiceEventRows(rec)
	audits := auditRows(rec.Audits())
	err = s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var before Practice
		err := tx.NewSelect().Model(&before).Where("number = ?", rec.Number).For("UPDATE").Scan(ctx)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			changed = true
		case err != nil:
			return err
		default:
			changed = !samePractice(before, p)
		}
		q := tx.NewInsert().Model(&p).On("CONFLICT (number) DO UPDATE")
		for _, c := range append(practiceUpdatable, "state_since") {
			q = q.Set(c + " = EXCLUDED." + c)
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
		var old []PracticeEvent
		if err := tx.NewSelect().Model(&old).Where("practice_number = ?", rec.Number).Order("seq").Scan(ctx); err != nil {
			return err
		}
		if !sameEvents(old, events) {
			changed = true
			if _, err := tx.NewDelete().Model((*PracticeEvent)(nil)).Where("practice_number = ?", rec.Number).Exec(ctx); err != nil {
				return err
			}
			if _, err := tx.NewInsert().Model(&events).Exec(ctx); err != nil {
				return err
			}
		}
		n, err := insertAuditsCount(ctx, tx, audits)
		if err != nil {
			return err
		}
		held := map[string]bool{}
		for _, a := range audits {
			held[*a.SourceKey] = true
		}
		// Keys of the legacy path named the last event of each action.
		for _, e := range rec.Events {
			held[practice.AuditKey(rec.Number, e.Seq)] = true
		}
		m, err := rectifyAuditsAhead(ctx, tx, "pratica:"+rec.Number+":", rec.Number, rec.BeneficiaryFC, held)
		if n+m > 0 {
			changed = true
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("replace practice %s: %w", rec.Number, err)
	}
	return changed, nil
}

// sameInstant compares times as PostgreSQL stores them (microseconds).
func sameInstant(a, b time.Time) bool {
	d := a.Sub(b)
	return d < time.Microsecond && d > -time.Microsecond
}

func samePractice(a, b Practice) bool {
	eqTime := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || sameInstant(*x, *y)) }
	eqInt := func(x, y *int64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	eqStr := func(x, y *string) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.State == b.State && a.Version == b.Version && a.LastSeq == b.LastSeq &&
		sameInstant(a.UpdatedAt, b.UpdatedAt) && eqTime(a.ClosedAt, b.ClosedAt) && eqStr(a.RejectReasonCode, b.RejectReasonCode) &&
		eqTime(a.ValidFrom, b.ValidFrom) && eqTime(a.ValidUntil, b.ValidUntil) && eqInt(a.ExemptionID, b.ExemptionID) &&
		sameInstant(a.StateSince, b.StateSince)
}

func sameEvents(a, b []PracticeEvent) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Seq != y.Seq || !sameInstant(x.At, y.At) || x.Action != y.Action || x.State != y.State || x.ActorFC != y.ActorFC ||
			x.BeneficiaryNote != y.BeneficiaryNote || x.InternalNote != y.InternalNote || x.ReasonCode != y.ReasonCode {
			return false
		}
	}
	return true
}

// practiceRow is the practice table's row of a record.
func practiceRow(rec practice.Record) Practice {
	p := Practice{
		Number: rec.Number, ASLCode: rec.ASL, BeneficiaryFC: rec.BeneficiaryFC,
		BeneficiaryFirstName: rec.BeneficiaryFirstName, BeneficiaryLastName: rec.BeneficiaryLastName,
		SubmitterKind: string(rec.SubmitterKind), SubmitterFC: rec.SubmitterFC, SubmitterRole: string(rec.SubmitterRole),
		ExemptionCode: rec.ExemptionCode, DiagnosisCode: rec.DiagnosisCode,
		State: string(rec.State), Version: rec.Version, CreatedAt: rec.CreatedAt,
		ValidFrom: rec.ValidFrom, ValidUntil: rec.ValidUntil, StateSince: rec.CreatedAt,
	}
	if rec.DistrictID != 0 {
		id := rec.DistrictID
		p.DistrictID = &id
	}
	if rec.ExemptionID != 0 {
		id := rec.ExemptionID
		p.ExemptionID = &id
	}
	last := rec.Events[len(rec.Events)-1]
	p.LastSeq, p.UpdatedAt = last.Seq, last.At
	if rec.State.IsClosed() {
		at := last.At
		p.ClosedAt = &at
	}
	for _, e := range rec.Events {
		if e.Action != practice.AddNote {
			p.StateSince = e.At
		}
		if e.Action == practice.Reject {
			code := e.ReasonCode
			p.RejectReasonCode = &code
		}
	}
	return p
}

func practiceEventRows(rec practice.Record) []PracticeEvent {
	out := make([]PracticeEvent, 0, len(rec.Events))
	for _, e := range rec.Events {
		out = append(out, PracticeEvent{
			PracticeNumber: rec.Number, Seq: e.Seq, At: e.At, Action: string(e.Action),
			ActorFC: e.Actor.FiscalCode, ActorRole: string(e.Actor.Role), ActorASL: e.Actor.ASL,
			State: string(e.State), BeneficiaryNote: e.BeneficiaryNote, InternalNote: e.InternalNote,
			ReasonCode: e.ReasonCode,
		})
	}
	return out
}

// auditRows are the audit table's rows of worker-written records.
func auditRows(recs []audit.Record) []AuditEntry {
	out := make([]AuditEntry, 0, len(recs))
	for _, r := range recs {
		row := auditRow(r)
		key := r.Key
		row.SourceKey = &key
		out = append(out, row)
	}
	return out
}

func insertAudits(ctx context.Context, tx bun.Tx, rows []AuditEntry) error {
	_, err := insertAuditsCount(ctx, tx, rows)
	return err
}

// insertAuditsCount inserts the rows not present yet (by source key) and
// returns how many it added.
func insertAuditsCount(ctx context.Context, tx bun.Tx, rows []AuditEntry) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	res, err := tx.NewInsert().Model(&rows).On("CONFLICT (source_key) WHERE source_key IS NOT NULL DO NOTHING").Exec(ctx)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Issued is an exemption issued for a practice.
type Issued struct {
	ID        int64
	ValidFrom exemption.Date
	EndDate   *exemption.Date
}

// ErrDiagnosisNotLinked: the diagnosis does not belong to the code.
var ErrDiagnosisNotLinked = errors.New("diagnosis not linked to the exemption code")

// IssuePracticeExemption records a practice's exemption (VALIDA,
// publication pending) with its first event, once per practice: a retry, or
// a second validation attempt, finds it and returns it as it is. A valid
// exemption of the same code for the same person is ErrDuplicateExemption.
func (s *Store) IssuePracticeExemption(ctx context.Context, in exemption.IssueRequest) (Issued, error) {
	var out Issued
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var have Exemption
		err := tx.NewSelect().Model(&have).Where("practice_number = ?", in.PracticeNumber).Scan(ctx)
		if err == nil {
			out = Issued{ID: have.ID, ValidFrom: have.IssuedOn, EndDate: have.EndDate}
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		end := in.EndDate
		if end == nil && !in.NoEndDate {
			d, found, err := s.DiagnosisDuration(ctx, in.ExemptionCode, in.DiagnosisCode)
			if err != nil {
				return err
			}
			if !found {
				return ErrDiagnosisNotLinked
			}
			if e, ok := d.EndDate(in.IssuedOn); ok {
				end = &e
			}
		}
		number, fc, role := in.PracticeNumber, in.IssuedBy.FiscalCode, string(in.IssuedBy.Role)
		e := Exemption{
			PracticeNumber: &number, BeneficiaryFC: in.BeneficiaryFC,
			BeneficiaryFirstName: in.BeneficiaryFirstName, BeneficiaryLastName: in.BeneficiaryLastName,
			ASLCode: in.ASL, ExemptionCode: in.ExemptionCode, DiagnosisCode: in.DiagnosisCode,
			IssuedOn: in.IssuedOn, EndDate: end, State: string(exemption.Valida), Source: SourcePractice,
			IssuedByFC: &fc, IssuedByRole: &role, Version: 1, LastSeq: 1, PublicationState: PublicationPending,
			CreatedAt: in.At, UpdatedAt: in.At,
		}
		if _, err := tx.NewInsert().Model(&e).ExcludeColumn("id").Returning("id").Exec(ctx, &e.ID); err != nil {
			if isUniqueViolation(err, "exemption_one_valid") {
				return ErrDuplicateExemption
			}
			return err
		}
		first := ExemptionEvent{
			ExemptionID: e.ID, Seq: 1, At: in.At, Action: string(exemption.Issue), ActorFC: fc, ActorRole: role,
			State: string(exemption.Valida), NewEndDate: end, Note: "Pratica " + number,
		}
		if _, err := tx.NewInsert().Model(&first).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return err
		}
		out = Issued{ID: e.ID, ValidFrom: in.IssuedOn, EndDate: end}
		return nil
	})
	if err != nil && !errors.Is(err, ErrDuplicateExemption) && !errors.Is(err, ErrDiagnosisNotLinked) {
		return out, fmt.Errorf("issue exemption of practice %s: %w", in.PracticeNumber, err)
	}
	return out, err
}

// ApplyExemption writes an exemption record: the row moves forward to the
// record's version, the events and their audit rows are added once, and
// documents named by the events are linked to the exemption.
func (s *Store) ApplyExemption(ctx context.Context, rec exemption.Record) error {
	if len(rec.Events) == 0 {
		return nil
	}
	last := rec.Events[len(rec.Events)-1]
	audits := auditRows(rec.Audits())
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewUpdate().Table("exemption").
			Set("state = ?", string(rec.State)).Set("end_date = ?", dateArg(rec.EndDate)).Set("version = ?", rec.Version).
			Set("last_seq = ?", last.Seq).Set("updated_at = ?", last.At).
			Set("publication_state = CASE WHEN published_version < ? THEN ? ELSE publication_state END", rec.Version, PublicationPending).
			Where("id = ? AND last_seq <= ?", rec.ID, last.Seq).Exec(ctx)
		if err != nil {
			return err
		}
		for _, e := range rec.Events {
			row := ExemptionEvent{
				ExemptionID: rec.ID, Seq: e.Seq, At: e.At, Action: string(e.Action), ActorFC: e.Actor.FiscalCode,
				ActorRole: string(e.Actor.Role), State: string(e.State), OldEndDate: e.OldEndDate, NewEndDate: e.NewEndDate,
				Note: cleanText(e.Note),
			}
			if _, err := tx.NewInsert().Model(&row).On("CONFLICT (exemption_id, seq) DO NOTHING").Exec(ctx); err != nil {
				return err
			}
			if len(e.DocumentIDs) > 0 {
				if _, err := tx.NewUpdate().Table("attachment").Set("exemption_id = ?, staging_key = NULL", rec.ID).
					Where("id::text IN (?) AND (exemption_id IS NULL OR exemption_id = ?)", bun.In(e.DocumentIDs), rec.ID).Exec(ctx); err != nil {
					return err
				}
			}
		}
		return insertAudits(ctx, tx, audits)
	})
	if err != nil {
		return fmt.Errorf("apply exemption %d: %w", rec.ID, err)
	}
	return nil
}

// ApplyExemptionIfBehind is ApplyExemption for the workflow's projection
// activity: a row already at the record's newest event (the caller wrote
// it) is left alone.
func (s *Store) ApplyExemptionIfBehind(ctx context.Context, rec exemption.Record) error {
	var seq int
	err := s.DB.NewSelect().Table("exemption").Column("last_seq").Where("id = ?", rec.ID).Scan(ctx, &seq)
	if err == nil && seq >= rec.LastSeq() {
		return nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return s.ApplyExemption(ctx, rec)
}

// dateArg passes a calendar date as a date, not a timestamp.
func dateArg(d *time.Time) any {
	if d == nil {
		return nil
	}
	return d.Format(time.DateOnly)
}

// cleanText makes legacy text storable (see practice.Record.Sanitized).
func cleanText(s string) string {
	if practice.ValidText(s, true) {
		return s
	}
	r := practice.Record{BeneficiaryFirstName: s}.Sanitized()
	return r.BeneficiaryFirstName
}

// rectifyAuditsAhead appends a rectification row for every audit row of
// target that records an action the history does not hold (a write that
// ran ahead of its workflow, before effects waited for durability). The log
// is append-only: the original row stays, the rectification says it did
// not happen. It returns how many it added.
func rectifyAuditsAhead(ctx context.Context, tx bun.Tx, prefix string, target, beneficiary string, held map[string]bool) (int64, error) {
	var keys []string
	if err := tx.NewSelect().Table("audit_log").Column("source_key").
		Where("source_key LIKE ?", prefix+"%").Scan(ctx, &keys); err != nil {
		return 0, err
	}
	var rows []AuditEntry
	for _, k := range keys {
		if held[k] {
			continue
		}
		key := "rettifica:" + k
		rows = append(rows, AuditEntry{
			OperatorFC: "SISTEMA", OperatorRole: "SISTEMA", BeneficiaryFC: beneficiary, Action: string(audit.Rectification),
			Target: target, Address: "reindex", Outcome: string(audit.OutcomeOK), SourceKey: &key,
			Detail: map[string]any{"chiave": k, "motivo": "azione non presente nella cronologia del flusso di lavoro"},
		})
	}
	return insertAuditsCount(ctx, tx, rows)
}

// ExemptionState is what the exemption workflow says of its exemption, for
// reindex.
type ExemptionState struct {
	ID               int64
	State            string
	EndDate          *time.Time
	Version          int
	LastSeq          int
	PublishedVersion int
}

// ReplaceExemption makes the exemption's row equal to its workflow's state
// (behind or ahead), removes events the history does not hold (beyond its
// newest), then applies the events not yet projected. It reports whether
// anything changed.
func (s *Store) ReplaceExemption(ctx context.Context, st ExemptionState, unprojected exemption.Record) (changed bool, err error) {
	err = s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var before Exemption
		if err := tx.NewSelect().Model(&before).Where("id = ?", st.ID).For("UPDATE").Scan(ctx); err != nil {
			return err
		}
		eqEnd := (before.EndDate == nil) == (st.EndDate == nil) && (before.EndDate == nil || before.EndDate.Equal(*st.EndDate))
		if before.State != st.State || before.Version != st.Version || before.LastSeq != st.LastSeq ||
			before.PublishedVersion != st.PublishedVersion || !eqEnd {
			changed = true
			pub := PublicationDone
			if st.PublishedVersion < st.Version {
				pub = PublicationPending
			}
			if _, err := tx.NewUpdate().Table("exemption").Set("state = ?", st.State).Set("end_date = ?", dateArg(st.EndDate)).
				Set("version = ?", st.Version).Set("last_seq = ?", st.LastSeq).Set("published_version = ?", st.PublishedVersion).
				Set("publication_state = ?", pub).Where("id = ?", st.ID).Exec(ctx); err != nil {
				return err
			}
		}
		res, err := tx.NewDelete().Model((*ExemptionEvent)(nil)).Where("exemption_id = ? AND seq > ?", st.ID, st.LastSeq).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			changed = true
		}
		held := map[string]bool{}
		for seq := 1; seq <= st.LastSeq; seq++ {
			held[exemption.AuditKey(st.ID, seq)] = true
		}
		n, err := rectifyAuditsAhead(ctx, tx, fmt.Sprintf("esenzione:%d:", st.ID), fmt.Sprint(st.ID), before.BeneficiaryFC, held)
		if n > 0 {
			changed = true
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("replace exemption %d: %w", st.ID, err)
	}
	if len(unprojected.Events) > 0 {
		changed = true
		return changed, s.ApplyExemption(ctx, unprojected)
	}
	return changed, nil
}

// OpenPracticeNumbers lists the practices the read model shows as open.
func (s *Store) OpenPracticeNumbers(ctx context.Context) ([]string, error) {
	var out []string
	err := s.DB.NewSelect().Table("practice").Column("number").
		Where("state IN (?)", bun.In([]string{string(practice.Inviata), string(practice.InLavorazione)})).
		Order("number").Scan(ctx, &out)
	return out, err
}
