package route

import (
	"encoding/json"
	"math"
	"reflect"
	"sync"
	"testing"
)

func TestAdjusterDirection(t *testing.T) {
	a := NewAdjuster(AdjusterOpts{})
	if a.Offset(TagCode) != 0 {
		t.Fatal("a tag never seen must have offset 0")
	}
	a.Observe(TagCode, true, false)
	if o := a.Offset(TagCode); !(o > 0) {
		t.Errorf("a local failure gave offset %v, want > 0", o)
	}
	b := NewAdjuster(AdjusterOpts{})
	b.Observe(TagCode, true, true)
	if o := b.Offset(TagCode); !(o < 0) {
		t.Errorf("a local success gave offset %v, want < 0", o)
	}
	// Cloud outcomes say nothing about the local model.
	c := NewAdjuster(AdjusterOpts{})
	for range 100 {
		c.Observe(TagCode, false, false)
	}
	if o := c.Offset(TagCode); o != 0 {
		t.Errorf("cloud failures moved the offset to %v", o)
	}
	// Tags are independent.
	if a.Offset(TagMath) != 0 {
		t.Error("code outcomes moved math")
	}
}

func TestAdjusterBounded(t *testing.T) {
	a := NewAdjuster(AdjusterOpts{})
	for range 10000 {
		a.Observe(TagMath, true, false)
	}
	if o := a.Offset(TagMath); o != 0.2 {
		t.Errorf("after endless failures offset = %v, want the bound 0.2", o)
	}
	for range 10000 {
		a.Observe(TagMath, true, true)
	}
	// With the default baseline 0.15 and gain 1, perfect success reaches -0.15, inside the bound.
	if o := a.Offset(TagMath); math.Abs(o+0.15) > 1e-9 {
		t.Errorf("after endless successes offset = %v, want -0.15", o)
	}
	tight := NewAdjuster(AdjusterOpts{Max: 0.05, Gain: 4})
	for range 1000 {
		tight.Observe(TagMath, true, true)
	}
	if o := tight.Offset(TagMath); o != -0.05 {
		t.Errorf("offset = %v, want the bound -0.05", o)
	}
}

// Old evidence fades: a run of failures is undone by a later run of successes.
func TestAdjusterReversible(t *testing.T) {
	a := NewAdjuster(AdjusterOpts{Alpha: 0.1})
	for range 50 {
		a.Observe(TagWriting, true, false)
	}
	high := a.Offset(TagWriting)
	for range 50 {
		a.Observe(TagWriting, true, true)
	}
	low := a.Offset(TagWriting)
	if !(high > 0.15 && low < 0) {
		t.Errorf("offset went %v then %v", high, low)
	}
	// At the baseline failure rate the offset settles near 0: one failure in ~7 outcomes.
	b := NewAdjuster(AdjusterOpts{Alpha: 0.01, Baseline: 0.125})
	for i := range 8000 {
		b.Observe(TagChat, true, i%8 != 0)
	}
	if o := b.Offset(TagChat); math.Abs(o) > 0.02 {
		t.Errorf("at the baseline rate offset = %v, want ≈ 0", o)
	}
}

func TestAdjusterSnapshotRestore(t *testing.T) {
	a := NewAdjuster(AdjusterOpts{})
	for i := range 30 {
		a.Observe(TagCode, true, i%3 == 0)
		a.Observe(TagChat, i%2 == 0, true)
	}
	snap := a.Snapshot()
	if len(snap) != 2 || snap[0].Tag != TagChat || snap[1].Tag != TagCode || snap[1].Local != 30 || snap[0].Cloud != 15 {
		t.Fatalf("snapshot = %+v", snap)
	}
	// Through JSON, as persistence would.
	b, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	var back []TagState
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	r := NewAdjuster(AdjusterOpts{})
	if err := r.Restore(back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Snapshot(), snap) || r.Offset(TagCode) != a.Offset(TagCode) {
		t.Errorf("restored %+v, want %+v", r.Snapshot(), snap)
	}
	// Restored offsets obey the restoring adjuster's bounds.
	tight := NewAdjuster(AdjusterOpts{Max: 0.01})
	if err := tight.Restore([]TagState{{Tag: TagCode, FailureRate: 0.9}}); err != nil {
		t.Fatal(err)
	}
	if o := tight.Offset(TagCode); o != 0.01 {
		t.Errorf("offset = %v, want 0.01", o)
	}
	for _, bad := range [][]TagState{
		{{Tag: "x", FailureRate: 1.5}},
		{{Tag: "x", FailureRate: math.NaN()}},
		{{Tag: "x", Local: -1}},
		{{Tag: "x"}, {Tag: "x"}},
	} {
		if err := tight.Restore(bad); err == nil {
			t.Errorf("Restore(%+v) accepted", bad)
		}
	}
	if o := tight.Offset(TagCode); o != 0.01 {
		t.Error("a failed Restore changed the state")
	}
}

// Run with -race: Observe, Offset, Snapshot and Restore from many goroutines.
func TestAdjusterConcurrent(t *testing.T) {
	a := NewAdjuster(AdjusterOpts{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tag := Tags[g%len(Tags)]
			for i := range 2000 {
				a.Observe(tag, i%2 == 0, i%5 != 0)
				if o := a.Offset(tag); o < -0.2 || o > 0.2 {
					t.Errorf("offset %v out of bounds", o)
					return
				}
				if i%500 == 0 {
					_ = a.Restore(a.Snapshot())
				}
			}
		}()
	}
	wg.Wait()
	var local int64
	for _, s := range a.Snapshot() {
		local += s.Local
	}
	if local == 0 {
		t.Error("no outcomes recorded")
	}
}

func BenchmarkAdjusterOffset(b *testing.B) {
	a := NewAdjuster(AdjusterOpts{})
	for _, tag := range Tags {
		a.Observe(tag, true, false)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a.Offset(TagCode)
		}
	})
}
