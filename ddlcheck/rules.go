package ddlcheck

// Family groups rules by what goes wrong.
type Family string

// The rule families.
const (
	// BreaksOldClients: the change makes code that is still deployed (the
	// version serving most users during a gray release) fail or misbehave.
	BreaksOldClients Family = "breaks-old-clients"
	// Locks: the change blocks reads or writes on the table while it runs.
	Locks Family = "locks"
	// SeedTable: changes the gray-release playbook moves out of DDL into
	// dual writes or the application.
	SeedTable Family = "playbook"
)

// Rule describes one check. The catalogue is [Rules].
type Rule struct {
	// Name is what findings, suppressions and the corpus use, e.g. "drop-column".
	Name   string
	Family Family
	// Dialects lists where the rule applies: "mysql", "postgres" or both.
	Dialects []Dialect
	// Why says what breaks or locks.
	Why string
	// SafePath says how to make the same change with graykit; "%s" verbs
	// are filled with the table and column where they are known.
	SafePath string
	// Playbook is the row of the README's dualwrite playbook that applies,
	// or "" when none does.
	Playbook string
}

// Rule names.
const (
	RuleDropColumn          = "drop-column"
	RuleDropTable           = "drop-table"
	RuleRenameColumn        = "rename-column"
	RuleRenameTable         = "rename-table"
	RuleChangeColumnType    = "change-column-type"
	RuleAddNotNullNoDefault = "add-not-null-without-default"
	RuleDropDefault         = "drop-default"
	RuleSetNotNull          = "set-not-null"

	RulePGIndexNotConcurrent = "pg-index-not-concurrently"
	RulePGConstraintNotValid = "pg-constraint-without-not-valid"
	RulePGUniqueConstraint   = "pg-unique-constraint-without-index"
	RulePGLockTimeout        = "pg-missing-lock-timeout"
	RuleMySQLCopy            = "mysql-algorithm-copy"
	RuleMySQLSharedLock      = "mysql-lock-shared"

	RuleSplitTable       = "split-table"
	RuleChangeForeignKey = "change-foreign-key"

	// RuleBadSuppression reports a graykit:allow comment without a reason
	// or naming an unknown rule.
	RuleBadSuppression = "invalid-suppression"
)

var both = []Dialect{MySQL, Postgres}

var rules = []Rule{
	{
		Name: RuleDropColumn, Family: BreaksOldClients, Dialects: both,
		Why:      "code still deployed selects or writes the column and fails once it is gone",
		SafePath: "stop reading %[2]s in new code, keep writing it for old code; drop it only once its dualwrite migration is `complete` everywhere and `graykit contract-check` shows no reads or writes of the old side (declare that in graykit-migrations.yaml)",
		Playbook: "drop a column",
	},
	{
		Name: RuleDropTable, Family: BreaksOldClients, Dialects: both,
		Why:      "code still deployed queries the table and fails once it is gone",
		SafePath: "move the data with dualwrite.Pair (old table → new store) through `live` and `complete`, confirm with `graykit contract-check` that nothing reads the old side, then drop it in a later release",
		Playbook: "move to another store",
	},
	{
		Name: RuleRenameColumn, Family: BreaksOldClients, Dialects: both,
		Why:      "code still deployed uses the old name and fails at once",
		SafePath: "add the new column nullable, dual-write both with dualwrite.Columns (identity Up/Down), Backfill, Verify, switch reads (`shadow` → `live`), then `complete` and drop %[2]s",
		Playbook: "rename a column",
	},
	{
		Name: RuleRenameTable, Family: BreaksOldClients, Dialects: both,
		Why:      "code still deployed uses the old table name and fails at once",
		SafePath: "create the new table, dual-write with dualwrite.Pair over two SQLStores, backfill and Verify, switch reads, then `complete` and drop %[1]s (or keep a view named %[1]s for old code)",
		Playbook: "split a table",
	},
	{
		Name: RuleChangeColumnType, Family: BreaksOldClients, Dialects: both,
		Why:      "code still deployed reads and writes the old type; the change may also rewrite the table under a lock",
		SafePath: "add %[2]s_v2 with the new type (nullable), dual-write with dualwrite.Columns (Up/Down converters, declared unmappable policy), Backfill, Verify, `shadow` → `live` for the canary, then `complete` and drop %[2]s",
		Playbook: "change type",
	},
	{
		Name: RuleAddNotNullNoDefault, Family: BreaksOldClients, Dialects: both,
		Why:      "code still deployed inserts rows without the new column and its inserts fail",
		SafePath: "add %[2]s nullable or with a default, let new code write it (`dual-write`), Backfill old rows, then set NOT NULL in the contract step",
		Playbook: "add a column",
	},
	{
		Name: RuleDropDefault, Family: BreaksOldClients, Dialects: both,
		Why:      "code still deployed inserts rows without %[2]s and relies on the default",
		SafePath: "keep the default until no deployed version inserts without %[2]s (`complete`), then drop it in the contract step",
		Playbook: "add a column",
	},
	{
		Name: RuleSetNotNull, Family: BreaksOldClients, Dialects: both,
		Why:      "code still deployed may write NULL (or omit the column) and its writes fail; the check also scans the table",
		SafePath: "make new code always write %[2]s (`dual-write`), Backfill, and set NOT NULL only in the contract step; on PostgreSQL add a CHECK (%[2]s IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL",
		Playbook: "add a column",
	},
	{
		Name: RulePGIndexNotConcurrent, Family: Locks, Dialects: []Dialect{Postgres},
		Why:      "CREATE/DROP INDEX without CONCURRENTLY blocks writes to %[1]s for the whole build",
		SafePath: "use CREATE INDEX CONCURRENTLY (or DROP INDEX CONCURRENTLY) in its own migration, outside a transaction",
	},
	{
		Name: RulePGConstraintNotValid, Family: Locks, Dialects: []Dialect{Postgres},
		Why:      "adding a CHECK or FOREIGN KEY constraint validates every row while holding a lock that blocks writes to %[1]s",
		SafePath: "add it with NOT VALID, then ALTER TABLE … VALIDATE CONSTRAINT in a later statement (validation takes a weaker lock)",
	},
	{
		Name: RulePGUniqueConstraint, Family: Locks, Dialects: []Dialect{Postgres},
		Why:      "adding a UNIQUE or PRIMARY KEY constraint builds its index while blocking reads and writes of %[1]s",
		SafePath: "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … USING INDEX",
	},
	{
		Name: RulePGLockTimeout, Family: Locks, Dialects: []Dialect{Postgres},
		Why:      "a statement waiting for its lock on %[1]s queues every later query behind it; without lock_timeout one long transaction stalls the application",
		SafePath: "start the migration with SET lock_timeout = '2s' (and retry on timeout)",
	},
	{
		Name: RuleMySQLCopy, Family: Locks, Dialects: []Dialect{MySQL},
		Why:      "the change runs with ALGORITHM=COPY: %[1]s is rebuilt and writes are blocked for the whole copy",
		SafePath: "prefer an INSTANT/INPLACE change (add a column instead of changing one), or run it through an online schema change tool; keep old code working with the dualwrite path of the change",
	},
	{
		Name: RuleMySQLSharedLock, Family: Locks, Dialects: []Dialect{MySQL},
		Why:      "the change holds LOCK=SHARED or LOCK=EXCLUSIVE: writes to %[1]s (or all access) wait until it ends",
		SafePath: "drop the explicit LOCK clause, or use LOCK=NONE where the operation allows it; run FULLTEXT/SPATIAL index builds and AUTO_INCREMENT columns off-peak or through an online schema change tool",
	},
	{
		Name: RuleSplitTable, Family: SeedTable, Dialects: both,
		Why:      "copying rows into another table in one statement misses every write that old code makes afterwards, and locks %[1]s while it runs",
		SafePath: "create the new table, keep old code working through a view or trigger if it must see one shape, dual-write with dualwrite.Pair, backfill in batches (Backfill / Pair.Repair), Verify, then `live`",
		Playbook: "split a table",
	},
	{
		Name: RuleChangeForeignKey, Family: SeedTable, Dialects: both,
		Why:      "old code inserts and deletes in an order the new constraint rejects (or relies on one being dropped); the check also scans %[1]s",
		SafePath: "enforce the relation in the application (a soft foreign key checked in the write path) during the gray release; add the database constraint (NOT VALID first on PostgreSQL) only once every deployed version respects it",
	},
	{
		Name: RuleBadSuppression, Family: SeedTable, Dialects: both,
		Why:      "a graykit:allow comment must name known rules and give a reason after a colon",
		SafePath: "write `-- graykit:allow RULE[,RULE]: why this is safe here`",
	},
}

// Rules returns the catalogue of rules, in a stable order. The slice is a
// copy: changing it changes nothing.
func Rules() []Rule {
	out := make([]Rule, len(rules))
	copy(out, rules)
	return out
}

func ruleByName(name string) (Rule, bool) {
	for _, r := range rules {
		if r.Name == name {
			return r, true
		}
	}
	return Rule{}, false
}
