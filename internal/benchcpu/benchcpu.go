// Package benchcpu reports the CPU time a benchmark's iterations cost the whole process, next
// to the wall time that go test reports. On a shared machine the CPU time varies less than the
// wall time does, because time spent waiting for a core is not in it, and it includes the
// background work the iterations caused (a batching writer's goroutine, the garbage collector).
// Only benchmarks import it.
//
//	defer benchcpu.Start(b).Report("cpu-µs/op")
package benchcpu

import (
	"testing"
	"time"
)

// Meter is the process's CPU time at a benchmark's start.
type Meter struct {
	b     *testing.B
	start time.Duration
}

// Start reads the process's CPU time now.
func Start(b *testing.B) Meter {
	return Meter{b: b, start: processCPU()}
}

// Report reports the CPU time used since Start, in microseconds per iteration, under unit. On
// systems where the process's CPU time cannot be read it reports nothing.
func (m Meter) Report(unit string) {
	if m.b.N == 0 || m.start < 0 {
		return
	}
	if now := processCPU(); now >= 0 {
		m.b.ReportMetric(float64(now-m.start)/float64(time.Microsecond)/float64(m.b.N), unit)
	}
}
