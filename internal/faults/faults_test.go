package faults_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"esenzioni/internal/devstack"
	"esenzioni/internal/faults"
	"esenzioni/internal/testenv"
)

// TestFaultsShort is the short form of `esenzioni faults`, part of the test
// run: the system as separate processes (its own PostgreSQL, Temporal dev
// server on a SQLite file and MinIO, since killing them is the point; two web
// servers and a worker from the binary of this tree) driven by concurrent
// clients over HTTP, with 10 kills of the Temporal server 15-30 ms into a
// take or validate POST and two kills of every other kind, then a check that
// nothing was lost, doubled or mismatched.
func TestFaultsShort(t *testing.T) {
	for _, tool := range []string{"temporal", "minio"} {
		if _, err := devstack.Tool("", tool); err != nil {
			testenv.Missing(t, err.Error())
		}
	}
	if _, err := exec.LookPath("/usr/lib/postgresql/15/bin/postgres"); err != nil && os.Getenv("PG_BIN") == "" {
		if _, err := exec.LookPath("postgres"); err != nil {
			testenv.Missing(t, "the PostgreSQL server binaries are not installed")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	bin := binary(t)

	// Not t.TempDir: its parent is private to root, and the PostgreSQL
	// server runs as its own user.
	dir, err := os.MkdirTemp("", "esenzioni-faults-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeRun(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	var out, log bytes.Buffer
	kills := map[string]int{"temporal-targeted": 10}
	for _, k := range faults.KindNames() {
		if _, ok := kills[k]; !ok {
			kills[k] = 2
		}
	}
	start := time.Now()
	rep, err := faults.Run(ctx, faults.Options{
		Dir: dir, Binary: bin, Practices: 6, Kills: 2, KillsByKind: kills, Clients: 4, Seed: 7,
		SettleTimeout: 2 * time.Minute, Out: &out, Log: &log,
	})
	t.Logf("run of %s:\n%s\n%s", time.Since(start).Round(time.Second), out.String(), log.String())
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if rep.Failed() {
		t.Fatal("the fault suite found divergences (see the tables above)")
	}
	for _, p := range rep.Phases {
		inFlight := 0
		for _, k := range p.KillLog {
			if k.InFlight {
				inFlight++
			}
		}
		if inFlight < kills[p.Kind] {
			t.Errorf("%s: %d of %d kills hit a request in flight", p.Kind, inFlight, kills[p.Kind])
		}
		if p.Check.Succeeded == 0 || p.Check.Practices < 6 {
			t.Errorf("%s: %d practices checked, %d actions succeeded: the load did not run", p.Kind, p.Check.Practices, p.Check.Succeeded)
		}
	}
	if len(rep.Phases) != len(faults.KindNames()) {
		t.Fatalf("%d phases ran, want %d", len(rep.Phases), len(faults.KindNames()))
	}
}

// binary builds the esenzioni binary of this tree (the build cache makes it
// quick after the test run's own build); ESENZIONI_FAULTS_BINARY names
// another one instead (an older release, to see the test catch its faults).
func binary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("ESENZIONI_FAULTS_BINARY"); b != "" {
		return b
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "esenzioni")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/esenzioni")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build esenzioni: %v\n%s", err, out)
	}
	return bin
}

// removeRun removes a run's directory and a PostgreSQL cluster devstack kept
// outside it (named in the run's marker file).
func removeRun(dir string) {
	if b, err := os.ReadFile(filepath.Join(dir, ".esenzioni-faults")); err == nil {
		if alt := strings.TrimSpace(string(b)); strings.HasPrefix(alt, "/var/tmp/esenzioni-postgres-") {
			_ = os.RemoveAll(alt)
		}
	}
	_ = os.RemoveAll(dir)
}
