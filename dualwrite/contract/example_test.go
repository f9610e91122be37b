package contract_test

import (
	"context"
	"fmt"
	"time"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/dualwrite/contract"
	"github.com/graykit/graykit/gray/guard"
)

// Each replica reports its migration's usage to the shared store; anyone
// can then ask whether the old side is still in use.
func Example() {
	ctx := context.Background()
	store := guard.NewMemoryStore() // guard.NewSQLStore across processes
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	usage := &dualwrite.Usage{} // dualwrite.Config.Usage of the migration's Pair
	rep, err := contract.NewReporter(store, "web-1", contract.WithClock(clock))
	if err != nil {
		fmt.Println(err)
		return
	}
	rep.Track("users-status-v2", usage)

	usage.Add(dualwrite.SideOld, dualwrite.OpRead) // an old reader is still out there
	_ = rep.Flush(ctx)                             // rep.Run(ctx, 30*time.Second, nil) in a service

	now = now.Add(2 * time.Hour)
	r, _ := contract.Check(ctx, store, "users-status-v2", 24*time.Hour, now)
	fmt.Println(r.Verdict, r.OldReads, r.LastOldUse.Format(time.RFC3339))

	now = now.Add(24 * time.Hour)
	_ = rep.Flush(ctx) // a day of new-side traffic only
	r, _ = contract.Check(ctx, store, "users-status-v2", 24*time.Hour, now)
	fmt.Println(r.Verdict, r.Ready())
	// Output:
	// in-use 1 2026-03-01T09:01:00Z
	// unused true
}
