package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"esenzioni/internal/devstack"
	"esenzioni/internal/testenv"
	"esenzioni/workflows/searchattr"
)

// runTestenv starts one PostgreSQL, one Temporal dev server and one MinIO for
// a whole test run, prepares a migrated template database with the catalogue,
// runs the given command with their addresses in the environment, and stops
// everything afterwards, whatever the command's outcome.
func runTestenv(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return errors.New("usage: esenzioni testenv -- CMD [ARGS...]")
	}
	dir, err := os.MkdirTemp("", "esenzioni-test-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil { // the PostgreSQL user must enter it
		return err
	}

	fmt.Fprintln(os.Stderr, "testenv: starting PostgreSQL, Temporal and MinIO in", dir)
	stack, err := devstack.Start(ctx, devstack.Options{
		// The Web UI runs too (a free port): the supervisors' codec flow is
		// tested in it. Its codec endpoint is each test's, set in the browser.
		DataDir: dir, Ephemeral: true, TemporalUIPort: 0,
		SearchAttributes: searchattr.Definitions(),
		S3AccessKey:      "esenzioni-test", S3SecretKey: "esenzioni-test-secret",
	})
	if err != nil {
		return err
	}
	defer stack.Stop()

	env := testenv.Env{
		PostgresURL:      stack.Postgres.URL("postgres"),
		PostgresOwnerURL: stack.Postgres.OwnerURL("postgres"),
		PostgresAppURL:   stack.Postgres.AppURL("postgres"),
		TemporalAddress:  stack.Temporal.Address(),
		S3Endpoint:       stack.MinIO.Endpoint(),
		S3AccessKey:      "esenzioni-test",
		S3SecretKey:      "esenzioni-test-secret",
		TemporalUIURL:    stack.Temporal.UIURL(),
	}
	if err := testenv.PrepareTemplate(ctx, env); err != nil {
		return fmt.Errorf("testenv: template database: %w", err)
	}
	login, stopLogin, err := startTestLogin(ctx, dir)
	if err != nil {
		return fmt.Errorf("testenv: %w", err)
	}
	defer stopLogin()
	fmt.Fprintf(os.Stderr, "testenv: ready (postgres %s, temporal %s, s3 %s)\n",
		strconv.Itoa(stack.Postgres.Port), env.TemporalAddress, env.S3Endpoint)

	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(append(os.Environ(), env.Environ()...), login.Environ()...)
	// On Ctrl-C the child gets the signal from the terminal itself; on a
	// cancelled context we interrupt it and let it finish its own cleanup.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	err = cmd.Run()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitCode(exitErr.ExitCode())
	}
	return err
}
