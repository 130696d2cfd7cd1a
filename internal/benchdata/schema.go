package benchdata

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/uptrace/bun"
)

// loadedTables are the tables Generate fills with COPY.
var loadedTables = []string{"beneficiary", "practice", "practice_event", "exemption", "exemption_event", "registry_exemption"}

// tableList renders loadedTables as SQL regclass literals (constants, no
// user input).
func tableList() string {
	parts := make([]string, len(loadedTables))
	for i, t := range loadedTables {
		parts[i] = "'" + t + "'::regclass"
	}
	return strings.Join(parts, ", ")
}

// indexDef is an index of a loaded table as PostgreSQL prints it.
type indexDef struct {
	Table string `bun:"tbl"`  // regclass text
	Name  string `bun:"name"` // quoted, unqualified
	Qual  string `bun:"qual"` // regclass text of the index
	Def   string `bun:"def"`  // pg_get_indexdef: the CREATE INDEX that rebuilds it
	// Constraint is true when a primary key or unique constraint owns the
	// index: it is dropped with the constraint and re-attached to it.
	Constraint bool `bun:"constraint"`
	// Exclusion indexes cannot be rebuilt apart from their constraint; they
	// stay in place.
	Exclusion bool `bun:"exclusion"`
}

// constraintDef is a primary key, unique or foreign key constraint that the
// load drops and restores.
type constraintDef struct {
	Table      string `bun:"tbl"`  // regclass text
	Name       string `bun:"name"` // quoted
	Kind       string `bun:"kind"` // p, u or f
	Def        string `bun:"def"`  // pg_get_constraintdef
	Index      string `bun:"idx"`  // p/u: quoted name of the backing index
	Deferrable bool   `bun:"deferrable"`
	Deferred   bool   `bun:"deferred"`
	Validated  bool   `bun:"validated"`
}

// schemaSnapshot is what the load removed, to put back exactly.
type schemaSnapshot struct {
	indexes     []indexDef
	constraints []constraintDef
}

func readSnapshot(ctx context.Context, db bun.IDB) (*schemaSnapshot, error) {
	s := &schemaSnapshot{}
	tables := tableList()
	err := db.NewRaw(`
SELECT i.indrelid::regclass::text AS tbl, quote_ident(c.relname) AS name, i.indexrelid::regclass::text AS qual,
       pg_get_indexdef(i.indexrelid) AS def,
       EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u')) AS "constraint",
       EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype = 'x') AS exclusion
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid IN (`+tables+`)
ORDER BY 1, 2`).Scan(ctx, &s.indexes)
	if err != nil {
		return nil, fmt.Errorf("benchdata: read indexes: %w", err)
	}
	err = db.NewRaw(`
SELECT k.conrelid::regclass::text AS tbl, quote_ident(k.conname) AS name, k.contype::text AS kind,
       pg_get_constraintdef(k.oid) AS def,
       CASE WHEN k.contype IN ('p', 'u') THEN quote_ident(ic.relname) ELSE '' END AS idx,
       k.condeferrable AS deferrable, k.condeferred AS deferred, k.convalidated AS validated
FROM pg_constraint k LEFT JOIN pg_class ic ON ic.oid = k.conindid
WHERE (k.contype IN ('p', 'u') AND k.conrelid IN (`+tables+`))
   OR (k.contype = 'f' AND (k.conrelid IN (`+tables+`) OR k.confrelid IN (`+tables+`)))
ORDER BY 1, 2`).Scan(ctx, &s.constraints)
	if err != nil {
		return nil, fmt.Errorf("benchdata: read constraints: %w", err)
	}
	return s, nil
}

// checkOwnership fails unless the session may drop and recreate the indexes
// and constraints of every table involved.
func checkOwnership(ctx context.Context, db bun.IDB, s *schemaSnapshot) error {
	tables := map[string]bool{}
	for _, t := range loadedTables {
		tables[t] = true
	}
	for _, c := range s.constraints {
		tables[c.Table] = true
	}
	var names []string
	for t := range tables {
		names = append(names, t)
	}
	slices.Sort(names)
	var notOwned []string
	for _, t := range names {
		var owner bool
		err := db.NewRaw(`SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c WHERE c.oid = ?::regclass`, t).Scan(ctx, &owner)
		if err != nil {
			return fmt.Errorf("benchdata: ownership of %s: %w", t, err)
		}
		if !owner {
			notOwned = append(notOwned, t)
		}
	}
	if len(notOwned) > 0 {
		return fmt.Errorf("benchdata: the session does not own %s, so it cannot drop and rebuild their indexes; connect as the owner (the migrating user), e.g. with benchdata.Open, not as the application role", strings.Join(notOwned, ", "))
	}
	return nil
}

// drop removes foreign keys, primary keys, unique constraints and indexes of
// the loaded tables in one transaction.
func (s *schemaSnapshot) drop(ctx context.Context, db *bun.DB) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, kind := range []string{"f", "p", "u"} {
			for _, c := range s.constraints {
				if c.Kind != kind {
					continue
				}
				if _, err := tx.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", c.Table, c.Name)); err != nil {
					return fmt.Errorf("benchdata: drop constraint %s: %w", c.Name, err)
				}
			}
		}
		for _, ix := range s.indexes {
			if ix.Constraint || ix.Exclusion {
				continue
			}
			if _, err := tx.ExecContext(ctx, "DROP INDEX "+ix.Qual); err != nil {
				return fmt.Errorf("benchdata: drop index %s: %w", ix.Qual, err)
			}
		}
		return nil
	})
}

// restore rebuilds everything drop removed: restoreIndexes, then
// restoreConstraints.
func (s *schemaSnapshot) restore(ctx context.Context, db *bun.DB, workers int, maintenanceMem string) error {
	if err := s.restoreIndexes(ctx, db, workers, maintenanceMem); err != nil {
		return err
	}
	return s.restoreConstraints(ctx, db, workers)
}

// restoreIndexes rebuilds every index, those of primary keys and unique
// constraints included, in parallel, the largest tables first.
func (s *schemaSnapshot) restoreIndexes(ctx context.Context, db *bun.DB, workers int, maintenanceMem string) error {
	sizes, err := tableSizes(ctx, db)
	if err != nil {
		return err
	}
	var jobs []job
	for _, ix := range s.indexes {
		if ix.Exclusion {
			continue
		}
		jobs = append(jobs, job{name: "index " + ix.Qual, sql: ix.Def, cost: sizes[ix.Table]})
	}
	setup := []string{"SET synchronous_commit = off"}
	if maintenanceMem != "" {
		setup = append(setup, "SET maintenance_work_mem = '"+strings.ReplaceAll(maintenanceMem, "'", "")+"'")
	}
	return runJobs(ctx, db, workers, setup, jobs)
}

// restoreConstraints attaches the primary keys and unique constraints to
// their rebuilt indexes, then adds the foreign keys NOT VALID and validates
// them in parallel, which leaves them exactly as they were.
func (s *schemaSnapshot) restoreConstraints(ctx context.Context, db *bun.DB, workers int) error {
	sizes, err := tableSizes(ctx, db)
	if err != nil {
		return err
	}
	for _, c := range s.constraints {
		if c.Kind == "f" {
			continue
		}
		kind := "PRIMARY KEY"
		if c.Kind == "u" {
			kind = "UNIQUE"
		}
		q := fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s", c.Table, c.Name, kind, c.Index)
		if c.Deferrable {
			q += " DEFERRABLE"
			if c.Deferred {
				q += " INITIALLY DEFERRED"
			}
		}
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("benchdata: restore constraint %s: %w", c.Name, err)
		}
	}
	var validate []job
	for _, c := range s.constraints {
		if c.Kind != "f" {
			continue
		}
		def := c.Def
		if !strings.HasSuffix(def, " NOT VALID") {
			def += " NOT VALID"
		}
		if _, err := db.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", c.Table, c.Name, def)); err != nil {
			return fmt.Errorf("benchdata: restore foreign key %s: %w", c.Name, err)
		}
		if c.Validated {
			validate = append(validate, job{
				name: "foreign key " + c.Name,
				sql:  fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s", c.Table, c.Name),
				cost: sizes[c.Table],
			})
		}
	}
	return runJobs(ctx, db, workers, []string{"SET synchronous_commit = off"}, validate)
}

// tableSizes returns the heap size of the loaded tables, to schedule the
// longest jobs first.
func tableSizes(ctx context.Context, db bun.IDB) (map[string]int64, error) {
	var rows []struct {
		Tbl  string `bun:"tbl"`
		Size int64  `bun:"size"`
	}
	if err := db.NewRaw(`SELECT c.oid::regclass::text AS tbl, pg_relation_size(c.oid) AS size FROM pg_class c WHERE c.oid IN (`+tableList()+`)`).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("benchdata: table sizes: %w", err)
	}
	sizes := map[string]int64{}
	for _, r := range rows {
		sizes[r.Tbl] = r.Size
	}
	return sizes, nil
}

// job is one statement of a parallel phase.
type job struct {
	name string
	sql  string
	cost int64
}

// runJobs executes jobs on workers connections, the costliest first; every
// job runs even if another fails, and the errors are joined.
func runJobs(ctx context.Context, db *bun.DB, workers int, setup []string, jobs []job) error {
	if len(jobs) == 0 {
		return nil
	}
	slices.SortStableFunc(jobs, func(a, b job) int { return cmp.Compare(b.cost, a.cost) })
	queue := make(chan job, len(jobs))
	for _, j := range jobs {
		queue <- j
	}
	close(queue)
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for range min(workers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := db.Conn(ctx)
			if err != nil {
				fail(fmt.Errorf("benchdata: connection: %w", err))
				return
			}
			defer conn.Close()
			for _, q := range setup {
				if _, err := conn.ExecContext(ctx, q); err != nil {
					fail(fmt.Errorf("benchdata: %s: %w", q, err))
					return
				}
			}
			for j := range queue {
				if _, err := conn.ExecContext(ctx, j.sql); err != nil {
					fail(fmt.Errorf("benchdata: %s: %w", j.name, err))
				}
			}
			for _, q := range setup { // SET x = ... becomes RESET x
				if f := strings.Fields(q); len(f) > 1 && strings.EqualFold(f[0], "SET") {
					_, _ = conn.ExecContext(context.WithoutCancel(ctx), "RESET "+f[1])
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// analyze refreshes the planner statistics of the loaded tables.
func analyze(ctx context.Context, db *bun.DB, workers int) error {
	var jobs []job
	for i, t := range append(slices.Clone(loadedTables), "practice_counter") {
		jobs = append(jobs, job{name: "analyze " + t, sql: "ANALYZE " + t, cost: int64(-i)})
	}
	return runJobs(ctx, db, workers, nil, jobs)
}
