// Command esenzioni is the whole application in one binary: the web server,
// the Temporal worker, the migrations and imports, and `dev`, which runs all of
// it on a local PostgreSQL, Temporal dev server and MinIO.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type command struct {
	name, usage, help string
	run               func(ctx context.Context, args []string) error
}

func commands() []command {
	return []command{
		{"dev", "dev", "run everything locally: PostgreSQL, Temporal (with UI), MinIO, worker and web", runDev},
		{"cluster", "cluster [-webs 2 -workers 2 -histories 2]", "run the production form locally: Temporal cluster on PostgreSQL, several web and worker processes", runCluster},
		{"web", "web", "run the web server (UI, API, codec endpoint)", runWeb},
		{"worker", "worker", "run the Temporal worker", runWorker},
		{"migrate", "migrate", "apply pending database migrations", runMigrate},
		{"import", "import catalog [DIR]", "load catalogue CSV files (the embedded catalogue without DIR)", runImport},
		{"demo", "demo", "load the demo data (idempotent)", runDemo},
		{"reindex", "reindex", "rebuild the practices' read model from their workflows", runReindex},
		{"testenv", "testenv -- CMD [ARGS...]", "start PostgreSQL, Temporal and MinIO for a test run, run CMD, stop them", runTestenv},
		{"bench", "bench [-only actions,search,pdf,timers]", "run the benchmark suite (docs/BENCHMARKS.md)", runBench},
		{"firma-demo", "firma-demo IN OUT", "sign a file with the demo signer (PAdES .pdf or CAdES .p7m) to try uploads", runSignDemo},
		{"healthcheck", "healthcheck URL", "exit 0 when URL answers 200 (for container health checks)", runHealthcheck},
		{"version", "version", "print the version", func(context.Context, []string) error {
			fmt.Println("esenzioni", version)
			return nil
		}},
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: esenzioni COMMAND [ARGS]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(os.Stderr, "  %-28s %s\n", c.usage, c.help)
	}
	fmt.Fprintln(os.Stderr, "\nConfiguration is read from environment variables; see README.md.")
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for _, c := range commands() {
		if c.name != os.Args[1] {
			continue
		}
		err := c.run(ctx, os.Args[2:])
		var exit exitCode
		switch {
		case errors.As(err, &exit):
			os.Exit(int(exit))
		case err != nil:
			fmt.Fprintln(os.Stderr, "esenzioni "+c.name+": "+err.Error())
			os.Exit(1)
		}
		return
	}
	fmt.Fprintf(os.Stderr, "esenzioni: unknown command %q\n\n", os.Args[1])
	usage()
	os.Exit(2)
}

// exitCode lets a subcommand pass on a child's exit status without a message.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
