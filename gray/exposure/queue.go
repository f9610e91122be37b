package exposure

import "sync/atomic"

// queue is a bounded multi-producer, single-consumer ring of events after
// Dmitry Vyukov's bounded queue: a producer claims a slot with one
// compare-and-swap and publishes it with one store, so a full queue makes
// push fail at once instead of waiting, and no producer ever waits for the
// consumer. Slots keep their attribute arrays, so a push allocates nothing.
type queue struct {
	tail  atomic.Uint64 // next position to claim (producers)
	_     [56]byte      // keep producers' and the consumer's lines apart
	head  uint64        // next position to read (the consumer only)
	mask  uint64
	slots []slot
}

type slot struct {
	seq atomic.Uint64 // == pos: free for pos; == pos+1: holds pos
	rec record
}

// record is an event as the request path leaves it: the raw key and the
// allowed attributes' values, in allow-list order.
type record struct {
	ev    Event
	key   string
	attrs []string // len(allow); "" with set[i] false for absent
	set   []bool
}

func newQueue(size, nattrs int) *queue {
	n := 1
	for n < size {
		n <<= 1
	}
	q := &queue{mask: uint64(n - 1), slots: make([]slot, n)}
	vals := make([]string, n*nattrs)
	set := make([]bool, n*nattrs)
	for i := range q.slots {
		q.slots[i].seq.Store(uint64(i))
		q.slots[i].rec.attrs = vals[i*nattrs : (i+1)*nattrs : (i+1)*nattrs]
		q.slots[i].rec.set = set[i*nattrs : (i+1)*nattrs : (i+1)*nattrs]
	}
	return q
}

// claim returns a slot to fill and its position, or nil when the queue is
// full. The caller fills the slot's record and calls publish.
func (q *queue) claim() (*slot, uint64) {
	pos := q.tail.Load()
	for {
		s := &q.slots[pos&q.mask]
		switch d := int64(s.seq.Load() - pos); {
		case d == 0:
			if q.tail.CompareAndSwap(pos, pos+1) {
				return s, pos
			}
			pos = q.tail.Load()
		case d < 0:
			return nil, 0 // the consumer has not freed this slot yet: full
		default:
			pos = q.tail.Load() // another producer took it
		}
	}
}

func (q *queue) publish(s *slot, pos uint64) { s.seq.Store(pos + 1) }

// peek returns the next published record, or nil if there is none yet.
// Only the consumer calls it; release frees the slot afterwards.
func (q *queue) peek() *slot {
	s := &q.slots[q.head&q.mask]
	if s.seq.Load() != q.head+1 {
		return nil
	}
	return s
}

func (q *queue) release(s *slot) {
	s.seq.Store(q.head + q.mask + 1)
	q.head++
}
