package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"esenzioni/internal/bench"
	"esenzioni/internal/config"
)

// runBench runs the benchmark suite on its own embedded stack (not part of
// the test run). See docs/BENCHMARKS.md.
func runBench(ctx context.Context, args []string) error {
	tuneGCForWeb() // as `esenzioni web`, which the benchmark measures
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	only := fs.String("only", "actions,search,pdf,timers", "sections to run")
	callers := fs.String("callers", "1,8,32", "concurrent callers of the action benchmark")
	flows := fs.Int("flows", 192, "practices per concurrency level and system")
	rounds := fs.Int("rounds", 4, "alternating bare/full runs the practices of a level are split into")
	scales := fs.String("scales", "20k:20000:50000,2m:2000000:5000000", "search scales name:practices:exemptions")
	reps := fs.Int("reps", 100, "timed runs per search query")
	timers := fs.String("timers", "10000,100000", "live exemption workflows to measure")
	budget := fs.Duration("timer-budget", 20*time.Minute, "time allowed to start the timer workflows")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the bench process (web, worker, clients) here")
	out := fs.String("json", "", "write the JSON report here (default: <data>/bench-report.json)")
	cfg, exe, err := parseTool(fs, args)
	if err != nil {
		return err
	}
	opts := bench.Options{
		DataDir: filepath.Join(cfg.DataDir, "bench"), Out: os.Stdout, Flows: *flows, Rounds: *rounds, Repetitions: *reps,
		TimerBudget: *budget, WorkerBinary: exe,
	}
	opts.JSON = *out
	if opts.JSON == "" {
		opts.JSON = filepath.Join(opts.DataDir, "bench-report.json")
	}
	for _, s := range config.List(*only) {
		switch s {
		case "actions":
			opts.Actions = true
		case "search":
			opts.Search = true
		case "pdf":
			opts.PDF = true
		case "timers":
			opts.Timers = true
		default:
			return fmt.Errorf("unknown section %q (actions, search, pdf, timers)", s)
		}
	}
	if opts.Concurrency, err = ints(*callers); err != nil {
		return err
	}
	if opts.TimerCounts, err = ints(*timers); err != nil {
		return err
	}
	for _, s := range strings.Split(*scales, ",") {
		parts := strings.Split(s, ":")
		if len(parts) != 3 {
			return fmt.Errorf("scale %q: want name:practices:exemptions", s)
		}
		p, err1 := strconv.Atoi(parts[1])
		x, err2 := strconv.Atoi(parts[2])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("scale %q: not numbers", s)
		}
		opts.Scales = append(opts.Scales, bench.Scale{Name: parts[0], Practices: p, Exemptions: x})
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	_, err = bench.Run(ctx, opts)
	return err
}

func ints(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", p)
		}
		out = append(out, n)
	}
	return out, nil
}
