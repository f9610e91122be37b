package dualwrite_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/integration/sqltest"
)

// The seed's first migration: users.phone → users.email, where the email is derived from the
// phone (the seed's derive_from_phone) and old code keeps writing phones.
const phoneDomain = "@phone.example.com"

// deriveFromPhone is derive_from_phone: the phone's digits at a fixed domain.
func deriveFromPhone(phone string) (string, error) {
	var b strings.Builder
	for _, r := range phone {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "", fmt.Errorf("phone %q has no digits: %w", phone, dualwrite.ErrUnmappable)
	}
	return b.String() + phoneDomain, nil
}

// phoneFromEmail maps an email back to the phone old code reads.
func phoneFromEmail(email string) (string, error) {
	digits, ok := strings.CutSuffix(email, phoneDomain)
	if !ok || digits == "" {
		return "", fmt.Errorf("email %q: %w", email, dualwrite.ErrUnmappable)
	}
	return "+" + digits, nil
}

// seedStage is where the migration stands; every simulated user resolves its phase from it.
type seedStage struct {
	mu    sync.RWMutex // an operation holds it shared; a stage change holds it alone
	phase atomic.Pointer[dualwrite.Phaser]
}

func (s *seedStage) Phase(ctx context.Context) (dualwrite.Phase, error) {
	return (*s.phase.Load()).Phase(ctx)
}

// set moves to the next stage once no operation is under way, so no user computes its values
// in one stage and writes them in the next (the straddle TestSeedMigrationEndToEnd covers).
func (s *seedStage) set(p dualwrite.Phaser) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.phase.Store(&p)
}

// seedUser is one simulated user: it writes its own row, as old or new code, and reads it back.
type seedUser struct {
	id    int64
	key   string
	email string // the email the user's row must hold, in new code's terms
	state string // the status_v2 the user's row must hold
}

// TestSeedMigrationPhoneToEmail runs the seed's migration end to end, with its own statements, while
// a few hundred simulated users read and write their rows through it: users.phone → users.email
// (derived from the phone) and users.status (int 0/1) → users.status_v2 (active/banned/pending,
// mapped back to status = IF(status_v2 = 'active', 1, 0)). Expand, dual-write, batched backfill
// (a Go derivation for email, a SQL expression for status_v2), switch reads for gray users first,
// then everyone, contract. Every read a user makes sees its own last write, and at the end Verify
// and the seed's mapping-back statement find 0 mismatches.
func TestSeedMigrationPhoneToEmail(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		const rows = 3000
		nUsers := 300
		db.DB.SetMaxOpenConns(24)
		if db.Kind == sqltest.SQLite {
			// One writer at a time: a few users keep it busy, hundreds would only queue for it.
			nUsers = 40
			db.DB.SetMaxOpenConns(0)
		}
		db.Exec(t, "CREATE TABLE users (id BIGINT PRIMARY KEY, name VARCHAR(64) NOT NULL, phone VARCHAR(32), status INTEGER)")
		tx, err := db.DB.Begin()
		require.NoError(t, err)
		ins, err := tx.Prepare(db.Rebind("INSERT INTO users (id, name, phone, status) VALUES (?, ?, ?, ?)"))
		require.NoError(t, err)
		for i := 1; i <= rows; i++ {
			_, err := ins.Exec(i, fmt.Sprintf("user %d", i), fmt.Sprintf("+1-555-%07d", i), i%2)
			require.NoError(t, err)
		}
		require.NoError(t, ins.Close())
		require.NoError(t, tx.Commit())

		// Expand, with the seed's statements. The seed adds status_v2 with DEFAULT 'active': that
		// default would fill every existing row at once (MySQL, PostgreSQL 11+, SQLite alike),
		// making banned users active for new code and hiding them from a backfill of NULL rows.
		// So the column comes in nullable and gets its default after the backfill.
		db.Exec(t, "ALTER TABLE users ADD COLUMN email VARCHAR(255)")
		db.Exec(t, "ALTER TABLE users ADD COLUMN status_v2 VARCHAR(20)")
		// Users start in phase off: code that knows the new columns but writes them NULL.
		stage := &seedStage{}
		stage.set(dualwrite.Fixed(dualwrite.Off))
		email := &dualwrite.Columns[string, string]{Phase: stage, Up: deriveFromPhone, Down: phoneFromEmail}
		status := statusColumns(stage)
		engine, err := gray.New(shareConfig(t, 20))
		require.NoError(t, err)

		users := make([]*seedUser, nUsers)
		for i := range users {
			id := int64(1 + i*(rows/nUsers))
			if id >= rows {
				id = rows - 1
			}
			e, _ := deriveFromPhone(fmt.Sprintf("+1-555-%07d", id))
			s, _ := statusUp(int(id % 2))
			users[i] = &seedUser{id: id, key: fmt.Sprintf("user-%d", id), email: e, state: s}
		}
		var (
			reads, writes atomic.Int64
			mismatches    atomic.Int64
			failures      = make(chan error, nUsers)
		)
		upd := db.Rebind("UPDATE users SET phone = ?, email = ?, status = ?, status_v2 = ? WHERE id = ?")
		sel := db.Rebind("SELECT phone, email, status, status_v2 FROM users WHERE id = ?")
		// read returns the user's email and status as new code reads them in the user's phase.
		read := func(uctx context.Context, u *seedUser) (string, string, error) {
			var (
				ph, em sql.Null[string]
				st     sql.Null[int]
				st2    sql.Null[string]
			)
			if err := db.DB.QueryRowContext(uctx, sel, u.id).Scan(&ph, &em, &st, &st2); err != nil {
				return "", "", err
			}
			e, err := email.ReadNew(uctx, ph, em)
			if err != nil {
				return "", "", err
			}
			s, err := status.ReadNew(uctx, st, st2)
			return e, s, err
		}
		// step is one operation of a user: a write as old or new code, then a read of it.
		step := func(uctx context.Context, rnd *rand.Rand, u *seedUser) error {
			stage.mu.RLock()
			defer stage.mu.RUnlock()
			var (
				ev  dualwrite.Values[string, string]
				sv  dualwrite.Values[int, string]
				err error
			)
			digits := fmt.Sprintf("1555%07d", rnd.IntN(10_000_000))
			if rnd.IntN(2) == 0 { // old code: a phone and an int status
				ev, err = email.FromOld(uctx, "+"+digits)
				if err == nil {
					sv, err = status.FromOld(uctx, rnd.IntN(2))
				}
			} else { // new code: an email and a status_v2, pending included
				ev, err = email.FromNew(uctx, digits+phoneDomain)
				if err == nil {
					sv, err = status.FromNew(uctx, []string{"active", "banned", "pending"}[rnd.IntN(3)])
				}
			}
			if err != nil {
				return err
			}
			eo, en := ev.Args()
			so, sn := sv.Args()
			if _, err := db.DB.ExecContext(uctx, upd, eo, en, so, sn, u.id); err != nil {
				return err
			}
			writes.Add(1)
			u.email = digits + phoneDomain
			u.state = sv.New.V
			if !sv.New.Valid { // phase off: status_v2 is NULL, new code reads status Up
				u.state, _ = status.ToNew(sv.Old.V)
			}
			if ev.New.Valid {
				u.email = ev.New.V
			}
			// What new code must read back in this phase: the column the phase reads, as written.
			wantE, err := email.ReadNew(uctx, ev.Old, ev.New)
			if err != nil {
				return err
			}
			wantS, err := status.ReadNew(uctx, sv.Old, sv.New)
			if err != nil {
				return err
			}
			e, s, err := read(uctx, u)
			if err != nil {
				return err
			}
			reads.Add(1)
			if e != wantE || s != wantS {
				mismatches.Add(1)
				return fmt.Errorf("user %d read (%s, %s) after writing (%s, %s) in %s", u.id, e, s, wantE, wantS, ev.Phase)
			}
			return nil
		}
		runCtx, stopUsers := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for i, u := range users {
			wg.Go(func() {
				rnd := rand.New(rand.NewPCG(uint64(i), 15))
				uctx := gray.NewContext(ctx, engine, gray.Subject{Key: u.key})
				for runCtx.Err() == nil {
					if err := step(uctx, rnd, u); err != nil {
						failures <- err
						return
					}
					time.Sleep(time.Duration(rnd.IntN(2000)) * time.Microsecond)
				}
			})
		}
		stopped := false
		stop := func() {
			if !stopped {
				stopped = true
				stopUsers()
				wg.Wait()
			}
		}
		defer stop()
		// settle lets the users work a while in the current stage and fails on their first error.
		settle := func(n int) {
			t.Helper()
			want := writes.Load() + int64(n)
			deadline := time.Now().Add(30 * time.Second)
			for writes.Load() < want {
				select {
				case err := <-failures:
					t.Fatalf("simulated user: %v", err)
				default:
				}
				require.True(t, time.Now().Before(deadline), "users made no progress")
				time.Sleep(5 * time.Millisecond)
			}
		}
		settle(nUsers)

		// Dual-write for everyone, then the batched backfill while users go on.
		stage.set(dualwrite.Fixed(dualwrite.DualWrite))
		settle(nUsers)
		cps, err := dualwrite.NewCheckpoints(db.DB, db.Dialect, "dw_checkpoints")
		require.NoError(t, err)
		require.NoError(t, cps.CreateTable(ctx))
		for _, cfg := range []dualwrite.BackfillConfig{
			{OldColumn: "phone", NewColumn: "email", Convert: email.Convert},
			{OldColumn: "status", NewColumn: "status_v2", SQL: statusSQL},
		} {
			cfg.DB, cfg.Dialect, cfg.Checkpoints = db.DB, db.Dialect, cps
			cfg.Table, cfg.KeyColumn, cfg.BatchSize, cfg.Logger = "users", "id", 250, quiet
			bf, err := dualwrite.NewBackfill(cfg)
			require.NoError(t, err)
			p, err := bf.Run(ctx)
			require.NoError(t, err)
			require.True(t, p.Finished)
			assert.Equal(t, int64(rows), p.Done, "%s: every row walked once", cfg.NewColumn)
		}
		if db.Kind != sqltest.SQLite { // SQLite cannot change a column's default
			db.Exec(t, "ALTER TABLE users ALTER COLUMN status_v2 SET DEFAULT 'active'")
		}
		stage.set(dualwrite.Fixed(dualwrite.Shadow))
		settle(nUsers)
		stage.mu.Lock() // a quiet moment: Verify reads the two columns apart
		verifySeed(t, db, email, "shadow")
		stage.mu.Unlock()

		// Switch reads for gray users first: the rollout's canary users read the new columns.
		stage.set(dualwrite.FromRollout("users-v2", dualwrite.Live, dualwrite.Shadow))
		settle(nUsers)
		var canary, stable *seedUser
		for _, u := range users {
			isNew := gray.Variant(gray.NewContext(ctx, engine, gray.Subject{Key: u.key}), "users-v2") != "stable"
			if isNew && canary == nil {
				canary = u
			} else if !isNew && stable == nil {
				stable = u
			}
		}
		require.NotNil(t, canary)
		require.NotNil(t, stable)
		// A probe row pending in the new column, banned in the old one, shows who reads what.
		probe := int64(rows) // no simulated user writes it
		db.Exec(t, "UPDATE users SET status = 0, status_v2 = 'pending' WHERE id = ?", probe)
		for _, c := range []struct {
			u    *seedUser
			want string
		}{{canary, "pending"}, {stable, "banned"}} {
			uctx := gray.NewContext(ctx, engine, gray.Subject{Key: c.u.key})
			_, got, err := read(uctx, &seedUser{id: probe})
			require.NoError(t, err)
			assert.Equal(t, c.want, got, "user %s reads the probe", c.u.key)
		}
		db.Exec(t, "UPDATE users SET status = 1, status_v2 = 'active' WHERE id = ?", probe)

		// Everyone reads the new columns, then writes new first.
		for _, p := range []dualwrite.Phase{dualwrite.Live, dualwrite.RampDown} {
			stage.set(dualwrite.Fixed(p))
			settle(nUsers)
		}
		stage.mu.Lock()
		verifySeed(t, db, email, "ramp-down")
		stage.mu.Unlock()

		// Complete, then contract: the old columns go; users keep working without them.
		stage.set(dualwrite.Fixed(dualwrite.Complete))
		settle(nUsers)
		stop()
		db.Exec(t, "ALTER TABLE users DROP COLUMN phone")
		db.Exec(t, "ALTER TABLE users DROP COLUMN status")
		if db.Kind != sqltest.SQLite {
			db.Exec(t, "INSERT INTO users (id, name, email) VALUES (?, 'signed up after', 'x"+phoneDomain+"')", rows+1)
			var st string
			require.NoError(t, db.DB.QueryRow(db.Rebind("SELECT status_v2 FROM users WHERE id = ?"), rows+1).Scan(&st))
			assert.Equal(t, "active", st, "the seed's default, for rows inserted after the backfill")
		}
		select {
		case err := <-failures:
			t.Fatalf("simulated user: %v", err)
		default:
		}
		got := map[int64][2]string{}
		rs, err := db.DB.Query("SELECT id, email, status_v2 FROM users")
		require.NoError(t, err)
		for rs.Next() {
			var id int64
			var e, s sql.NullString
			require.NoError(t, rs.Scan(&id, &e, &s))
			require.True(t, e.Valid && s.Valid, "row %d: email %v status_v2 %v", id, e, s)
			got[id] = [2]string{e.String, s.String}
		}
		require.NoError(t, rs.Err())
		require.NoError(t, rs.Close())
		lost := 0
		for _, u := range users {
			if got[u.id] != [2]string{u.email, u.state} {
				lost++
				t.Errorf("user %d: row holds %v, last write was (%s, %s)", u.id, got[u.id], u.email, u.state)
			}
		}
		assert.Zero(t, mismatches.Load())
		assert.Zero(t, lost)
		t.Logf("%d simulated users: %d writes, %d reads, %d read mismatches, %d lost writes", nUsers, writes.Load(), reads.Load(), mismatches.Load(), lost)
	})
}

// verifySeed checks both migrated columns of every row: Verify over the old and new column in new
// code's terms, and the seed's mapping back of status_v2 to status.
func verifySeed(t *testing.T, db testDB, email *dualwrite.Columns[string, string], when string) {
	t.Helper()
	ctx := context.Background()
	oldS, newS := statusScanners(t, db, "users")
	rep, err := dualwrite.Verify(ctx, oldS, newS, dualwrite.VerifyConfig[int64, string]{})
	require.NoError(t, err)
	assert.True(t, rep.OK(), "status in %s: %s %v", when, rep, rep.MismatchedKeys)
	phones, err := dualwrite.NewSQLStore[int64, string](db.DB, db.Dialect, dualwrite.SQLStoreConfig{Table: "users", KeyColumn: "id", ValueColumn: "phone"})
	require.NoError(t, err)
	emails, err := dualwrite.NewSQLStore[int64, string](db.DB, db.Dialect, dualwrite.SQLStoreConfig{Table: "users", KeyColumn: "id", ValueColumn: "email"})
	require.NoError(t, err)
	rep, err = dualwrite.Verify(ctx, dualwrite.Mapped[int64, string, string](phones, email.ToOld, email.ToNew), emails, dualwrite.VerifyConfig[int64, string]{})
	require.NoError(t, err)
	assert.True(t, rep.OK(), "email in %s: %s %v %v", when, rep, rep.MismatchedKeys, rep.MissingNewKeys)
	// The seed's mapping back, as a statement: status = IF(status_v2 = 'active', 1, 0).
	back := "IF(status_v2 = 'active', 1, 0)"
	if db.Kind != sqltest.MySQL {
		back = "CASE WHEN status_v2 = 'active' THEN 1 ELSE 0 END"
	}
	var off int64
	require.NoError(t, db.DB.QueryRow("SELECT COUNT(*) FROM users WHERE status <> "+back).Scan(&off))
	assert.Zero(t, off, "rows whose status is not %s in %s", back, when)
}
