// Package benchdata fills an already migrated database, holding the
// catalogue, with a realistic synthetic population of beneficiaries,
// practices and exemptions, fast enough to build the millions of rows the
// search benchmark needs.
//
// The data follow the application's own rules, so that the benchmark sees
// the selectivity of production:
//
//   - beneficiaries spread over the 12 Piedmont ASL like the population,
//     Italian first names by sex and generation, surnames with a Zipf-like
//     distribution (the most common about 0.4% of people), birth dates from
//     1925 to 2020, birth places valid at the birth date, valid and unique
//     fiscal codes (omocodia resolves the rare collisions, as the tax
//     office does);
//   - practices created over the last four years in creation order (denser
//     lately, on weekdays and office hours), numbered per ASL and year, with
//     a state mix where old practices are closed, a cronologia consistent
//     with the workflow (practice.Steps), codes and diagnoses from the
//     catalogue links with the common codes (0A31, 048, 013, 0031, 0A02,
//     044...) dominating;
//   - one exemption per validated practice plus exemptions imported from
//     the regional registry up to Options.Exemptions, with end dates from the
//     diagnosis durations, reminders, renewals, expiries and revocations
//     relative to today, at most one valid exemption per person and code,
//     each published to registry_exemption.
//
// Rows are streamed with COPY FROM STDIN (pgdriver.CopyFrom) from a single
// generator goroutine through bounded buffered pipes, one connection per
// table, so memory stays flat whatever the size: only a compact record of
// each beneficiary (about 32 bytes) is kept, to link practices to people.
// While loading, the secondary indexes, primary keys, unique and foreign key
// constraints of the loaded tables are dropped; they are rebuilt afterwards
// from the definitions PostgreSQL printed before dropping them, so the
// schema comes back identical, and the tables are analysed.
//
// The output is deterministic for a given Seed and Now.
package benchdata

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Options size and tune a generation.
type Options struct {
	// Practices is the number of practices to create.
	Practices int
	// Exemptions is the total number of exemptions: one per validated
	// practice (about 70% of them) and registry exemptions for the rest.
	// When it is lower than the validated practices, only those are made.
	Exemptions int
	// Beneficiaries is the number of people; 0 means
	// max(Practices*3/4, Exemptions/3), about three exemptions per person.
	Beneficiaries int
	// Seed makes the data reproducible.
	Seed uint64
	// Progress, when not nil, receives a line every few seconds.
	Progress io.Writer

	// Now is "today" for states and dates; zero means time.Now(). The same
	// Seed and Now give the same rows.
	Now time.Time
	// Years is how far back practices go; 0 means 4.
	Years int
	// Workers is how many statements rebuild indexes and analyse tables at
	// once; 0 means 2.
	Workers int
	// MaintenanceWorkMem is the maintenance_work_mem of the index builds;
	// empty means 256MB.
	MaintenanceWorkMem string
}

func (o Options) withDefaults() Options {
	if o.Beneficiaries <= 0 {
		o.Beneficiaries = max(o.Practices*3/4, o.Exemptions/3, 1)
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.Truncate(time.Microsecond)
	if o.Years <= 0 {
		o.Years = 4
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.MaintenanceWorkMem == "" {
		o.MaintenanceWorkMem = "256MB"
	}
	return o
}

// Table names, the keys of Report.Rows.
const (
	TableBeneficiary       = "beneficiary"
	TablePractice          = "practice"
	TablePracticeEvent     = "practice_event"
	TableExemption         = "exemption"
	TableExemptionEvent    = "exemption_event"
	TableRegistryExemption = "registry_exemption"
	TablePracticeCounter   = "practice_counter"
)

// Report tells what a generation did.
type Report struct {
	// Rows counts the rows written per table, as PostgreSQL confirmed them.
	Rows map[string]int64
	// Copy is how long each table's COPY ran (they overlap).
	Copy map[string]time.Duration
	// Phases are the consecutive steps with their durations.
	Phases []Phase
	// Elapsed is the whole generation.
	Elapsed time.Duration

	// PracticeStates and ExemptionStates count rows per state;
	// ExemptionSources per source (PRATICA, REGISTRO).
	PracticeStates   map[string]int64
	ExemptionStates  map[string]int64
	ExemptionSources map[string]int64

	// The effective options.
	Beneficiaries int
	Seed          uint64
	Now           time.Time
	// OmocodeCodes counts fiscal codes that needed omocodia to be unique.
	OmocodeCodes int
}

// Phase is one step of a generation.
type Phase struct {
	Name    string
	Elapsed time.Duration
}

// TotalRows is the number of rows written to every table.
func (r Report) TotalRows() int64 {
	var n int64
	for _, v := range r.Rows {
		n += v
	}
	return n
}

// RowsPerSecond is the overall throughput, index rebuild and ANALYZE
// included.
func (r Report) RowsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.TotalRows()) / r.Elapsed.Seconds()
}

// Phase returns the duration of the named phase.
func (r Report) Phase(name string) time.Duration {
	for _, p := range r.Phases {
		if p.Name == name {
			return p.Elapsed
		}
	}
	return 0
}

// Phase names.
const (
	PhasePrepare     = "prepare"     // catalogue, checks, dropping indexes and constraints
	PhaseLoad        = "load"        // generation and COPY of every table
	PhaseCounters    = "counters"    // practice_counter and the exemption id sequence
	PhaseIndexes     = "indexes"     // rebuilding every index (primary keys and unique ones too)
	PhaseConstraints = "constraints" // re-attaching keys, validating foreign keys
	PhaseAnalyze     = "analyze"
)

// String summarises the report for logs.
func (r Report) String() string {
	var b strings.Builder
	tables := make([]string, 0, len(r.Rows))
	for t := range r.Rows {
		tables = append(tables, t)
	}
	slices.Sort(tables)
	for _, t := range tables {
		fmt.Fprintf(&b, "%-19s %10d rows", t, r.Rows[t])
		if d, ok := r.Copy[t]; ok && d > 0 {
			fmt.Fprintf(&b, "  COPY %6.1fs %9.0f rows/s", d.Seconds(), float64(r.Rows[t])/d.Seconds())
		}
		b.WriteByte('\n')
	}
	for _, p := range r.Phases {
		fmt.Fprintf(&b, "%-10s %8.1fs\n", p.Name, p.Elapsed.Seconds())
	}
	load := r.Phase(PhaseLoad)
	fmt.Fprintf(&b, "total %d rows in %.1fs: %.0f rows/s overall", r.TotalRows(), r.Elapsed.Seconds(), r.RowsPerSecond())
	if load > 0 {
		fmt.Fprintf(&b, ", %.0f rows/s while loading", float64(r.TotalRows())/load.Seconds())
	}
	b.WriteByte('\n')
	return b.String()
}

// Connections is how many connections Generate holds at once: one COPY per
// table and one for the rest.
const Connections = 7

// Open connects to url for Generate: no read or write timeout (rebuilding an
// index on millions of rows takes longer than an application query may) and
// a pool large enough for the parallel COPYs. The user must own the tables
// (the migrating user, not the application role).
func Open(ctx context.Context, url string) (*bun.DB, error) {
	connector := pgdriver.NewConnector(
		pgdriver.WithDSN(url),
		pgdriver.WithDialTimeout(10*time.Second),
		pgdriver.WithReadTimeout(0),
		pgdriver.WithWriteTimeout(0),
		pgdriver.WithConnParams(map[string]any{"application_name": "benchdata"}),
	)
	sqldb := sql.OpenDB(connector)
	sqldb.SetMaxOpenConns(2 * Connections)
	sqldb.SetMaxIdleConns(Connections)
	db := bun.NewDB(sqldb, pgdialect.New())
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("benchdata: connect: %w", err)
	}
	return db, nil
}

// Generate fills db (migrated, with the catalogue, and without practices,
// exemptions or beneficiaries) with opts.Practices practices,
// opts.Exemptions exemptions and their people and histories.
//
// db must be connected as the owner of the tables and allow Connections
// connections; its driver's read timeout must be longer than the slowest
// index build (see Open). On failure the database is left with whatever
// the COPYs committed: discard it. The indexes and constraints are put back
// in any case, if the data allow.
func Generate(ctx context.Context, db *bun.DB, opts Options) (rep Report, err error) {
	start := time.Now()
	if opts.Practices < 0 || opts.Exemptions < 0 || opts.Beneficiaries < 0 {
		return rep, fmt.Errorf("benchdata: negative size in %+v", opts)
	}
	opts = opts.withDefaults()
	rep = Report{
		Rows: map[string]int64{}, Copy: map[string]time.Duration{},
		PracticeStates: map[string]int64{}, ExemptionStates: map[string]int64{}, ExemptionSources: map[string]int64{},
		Beneficiaries: opts.Beneficiaries, Seed: opts.Seed, Now: opts.Now,
	}
	phaseStart := start
	endPhase := func(name string) {
		now := time.Now()
		rep.Phases = append(rep.Phases, Phase{Name: name, Elapsed: now.Sub(phaseStart)})
		phaseStart = now
	}
	defer func() { rep.Elapsed = time.Since(start) }()

	if limit := db.DB.Stats().MaxOpenConnections; limit > 0 && limit < Connections {
		return rep, fmt.Errorf("benchdata: the connection pool allows %d connections, Generate needs %d (see Open)", limit, Connections)
	}
	if _, err := db.ExecContext(ctx, "SELECT 1"); err != nil {
		return rep, fmt.Errorf("benchdata: %w", err)
	}
	for _, t := range loadedTables {
		var found bool
		if err := db.NewRaw("SELECT EXISTS (SELECT 1 FROM "+t+")").Scan(ctx, &found); err != nil {
			return rep, fmt.Errorf("benchdata: %w", err)
		}
		if found {
			return rep, fmt.Errorf("benchdata: table %s already has rows: generate into an empty database", t)
		}
	}
	g, err := newGenerator(ctx, db, opts)
	if err != nil {
		return rep, err
	}
	snap, err := readSnapshot(ctx, db)
	if err != nil {
		return rep, err
	}
	if err := checkOwnership(ctx, db, snap); err != nil {
		return rep, err
	}
	g.progressf("dropping %d indexes and %d constraints of %s", len(snap.indexes), len(snap.constraints), strings.Join(loadedTables, ", "))
	if err := snap.drop(ctx, db); err != nil {
		return rep, err
	}
	restored := false
	defer func() {
		if restored {
			return
		}
		rctx := context.WithoutCancel(ctx)
		if rerr := snap.restore(rctx, db, opts.Workers, opts.MaintenanceWorkMem); rerr != nil {
			err = fmt.Errorf("%w; restoring the indexes failed too: %v", err, rerr)
		}
	}()
	endPhase(PhasePrepare)

	if err := g.load(ctx, db, &rep); err != nil {
		return rep, err
	}
	endPhase(PhaseLoad)

	n, err := g.saveCounters(ctx, db)
	if err != nil {
		return rep, err
	}
	rep.Rows[TablePracticeCounter] = int64(n)
	endPhase(PhaseCounters)

	g.progressf("rebuilding %d indexes", len(snap.indexes))
	restored = true
	if err := snap.restoreIndexes(ctx, db, opts.Workers, opts.MaintenanceWorkMem); err != nil {
		return rep, err
	}
	endPhase(PhaseIndexes)
	g.progressf("restoring %d constraints", len(snap.constraints))
	if err := snap.restoreConstraints(ctx, db, opts.Workers); err != nil {
		return rep, err
	}
	endPhase(PhaseConstraints)

	g.progressf("analysing")
	if err := analyze(ctx, db, opts.Workers); err != nil {
		return rep, err
	}
	endPhase(PhaseAnalyze)
	rep.Elapsed = time.Since(start)
	g.progressf("done: %d rows in %.1fs (%.0f rows/s)", rep.TotalRows(), rep.Elapsed.Seconds(), rep.RowsPerSecond())
	return rep, nil
}
