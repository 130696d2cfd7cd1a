// Package testenv connects integration tests to the PostgreSQL, Temporal and
// MinIO that `esenzioni testenv` (the README's test command) starts once per
// run. Each test gets its own database, Temporal namespace and bucket, so
// packages run in parallel against the same servers without seeing each other.
//
// Without those servers a test skips, except under CI=true, where missing
// infrastructure fails the test: CI must never pass by skipping.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"esenzioni/migrations"
	"esenzioni/store"
	"esenzioni/store/catalog"
)

// Env holds the addresses of the shared test servers.
type Env struct {
	PostgresURL string // superuser (Unix socket), database "postgres"
	// PostgresOwnerURL and PostgresAppURL connect over TCP with a password
	// as migrations.OwnerRole and migrations.AppRole, database "postgres"
	// (a test's database replaces it).
	PostgresOwnerURL string
	PostgresAppURL   string
	TemporalAddress  string
	S3Endpoint       string
	S3AccessKey      string
	S3SecretKey      string
	// TemporalUIURL is the dev server's Web UI (the supervisors' codec flow
	// is tested in it), "" when the server runs headless.
	TemporalUIURL string
}

const (
	envPG       = "ESENZIONI_TEST_PG_URL"
	envPGOwner  = "ESENZIONI_TEST_PG_OWNER_URL"
	envPGApp    = "ESENZIONI_TEST_PG_APP_URL"
	envTemporal = "ESENZIONI_TEST_TEMPORAL_ADDRESS"
	envS3       = "ESENZIONI_TEST_S3_ENDPOINT"
	envS3Key    = "ESENZIONI_TEST_S3_ACCESS_KEY"
	envS3Secret = "ESENZIONI_TEST_S3_SECRET_KEY"
	envUI       = "ESENZIONI_TEST_TEMPORAL_UI_URL"

	// TemplateDB is migrated and loaded with the catalogue once per run;
	// every test database is a copy of it.
	TemplateDB = "esenzioni_template"
)

// Environ renders the environment variables tests read.
func (e Env) Environ() []string {
	return []string{
		envPG + "=" + e.PostgresURL,
		envPGOwner + "=" + e.PostgresOwnerURL,
		envPGApp + "=" + e.PostgresAppURL,
		envTemporal + "=" + e.TemporalAddress,
		envS3 + "=" + e.S3Endpoint,
		envS3Key + "=" + e.S3AccessKey,
		envS3Secret + "=" + e.S3SecretKey,
		envUI + "=" + e.TemporalUIURL,
	}
}

// Load returns the environment, or skips (fails under CI=true) the test when
// the servers are not there.
func Load(t testing.TB) Env {
	t.Helper()
	e := Env{
		PostgresURL:      os.Getenv(envPG),
		PostgresOwnerURL: os.Getenv(envPGOwner),
		PostgresAppURL:   os.Getenv(envPGApp),
		TemporalAddress:  os.Getenv(envTemporal),
		S3Endpoint:       os.Getenv(envS3),
		S3AccessKey:      os.Getenv(envS3Key),
		S3SecretKey:      os.Getenv(envS3Secret),
		TemporalUIURL:    os.Getenv(envUI),
	}
	if e.PostgresURL == "" || e.PostgresOwnerURL == "" || e.PostgresAppURL == "" || e.TemporalAddress == "" || e.S3Endpoint == "" {
		Missing(t, "the integration servers are not running (use `make test`, which runs `esenzioni testenv -- go test ./...`)")
	}
	return e
}

// Missing skips the test, or fails it under CI=true.
func Missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("required test infrastructure missing under CI=true: %s", why)
	}
	t.Skip(why)
}

// PrepareTemplate creates the template database: migrations plus catalogue.
func PrepareTemplate(ctx context.Context, e Env) error {
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(e.PostgresURL)))
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+TemplateDB); err != nil {
		return err
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+TemplateDB); err != nil {
		return err
	}
	if err := provision(ctx, e, TemplateDB, true); err != nil {
		return err
	}
	// Migrations and the catalogue as the owner role, like a deployment.
	db, err := store.Open(ctx, dbURL(e.PostgresOwnerURL, TemplateDB), store.OpenOptions{Maintenance: true})
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := migrations.Migrate(ctx, db); err != nil {
		return err
	}
	_, err = catalog.ImportEmbedded(ctx, db, catalog.Options{Regional: []string{"93A"}})
	return err
}

// provision sets database up for least privilege (migrations.Provision);
// roles too once per run (the template), as test processes run in parallel.
func provision(ctx context.Context, e Env, database string, roles bool) error {
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dbURL(e.PostgresURL, database))))
	defer admin.Close()
	if !roles {
		return migrations.ProvisionDatabase(ctx, admin, database, migrations.OwnerRole)
	}
	ownerPw, _ := urlPassword(e.PostgresOwnerURL)
	appPw, _ := urlPassword(e.PostgresAppURL)
	return migrations.Provision(ctx, admin, database, migrations.OwnerRole, ownerPw, appPw)
}

func urlPassword(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return "", false
	}
	return u.User.Password()
}

// DB is a fresh database for one test, copied from the template.
type DB struct {
	*bun.DB         // connected as the application role, like the running app
	URL      string // the owner role's URL of this database (migrations, DDL)
	AppURL   string // the application role's URL (what *bun.DB uses)
	AdminURL string // the superuser's URL (Unix socket)
	Name     string
}

// Database creates a database for t, dropped when the test ends.
func Database(t testing.TB) *DB {
	t.Helper()
	e := Load(t)
	ctx := context.Background()
	name := "t_" + sanitize(t.Name()) + "_" + randomHex(4)
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(e.PostgresURL)))
	t.Cleanup(func() { admin.Close() })
	if _, err := admin.ExecContext(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, TemplateDB)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	if err := provision(ctx, e, name, false); err != nil {
		t.Fatalf("provision test database: %v", err)
	}
	appURL := dbURL(e.PostgresAppURL, name)
	db, err := store.Open(ctx, appURL, store.OpenOptions{MaxOpenConns: 10})
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() {
		db.Close()
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = admin.ExecContext(cctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return &DB{DB: db, URL: dbURL(e.PostgresOwnerURL, name), AppURL: appURL, AdminURL: dbURL(e.PostgresURL, name), Name: name}
}

func dbURL(adminURL, db string) string {
	// The admin URL always ends in /postgres?... (see Env.PostgresURL).
	return strings.Replace(adminURL, "/postgres?", "/"+db+"?", 1)
}

// sanitize turns a test name into a short identifier fragment.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 30 {
			break
		}
	}
	return b.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
