package devstack

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"esenzioni/migrations"
)

// PostgresOptions configures the local PostgreSQL cluster.
type PostgresOptions struct {
	Dir  string // data directory (initdb on first use)
	Port int    // 0 = a free port
	// Fast trades durability for speed (fsync off); for test runs only.
	Fast bool
	// CredentialsFile keeps the passwords of the owner and application
	// roles between runs (mode 0600); empty: new random ones, kept in
	// memory only.
	CredentialsFile string
}

// Postgres is a running local cluster. Its superuser "esenzioni" connects
// only through the Unix socket in the data directory (mode 0700: the
// server's user and root); TCP on loopback asks every role for a password
// (scram-sha-256), and only the owner and application roles have one.
type Postgres struct {
	Port int
	Dir  string // data directory actually used
	proc *process
	// Passwords of migrations.OwnerRole and migrations.AppRole.
	ownerPassword, appPassword string
}

// PID is the postmaster's process id; its backends are its children.
func (p *Postgres) PID() int { return p.proc.cmd.Process.Pid }

// Superuser is the cluster's bootstrap role.
const Superuser = "esenzioni"

// URL returns a connection URL for database db as the superuser, through
// the Unix socket (the superuser has no password: TCP refuses it).
func (p *Postgres) URL(db string) string {
	socket := filepath.Join(p.Dir, ".s.PGSQL."+strconv.Itoa(p.Port))
	return fmt.Sprintf("postgres://%s@/%s?host=%s&sslmode=disable", Superuser, db, url.QueryEscape(socket))
}

// OwnerURL connects to db over TCP as migrations.OwnerRole, which owns the
// schema and runs the migrations (after ProvisionDatabase).
func (p *Postgres) OwnerURL(db string) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", migrations.OwnerRole, url.QueryEscape(p.ownerPassword), p.Port, db)
}

// AppURL connects to db over TCP as migrations.AppRole, the application's
// role: it owns nothing and cannot alter the audit log.
func (p *Postgres) AppURL(db string) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", migrations.AppRole, url.QueryEscape(p.appPassword), p.Port, db)
}

// ProvisionDatabase creates db if needed and sets its roles up for least
// privilege (migrations.Provision).
func (p *Postgres) ProvisionDatabase(ctx context.Context, db string) error {
	if err := p.CreateDatabase(ctx, db); err != nil {
		return err
	}
	conn := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(p.URL(db))))
	defer conn.Close()
	return migrations.Provision(ctx, conn, db, migrations.OwnerRole, p.ownerPassword, p.appPassword)
}

// hbaConf is the cluster's pg_hba.conf, written at every start.
const hbaConf = `# Written by esenzioni (devstack) at every start.
# The Unix socket lives in the data directory (mode 0700): only the server's
# user and root reach it. Over TCP every role needs its password.
local   all   all                  trust
host    all   all   127.0.0.1/32   scram-sha-256
host    all   all   ::1/128        scram-sha-256
`

// credentials are the passwords kept in PostgresOptions.CredentialsFile.
type credentials struct {
	Owner string `json:"owner"`
	App   string `json:"app"`
}

// loadCredentials reads the passwords of file, or makes new ones (and
// writes them when file is set).
func loadCredentials(file string) (credentials, error) {
	var c credentials
	if file != "" {
		b, err := os.ReadFile(file)
		if err == nil && json.Unmarshal(b, &c) == nil && c.Owner != "" && c.App != "" {
			return c, nil
		}
	}
	c = credentials{Owner: randomPassword(), App: randomPassword()}
	if file != "" {
		b, _ := json.Marshal(c)
		if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
			return c, err
		}
		if err := os.WriteFile(file, b, 0o600); err != nil {
			return c, fmt.Errorf("postgresql: keep the database passwords in %s: %w", file, err)
		}
	}
	return c, nil
}

func randomPassword() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// pgBinDir finds the PostgreSQL server binaries: PG_BIN, then the Debian
// layout (/usr/lib/postgresql/<version>/bin, newest first, 15 preferred
// because it is what the project is tested on), then PATH.
func pgBinDir() (string, error) {
	if d := os.Getenv("PG_BIN"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err != nil {
			return "", fmt.Errorf("postgresql: PG_BIN=%s has no postgres binary", d)
		}
		return d, nil
	}
	if _, err := os.Stat("/usr/lib/postgresql/15/bin/postgres"); err == nil {
		return "/usr/lib/postgresql/15/bin", nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("postgresql: server binaries not found; install the PostgreSQL 15 server (Debian: apt-get install postgresql-15) or set PG_BIN to the directory holding initdb and postgres")
}

func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// runAs returns the credentials the PostgreSQL processes run with. PostgreSQL
// refuses to run as root, so under root we use the "postgres" system user
// (created by the Debian packages) or "nobody".
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("postgresql: running as root and neither a 'postgres' nor a 'nobody' user exists to run the server as")
}

// StartPostgres initialises the cluster on first use and starts it.
func StartPostgres(ctx context.Context, opts PostgresOptions) (*Postgres, error) {
	return retryPortClash("postgresql", func() (*Postgres, error) { return startPostgresOnce(ctx, opts) })
}

func startPostgresOnce(ctx context.Context, opts PostgresOptions) (*Postgres, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	port, err := choosePort("postgresql", "ESENZIONI_PG_PORT", opts.Port)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	logDir := filepath.Dir(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("postgresql: create %s: %w", dir, err)
	}
	if cred != nil {
		if err := checkTraversable(dir, cred); err != nil {
			// A clone under /root, say: keep the cluster where the server
			// user can reach it, at a path derived from dir so that the next
			// run finds the same data.
			sum := sha256.Sum256([]byte(dir))
			alt := filepath.Join("/var/tmp", "esenzioni-postgres-"+hex.EncodeToString(sum[:6]))
			if err := os.MkdirAll(alt, 0o700); err != nil {
				return nil, err
			}
			if err := checkTraversable(alt, cred); err != nil {
				return nil, err
			}
			fmt.Fprintf(os.Stderr, "postgresql: the server user cannot enter %s; its data is kept in %s instead\n", dir, alt)
			dir = alt
		}
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("postgresql: chown %s: %w", dir, err)
		}
	}
	logPath := filepath.Join(logDir, "postgres.log")
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
			"-D", dir, "-U", Superuser, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("postgresql: initdb in %s failed: %v\n%s", dir, err, out)
		}
	}
	// pg_hba.conf is rewritten at every start, so clusters initialised by
	// earlier versions (trust on TCP) ask for passwords too.
	hba := filepath.Join(dir, "pg_hba.conf")
	if err := os.WriteFile(hba, []byte(hbaConf), 0o600); err != nil {
		return nil, fmt.Errorf("postgresql: write %s: %w", hba, err)
	}
	if cred != nil {
		if err := os.Chown(hba, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("postgresql: chown %s: %w", hba, err)
		}
	}
	creds, err := loadCredentials(opts.CredentialsFile)
	if err != nil {
		return nil, err
	}
	args := []string{"-D", dir, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "password_encryption=scram-sha-256",
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200",
		"-c", "shared_buffers=128MB", "-c", "log_min_messages=warning"}
	if opts.Fast {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	// A cluster killed hard leaves its pid file; postgres itself checks
	// whether that pid is alive, so a stale file is harmless.
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	proc, err := startProcess("postgresql", cmd, logPath)
	if err != nil {
		return nil, err
	}
	pg := &Postgres{Port: port, Dir: dir, proc: proc, ownerPassword: creds.Owner, appPassword: creds.App}
	err = waitReady(ctx, proc, logPath, 60*time.Second, func(ctx context.Context) error {
		db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(pg.URL("postgres"))))
		defer db.Close()
		return db.PingContext(ctx)
	})
	if err != nil {
		pg.Stop()
		return nil, err
	}
	return pg, nil
}

// checkTraversable makes sure the unprivileged server user can reach dir; a
// clone under /root, for instance, is not reachable by "postgres".
func checkTraversable(dir string, cred *syscall.Credential) error {
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return err
		}
		sys := st.Sys().(*syscall.Stat_t)
		mode := st.Mode().Perm()
		ok := mode&0o001 != 0 ||
			(sys.Uid == cred.Uid && mode&0o100 != 0) ||
			(sys.Gid == cred.Gid && mode&0o010 != 0)
		if !ok {
			return fmt.Errorf("postgresql: the server runs as uid %d, which cannot enter %s (mode %o); set ESENZIONI_DATA_DIR to a directory it can reach, e.g. /var/tmp/esenzioni", cred.Uid, d, mode)
		}
		if d == "/" || d == "." {
			return nil
		}
	}
}

// CreateDatabase creates db if it does not exist.
func (p *Postgres) CreateDatabase(ctx context.Context, db string) error {
	conn := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(p.URL("postgres"))))
	defer conn.Close()
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", db).Scan(&exists); err != nil {
		return fmt.Errorf("postgresql: %w", err)
	}
	if exists {
		return nil
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(db)); err != nil {
		return fmt.Errorf("postgresql: create database %s: %w", db, err)
	}
	return nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// Stop shuts the cluster down with a fast shutdown (SIGINT).
func (p *Postgres) Stop() {
	if p != nil {
		p.proc.stop(syscall.SIGINT, 20*time.Second)
	}
}
