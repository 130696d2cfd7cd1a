package catalog

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/uptrace/bun"

	"esenzioni/store"
)

// Rows as written, one model per table (the ASL and district models are
// the store's own).

type diagnosisRow struct {
	bun.BaseModel `bun:"table:diagnosis,alias:diagnosis"`
	Code          string `bun:"code,pk"`
	Description   string `bun:"description"`
}

type serviceRow struct {
	bun.BaseModel `bun:"table:service,alias:service"`
	Code          string `bun:"code,pk"`
	Description   string `bun:"description"`
}

type exemptionCodeRow struct {
	bun.BaseModel `bun:"table:exemption_code,alias:exemption_code"`
	Code          string `bun:"code,pk"`
	Description   string `bun:"description"`
	Category      string `bun:"category"`
	Family        string `bun:"family"`
	Level         string `bun:"level"`
	Demo          bool   `bun:"demo"`
}

type exemptionDiagnosisRow struct {
	bun.BaseModel `bun:"table:exemption_diagnosis,alias:exemption_diagnosis"`
	ExemptionCode string  `bun:"exemption_code"`
	DiagnosisCode string  `bun:"diagnosis_code"`
	DurationValue *int    `bun:"duration_value"`
	DurationUnit  *string `bun:"duration_unit"`
	Demo          bool    `bun:"demo"`
}

type exemptionServiceRow struct {
	bun.BaseModel `bun:"table:exemption_service,alias:exemption_service"`
	ExemptionCode string  `bun:"exemption_code"`
	DiagnosisCode string  `bun:"diagnosis_code"`
	ServiceCode   string  `bun:"service_code"`
	Position      int     `bun:"position"`
	ValidFrom     string  `bun:"valid_from"`
	ValidTo       *string `bun:"valid_to"`
	Demo          bool    `bun:"demo"`
}

type rejectReasonRow struct {
	bun.BaseModel `bun:"table:reject_reason,alias:reject_reason"`
	Code          string `bun:"code,pk"`
	Description   string `bun:"description"`
	Position      int    `bun:"position"`
}

type documentTypeRow struct {
	bun.BaseModel `bun:"table:document_type,alias:document_type"`
	Code          string `bun:"code,pk"`
	Label         string `bun:"label"`
	Description   string `bun:"description"`
	Position      int    `bun:"position"`
}

// upsert describes the INSERT ... ON CONFLICT of one table: the columns to
// insert, the conflict target and the columns to update. Rows whose updated
// columns already hold the same values are not rewritten.
type upsert struct {
	table    string
	columns  []string
	conflict string
	update   []string
}

func (u upsert) apply(q *bun.InsertQuery) *bun.InsertQuery {
	q = q.Column(u.columns...).On("CONFLICT (" + u.conflict + ") DO UPDATE")
	var cur, exc []string
	for _, c := range u.update {
		q = q.Set(c + " = EXCLUDED." + c)
		cur = append(cur, u.table+"."+c)
		exc = append(exc, "EXCLUDED."+c)
	}
	return q.Where("(" + strings.Join(cur, ", ") + ") IS DISTINCT FROM (" + strings.Join(exc, ", ") + ")")
}

// writer sends rows in batches, with an optional progress bar.
type writer struct {
	tx    bun.Tx
	opts  Options
	batch int
	rows  map[string]int
}

// insert writes rows (a slice of one model) in batches.
func insertBatches[T any](ctx context.Context, w *writer, table string, rows []T, u *upsert) error {
	if len(rows) == 0 {
		return nil
	}
	bar := w.bar(table, len(rows))
	for start := 0; start < len(rows); start += w.batch {
		end := min(start+w.batch, len(rows))
		chunk := rows[start:end]
		// Nil pointers are sent as DEFAULT (NULL here); RETURNING "NULL"
		// stops bun from reading those columns back.
		q := w.tx.NewInsert().Model(&chunk).Returning("NULL")
		if u != nil {
			q = u.apply(q)
		}
		if _, err := q.Exec(ctx); err != nil {
			return fmt.Errorf("catalog: write %s: %w", table, err)
		}
		if bar != nil {
			_ = bar.Add(len(chunk))
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	w.rows[table] += len(rows)
	return nil
}

func (w *writer) bar(table string, n int) *progressbar.ProgressBar {
	limit := w.opts.ProgressMin
	if limit <= 0 {
		limit = 1000
	}
	if w.opts.Progress == nil || n < limit {
		return nil
	}
	out := w.opts.Progress
	return progressbar.NewOptions(n,
		progressbar.OptionSetWriter(out),
		progressbar.OptionSetDescription(fmt.Sprintf("%-20s", table)),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { _, _ = io.WriteString(out, "\n") }),
	)
}

// write stores the dataset in foreign-key order and returns the rows
// written per table.
func (ds *dataset) write(ctx context.Context, tx bun.Tx, opts Options) (map[string]int, error) {
	w := &writer{tx: tx, opts: opts, batch: opts.BatchSize, rows: map[string]int{}}
	if w.batch <= 0 {
		w.batch = 1000
	}
	for t := range ds.fedTables {
		w.rows[t] = 0
	}
	steps := []func(context.Context, *writer) error{
		ds.writeASL, ds.writeDistricts, ds.writeDiagnoses, ds.writeServices, ds.writeCodes,
		ds.writeLinks, ds.writeExemptServices, ds.writeRejectReasons, ds.writeDocumentTypes,
	}
	for _, step := range steps {
		if err := step(ctx, w); err != nil {
			return nil, err
		}
	}
	return w.rows, nil
}

func (ds *dataset) writeASL(ctx context.Context, w *writer) error {
	base := []string{"short_name", "name", "region_code", "seat_istat"}
	details := []string{"legal_address", "phone", "pec", "tax_code", "demo"}
	var full, baseOnly []store.ASL
	for _, a := range ds.asl.values() {
		r := store.ASL{Code: a.code, ShortName: a.shortName, Name: a.name, RegionCode: a.region, SeatISTAT: a.seat}
		if d := a.details; d != nil {
			r.LegalAddress, r.Phone, r.PEC, r.TaxCode, r.Demo = d.address, d.phone, d.pec, d.taxCode, d.demo
		}
		switch {
		case a.hasBase && a.details != nil:
			full = append(full, r)
		case a.hasBase:
			baseOnly = append(baseOnly, r)
		default:
			// Details of an ASL already in the database: update them only.
			_, err := w.tx.NewUpdate().Model(&r).Column(details...).WherePK().Exec(ctx)
			if err != nil {
				return fmt.Errorf("catalog: write asl: %w", err)
			}
			w.rows[TableASL]++
		}
	}
	if err := insertBatches(ctx, w, TableASL, full, &upsert{TableASL, append(append([]string{"code"}, base...), details...), "code", append(base, details...)}); err != nil {
		return err
	}
	return insertBatches(ctx, w, TableASL, baseOnly, &upsert{TableASL, append([]string{"code"}, base...), "code", base})
}

func (ds *dataset) writeDistricts(ctx context.Context, w *writer) error {
	var rows []store.District
	for _, d := range ds.districts.values() {
		rows = append(rows, store.District{ASLCode: d.asl, Code: d.code, Name: d.name, Demo: d.demo})
	}
	return insertBatches(ctx, w, TableDistrict, rows,
		&upsert{TableDistrict, []string{"asl_code", "code", "name", "demo"}, "asl_code, code", []string{"name", "demo"}})
}

func (ds *dataset) writeDiagnoses(ctx context.Context, w *writer) error {
	var rows []diagnosisRow
	for _, d := range ds.diagnoses.values() {
		rows = append(rows, diagnosisRow{Code: d.code, Description: d.desc})
	}
	return insertBatches(ctx, w, TableDiagnosis, rows,
		&upsert{TableDiagnosis, []string{"code", "description"}, "code", []string{"description"}})
}

func (ds *dataset) writeServices(ctx context.Context, w *writer) error {
	var rows []serviceRow
	for _, s := range ds.services.values() {
		rows = append(rows, serviceRow{Code: s.code, Description: s.desc})
	}
	return insertBatches(ctx, w, TableService, rows,
		&upsert{TableService, []string{"code", "description"}, "code", []string{"description"}})
}

func (ds *dataset) writeCodes(ctx context.Context, w *writer) error {
	var rows []exemptionCodeRow
	for _, c := range ds.codes.values() {
		rows = append(rows, exemptionCodeRow{Code: c.code, Description: c.desc, Category: c.category,
			Family: c.family, Level: c.level, Demo: c.demo})
	}
	// active is left alone: an operator may have retired a code.
	cols := []string{"description", "category", "family", "level", "demo"}
	return insertBatches(ctx, w, TableExemptionCode, rows,
		&upsert{TableExemptionCode, append([]string{"code"}, cols...), "code", cols})
}

func (ds *dataset) writeLinks(ctx context.Context, w *writer) error {
	var rows []exemptionDiagnosisRow
	for _, l := range ds.links.values() {
		rows = append(rows, exemptionDiagnosisRow{ExemptionCode: l.exemption, DiagnosisCode: l.diagnosis,
			DurationValue: l.durValue, DurationUnit: l.durUnit, Demo: l.demo})
	}
	cols := []string{"duration_value", "duration_unit", "demo"}
	return insertBatches(ctx, w, TableExemptionDiagnosis, rows,
		&upsert{TableExemptionDiagnosis, append([]string{"exemption_code", "diagnosis_code"}, cols...), "exemption_code, diagnosis_code", cols})
}

// writeExemptServices replaces the services of every exemption and
// diagnosis the import lists: the file gives the whole list of a pair.
func (ds *dataset) writeExemptServices(ctx context.Context, w *writer) error {
	if len(ds.xsPairs) == 0 {
		return nil
	}
	for start := 0; start < len(ds.xsPairs); start += w.batch {
		end := min(start+w.batch, len(ds.xsPairs))
		var tuples []string
		var args []any
		for _, p := range ds.xsPairs[start:end] {
			code, diag, _ := strings.Cut(p, "|")
			tuples = append(tuples, "(?, ?)")
			args = append(args, code, diag)
		}
		_, err := w.tx.NewDelete().TableExpr(TableExemptionService).
			Where("(exemption_code, diagnosis_code) IN ("+strings.Join(tuples, ", ")+")", args...).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("catalog: write exemption_service: %w", err)
		}
	}
	var rows []exemptionServiceRow
	for _, x := range ds.xservices.values() {
		rows = append(rows, exemptionServiceRow{ExemptionCode: x.exemption, DiagnosisCode: x.diagnosis,
			ServiceCode: x.service, Position: x.position, ValidFrom: x.from, ValidTo: x.to, Demo: x.demo})
	}
	return insertBatches(ctx, w, TableExemptionService, rows, nil)
}

func (ds *dataset) writeRejectReasons(ctx context.Context, w *writer) error {
	var rows []rejectReasonRow
	for _, r := range ds.reasons.values() {
		rows = append(rows, rejectReasonRow{Code: r.code, Description: r.desc, Position: r.position})
	}
	// active is left alone: an operator may have retired a reason.
	return insertBatches(ctx, w, TableRejectReason, rows,
		&upsert{TableRejectReason, []string{"code", "description", "position"}, "code", []string{"description", "position"}})
}

func (ds *dataset) writeDocumentTypes(ctx context.Context, w *writer) error {
	var rows []documentTypeRow
	for _, d := range ds.docTypes.values() {
		rows = append(rows, documentTypeRow{Code: d.code, Label: d.label, Description: d.desc, Position: d.position})
	}
	return insertBatches(ctx, w, TableDocumentType, rows,
		&upsert{TableDocumentType, []string{"code", "label", "description", "position"}, "code", []string{"label", "description", "position"}})
}
