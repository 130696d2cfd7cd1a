package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// OwnerRole owns the schema in the stacks this project starts itself
// (`esenzioni dev`, the test environment): migrations and the catalogue
// import run as it. Compose names its owner "esenzioni" (see
// deploy/postgres/initdb).
const OwnerRole = "esenzioni_owner"

// Provision prepares database for least privilege, run by a superuser
// connected to that database. Idempotent; run it before the migrations:
//
//   - owner (a LOGIN role, no superuser, no CREATEDB/CREATEROLE) owns the
//     database, the public schema and every object in it (objects a
//     superuser created before are handed over); migrations run as it;
//   - AppRole is a LOGIN role that owns nothing and belongs to no role: it
//     logs in itself (no SET ROLE from a more powerful login that RESET ROLE
//     would undo), gets the table grants of the first migration (no UPDATE,
//     DELETE or TRUNCATE on audit_log), and may neither alter a table (not an
//     owner: no DISABLE TRIGGER, no DROP TRIGGER) nor set
//     session_replication_role (superuser only);
//   - both authenticate with a password (scram-sha-256 where pg_hba asks
//     for it on TCP).
func Provision(ctx context.Context, admin *sql.DB, database, owner, ownerPassword, appPassword string) error {
	if err := ProvisionRoles(ctx, admin, owner, ownerPassword, appPassword); err != nil {
		return err
	}
	return ProvisionDatabase(ctx, admin, database, owner)
}

// ProvisionRoles is the cluster-wide half of Provision: the two roles and
// their passwords. Roles are shared by every database of the cluster:
// processes provisioning databases in parallel (tests) run it once first,
// as concurrent changes of one role fail ("tuple concurrently updated").
func ProvisionRoles(ctx context.Context, admin *sql.DB, owner, ownerPassword, appPassword string) error {
	o, app := quoteIdent(owner), quoteIdent(AppRole)
	return execAll(ctx, admin, "roles", []string{
		fmt.Sprintf(`DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s) THEN CREATE ROLE %s LOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s) THEN CREATE ROLE %s LOGIN; END IF;
END $$`, quoteLiteral(owner), o, quoteLiteral(AppRole), app),
		fmt.Sprintf(`ALTER ROLE %s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %s`, o, quoteLiteral(ownerPassword)),
		fmt.Sprintf(`ALTER ROLE %s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD %s`, app, quoteLiteral(appPassword)),
		// The app role belongs to no role at all (older set-ups made it a
		// member of nothing either, but make sure).
		fmt.Sprintf(`DO $$ DECLARE r record; BEGIN
    FOR r IN SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
             JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s LOOP
        EXECUTE format('REVOKE %%I FROM %%I', r.rolname, %s);
    END LOOP;
END $$`, quoteLiteral(AppRole), quoteLiteral(AppRole)),
		// The first migration grants the app role to the migrating user.
		fmt.Sprintf(`GRANT %s TO %s WITH ADMIN OPTION`, app, o),
	})
}

// ProvisionDatabase is the per-database half of Provision, for roles that
// exist: ownership, database and schema privileges.
func ProvisionDatabase(ctx context.Context, admin *sql.DB, database, owner string) error {
	o, app := quoteIdent(owner), quoteIdent(AppRole)
	return execAll(ctx, admin, database, []string{
		fmt.Sprintf(`ALTER DATABASE %s OWNER TO %s`, quoteIdent(database), o),
		fmt.Sprintf(`REVOKE ALL ON DATABASE %s FROM PUBLIC`, quoteIdent(database)),
		fmt.Sprintf(`GRANT CONNECT, TEMPORARY ON DATABASE %s TO %s`, quoteIdent(database), app),
		fmt.Sprintf(`ALTER SCHEMA public OWNER TO %s`, o),
		`REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
		fmt.Sprintf(`GRANT USAGE ON SCHEMA public TO %s`, app),
		// Objects created before by another role (a superuser's earlier
		// migrations) pass to the owner; sequences owned by a column
		// follow their table.
		fmt.Sprintf(`DO $$ DECLARE r record; BEGIN
    FOR r IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
               AND c.relowner <> %s::regrole
               AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i'))) LOOP
        EXECUTE format('ALTER TABLE %%s OWNER TO %%I', r.name, %s);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public' AND p.proowner <> %s::regrole LOOP
        EXECUTE format('ALTER ROUTINE %%s OWNER TO %%I', r.name, %s);
    END LOOP;
    FOR r IN SELECT t.oid::regtype AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') AND t.typrelid = 0 AND t.typowner <> %s::regrole LOOP
        EXECUTE format('ALTER TYPE %%s OWNER TO %%I', r.name, %s);
    END LOOP;
END $$`, quoteLiteral(owner), quoteLiteral(owner), quoteLiteral(owner), quoteLiteral(owner), quoteLiteral(owner), quoteLiteral(owner)),
		fmt.Sprintf(`ALTER DEFAULT PRIVILEGES FOR ROLE %s IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %s`, o, app),
		fmt.Sprintf(`ALTER DEFAULT PRIVILEGES FOR ROLE %s IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO %s`, o, app),
	})
}

func execAll(ctx context.Context, admin *sql.DB, what string, stmts []string) error {
	for _, s := range stmts {
		if _, err := admin.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("postgresql: provision %s: %w", what, err)
		}
	}
	return nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// quoteLiteral quotes a string constant (standard_conforming_strings is on
// in every supported PostgreSQL).
func quoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }
