// Package ddlcheck reviews SQL migrations for changes that break the code
// still running during a gray release, or that lock a table, and says how
// to make the same change with graykit's dualwrite phases instead.
//
// Statements are parsed by real grammars, never by pattern matching: MySQL
// and MariaDB by TiDB's pure-Go parser, PostgreSQL by libpg_query (the
// server's own grammar, through cgo). A build without cgo, or with the
// graykit_nopg build tag, checks MySQL only and returns [ErrNoPostgres]
// for PostgreSQL ([PostgresAvailable] tells which).
//
// # Rules
//
// [Rules] lists them: the breaks-old-clients family (drop, rename, change
// type, NOT NULL without a default, drop default, set NOT NULL), the
// locking family of each dialect, and the playbook's table changes (split
// a table, change a foreign key). Each [Finding] carries file:line, the
// rule, why it breaks or locks, and the safe path in dualwrite terms with
// the README playbook row to follow.
//
// # Phases
//
// A column drop is allowed when [Migrations] (graykit-migrations.yaml next
// to the migrations) declares the column the old side of a migration that
// is complete everywhere; until then the finding names the migration and
// its phase.
//
// # Suppressions
//
// A comment line before a statement allows named rules for it, with a
// mandatory reason that is printed with the finding:
//
//	-- graykit:allow drop-column: written only by the 2019 importer, removed in v41
//	ALTER TABLE users DROP COLUMN legacy_flag;
//
// A suppression without a reason or naming an unknown rule is itself a
// finding (invalid-suppression).
package ddlcheck
