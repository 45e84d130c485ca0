package ledger

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// The ring queue against a plain slice, through random pushes, reads, amendments and pops
// that wrap around its array and grow it while wrapped.
func TestQueueMatchesSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var q queue
	var want []Record
	seq := 0
	for step := range 20_000 {
		switch op := rng.IntN(10); {
		case op < 6:
			for range rng.IntN(40) {
				seq++
				r := Record{RequestID: fmt.Sprint(seq), Prompt: "p"}
				q.Push(r)
				want = append(want, r)
			}
		case op < 7 && len(want) > 0:
			i := rng.IntN(len(want))
			q.At(i).Outcome = "amended"
			want[i].Outcome = "amended"
		default:
			n := rng.IntN(70)
			got := q.Head([]Record{{RequestID: "kept"}}, n)
			k := min(n, len(want))
			if len(got) != k+1 || got[0].RequestID != "kept" {
				t.Fatalf("step %d: Head(%d) gave %d records after the one kept, want %d", step, n, len(got)-1, k)
			}
			for i := range k {
				if !reflect.DeepEqual(got[i+1], want[i]) {
					t.Fatalf("step %d: Head record %d is %+v, want %+v", step, i, got[i+1], want[i])
				}
			}
			q.Pop(k, 256)
			want = want[k:]
		}
		if q.Len() != len(want) {
			t.Fatalf("step %d: Len %d, want %d", step, q.Len(), len(want))
		}
	}
	// Popped slots hold nothing: no prompt outlives its write.
	for i, r := range q.buf {
		in := (i-q.head+len(q.buf))&(len(q.buf)-1) < q.n
		if !in && !reflect.DeepEqual(r, Record{}) {
			t.Fatalf("slot %d outside the queue still holds %+v", i, r)
		}
	}
}

// An array grown by a burst is let go once the burst is written; a small one is kept.
func TestQueueShrinksAfterBurst(t *testing.T) {
	var q queue
	for i := range 1000 {
		q.Push(Record{RequestID: fmt.Sprint(i)})
	}
	q.Pop(1000, 512)
	if q.buf != nil || q.Len() != 0 {
		t.Fatalf("after a burst of 1000 with keep 512: array of %d, %d records", len(q.buf), q.Len())
	}
	for i := range 10 {
		q.Push(Record{RequestID: fmt.Sprint(i)})
	}
	q.Pop(10, 512)
	if len(q.buf) != 64 {
		t.Fatalf("a small array was not kept: len %d", len(q.buf))
	}
}
