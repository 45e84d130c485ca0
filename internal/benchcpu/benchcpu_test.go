package benchcpu

import (
	"runtime"
	"testing"
)

// A benchmark that burns CPU reports CPU time per iteration, and at least some of it.
func BenchmarkSpin(b *testing.B) {
	defer Start(b).Report("cpu-µs/op")
	x := 0
	for b.Loop() {
		for i := range 100_000 {
			x += i
		}
	}
	runtime.KeepAlive(x)
}

func TestProcessCPUAdvances(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("no process CPU time here")
	}
	before := processCPU()
	x := 0
	for i := range 50_000_000 {
		x += i
	}
	runtime.KeepAlive(x)
	if after := processCPU(); before < 0 || after <= before {
		t.Fatalf("process CPU time went from %v to %v over a busy loop", before, after)
	}
}
