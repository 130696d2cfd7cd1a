package store_test

import (
	"context"
	"database/sql"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun/driver/pgdriver"

	"esenzioni/domain/audit"
	"esenzioni/internal/testenv"
	"esenzioni/migrations"
	"esenzioni/store"
)

// TestAppCredentialsCannotAlterTheAuditLog: with the application's own
// credentials, no route changes or removes an audit row: not UPDATE, DELETE
// or TRUNCATE, not after RESET ROLE or SET ROLE, not with
// session_replication_role = replica, not by disabling or dropping the
// trigger or replacing its function; the role owns nothing and belongs to
// no role; TCP asks for its password (issue 12, point 6).
func TestAppCredentialsCannotAlterTheAuditLog(t *testing.T) {
	db := testenv.Database(t)
	ctx := context.Background()
	st := store.New(db.DB)
	require.NoError(t, st.Audit(ctx, audit.Record{OperatorFC: "LBRCRD53H10D205E", Action: "PROVA", Outcome: "OK", BeneficiaryFC: "RSSMRA80A01H501U"}))

	u, err := url.Parse(db.AppURL)
	require.NoError(t, err)
	require.Equal(t, migrations.AppRole, u.User.Username(), "the application logs in as its own role")
	app := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(db.AppURL)))
	defer app.Close()
	conn, err := app.Conn(ctx) // one session: what a statement sets, the next one has
	require.NoError(t, err)
	defer conn.Close()

	var super bool
	var owned, memberships int
	require.NoError(t, conn.QueryRowContext(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = session_user`).Scan(&super))
	require.False(t, super)
	require.NoError(t, conn.QueryRowContext(ctx, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND pg_has_role(session_user, c.relowner, 'USAGE')`).Scan(&owned))
	require.Zero(t, owned, "the application's role owns nothing, directly or through a role")
	require.NoError(t, conn.QueryRowContext(ctx, `SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = session_user`).Scan(&memberships))
	require.Zero(t, memberships, "the application's role belongs to no role")
	problems, err := store.PrivilegeProblems(ctx, db.DB)
	require.NoError(t, err)
	require.Empty(t, problems)

	attempts := []struct{ name, sql string }{
		{"update", `UPDATE audit_log SET outcome = 'X'`},
		{"delete", `DELETE FROM audit_log`},
		{"truncate", `TRUNCATE audit_log`},
		{"reset role, update", `RESET ROLE; UPDATE audit_log SET outcome = 'X'`},
		{"set role owner", `SET ROLE ` + migrations.OwnerRole},
		{"set role superuser", `SET ROLE esenzioni`},
		{"session authorization", `SET SESSION AUTHORIZATION esenzioni`},
		{"replication role", `SET session_replication_role = replica`},
		{"disable trigger", `ALTER TABLE audit_log DISABLE TRIGGER ALL`},
		{"disable one trigger", `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`},
		{"drop trigger", `DROP TRIGGER audit_log_no_update ON audit_log`},
		{"replace function", `CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`},
		{"rename table", `ALTER TABLE audit_log RENAME TO audit_log_old`},
		{"drop table", `DROP TABLE audit_log`},
		{"own the table", `ALTER TABLE audit_log OWNER TO ` + migrations.AppRole},
		{"create in public", `CREATE TABLE audit_copy (id int)`},
		{"rule", `CREATE RULE r AS ON INSERT TO audit_log DO INSTEAD NOTHING`},
	}
	for _, a := range attempts {
		_, err := conn.ExecContext(ctx, a.sql)
		require.Error(t, err, a.name)
		var pgErr pgdriver.Error
		require.ErrorAs(t, err, &pgErr, a.name)
		require.Contains(t, []string{"42501", "22023", "42809"}, pgErr.Field('C'), "%s: %v", a.name, err)
	}
	// A GRANT to itself grants nothing (a warning, not an error).
	_, _ = conn.ExecContext(ctx, `GRANT UPDATE, DELETE, TRUNCATE ON audit_log TO `+migrations.AppRole)
	_, err = conn.ExecContext(ctx, `UPDATE audit_log SET outcome = 'X'`)
	require.Error(t, err, "update after granting itself")
	// The row is intact.
	var n int
	require.NoError(t, conn.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE outcome = 'OK' AND action = 'PROVA'`).Scan(&n))
	require.Equal(t, 1, n)

	// TCP asks for the password: none, or a wrong one, is refused.
	for _, pw := range []string{"", "sbagliata"} {
		bad := *u
		if pw == "" {
			bad.User = url.User(migrations.AppRole)
		} else {
			bad.User = url.UserPassword(migrations.AppRole, pw)
		}
		c := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(bad.String())))
		err := c.PingContext(ctx)
		c.Close()
		require.Error(t, err, "password %q", pw)
		var pgErr pgdriver.Error
		require.ErrorAs(t, err, &pgErr)
		require.Equal(t, "28P01", pgErr.Field('C'), "password authentication failed: %v", err)
	}
	// The superuser has no password: it cannot connect over TCP at all.
	su := *u
	su.User = url.User("esenzioni")
	c := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(su.String())))
	require.Error(t, c.PingContext(ctx))
	c.Close()
}
