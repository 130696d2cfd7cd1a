// Package store is the PostgreSQL side of the application: connection, the
// read model of practices and exemptions, the catalogue, accounts, the audit
// log, notifications and attachment metadata, all through bun.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// OpenOptions tune the connection pool.
type OpenOptions struct {
	// Role is assumed on every connection when it exists and the login user
	// is a member of it (see migrations.AppRole). Empty keeps the login role.
	Role         string
	MaxOpenConns int
	AppName      string
	// Maintenance connections run statements that take minutes on a large
	// database (migrations building indexes, imports): no read timeout,
	// where the application's connections give up after 10 seconds.
	Maintenance bool
}

// Open connects to PostgreSQL and checks the connection. The error names the
// component so a user knows what to start.
func Open(ctx context.Context, url string, opts OpenOptions) (*bun.DB, error) {
	if url == "" {
		return nil, errors.New("postgresql: DATABASE_URL is not set")
	}
	// Timestamps travel in UTC whatever the server's default zone (a cluster
	// initialised under another TZ renders them in it, with offsets the
	// driver cannot read for old dates); every calendar rule is applied in
	// Go, in Europe/Rome.
	params := map[string]interface{}{"TimeZone": "UTC"}
	if opts.AppName != "" {
		params["application_name"] = opts.AppName
	}
	if opts.Role != "" {
		ok, err := canAssume(ctx, url, opts.Role)
		if err != nil {
			return nil, err
		}
		if ok {
			params["role"] = opts.Role
		}
	}
	options := []pgdriver.Option{
		pgdriver.WithDSN(url),
		pgdriver.WithConnParams(params),
		pgdriver.WithTimeout(10 * time.Second),
	}
	if opts.Maintenance {
		options = append(options, pgdriver.WithReadTimeout(0))
	}
	connector := pgdriver.NewConnector(options...)
	sqldb := sql.OpenDB(connector)
	maxOpen := opts.MaxOpenConns
	if maxOpen == 0 {
		maxOpen = 20
	}
	sqldb.SetMaxOpenConns(maxOpen)
	sqldb.SetMaxIdleConns(maxOpen)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	db := bun.NewDB(sqldb, pgdialect.New())
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgresql: cannot connect (%s): %w", redact(url), err)
	}
	return db, nil
}

// canAssume reports whether role exists and the login user may SET ROLE to it.
func canAssume(ctx context.Context, url, role string) (bool, error) {
	sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(url), pgdriver.WithTimeout(10*time.Second)))
	defer sqldb.Close()
	var ok bool
	err := sqldb.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AND pg_has_role(current_user, $1, 'MEMBER')`,
		role).Scan(&ok)
	if err != nil {
		// pg_has_role fails when the role does not exist on some versions.
		var pgErr pgdriver.Error
		if errors.As(err, &pgErr) {
			return false, nil
		}
		return false, fmt.Errorf("postgresql: cannot connect (%s): %w", redact(url), err)
	}
	return ok, nil
}

// redact hides the password of a connection URL for error messages.
func redact(url string) string {
	cfg := pgdriver.NewConnector(pgdriver.WithDSN(url)).Config()
	return fmt.Sprintf("%s@%s/%s", cfg.User, cfg.Addr, cfg.Database)
}

// PrivilegeProblems reports why the role db is logged in with is more than
// the application needs: a superuser, a member of other roles, or the
// owner of objects of the database (each could rewrite the audit log). The
// application warns about each at start-up; empty is least privilege.
func PrivilegeProblems(ctx context.Context, db *bun.DB) ([]string, error) {
	var row struct {
		User        string `bun:"usr"`
		Super       bool   `bun:"super"`
		Memberships int    `bun:"memberships"`
		Owned       int    `bun:"owned"`
	}
	err := db.NewRaw(`SELECT session_user AS usr,
    (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) AS super,
    (SELECT count(*) FROM pg_auth_members m JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = session_user) AS memberships,
    (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
        AND pg_has_role(session_user, c.relowner, 'USAGE')) AS owned`).Scan(ctx, &row)
	if err != nil {
		return nil, err
	}
	var out []string
	if row.Super {
		out = append(out, fmt.Sprintf("the database role %s is a superuser", row.User))
	}
	if row.Memberships > 0 {
		out = append(out, fmt.Sprintf("the database role %s is a member of %d other roles", row.User, row.Memberships))
	}
	if row.Owned > 0 {
		out = append(out, fmt.Sprintf("the database role %s owns (or may act as the owner of) %d tables", row.User, row.Owned))
	}
	return out, nil
}
