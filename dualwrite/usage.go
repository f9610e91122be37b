package dualwrite

import "sync/atomic"

// Op is what a call did to a side: read it or write it.
type Op uint8

// The operations a [Usage] counts.
const (
	OpRead  Op = 1
	OpWrite Op = 2
)

// String returns "read" or "write".
func (o Op) String() string {
	switch o {
	case OpRead:
		return "read"
	case OpWrite:
		return "write"
	}
	return "none"
}

// Usage counts the reads and writes a migration makes to each side, so
// that "nothing uses the old side any more" is a measurement before the old
// column or table is dropped. Give one to [Config.Usage] or [Columns.Usage];
// report it across replicas with package dualwrite/contract, or export it
// as metrics.
//
// A [Pair] counts a read of each side it reads, shadow reads included, and
// a write of each side it writes (repairs are not counted: they copy data,
// they are not application traffic). [Columns] counts the column whose
// value a read used and each column a write sets.
//
// The zero value is ready; a nil *Usage counts nothing. Counting is two
// atomic adds at most per call and allocates nothing.
type Usage struct {
	n [2][2]atomic.Uint64 // [side-1][op-1]
}

// Add counts one op on side s. Unknown sides and ops are ignored.
func (u *Usage) Add(s Side, op Op) {
	if u == nil || s < SideOld || s > SideNew || op < OpRead || op > OpWrite {
		return
	}
	u.n[s-1][op-1].Add(1)
}

// Count returns how many ops on side s were counted so far.
func (u *Usage) Count(s Side, op Op) uint64 {
	if u == nil || s < SideOld || s > SideNew || op < OpRead || op > OpWrite {
		return 0
	}
	return u.n[s-1][op-1].Load()
}

// UsageCounts is a snapshot of a [Usage].
type UsageCounts struct {
	OldReads  uint64 `json:"old_reads"`
	OldWrites uint64 `json:"old_writes"`
	NewReads  uint64 `json:"new_reads"`
	NewWrites uint64 `json:"new_writes"`
}

// Counts returns the counts so far. Each counter is read atomically; the
// four are not one atomic snapshot.
func (u *Usage) Counts() UsageCounts {
	return UsageCounts{
		OldReads:  u.Count(SideOld, OpRead),
		OldWrites: u.Count(SideOld, OpWrite),
		NewReads:  u.Count(SideNew, OpRead),
		NewWrites: u.Count(SideNew, OpWrite),
	}
}
