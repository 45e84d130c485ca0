//go:build !unix

package benchcpu

import "time"

// processCPU is not measured here.
func processCPU() time.Duration { return -1 }
