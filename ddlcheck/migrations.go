package ddlcheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/graykit/graykit/dualwrite"
)

// MigrationsFile is the name [FindMigrations] looks for next to migration files.
const MigrationsFile = "graykit-migrations.yaml"

// Migrations declares the dualwrite migrations whose columns the checker
// must protect. The file lives next to the SQL migrations:
//
//	migrations:
//	  - name: users-status-v2
//	    table: users
//	    old: [status]        # the side being retired
//	    new: [status_v2]     # the side taking over
//	    phase: dual-write    # where the migration stands on every replica
//
// A column named by a migration may be dropped only when it is on the old
// side and the phase is complete: complete means every replica and every
// user runs the new side only. Move the phase there once
// `graykit contract-check` shows the old side unused.
type Migrations struct {
	Migrations []Migration `yaml:"migrations" json:"migrations"`
}

// Migration is one entry of [Migrations].
type Migration struct {
	Name  string          `yaml:"name" json:"name"`
	Table string          `yaml:"table" json:"table"`
	Old   []string        `yaml:"old" json:"old"`
	New   []string        `yaml:"new" json:"new"`
	Phase dualwrite.Phase `yaml:"phase" json:"phase"`
}

// ParseMigrations reads a migrations file strictly: unknown fields, a
// missing name or table and unknown phases are errors.
func ParseMigrations(data []byte) (*Migrations, error) {
	var m Migrations
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil && !errors.Is(err, io.EOF) { // an empty file declares nothing
		return nil, fmt.Errorf("ddlcheck: migrations: %w", err)
	}
	for i, mg := range m.Migrations {
		switch {
		case mg.Name == "":
			return nil, fmt.Errorf("ddlcheck: migrations[%d].name: missing", i)
		case mg.Table == "":
			return nil, fmt.Errorf("ddlcheck: migrations[%d].table: missing", i)
		case !mg.Phase.Valid():
			return nil, fmt.Errorf("ddlcheck: migrations[%d].phase: %q is not a dualwrite phase", i, mg.Phase)
		}
	}
	return &m, nil
}

// LoadMigrations reads and parses a migrations file.
func LoadMigrations(path string) (*Migrations, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ddlcheck: %w", err)
	}
	m, err := ParseMigrations(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// FindMigrations loads MigrationsFile from dir, or returns nil, nil when
// there is none.
func FindMigrations(dir string) (*Migrations, error) {
	path := filepath.Join(dir, MigrationsFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil // no file: nothing declared
	}
	return LoadMigrations(path)
}

func sameName(a, b string) bool {
	// A schema-qualified name matches its bare name.
	if i := strings.LastIndexByte(a, '.'); i >= 0 && !strings.Contains(b, ".") {
		a = a[i+1:]
	}
	if i := strings.LastIndexByte(b, '.'); i >= 0 && !strings.Contains(a, ".") {
		b = b[i+1:]
	}
	return strings.EqualFold(a, b)
}

// using returns a migration that names the column on either side,
// preferring one that is not complete.
func (ms *Migrations) using(table, column string) (Migration, bool) {
	var found *Migration
	for i, m := range ms.Migrations {
		if !sameName(m.Table, table) {
			continue
		}
		for _, c := range append(append([]string(nil), m.Old...), m.New...) {
			if strings.EqualFold(c, column) && (found == nil || found.Phase == dualwrite.Complete) {
				found = &ms.Migrations[i]
			}
		}
	}
	if found == nil {
		return Migration{}, false
	}
	return *found, true
}

// contractible reports whether the column may be dropped: an old-side
// column of a complete migration, and named by no unfinished migration.
func (ms *Migrations) contractible(table, column string) (Migration, bool) {
	var done *Migration
	for i, m := range ms.Migrations {
		if !sameName(m.Table, table) {
			continue
		}
		for _, c := range m.Old {
			if strings.EqualFold(c, column) && m.Phase == dualwrite.Complete {
				done = &ms.Migrations[i]
			}
		}
		if m.Phase != dualwrite.Complete {
			for _, c := range append(append([]string(nil), m.Old...), m.New...) {
				if strings.EqualFold(c, column) {
					return Migration{}, false
				}
			}
		}
	}
	if done == nil {
		return Migration{}, false
	}
	return *done, true
}
