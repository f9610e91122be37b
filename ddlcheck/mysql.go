package ddlcheck

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	// The parser needs an implementation of its value expressions; this
	// light one is the one TiDB provides for using the parser on its own.
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"
)

// parseMySQL parses src with TiDB's MySQL grammar (MySQL 8 and the MariaDB
// syntax migrations use) and walks each statement.
func parseMySQL(src string) ([]statement, error) {
	p := parser.New()
	nodes, _, err := p.Parse(src, "", "")
	if err != nil {
		return nil, err
	}
	out := make([]statement, 0, len(nodes))
	cursor := 0
	for _, n := range nodes {
		// Each statement's text is the slice of src after the previous one.
		text := n.Text()
		off := cursor
		if i := strings.Index(src[cursor:], text); i >= 0 {
			off = cursor + i
			cursor = off + len(text)
		}
		lead := leadingComments(text)
		st := statement{offset: off + lead, end: off + len(text), text: strings.TrimSpace(text[lead:])}
		st.hits = mysqlHits(n)
		out = append(out, st)
	}
	return out, nil
}

func tableName(t *ast.TableName) string {
	if t == nil {
		return ""
	}
	if t.Schema.O != "" {
		return t.Schema.O + "." + t.Name.O
	}
	return t.Name.O
}

func mysqlHits(n ast.StmtNode) []hit {
	switch s := n.(type) {
	case *ast.AlterTableStmt:
		return mysqlAlter(s)
	case *ast.DropTableStmt:
		if s.IsView || s.TemporaryKeyword != ast.TemporaryNone {
			return nil
		}
		var hs []hit
		for _, t := range s.Tables {
			hs = append(hs, hit{rule: RuleDropTable, table: tableName(t)})
		}
		return hs
	case *ast.RenameTableStmt:
		var hs []hit
		for _, t := range s.TableToTables {
			hs = append(hs, hit{rule: RuleRenameTable, table: tableName(t.OldTable), detail: "to " + tableName(t.NewTable)})
		}
		return hs
	case *ast.CreateTableStmt:
		if s.Select != nil {
			return []hit{{rule: RuleSplitTable, table: tableName(s.Table), detail: "CREATE TABLE … AS SELECT"}}
		}
	case *ast.InsertStmt:
		if s.Select != nil {
			return []hit{{rule: RuleSplitTable, table: insertTable(s), detail: "INSERT … SELECT"}}
		}
	case *ast.CreateIndexStmt:
		var hs []hit
		table := tableName(s.Table)
		if s.KeyType == ast.IndexKeyTypeFulltext || s.KeyType == ast.IndexKeyTypeSpatial {
			hs = append(hs, hit{rule: RuleMySQLSharedLock, table: table, detail: "FULLTEXT and SPATIAL index builds allow no concurrent writes"})
		}
		if s.LockAlg != nil {
			hs = append(hs, lockAlg(table, s.LockAlg.LockTp, s.LockAlg.AlgorithmTp)...)
		}
		return hs
	}
	return nil
}

func insertTable(s *ast.InsertStmt) string {
	if s.Table == nil || s.Table.TableRefs == nil {
		return ""
	}
	if ts, ok := s.Table.TableRefs.Left.(*ast.TableSource); ok {
		if t, ok := ts.Source.(*ast.TableName); ok {
			return tableName(t)
		}
	}
	return ""
}

func lockAlg(table string, lock ast.LockType, alg ast.AlgorithmType) []hit {
	var hs []hit
	if alg == ast.AlgorithmTypeCopy {
		hs = append(hs, hit{rule: RuleMySQLCopy, table: table, detail: "ALGORITHM=COPY is explicit"})
	}
	if lock == ast.LockTypeShared || lock == ast.LockTypeExclusive {
		hs = append(hs, hit{rule: RuleMySQLSharedLock, table: table, detail: "LOCK=" + strings.ToUpper(lock.String()) + " is explicit"})
	}
	return hs
}

func hasOption(c *ast.ColumnDef, tp ast.ColumnOptionType) *ast.ColumnOption {
	for _, o := range c.Options {
		if o.Tp == tp {
			return o
		}
	}
	return nil
}

func mysqlAlter(s *ast.AlterTableStmt) []hit {
	table := tableName(s.Table)
	var hs []hit
	add := func(rule, column, detail string) {
		hs = append(hs, hit{rule: rule, table: table, column: column, detail: detail})
	}
	addsPrimaryKey := false
	for _, sp := range s.Specs {
		if sp.Tp == ast.AlterTableAddConstraint && sp.Constraint != nil && sp.Constraint.Tp == ast.ConstraintPrimaryKey {
			addsPrimaryKey = true
		}
	}
	for _, sp := range s.Specs {
		switch sp.Tp {
		case ast.AlterTableAddColumns:
			for _, c := range sp.NewColumns {
				name := c.Name.Name.O
				if hasOption(c, ast.ColumnOptionNotNull) != nil && hasOption(c, ast.ColumnOptionDefaultValue) == nil &&
					hasOption(c, ast.ColumnOptionAutoIncrement) == nil && hasOption(c, ast.ColumnOptionGenerated) == nil {
					add(RuleAddNotNullNoDefault, name, "")
				}
				if hasOption(c, ast.ColumnOptionAutoIncrement) != nil {
					add(RuleMySQLSharedLock, name, "adding an AUTO_INCREMENT column allows no concurrent writes")
				}
				if g := hasOption(c, ast.ColumnOptionGenerated); g != nil && g.Stored {
					add(RuleMySQLCopy, name, "adding a STORED generated column copies the table")
				}
				if hasOption(c, ast.ColumnOptionReference) != nil {
					add(RuleChangeForeignKey, name, "inline REFERENCES")
				}
			}
		case ast.AlterTableAddConstraint:
			if sp.Constraint == nil {
				continue
			}
			switch sp.Constraint.Tp {
			case ast.ConstraintForeignKey:
				add(RuleChangeForeignKey, "", "ADD FOREIGN KEY")
				add(RuleMySQLCopy, "", "ADD FOREIGN KEY copies the table unless foreign_key_checks=0")
			case ast.ConstraintFulltext:
				add(RuleMySQLSharedLock, "", "FULLTEXT index builds allow no concurrent writes")
			}
		case ast.AlterTableDropColumn:
			add(RuleDropColumn, sp.OldColumnName.Name.O, "")
		case ast.AlterTableDropPrimaryKey:
			if !addsPrimaryKey { // replacing it is an in-place rebuild
				add(RuleMySQLCopy, "", "dropping the primary key without a new one copies the table")
			}
		case ast.AlterTableDropForeignKey:
			add(RuleChangeForeignKey, "", "DROP FOREIGN KEY "+sp.Name)
		case ast.AlterTableModifyColumn:
			for _, c := range sp.NewColumns {
				add(RuleChangeColumnType, c.Name.Name.O, "MODIFY restates the column's type")
				if hasOption(c, ast.ColumnOptionNotNull) != nil {
					add(RuleSetNotNull, c.Name.Name.O, "")
				}
			}
		case ast.AlterTableChangeColumn:
			for _, c := range sp.NewColumns {
				old := sp.OldColumnName.Name.O
				if !strings.EqualFold(old, c.Name.Name.O) {
					add(RuleRenameColumn, old, "CHANGE renames it to "+c.Name.Name.O)
				} else {
					add(RuleChangeColumnType, old, "CHANGE restates the column's type")
				}
				if hasOption(c, ast.ColumnOptionNotNull) != nil {
					add(RuleSetNotNull, old, "")
				}
			}
		case ast.AlterTableRenameColumn:
			add(RuleRenameColumn, sp.OldColumnName.Name.O, "to "+sp.NewColumnName.Name.O)
		case ast.AlterTableRenameTable:
			add(RuleRenameTable, "", "to "+tableName(sp.NewTable))
		case ast.AlterTableAlterColumn:
			for _, c := range sp.NewColumns {
				if len(c.Options) == 0 { // ALTER COLUMN c DROP DEFAULT
					add(RuleDropDefault, c.Name.Name.O, "")
				}
			}
		case ast.AlterTableOption:
			for _, o := range sp.Options {
				switch {
				case o.Tp == ast.TableOptionCharset && o.UintValue == ast.TableOptionCharsetWithConvertTo:
					add(RuleMySQLCopy, "", "CONVERT TO CHARACTER SET rewrites every row")
				case o.Tp == ast.TableOptionEngine && !strings.EqualFold(o.StrValue, "InnoDB"):
					// ENGINE=InnoDB on an InnoDB table is an in-place rebuild.
					add(RuleMySQLCopy, "", "moving the table to another ENGINE copies it")
				}
			}
		case ast.AlterTableOrderByColumns:
			add(RuleMySQLCopy, "", "ORDER BY copies the table")
		case ast.AlterTableAlgorithm:
			hs = append(hs, lockAlg(table, 0, sp.Algorithm)...)
		case ast.AlterTableLock:
			hs = append(hs, lockAlg(table, sp.LockType, ast.AlgorithmTypeDefault)...)
		}
	}
	return hs
}
