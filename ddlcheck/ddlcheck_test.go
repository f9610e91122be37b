package ddlcheck

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const seed = `ALTER TABLE users MODIFY status VARCHAR(20);
ALTER TABLE users ADD COLUMN status_v2 VARCHAR(20) DEFAULT 'active';
ALTER TABLE users ADD COLUMN email VARCHAR(255);
ALTER TABLE users DROP COLUMN phone;
`

func TestSeedStatusTakesTheV2Path(t *testing.T) {
	rep, err := Check(MySQL, "seed.sql", seed, Options{})
	require.NoError(t, err)
	require.Len(t, rep.Findings, 2)
	f := rep.Findings[0]
	assert.Equal(t, "seed.sql", f.File)
	assert.Equal(t, 1, f.Line)
	assert.Equal(t, RuleChangeColumnType, f.Rule)
	assert.Equal(t, "users", f.Table)
	assert.Equal(t, "status", f.Column)
	assert.Contains(t, f.SafePath, "add status_v2 with the new type")
	assert.Contains(t, f.SafePath, "dualwrite.Columns")
	assert.Equal(t, "change type", f.Playbook)
	assert.Equal(t, RuleDropColumn, rep.Findings[1].Rule)
	assert.Equal(t, 4, rep.Findings[1].Line)
	assert.True(t, rep.Failed())
}

func TestDropColumnFollowsTheMigrationPhase(t *testing.T) {
	tests := []struct {
		name     string
		give     string
		wantDrop bool
		wantWhy  string
	}{
		{"not declared", "", true, ""},
		{"still dual-writing", "migrations: [{name: users-phone, table: users, old: [phone], phase: dual-write}]", true,
			`migration "users-phone" is in phase dual-write`},
		{"ramp-down still writes the old side", "migrations: [{name: users-phone, table: users, old: [phone], new: [phone_e164], phase: ramp-down}]", true,
			"phase ramp-down"},
		{"complete everywhere", "migrations: [{name: users-phone, table: users, old: [phone], new: [phone_e164], phase: complete}]", false, ""},
		{"complete, but another migration still needs it", "migrations: [{name: a, table: users, old: [phone], phase: complete}, {name: b, table: users, old: [phone], phase: live}]", true,
			`"b" is in phase live`},
		{"the new side is never contractible", "migrations: [{name: users-phone, table: users, old: [fax], new: [phone], phase: complete}]", true,
			"still uses it"},
		{"another table's column", "migrations: [{name: x, table: orders, old: [phone], phase: complete}]", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ms *Migrations
			if tt.give != "" {
				var err error
				ms, err = ParseMigrations([]byte(tt.give))
				require.NoError(t, err)
			}
			rep, err := Check(MySQL, "m.sql", "ALTER TABLE users DROP COLUMN phone;", Options{Migrations: ms})
			require.NoError(t, err)
			assert.Equal(t, tt.wantDrop, rep.Failed())
			if tt.wantDrop {
				require.Len(t, rep.Findings, 1)
				assert.Contains(t, rep.Findings[0].Why, tt.wantWhy)
			} else {
				assert.Empty(t, rep.Findings)
				require.Len(t, rep.Notes, 1)
				assert.Contains(t, rep.Notes[0].Message, `migration "users-phone" is complete`)
			}
		})
	}
}

func TestParseMigrationsRejectsBadFiles(t *testing.T) {
	tests := []struct{ name, give, want string }{
		{"unknown field", "migrations: [{name: a, table: t, phase: off, colour: red}]", "colour"},
		{"unknown phase", "migrations: [{name: a, table: t, phase: done}]", `migrations[0].phase: "done"`},
		{"no table", "migrations: [{name: a, phase: off}]", "migrations[0].table: missing"},
		{"no name", "migrations: [{table: t, phase: off}]", "migrations[0].name: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMigrations([]byte(tt.give))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestParseErrors(t *testing.T) {
	_, err := Check(MySQL, "bad.sql", "ALTER TABLE users DROP COLUMN;", Options{})
	require.ErrorIs(t, err, ErrParse)
	assert.Contains(t, err.Error(), "bad.sql")
	if PostgresAvailable {
		_, err = Check(Postgres, "bad.sql", "ALTER TABLE users DROP COLUMN;", Options{})
		require.ErrorIs(t, err, ErrParse)
	} else {
		_, err = Check(Postgres, "x.sql", "SELECT 1", Options{})
		require.True(t, errors.Is(err, ErrNoPostgres))
	}
	_, err = ParseDialect("oracle")
	require.Error(t, err)
}

func TestSuppressionShowsItsReason(t *testing.T) {
	src := "-- graykit:allow drop-column: verified unused for 30 days (OPS-12)\nALTER TABLE users DROP COLUMN phone;\n"
	rep, err := Check(MySQL, "m.sql", src, Options{})
	require.NoError(t, err)
	require.Len(t, rep.Findings, 1)
	assert.True(t, rep.Findings[0].Suppressed)
	assert.Equal(t, "verified unused for 30 days (OPS-12)", rep.Findings[0].Reason)
	assert.Contains(t, rep.Findings[0].String(), "allowed:   verified unused for 30 days (OPS-12)")
	assert.False(t, rep.Failed())
}

func TestStatementsAfterComments(t *testing.T) {
	src := "/* header\n spans lines */\n-- note\n\n  DROP TABLE a; # trailing\n\n\nDROP TABLE b"
	rep, err := Check(MySQL, "m.sql", src, Options{})
	require.NoError(t, err)
	require.Len(t, rep.Findings, 2)
	assert.Equal(t, 5, rep.Findings[0].Line)
	assert.Equal(t, 8, rep.Findings[1].Line)
}
