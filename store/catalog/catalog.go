// Package catalog loads the catalogue of the exemption back office into
// PostgreSQL: ASL and districts, ICD-9-CM diagnoses, outpatient services,
// exemption codes, the diagnoses each code covers (with the duration of an
// exemption issued for it) and the services exempt for each code and
// diagnosis, reasons for rejecting a practice and the types of attached
// documents.
//
// The input is a set of CSV files: the public sources as shipped in
// esenzioni/data (see data/PROVENANCE.md) and canonical files in the
// project's own formats for what the public data lack. docs/CATALOG.md
// describes every file. An import runs in one transaction: either every row
// of every file is valid and loaded, or nothing changes.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"esenzioni/domain/refdata"
)

// Options tune an import.
type Options struct {
	// Regional lists exemption codes of the Region (e.g. "93A"), accepted
	// besides the national ones. Codes that exemption_codes.csv declares
	// REGIONALE, or that an earlier import stored as REGIONALE, are regional
	// too.
	Regional []string

	// Progress, when not nil, receives a progress bar for each table of at
	// least ProgressMin rows (the ICD-9-CM diagnoses, the services). Nil
	// keeps the import silent.
	Progress io.Writer

	// ProgressMin is the smallest table that gets a progress bar; 0 means
	// 1000 rows.
	ProgressMin int

	// BatchSize is the number of rows of each multi-row INSERT; 0 means
	// 1000.
	BatchSize int
}

// Table names, the keys of Report.Rows, in the order an import writes them.
const (
	TableASL                = "asl"
	TableDistrict           = "district"
	TableDiagnosis          = "diagnosis"
	TableService            = "service"
	TableExemptionCode      = "exemption_code"
	TableExemptionDiagnosis = "exemption_diagnosis"
	TableExemptionService   = "exemption_service"
	TableRejectReason       = "reject_reason"
	TableDocumentType       = "document_type"
)

// Tables lists the tables an import writes, in foreign-key order.
func Tables() []string {
	return []string{
		TableASL, TableDistrict, TableDiagnosis, TableService, TableExemptionCode,
		TableExemptionDiagnosis, TableExemptionService, TableRejectReason, TableDocumentType,
	}
}

// Report tells what an import did.
type Report struct {
	// Files are the recognised files, in the order they were read.
	Files []FileReport
	// Rows counts the rows of the import per table, each inserted or
	// updated (an update that would change nothing is skipped by the
	// database); a table no file feeds is absent.
	Rows map[string]int
	// Warnings are what was ignored: unknown files, rows of the public
	// sources left out (codes outside the national table, income codes, ...).
	Warnings []string
	// Elapsed is the duration of the whole import, transaction included.
	Elapsed time.Duration
}

// FileReport is one recognised file of an import.
type FileReport struct {
	Name    string
	Rows    int // data rows read, header excluded
	Skipped int // rows read but not loaded (procedures, codes out of scope, ...)
}

// String summarises the report on a few lines, for command-line output.
func (r Report) String() string {
	var b strings.Builder
	for _, t := range Tables() {
		if n, ok := r.Rows[t]; ok {
			fmt.Fprintf(&b, "%-20s %7d rows\n", t, n)
		}
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	fmt.Fprintf(&b, "%d files in %s\n", len(r.Files), r.Elapsed.Round(time.Millisecond))
	return b.String()
}

// RowError is a malformed row (or header) of a catalogue file. Line is the
// 1-based line where the row starts.
type RowError struct {
	File   string
	Line   int
	Reason string
}

func (e *RowError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason) }

// Import loads every recognised CSV file at the top of fsys in one
// transaction, respecting foreign keys, and returns what it
// wrote. Other files are ignored with a warning in the report. A malformed
// row makes the whole import fail with a *RowError and leaves the database
// as it was. Importing the same files again writes the same rows.
func Import(ctx context.Context, db *bun.DB, fsys fs.FS, opts Options) (Report, error) {
	return importSources(ctx, db, opts, source{fsys: fsys})
}

// ImportEmbedded loads the catalogue shipped in package esenzioni/data: the
// ASL list of refdata.Geo() (only asl_piemonte.csv: the other geographic files
// belong to package places) and every file of refdata.Catalog(), in one
// transaction.
func ImportEmbedded(ctx context.Context, db *bun.DB, opts Options) (Report, error) {
	return importSources(ctx, db, opts,
		source{fsys: refdata.Geo(), only: []string{FileASL}},
		source{fsys: refdata.Catalog()})
}

// source is a directory of catalogue files; only, when set, restricts it to
// those names (and silences the warnings about the others).
type source struct {
	fsys fs.FS
	only []string
}

// importSources reads, validates and writes the sources in one transaction.
func importSources(ctx context.Context, db *bun.DB, opts Options, sources ...source) (Report, error) {
	start := time.Now()
	var rep Report
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// Two imports at once would interleave their upserts; the second
		// waits for the first.
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext('esenzioni.catalog.import'))"); err != nil {
			return fmt.Errorf("catalog: lock: %w", err)
		}
		ex := dbExisting{db: tx}
		regional, err := ex.regional(ctx)
		if err != nil {
			return err
		}
		ds, err := load(opts, regional, sources...)
		if err != nil {
			return err
		}
		if err := ds.resolve(ctx, ex); err != nil {
			return err
		}
		rep = ds.report
		rep.Rows, err = ds.write(ctx, tx, opts)
		return err
	})
	rep.Elapsed = time.Since(start)
	if err != nil {
		var re *RowError
		if !errors.As(err, &re) && !strings.HasPrefix(err.Error(), "catalog:") {
			err = fmt.Errorf("catalog: %w", err)
		}
		return rep, err
	}
	return rep, nil
}

// load reads and validates the files of the sources, without a database.
// regional are the regional codes already known (from the database).
func load(opts Options, regional []string, sources ...source) (*dataset, error) {
	files := map[string]fs.FS{}
	var warnings []string
	for _, s := range sources {
		entries, err := fs.ReadDir(s.fsys, ".")
		if err != nil {
			return nil, fmt.Errorf("catalog: read directory: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || strings.HasPrefix(name, ".") {
				continue
			}
			if s.only != nil && !slices.Contains(s.only, name) {
				continue
			}
			if _, ok := specByName(name); !ok {
				warnings = append(warnings, fmt.Sprintf("%s: not a catalogue file, ignored", name))
				continue
			}
			if _, dup := files[name]; dup {
				return nil, fmt.Errorf("catalog: %s is in more than one of the directories imported", name)
			}
			files[name] = s.fsys
		}
	}
	ds := newDataset(opts.Regional, regional)
	ds.report.Warnings = warnings
	for _, spec := range fileSpecs {
		fsys, ok := files[spec.name]
		if !ok {
			continue
		}
		if err := ds.readFile(fsys, spec); err != nil {
			return nil, err
		}
	}
	if ds.report.Files == nil {
		ds.report.Warnings = append(ds.report.Warnings, "no catalogue file found")
	}
	return ds, nil
}
