// Package migrations holds the SQL schema of the read model, catalogue,
// accounts and audit log, applied in order by bun's migrator.
package migrations

import (
	"context"
	"embed"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

//go:embed *.sql
var files embed.FS

// AppRole is the runtime role created by the first migration: it may not
// change or remove audit rows, and owns no table.
const AppRole = "esenzioni_app"

// Migrate applies every pending migration, each in its own transaction, under
// an advisory lock so concurrent starts (web and worker) do not race. It
// returns the names of the migrations it applied.
func Migrate(ctx context.Context, db *bun.DB) ([]string, error) {
	ms := migrate.NewMigrations()
	if err := ms.Discover(files); err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	m := migrate.NewMigrator(db, ms, migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("migrations: init: %w", err)
	}
	if err := m.Lock(ctx); err != nil {
		return nil, fmt.Errorf("migrations: lock: %w", err)
	}
	defer m.Unlock(context.WithoutCancel(ctx)) //nolint:errcheck // the lock row goes with the session anyway
	group, err := m.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var names []string
	for _, mig := range group.Migrations {
		names = append(names, mig.Name)
	}
	return names, nil
}
