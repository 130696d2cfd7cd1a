package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"esenzioni/internal/devstack"
	"esenzioni/migrations"
	"esenzioni/store"
	"esenzioni/store/catalog"
	"esenzioni/workflows/searchattr"
)

// Options select what runs and how big.
type Options struct {
	DataDir string // kept between runs: generated search data is reused
	Out     io.Writer
	JSON    string // path of the JSON report ("" = none)

	Actions     bool
	Concurrency []int // callers for the action benchmark, e.g. 1, 8, 32
	Flows       int   // practices per concurrency level and system
	Rounds      int   // alternating bare/full runs the flows are split into

	Search      bool
	Scales      []Scale
	Repetitions int // timed runs per query

	PDF bool

	Timers      bool
	TimerCounts []int // e.g. 10000, 100000
	TimerBudget time.Duration

	// WorkerBinary runs the worker process of the timers benchmark.
	WorkerBinary string
	Log          *slog.Logger
}

// Scale is a size of the search data.
type Scale struct {
	Name       string
	Practices  int
	Exemptions int
}

// Report is everything measured, also written as JSON.
type Report struct {
	StartedAt time.Time      `json:"startedAt"`
	Machine   Machine        `json:"machine"`
	Actions   *ActionsReport `json:"actions,omitempty"`
	Search    *SearchReport  `json:"search,omitempty"`
	PDF       *PDFReport     `json:"pdf,omitempty"`
	Timers    *TimersReport  `json:"timers,omitempty"`
	Elapsed   string         `json:"elapsed"`
}

// Machine describes where the figures were taken.
type Machine struct {
	CPUs     int    `json:"cpus"`
	CPUModel string `json:"cpuModel"`
	MemoryGB int    `json:"memoryGb"`
	Go       string `json:"go"`
	OS       string `json:"os"`
}

func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				if _, v, ok := strings.Cut(line, ":"); ok {
					m.CPUModel = strings.TrimSpace(v)
					break
				}
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			m.MemoryGB = (kb + 512*1024) / (1024 * 1024)
		}
	}
	return m
}

// env is the embedded stack of a benchmark run.
type env struct {
	opts  Options
	stack *devstack.Stack
	log   *slog.Logger
}

// Run runs the selected benchmarks and writes the report.
func Run(ctx context.Context, opts Options) (*Report, error) {
	start := time.Now()
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
		return nil, err
	}
	// Temporal starts empty every run (the timers benchmark fills it with
	// 100k workflows); PostgreSQL keeps the generated search data.
	for _, f := range []string{"temporal.db", "temporal.db-wal", "temporal.db-shm"} {
		_ = os.Remove(filepath.Join(opts.DataDir, f))
	}
	progress(opts.Out, "starting PostgreSQL, Temporal (SQLite file store, WAL) and MinIO in %s", opts.DataDir)
	stack, err := devstack.Start(ctx, devstack.Options{
		DataDir: opts.DataDir, TemporalUIPort: -1, SearchAttributes: searchattr.Definitions(),
		S3AccessKey: "bench", S3SecretKey: "bench-secret-key",
	})
	if err != nil {
		return nil, err
	}
	defer stack.Stop()
	e := &env{opts: opts, stack: stack, log: opts.Log}
	rep := &Report{StartedAt: start, Machine: machine()}
	if opts.Actions {
		if rep.Actions, err = e.actions(ctx); err != nil {
			return rep, fmt.Errorf("actions: %w", err)
		}
	}
	if opts.Search {
		e.quiet("search")
		if rep.Search, err = e.search(ctx); err != nil {
			return rep, fmt.Errorf("search: %w", err)
		}
	}
	if opts.PDF {
		e.quiet("pdf")
		rep.PDF = pdfBench()
	}
	if opts.Timers {
		e.quiet("timers")
		if rep.Timers, err = e.timers(ctx); err != nil {
			return rep, fmt.Errorf("timers: %w", err)
		}
	}
	rep.Elapsed = time.Since(start).Round(time.Second).String()
	fmt.Fprint(opts.Out, rep.Markdown())
	if opts.JSON != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(opts.JSON, b, 0o644); err != nil {
			return rep, err
		}
		progress(opts.Out, "JSON report written to %s", opts.JSON)
	}
	return rep, nil
}

// quiet waits (up to three minutes) until the Temporal server and
// PostgreSQL have finished the work a previous section left queued, so that
// it does not run into the next section's figures.
func (e *env) quiet(section string) {
	start := time.Now()
	for time.Since(start) < 3*time.Minute {
		t0 := e.cpuMark()
		time.Sleep(3 * time.Second)
		c := e.cpuSince(t0, 1)
		if (c.TemporalMS+c.PostgresMS)/3000 < 0.10 { // under 10% of a core
			break
		}
	}
	runtime.GC()
	if d := time.Since(start); d > 4*time.Second {
		progress(e.opts.Out, "%s: waited %s for the stack to go quiet", section, d.Round(time.Second))
	}
}

func progress(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "bench: "+format+"\n", args...)
}

// database returns the URL of database name, created (migrated, with the
// catalogue) when fresh or missing.
func (e *env) database(ctx context.Context, name string, fresh bool) (string, bool, error) {
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(e.stack.Postgres.URL("postgres"))))
	defer admin.Close()
	var exists bool
	if err := admin.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", false, err
	}
	if exists && fresh {
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			return "", false, err
		}
		exists = false
	}
	url := e.stack.Postgres.URL(name)
	if !exists {
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			return "", false, err
		}
	}
	// Data kept from a previous run get this version's migrations too.
	db, err := store.Open(ctx, url, store.OpenOptions{Maintenance: true})
	if err != nil {
		return "", false, err
	}
	defer db.Close()
	if _, err := migrations.Migrate(ctx, db); err != nil {
		return "", false, err
	}
	if exists {
		return url, false, nil
	}
	if _, err := catalog.ImportEmbedded(ctx, db, catalog.Options{Regional: []string{"93A"}}); err != nil {
		return "", false, err
	}
	return url, true, nil
}
