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
	"os"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"esenzioni/catalog"
	"esenzioni/migrations"
	"esenzioni/store"
)

// Env holds the addresses of the shared test servers.
type Env struct {
	PostgresURL     string // superuser, database "postgres"
	TemporalAddress string
	S3Endpoint      string
	S3AccessKey     string
	S3SecretKey     string
	// TemporalUIURL is the dev server's Web UI (the supervisors' codec flow
	// is tested in it), "" when the server runs headless.
	TemporalUIURL string
}

const (
	envPG       = "ESENZIONI_TEST_PG_URL"
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
		PostgresURL:     os.Getenv(envPG),
		TemporalAddress: os.Getenv(envTemporal),
		S3Endpoint:      os.Getenv(envS3),
		S3AccessKey:     os.Getenv(envS3Key),
		S3SecretKey:     os.Getenv(envS3Secret),
		TemporalUIURL:   os.Getenv(envUI),
	}
	if e.PostgresURL == "" || e.TemporalAddress == "" || e.S3Endpoint == "" {
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
	db, err := store.Open(ctx, dbURL(e.PostgresURL, TemplateDB), store.OpenOptions{Maintenance: true})
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

// DB is a fresh database for one test, copied from the template.
type DB struct {
	*bun.DB        // connected as the application role, like the running app
	URL     string // superuser URL of this database
	Name    string
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
	url := dbURL(e.PostgresURL, name)
	db, err := store.Open(ctx, url, store.OpenOptions{Role: migrations.AppRole, MaxOpenConns: 10})
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() {
		db.Close()
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = admin.ExecContext(cctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return &DB{DB: db, URL: url, Name: name}
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
