package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
)

// existing answers which referenced rows already are in the database.
type existing interface {
	// has returns the keys of want present in table.column.
	has(ctx context.Context, table, column string, want []string) (map[string]bool, error)
	// hasLinks returns the "exemption|diagnosis" keys of want present in
	// exemption_diagnosis.
	hasLinks(ctx context.Context, want []string) (map[string]bool, error)
}

// resolve checks the references between rows: each must point to a row of
// the import or of the database. A reference of a canonical file that
// resolves nowhere is a *RowError; a link of the public draft to an unknown
// diagnosis is left out with a warning.
func (ds *dataset) resolve(ctx context.Context, ex existing) error {
	// ASL: details of an ASL the import does not define must update one in
	// the database; districts need their ASL.
	var aslWant []string
	for _, a := range ds.asl.values() {
		if !a.hasBase {
			aslWant = append(aslWant, a.code)
		}
	}
	for _, d := range ds.districts.values() {
		if a, ok := ds.asl.get(d.asl); !ok || !a.hasBase {
			aslWant = append(aslWant, d.asl)
		}
	}
	aslDB, err := ex.has(ctx, TableASL, "code", aslWant)
	if err != nil {
		return err
	}
	for _, a := range ds.asl.values() {
		if !a.hasBase && !aslDB[a.code] {
			return &RowError{File: a.details.file, Line: a.details.line,
				Reason: fmt.Sprintf("ASL %s is neither in %s nor in the database", a.code, FileASL)}
		}
	}
	for _, d := range ds.districts.values() {
		if a, ok := ds.asl.get(d.asl); (!ok || !a.hasBase) && !aslDB[d.asl] {
			return &RowError{File: d.file, Line: d.line,
				Reason: fmt.Sprintf("asl_code %s is neither in %s nor in the database", d.asl, FileASL)}
		}
	}

	// Links: exemption code and diagnosis.
	var codeWant, diagWant []string
	for _, l := range ds.links.values() {
		if _, ok := ds.codes.get(l.exemption); !ok {
			codeWant = append(codeWant, l.exemption)
		}
		if _, ok := ds.diagnoses.get(l.diagnosis); !ok {
			diagWant = append(diagWant, l.diagnosis)
		}
	}
	codeDB, err := ex.has(ctx, TableExemptionCode, "code", codeWant)
	if err != nil {
		return err
	}
	diagDB, err := ex.has(ctx, TableDiagnosis, "code", diagWant)
	if err != nil {
		return err
	}
	var dropped []string
	for _, key := range append([]string(nil), ds.links.keys...) {
		l, _ := ds.links.get(key)
		_, codeOK := ds.codes.get(l.exemption)
		_, diagOK := ds.diagnoses.get(l.diagnosis)
		codeOK = codeOK || codeDB[l.exemption]
		diagOK = diagOK || diagDB[l.diagnosis]
		switch {
		case l.prio == prioPublic && (!codeOK || !diagOK):
			dropped = append(dropped, fmt.Sprintf("%s/%s (line %d)", l.exemption, l.diagnosis, l.line))
			ds.links.del(key)
		case !codeOK:
			return &RowError{File: l.file, Line: l.line,
				Reason: fmt.Sprintf("exemption_code %s is neither in this import nor in the database", l.exemption)}
		case !diagOK:
			return &RowError{File: l.file, Line: l.line,
				Reason: fmt.Sprintf("diagnosis_code %s is neither in this import nor in the database", l.diagnosis)}
		}
	}
	if len(dropped) > 0 {
		ds.warnf("%s: %d links left out, diagnosis unknown: %s", FileDraftCodes, len(dropped), strings.Join(dropped, ", "))
		ds.recount(FileDraftCodes, len(dropped))
	}

	// Exempt services: the exemption and diagnosis must be linked, the
	// service known.
	var pairWant, serviceWant []string
	for _, x := range ds.xservices.values() {
		if _, ok := ds.links.get(x.exemption + "|" + x.diagnosis); !ok {
			pairWant = append(pairWant, x.exemption+"|"+x.diagnosis)
		}
		if _, ok := ds.services.get(x.service); !ok {
			serviceWant = append(serviceWant, x.service)
		}
	}
	pairDB, err := ex.hasLinks(ctx, pairWant)
	if err != nil {
		return err
	}
	serviceDB, err := ex.has(ctx, TableService, "code", serviceWant)
	if err != nil {
		return err
	}
	for _, x := range ds.xservices.values() {
		if _, ok := ds.links.get(x.exemption + "|" + x.diagnosis); !ok && !pairDB[x.exemption+"|"+x.diagnosis] {
			return &RowError{File: x.file, Line: x.line,
				Reason: fmt.Sprintf("exemption %s is not linked to diagnosis %s (in %s, %s or the database)", x.exemption, x.diagnosis, FileExemptionDiagnoses, FileDraftCodes)}
		}
		if _, ok := ds.services.get(x.service); !ok && !serviceDB[x.service] {
			return &RowError{File: x.file, Line: x.line,
				Reason: fmt.Sprintf("service_code %s is neither in this import nor in the database", x.service)}
		}
	}
	return nil
}

// recount moves n rows of file from loaded to skipped.
func (ds *dataset) recount(file string, n int) {
	for i := range ds.report.Files {
		if ds.report.Files[i].Name == file {
			ds.report.Files[i].Skipped += n
		}
	}
}

// noDatabase is an empty database, for checks without one.
type noDatabase struct{}

func (noDatabase) has(context.Context, string, string, []string) (map[string]bool, error) {
	return map[string]bool{}, nil
}

func (noDatabase) hasLinks(context.Context, []string) (map[string]bool, error) {
	return map[string]bool{}, nil
}

// dbExisting looks rows up in the import's transaction.
type dbExisting struct{ db bun.IDB }

func (e dbExisting) has(ctx context.Context, table, column string, want []string) (map[string]bool, error) {
	found := map[string]bool{}
	if len(want) == 0 {
		return found, nil
	}
	var keys []string
	err := e.db.NewSelect().Table(table).Column(column).
		Where("? IN (?)", bun.Ident(column), bun.In(want)).
		Scan(ctx, &keys)
	if err != nil {
		return nil, fmt.Errorf("catalog: look up %s: %w", table, err)
	}
	for _, k := range keys {
		found[strings.TrimSpace(k)] = true // asl.code is char(6)
	}
	return found, nil
}

func (e dbExisting) hasLinks(ctx context.Context, want []string) (map[string]bool, error) {
	found := map[string]bool{}
	if len(want) == 0 {
		return found, nil
	}
	var codes []string
	for _, w := range want {
		c, _, _ := strings.Cut(w, "|")
		codes = append(codes, c)
	}
	var rows []struct {
		ExemptionCode string `bun:"exemption_code"`
		DiagnosisCode string `bun:"diagnosis_code"`
	}
	err := e.db.NewSelect().Table(TableExemptionDiagnosis).Column("exemption_code", "diagnosis_code").
		Where("exemption_code IN (?)", bun.In(codes)).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("catalog: look up %s: %w", TableExemptionDiagnosis, err)
	}
	for _, r := range rows {
		found[r.ExemptionCode+"|"+r.DiagnosisCode] = true
	}
	return found, nil
}

// regional returns the codes stored as regional by earlier imports.
func (e dbExisting) regional(ctx context.Context) ([]string, error) {
	var codes []string
	err := e.db.NewSelect().Table(TableExemptionCode).Column("code").
		Where("level = 'REGIONALE'").Scan(ctx, &codes)
	if err != nil {
		return nil, fmt.Errorf("catalog: look up regional codes: %w", err)
	}
	return codes, nil
}
