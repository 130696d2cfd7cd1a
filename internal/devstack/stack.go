package devstack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Options configures a whole local stack.
type Options struct {
	DataDir  string // everything lives below it
	ToolsDir string // holds the built `temporal` and `minio`; empty = search

	PGPort, TemporalPort, TemporalUIPort, MinIOPort, MinIOConsolePort int

	// Ephemeral keeps Temporal in memory and runs PostgreSQL without fsync:
	// the choice for a test run, never for `dev`.
	Ephemeral bool

	SearchAttributes map[string]string
	CodecEndpoint    string
	S3AccessKey      string
	S3SecretKey      string

	// Skip components that are provided externally.
	SkipPostgres, SkipTemporal, SkipMinIO bool
}

// Stack is the set of running components.
type Stack struct {
	Postgres *Postgres
	Temporal *Temporal
	MinIO    *MinIO
}

// Start brings up every component not skipped. On failure it stops what it
// started, so the caller never has to clean up a half-started stack.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", opts.DataDir, err)
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, err
	}
	s := &Stack{}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	var temporalBin, minioBin string
	if !opts.SkipTemporal {
		if temporalBin, err = Tool(opts.ToolsDir, "temporal"); err != nil {
			return nil, err
		}
	}
	if !opts.SkipMinIO {
		if minioBin, err = Tool(opts.ToolsDir, "minio"); err != nil {
			return nil, err
		}
	}
	if !opts.SkipPostgres {
		s.Postgres, err = StartPostgres(ctx, PostgresOptions{
			Dir: filepath.Join(dataDir, "postgres"), Port: opts.PGPort, Fast: opts.Ephemeral,
			CredentialsFile: credentialsFile(dataDir, opts.Ephemeral),
		})
		if err != nil {
			return nil, err
		}
	}
	if !opts.SkipTemporal {
		to := TemporalOptions{
			Binary: temporalBin, Port: opts.TemporalPort, UIPort: opts.TemporalUIPort,
			SearchAttributes: opts.SearchAttributes, CodecEndpoint: opts.CodecEndpoint, LogDir: dataDir,
		}
		if !opts.Ephemeral {
			to.DBFile = filepath.Join(dataDir, "temporal.db")
		}
		if s.Temporal, err = StartTemporal(ctx, to); err != nil {
			return nil, err
		}
	}
	if !opts.SkipMinIO {
		s.MinIO, err = StartMinIO(ctx, MinIOOptions{
			Binary: minioBin, Dir: filepath.Join(dataDir, "minio"),
			Port: opts.MinIOPort, ConsolePort: opts.MinIOConsolePort,
			AccessKey: opts.S3AccessKey, SecretKey: opts.S3SecretKey, LogDir: dataDir,
		})
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Stop stops every component, the application's dependencies last.
func (s *Stack) Stop() {
	if s == nil {
		return
	}
	s.MinIO.Stop()
	s.Temporal.Stop()
	s.Postgres.Stop()
}

// Tool finds a tool built by `make tools`: in dir, in ESENZIONI_TOOLS_DIR, in a
// .tools/bin above the working directory or the executable, then in PATH.
func Tool(dir, name string) (string, error) {
	dirs := []string{dir, os.Getenv("ESENZIONI_TOOLS_DIR")}
	if wd, err := os.Getwd(); err == nil {
		dirs = append(dirs, ancestorsWith(wd, ".tools/bin")...)
	}
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, ancestorsWith(filepath.Dir(exe), ".tools/bin")...)
	}
	p, err := findExecutable(name, dirs...)
	if err != nil {
		return "", errors.New(name + ": binary not found; build the pinned tools with `make tools` (or set ESENZIONI_TOOLS_DIR)")
	}
	return p, nil
}

func ancestorsWith(start, rel string) []string {
	var out []string
	for d := start; ; d = filepath.Dir(d) {
		candidate := filepath.Join(d, rel)
		if st, err := os.Stat(candidate); err == nil && st.IsDir() {
			out = append(out, candidate)
		}
		if parent := filepath.Dir(d); parent == d {
			return out
		}
	}
}

// credentialsFile is where a persistent stack keeps its database passwords.
func credentialsFile(dataDir string, ephemeral bool) string {
	if ephemeral {
		return ""
	}
	return filepath.Join(dataDir, "postgres-credentials.json")
}
