package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"

	_ "modernc.org/sqlite" // the embedded default database

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/gray"
)

// dataPart carries a value through the release with dualwrite: phone numbers
// move from profiles.phone to a new contacts table. Users in the canary are in
// phase live (write new then old, read new); everyone else in shadow (write
// old then new, read old and compare new).
func dataPart(ctx context.Context, p printer, engine *gray.Engine, users []string, dir string) error {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "quickstart.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return err
	}
	defer db.Close()
	for _, stmt := range []string{
		"CREATE TABLE profiles (id INTEGER PRIMARY KEY, phone TEXT)", // the old side
		"CREATE TABLE contacts (id INTEGER PRIMARY KEY, phone TEXT)", // the new side (expand)
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	oldSide, err := dualwrite.NewSQLStore[int64, string](db, dualwrite.SQLite, dualwrite.SQLStoreConfig{Table: "profiles", KeyColumn: "id", ValueColumn: "phone"})
	if err != nil {
		return err
	}
	newSide, err := dualwrite.NewSQLStore[int64, string](db, dualwrite.SQLite, dualwrite.SQLStoreConfig{Table: "contacts", KeyColumn: "id", ValueColumn: "phone"})
	if err != nil {
		return err
	}
	var shadow dualwrite.Counter
	pair, err := dualwrite.NewPair(oldSide, newSide, dualwrite.Config[int64, string]{
		Phase:    dualwrite.FromRollout(rollout, dualwrite.Live, dualwrite.Shadow),
		Observer: &shadow,
	})
	if err != nil {
		return err
	}
	readNew := 0
	for i, u := range users {
		// In a handler this context comes from gray.Middleware; here each
		// simulated user gets its own.
		uctx := gray.NewContext(ctx, engine, gray.Subject{Key: u})
		phone := fmt.Sprintf("+1 555 %04d", i)
		if err := pair.Put(uctx, int64(i), phone); err != nil {
			return err
		}
		got, err := pair.Get(uctx, int64(i))
		if err != nil {
			return err
		}
		if got != phone {
			return fmt.Errorf("user %s read %q, wrote %q", u, got, phone)
		}
		if gray.Variant(uctx, rollout) == "canary" {
			readNew++
		}
	}
	report, err := dualwrite.Verify(ctx, oldSide, newSide, dualwrite.VerifyConfig[int64, string]{})
	if err != nil {
		return err
	}
	c := shadow.Counts()
	p.f("6. Data through the release (dualwrite: profiles.phone -> contacts)\n")
	p.f("   %s writes to both sides; %d canary users read the new table, the rest the old one\n", num(len(users)), readNew)
	p.f("   shadow reads: %d matched, %d mismatched; verify: %d matched, %d mismatched, %d missing\n",
		c.Matched, c.Mismatched, report.Matched, report.Mismatched, report.MissingNew+report.MissingOld)
	if !report.OK() || c.Mismatched != 0 {
		return fmt.Errorf("the two sides differ: %v", report)
	}
	return nil
}
