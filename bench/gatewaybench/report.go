package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Targets from the issue: Sovereign's CPU per request within 1.5× of the bare reverse proxy's,
// and its requests/s at least 0.8× of it.
const (
	maxCPURatio = 1.5
	minRPSRatio = 0.8
)

// machineInfo describes where the figures come from.
func machineInfo(o options) []string {
	model := "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel := "unknown"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	nproc := "?"
	if b, err := exec.Command("nproc").Output(); err == nil {
		nproc = string(bytes.TrimSpace(b))
	}
	pin := "off: every process may run on every CPU"
	if o.pin {
		pin = "on: the proxy under test on CPU 1; upstream and load generator on CPU 0"
	}
	return []string{
		fmt.Sprintf("date: %s", time.Now().UTC().Format("2006-01-02 15:04 UTC")),
		fmt.Sprintf("CPU: %s; nproc %s (runtime.NumCPU %d); Linux %s", model, nproc, runtime.NumCPU(), kernel),
		fmt.Sprintf("Go: %s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH),
		fmt.Sprintf("flags: -duration %s -warmup %s -concurrency %s -rounds %d -max-requests %d -chunk-delay %s -paced-delay %s -paced-concurrency %d -paced-duration %s -pin=%v",
			o.duration, o.warmup, joinInts(o.concurrency), o.rounds, o.maxRequests, o.chunkDelay, o.pacedDelay, o.pacedConc, o.pacedDuration, o.pin),
		"pinning " + pin,
	}
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ",")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/1e6) }

func msNum(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/1e6) }

func (m *measurement) rps() float64 { return float64(m.res.requests) / m.res.elapsed.Seconds() }

// perReq returns CPU seconds per request in µs, -1 when unknown.
func (m *measurement) perReq(sec float64) float64 {
	if sec < 0 || m.res.requests == 0 {
		return -1
	}
	return sec / float64(m.res.requests) * 1e6
}

func fmtUs(v float64) string {
	if v < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", v)
}

// baseline finds the reverse proxy's figures for the same mode and concurrency.
func baseline(ms []measurement, m *measurement) *measurement {
	for i := range ms {
		if ms[i].target == targetReverseProxy && ms[i].mode == m.mode && ms[i].concurrency == m.concurrency {
			return &ms[i]
		}
	}
	return nil
}

func printReport(w io.Writer, env []string, o options, load, paced []measurement) {
	fmt.Fprintln(w, "## Run")
	fmt.Fprintln(w)
	for _, l := range env {
		fmt.Fprintln(w, "- "+l)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "## Load: upstream answers at once (chunk delay %s)\n\n", o.chunkDelay)
	fmt.Fprintln(w, "| target | mode | conc | requests | errors | req/s | p50 ms | p99 ms | TTFB p50 ms | TTFB p99 ms | proxy CPU µs/req | req/s vs RP | CPU vs RP | targets met |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
	for i := range load {
		m := &load[i]
		ttfb50, ttfb99 := "–", "–"
		if m.mode == modeStream {
			ttfb50, ttfb99 = msNum(percentile(m.res.ttfb, 50)), msNum(percentile(m.res.ttfb, 99))
		}
		rpsRatio, cpuRatio, met := "–", "–", "–"
		if bl := baseline(load, m); bl != nil && m.target != targetReverseProxy {
			r := m.rps() / bl.rps()
			rpsRatio = fmt.Sprintf("%.2f×", r)
			c, bc := m.perReq(m.proxyCPU), bl.perReq(bl.proxyCPU)
			if c >= 0 && bc > 0 {
				cr := c / bc
				cpuRatio = fmt.Sprintf("%.2f×", cr)
				if m.target == targetSovereign || m.target == targetSovereignLog {
					met = "yes"
					if cr > maxCPURatio || r < minRPSRatio || m.res.errors > 0 {
						met = "**no**"
					}
				}
			}
		}
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %.0f | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			m.target, m.mode, m.concurrency, m.res.requests, m.res.errors, m.rps(),
			msNum(percentile(m.res.latency, 50)), msNum(percentile(m.res.latency, 99)), ttfb50, ttfb99,
			fmtUs(m.perReq(m.proxyCPU)), rpsRatio, cpuRatio, met)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Targets: Sovereign's CPU per request ≤ %.1f× the reverse proxy's and its req/s ≥ %.1f× of it, with no errors.\n\n", maxCPURatio, minRPSRatio)

	fmt.Fprintln(w, "### Where the CPU went")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| target | mode | conc | proxy CPU µs/req | upstream CPU µs/req | load generator CPU µs/req | our processes' share of the CPUs | other load | req/s per round | answers not byte-identical | log bytes/req |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
	for i := range load {
		m := &load[i]
		capacity := m.res.elapsed.Seconds() * float64(runtime.NumCPU())
		ours := (max(m.proxyCPU, 0) + m.upstreamCPU + m.clientCPU) / capacity * 100
		other := max(m.otherCPU, 0) / capacity * 100
		logPer := "–"
		if m.target == targetSovereign || m.target == targetSovereignLog {
			logPer = fmt.Sprintf("%.0f", float64(m.logBytes)/float64(max(m.res.requests, 1)))
		}
		rounds := make([]string, len(m.roundRPS))
		for j, r := range m.roundRPS {
			rounds[j] = fmt.Sprintf("%.0f", r)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %s | %.0f%% | %.0f%% | %s | %d | %s |\n", m.target, m.mode, m.concurrency,
			fmtUs(m.perReq(m.proxyCPU)), fmtUs(m.perReq(m.upstreamCPU)), fmtUs(m.perReq(m.clientCPU)), ours, other,
			strings.Join(rounds, ", "), m.res.mismatches, logPer)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Other load is CPU time the machine spent outside the three processes during the window: other programs, and interrupt work (loopback networking's softirq time) charged to no process.")
	fmt.Fprintln(w)

	if len(paced) == 0 {
		return
	}
	fmt.Fprintf(w, "## Streams paced by the upstream (%s between events, %d concurrent)\n\n", o.pacedDelay, o.pacedConc)
	fmt.Fprintf(w, "The upstream sends the first event at once and the other %d after a pause each, so a stream takes at least %s. "+
		"A gateway that relays the first chunk as soon as it arrives shows a TTFB close to direct's; one that buffers shows a TTFB near the full stream time.\n\n",
		len(splitEvents(streamFixture))-1, time.Duration(len(splitEvents(streamFixture))-1)*o.pacedDelay)
	var direct *measurement
	for i := range paced {
		if paced[i].target == targetDirect {
			direct = &paced[i]
		}
	}
	fmt.Fprintln(w, "| target | requests | errors | TTFB p50 ms | TTFB p99 ms | TTFB p50 added vs direct ms | stream p50 ms | stream p99 ms |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for i := range paced {
		m := &paced[i]
		added := "–"
		if direct != nil && m != direct {
			added = msNum(percentile(m.res.ttfb, 50) - percentile(direct.res.ttfb, 50))
		}
		fmt.Fprintf(w, "| %s | %d | %d | %s | %s | %s | %s | %s |\n", m.target, m.res.requests, m.res.errors,
			msNum(percentile(m.res.ttfb, 50)), msNum(percentile(m.res.ttfb, 99)), added,
			msNum(percentile(m.res.latency, 50)), msNum(percentile(m.res.latency, 99)))
	}
	fmt.Fprintln(w)
}
