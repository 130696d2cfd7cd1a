package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"esenzioni/internal/config"
	"esenzioni/internal/faults"
)

// runFaults runs the fault suite (README, "Fault suite"): the system as
// separate processes under load, one process at a time killed with
// SIGKILL, then a check that nothing was lost, doubled or mismatched. Not
// part of `make test` (its short form is).
func runFaults(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("faults", flag.ContinueOnError)
	practices := fs.Int("practices", 200, "practices each fault kind drives at least (more while its kills are not done)")
	kills := fs.Int("kills", 50, "kills per fault kind")
	clients := fs.Int("clients", 4, "concurrent clients (operators at a browser, submitters' software)")
	kinds := fs.String("kinds", strings.Join(faults.KindNames(), ","), "fault kinds to run, in order")
	seed := fs.Uint64("seed", 1, "seed of the clients' and the driver's choices")
	dir := fs.String("dir", "", "data directory, emptied first (default: <ESENZIONI_DATA_DIR>/faults)")
	settle := fs.Duration("settle", 5*time.Minute, "how long the workflows may take to finish their effects after a phase")
	binary := fs.String("binary", "", "the esenzioni binary run as web and worker (default: this one; e.g. an older release, to see the suite catch its faults)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: esenzioni faults [flags]\n\nfault kinds:")
		for _, k := range faults.Kinds {
			fmt.Fprintf(fs.Output(), "  %-18s %s\n", k.Name, k.Help)
		}
		fmt.Fprintln(fs.Output(), "\nflags:")
		fs.PrintDefaults()
	}
	cfg, exe, err := parseTool(fs, args)
	if err != nil {
		return err
	}
	if *binary != "" {
		exe = *binary
	}
	if *dir == "" {
		*dir = filepath.Join(cfg.DataDir, "faults")
	}
	rep, err := faults.Run(ctx, faults.Options{
		Dir: *dir, Binary: exe, Practices: *practices, Kills: *kills, Clients: *clients, Kinds: config.List(*kinds),
		Seed: *seed, SettleTimeout: *settle, Out: os.Stdout, Log: os.Stderr,
	})
	if err != nil {
		return err
	}
	if rep.Failed() {
		return exitCode(1)
	}
	return nil
}
