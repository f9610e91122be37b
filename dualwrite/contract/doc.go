// Package contract answers the question asked before a column or table
// is dropped: has anything read or written the old side of a dualwrite
// migration in the last N hours, on any replica?
//
// Each replica counts its migration's traffic with a [dualwrite.Usage] and
// runs a [Reporter], which writes the counts per time window to the store
// the replicas already share for guarded rollouts ([guard.Store]: the SQL
// store, or the memory store in one process). [Check] reads every
// replica's windows and returns a [Readiness]: in use (with who touched the
// old side last, and when), unused, or no data. The CLI's
// `graykit contract-check` and the console ask the same question.
//
// Windows are stored as guard windows of the pseudo-rollout
// "dualwrite:<migration>", one variant per side and op ("old-read",
// "old-write", "new-read", "new-write") and a "seen" heartbeat, so no
// schema change is needed. They are pruned with the guard's retention
// (7 days by default): ask about a shorter time than that.
package contract
