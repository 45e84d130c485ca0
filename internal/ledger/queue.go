package ledger

import "slices"

// queue is the writer's records not yet written, oldest first: a ring buffer that keeps its
// array from batch to batch. Appending to a slice that the writer cut from the front made the
// runtime copy every waiting record again each time the slice grew, which cost more CPU than
// SQLite spent storing them; the ring copies a record once when it grows, and its array grows
// only to the largest backlog. It is not safe for concurrent use (the writer's mutex guards it).
type queue struct {
	buf  []Record // len is 0 or a power of two
	head int      // index in buf of the oldest record
	n    int      // records held
}

// Len returns how many records the queue holds.
func (q *queue) Len() int { return q.n }

// Push appends rec.
func (q *queue) Push(rec Record) {
	if q.n == len(q.buf) {
		q.grow()
	}
	q.buf[(q.head+q.n)&(len(q.buf)-1)] = rec
	q.n++
}

func (q *queue) grow() {
	buf := make([]Record, max(64, 2*len(q.buf)))
	q.copyTo(buf, q.n)
	q.buf, q.head = buf, 0
}

// At returns the i-th oldest record, for amending it in place.
func (q *queue) At(i int) *Record { return &q.buf[(q.head+i)&(len(q.buf)-1)] }

// copyTo copies the n oldest records into dst and returns how many it copied.
func (q *queue) copyTo(dst []Record, n int) int {
	n = min(n, q.n, len(dst))
	if n == 0 {
		return 0
	}
	first := copy(dst[:n], q.buf[q.head:])
	copy(dst[first:n], q.buf)
	return n
}

// Head appends the n oldest records (fewer when the queue holds fewer) to dst and returns it.
func (q *queue) Head(dst []Record, n int) []Record {
	n = min(n, q.n)
	start := len(dst)
	dst = slices.Grow(dst, n)[:start+n]
	q.copyTo(dst[start:], n)
	return dst
}

// Pop drops the n oldest records, letting go of their prompts and metadata. An array that a
// burst grew beyond keep records is let go once the queue is empty.
func (q *queue) Pop(n, keep int) {
	n = min(n, q.n)
	for i := range n {
		*q.At(i) = Record{}
	}
	q.head = (q.head + n) & (len(q.buf) - 1)
	q.n -= n
	if q.n == 0 {
		q.head = 0
		if len(q.buf) > keep {
			q.buf = nil
		}
	}
}
