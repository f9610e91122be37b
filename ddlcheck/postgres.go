//go:build cgo && !graykit_nopg

package ddlcheck

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// PostgresAvailable reports whether this build parses PostgreSQL.
const PostgresAvailable = true

// parsePostgres parses src with libpg_query (PostgreSQL's own grammar) and
// walks each statement in order, keeping what earlier statements did: a
// SET lock_timeout, tables created in the same file.
func parsePostgres(src string) ([]statement, error) {
	tree, err := pg.Parse(src)
	if err != nil {
		return nil, err
	}
	w := pgWalker{created: map[string]bool{}}
	out := make([]statement, 0, len(tree.Stmts))
	for _, raw := range tree.Stmts {
		start := int(raw.StmtLocation)
		end := len(src)
		if raw.StmtLen > 0 {
			end = start + int(raw.StmtLen)
		}
		text := src[start:end]
		lead := leadingComments(text)
		st := statement{offset: start + lead, end: end, text: strings.TrimSpace(text[lead:])}
		st.hits = w.walk(raw.Stmt)
		out = append(out, st)
	}
	return out, nil
}

type pgWalker struct {
	lockTimeout     bool // a SET lock_timeout came first
	reportedTimeout bool
	created         map[string]bool // tables created in this file: no one else uses them yet
}

func rangeVar(r *pg.RangeVar) string {
	if r == nil {
		return ""
	}
	if r.Schemaname != "" {
		return r.Schemaname + "." + r.Relname
	}
	return r.Relname
}

// locking notes a statement that takes a strong lock on an existing table.
func (w *pgWalker) locking(table string, hs []hit) []hit {
	if w.lockTimeout || w.reportedTimeout || w.created[strings.ToLower(table)] {
		return hs
	}
	w.reportedTimeout = true
	return append(hs, hit{rule: RulePGLockTimeout, table: table})
}

func (w *pgWalker) walk(n *pg.Node) []hit {
	switch {
	case n.GetVariableSetStmt() != nil:
		if strings.EqualFold(n.GetVariableSetStmt().Name, "lock_timeout") {
			w.lockTimeout = true
		}
	case n.GetCreateStmt() != nil:
		w.created[strings.ToLower(rangeVar(n.GetCreateStmt().Relation))] = true
	case n.GetAlterTableStmt() != nil:
		return w.alter(n.GetAlterTableStmt())
	case n.GetRenameStmt() != nil:
		s := n.GetRenameStmt()
		table := rangeVar(s.Relation)
		var hs []hit
		switch s.RenameType {
		case pg.ObjectType_OBJECT_COLUMN:
			hs = append(hs, hit{rule: RuleRenameColumn, table: table, column: s.Subname, detail: "to " + s.Newname})
		case pg.ObjectType_OBJECT_TABLE:
			hs = append(hs, hit{rule: RuleRenameTable, table: table, detail: "to " + s.Newname})
		default:
			return nil
		}
		return w.locking(table, hs)
	case n.GetDropStmt() != nil:
		s := n.GetDropStmt()
		var hs []hit
		for _, o := range s.Objects {
			name := pgObjectName(o)
			switch s.RemoveType {
			case pg.ObjectType_OBJECT_TABLE:
				if !w.created[strings.ToLower(name)] {
					hs = w.locking(name, append(hs, hit{rule: RuleDropTable, table: name}))
				}
			case pg.ObjectType_OBJECT_INDEX:
				if !s.Concurrent {
					hs = w.locking(name, append(hs, hit{rule: RulePGIndexNotConcurrent, table: name, detail: "DROP INDEX " + name}))
				}
			}
		}
		return hs
	case n.GetIndexStmt() != nil:
		s := n.GetIndexStmt()
		table := rangeVar(s.Relation)
		if s.Concurrent || w.created[strings.ToLower(table)] {
			return nil
		}
		return w.locking(table, []hit{{rule: RulePGIndexNotConcurrent, table: table}})
	case n.GetCreateTableAsStmt() != nil:
		s := n.GetCreateTableAsStmt()
		if s.Objtype == pg.ObjectType_OBJECT_TABLE && s.Into != nil {
			name := rangeVar(s.Into.Rel)
			w.created[strings.ToLower(name)] = true
			return []hit{{rule: RuleSplitTable, table: name, detail: "CREATE TABLE … AS SELECT"}}
		}
	case n.GetInsertStmt() != nil:
		s := n.GetInsertStmt()
		if sel := s.SelectStmt.GetSelectStmt(); sel != nil && len(sel.FromClause) > 0 {
			return []hit{{rule: RuleSplitTable, table: rangeVar(s.Relation), detail: "INSERT … SELECT"}}
		}
	}
	return nil
}

// pgObjectName joins a DROP statement's qualified name (a list of strings).
func pgObjectName(o *pg.Node) string {
	l := o.GetList()
	if l == nil {
		return ""
	}
	parts := make([]string, 0, len(l.Items))
	for _, it := range l.Items {
		if s := it.GetString_(); s != nil {
			parts = append(parts, s.Sval)
		}
	}
	return strings.Join(parts, ".")
}

func (w *pgWalker) alter(s *pg.AlterTableStmt) []hit {
	if s.Objtype != pg.ObjectType_OBJECT_TABLE {
		return nil
	}
	table := rangeVar(s.Relation)
	fresh := w.created[strings.ToLower(table)]
	var hs []hit
	add := func(rule, column, detail string) {
		hs = append(hs, hit{rule: rule, table: table, column: column, detail: detail})
	}
	constraint := func(c *pg.Constraint, column string) {
		switch c.Contype {
		case pg.ConstrType_CONSTR_FOREIGN:
			if !fresh {
				add(RuleChangeForeignKey, column, "FOREIGN KEY to "+rangeVar(c.Pktable))
			}
			if !c.SkipValidation && !fresh {
				add(RulePGConstraintNotValid, column, "FOREIGN KEY without NOT VALID")
			}
		case pg.ConstrType_CONSTR_CHECK:
			if !c.SkipValidation && !fresh {
				add(RulePGConstraintNotValid, column, "CHECK without NOT VALID")
			}
		case pg.ConstrType_CONSTR_PRIMARY, pg.ConstrType_CONSTR_UNIQUE, pg.ConstrType_CONSTR_EXCLUSION:
			if c.Indexname == "" && !fresh {
				add(RulePGUniqueConstraint, column, "")
			}
		}
	}
	for _, cn := range s.Cmds {
		cmd := cn.GetAlterTableCmd()
		if cmd == nil {
			continue
		}
		switch cmd.Subtype {
		case pg.AlterTableType_AT_AddColumn:
			def := cmd.Def.GetColumnDef()
			if def == nil {
				continue
			}
			notNull, hasDefault := def.IsNotNull, def.RawDefault != nil
			for _, k := range def.Constraints {
				c := k.GetConstraint()
				if c == nil {
					continue
				}
				switch c.Contype {
				case pg.ConstrType_CONSTR_NOTNULL:
					notNull = true
				case pg.ConstrType_CONSTR_DEFAULT, pg.ConstrType_CONSTR_IDENTITY, pg.ConstrType_CONSTR_GENERATED:
					hasDefault = true
				default:
					constraint(c, def.Colname)
				}
			}
			if notNull && !hasDefault && !fresh {
				add(RuleAddNotNullNoDefault, def.Colname, "")
			}
		case pg.AlterTableType_AT_DropColumn:
			add(RuleDropColumn, cmd.Name, "")
		case pg.AlterTableType_AT_AlterColumnType:
			add(RuleChangeColumnType, cmd.Name, "ALTER COLUMN … TYPE")
		case pg.AlterTableType_AT_ColumnDefault:
			if cmd.Def == nil {
				add(RuleDropDefault, cmd.Name, "")
			}
		case pg.AlterTableType_AT_SetNotNull:
			add(RuleSetNotNull, cmd.Name, "")
		case pg.AlterTableType_AT_AddConstraint:
			if c := cmd.Def.GetConstraint(); c != nil {
				constraint(c, "")
			}
		}
	}
	if fresh {
		return hs
	}
	return w.locking(table, hs)
}
