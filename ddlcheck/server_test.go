package ddlcheck

import (
	"database/sql"
	"os"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/internal/testenv"
)

// mysqlDSNVar names the test MySQL/MariaDB server, as for the rest of the
// project's MySQL tests.
const mysqlDSNVar = "GRAYKIT_TEST_MYSQL_DSN"

// online is what the server says of a change: it runs in place without
// blocking writes, in place only with writes blocked, or only by copying.
type online int

const (
	inPlace online = iota
	writesBlocked
	copies
)

// serverVerdict asks the server: the change with ALGORITHM=INPLACE,
// LOCK=NONE, else with ALGORITHM=INPLACE alone, each on a fresh table.
func serverVerdict(t *testing.T, db *sql.DB, spec string, index bool) online {
	t.Helper()
	try := func(clause string) bool {
		for _, q := range []string{
			"DROP TABLE IF EXISTS ddlcheck_t",
			"CREATE TABLE ddlcheck_t (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(100), email VARCHAR(255), bio TEXT, " +
				"status INT, a INT, b INT, parent BIGINT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
		} {
			_, err := db.ExecContext(t.Context(), q)
			require.NoError(t, err, q)
		}
		var q string
		if index { // CREATE … INDEX … ON ddlcheck_t (…) ALGORITHM=… LOCK=…
			q = spec + " " + strings.ReplaceAll(clause, ",", "")
		} else {
			q = "ALTER TABLE ddlcheck_t " + clause + ", " + spec
		}
		_, err := db.ExecContext(t.Context(), q)
		if err != nil && !strings.Contains(err.Error(), "not supported") {
			require.NoError(t, err, q)
		}
		return err == nil
	}
	switch {
	case try("ALGORITHM=INPLACE, LOCK=NONE"):
		return inPlace
	case try("ALGORITHM=INPLACE"):
		return writesBlocked
	}
	return copies
}

// TestMySQLLockRulesMatchTheServer holds the MySQL locking family to the
// server's own answer: mysql-algorithm-copy exactly where MariaDB/MySQL
// refuses ALGORITHM=INPLACE, mysql-lock-shared exactly where it runs in
// place but refuses LOCK=NONE.
func TestMySQLLockRulesMatchTheServer(t *testing.T) {
	dsn := os.Getenv(mysqlDSNVar)
	if dsn == "" {
		testenv.Missing(t, "a MySQL or MariaDB server", "set "+mysqlDSNVar+`, e.g. "root@tcp(127.0.0.1:3306)/graykit_test"`)
	}
	db, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = db.Exec("DROP TABLE IF EXISTS ddlcheck_t")
		_, _ = db.Exec("DROP TABLE IF EXISTS ddlcheck_p")
		db.Close()
	})
	db.SetMaxOpenConns(1) // one session: its settings hold for every statement
	_, err = db.ExecContext(t.Context(), "CREATE TABLE IF NOT EXISTS ddlcheck_p (id BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB")
	require.NoError(t, err)

	tests := []struct {
		spec  string
		index bool
	}{
		{spec: "ADD COLUMN note TEXT"},
		{spec: "ADD COLUMN tier INT NOT NULL DEFAULT 0"},
		{spec: "ADD COLUMN seq INT AUTO_INCREMENT UNIQUE"},
		{spec: "ADD COLUMN total INT AS (a + b) STORED"},
		{spec: "ADD COLUMN total_v INT AS (a + b) VIRTUAL"},
		{spec: "ADD INDEX idx_email (email)"},
		{spec: "ADD UNIQUE INDEX idx_email (email)"},
		{spec: "ADD FULLTEXT INDEX ft_bio (bio)"},
		{spec: "ADD CONSTRAINT fk_parent FOREIGN KEY (parent) REFERENCES ddlcheck_p (id)"},
		{spec: "DROP PRIMARY KEY"},
		{spec: "DROP PRIMARY KEY, ADD PRIMARY KEY (id, status)"},
		{spec: "CONVERT TO CHARACTER SET latin1"},
		{spec: "ENGINE = InnoDB"},
		{spec: "ENGINE = MyISAM"},
		{spec: "ORDER BY name"},
		{spec: "DROP COLUMN status"},
		{spec: "RENAME COLUMN name TO full_name"},
		{spec: "ALTER COLUMN status SET DEFAULT 1"},
		{spec: "CREATE INDEX idx_name ON ddlcheck_t (name)", index: true},
		{spec: "CREATE FULLTEXT INDEX ft_bio ON ddlcheck_t (bio)", index: true},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			stmt := "ALTER TABLE ddlcheck_t " + tt.spec + ";"
			if tt.index {
				stmt = tt.spec + ";"
			}
			rep, err := Check(MySQL, "s.sql", stmt, Options{})
			require.NoError(t, err)
			have := inPlace
			for _, f := range rep.Findings {
				switch {
				case f.Rule == RuleMySQLCopy:
					have = copies
				case f.Rule == RuleMySQLSharedLock && have == inPlace:
					have = writesBlocked
				}
			}
			assert.Equal(t, serverVerdict(t, db, tt.spec, tt.index), have, "0 in place, 1 writes blocked, 2 copies")
		})
	}
}
