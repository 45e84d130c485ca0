package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// measurement is one target × mode × concurrency.
type measurement struct {
	target      string
	mode        string
	concurrency int
	res         loadResult
	// CPU seconds spent during the measured window by the proxy under test (-1: none, as for
	// direct), the upstream and this process (the load generator).
	proxyCPU    float64
	upstreamCPU float64
	clientCPU   float64
	// logBytes is what the proxy wrote to its log during the window.
	logBytes int64
	// otherCPU is CPU time of the whole machine during the window that none of the three
	// processes used: other programs, and interrupt work charged to no process.
	otherCPU float64
	// roundRPS is requests/s of each round merged into this measurement.
	roundRPS []float64
}

// merge adds another round's figures of the same target, mode and concurrency.
func (m *measurement) merge(o measurement) {
	m.res.requests += o.res.requests
	m.res.errors += o.res.errors
	m.res.mismatches += o.res.mismatches
	if m.res.firstErr == "" {
		m.res.firstErr = o.res.firstErr
	}
	m.res.elapsed += o.res.elapsed
	m.res.latency = append(m.res.latency, o.res.latency...)
	m.res.ttfb = append(m.res.ttfb, o.res.ttfb...)
	slices.Sort(m.res.latency)
	slices.Sort(m.res.ttfb)
	if m.proxyCPU >= 0 {
		m.proxyCPU += o.proxyCPU
	}
	m.upstreamCPU += o.upstreamCPU
	m.clientCPU += o.clientCPU
	m.logBytes += o.logBytes
	m.otherCPU += o.otherCPU
	m.roundRPS = append(m.roundRPS, o.roundRPS...)
}

// bench holds what every phase shares.
type bench struct {
	o         options
	self      string // this binary, re-executed for the roles
	sovereign string // the sovereign binary
	dir       string // configuration and logs
	clk       float64
	stderr    io.Writer
}

// cpu returns the CPU a process runs on: -1 (any) unless pinning.
func (b *bench) cpu(underTest bool) int {
	switch {
	case !b.o.pin:
		return -1
	case underTest:
		return 1
	}
	return 0
}

func orchestrate(ctx context.Context, o options) error {
	b := &bench{o: o, dir: o.workDir, clk: float64(clockTicks()), stderr: os.Stderr}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return fmt.Errorf("this benchmark reads CPU time from /proc (Linux only): %w", err)
	}
	if b.dir == "" {
		d, err := os.MkdirTemp("", "gatewaybench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		b.dir = d
	} else if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	b.self = self
	if o.pin {
		if _, err := exec.LookPath("taskset"); err != nil {
			return fmt.Errorf("-pin needs taskset: %w", err)
		}
		if err := pinSelf(b.cpu(false)); err != nil {
			return err
		}
	}
	for _, t := range o.targets {
		if t == targetSovereign || t == targetSovereignLog {
			if o.sovereignBin != "" {
				b.sovereign = o.sovereignBin
			} else {
				fmt.Fprintln(b.stderr, "building ./cmd/sovereign …")
				if b.sovereign, err = buildSovereign(b.dir); err != nil {
					return err
				}
			}
			break
		}
	}

	env := machineInfo(o)
	loadRuns, err := b.phase(ctx, o.chunkDelay, o.modes, o.concurrency, o.warmup, o.duration)
	if err != nil {
		return err
	}
	var paced []measurement
	if o.pacedDelay > 0 {
		paced, err = b.phase(ctx, o.pacedDelay, []string{modeStream}, []int{o.pacedConc}, min(o.warmup, time.Second), o.pacedDuration)
		if err != nil {
			return err
		}
	}
	printReport(os.Stdout, env, o, loadRuns, paced)
	return nil
}

// phase starts an upstream with the given pause between stream events and measures every
// target against it, one after another.
func (b *bench) phase(ctx context.Context, delay time.Duration, modes []string, concs []int, warmup, d time.Duration) ([]measurement, error) {
	up, err := startChild("upstream", pinArgs(b.cpu(false), []string{b.self, "-role", "upstream", "-chunk-delay", delay.String()}),
		os.Environ(), b.stderr, true)
	if err != nil {
		return nil, err
	}
	defer up.stop()
	upURL := "http://" + up.addr
	maxConc := 0
	for _, c := range concs {
		maxConc = max(maxConc, c)
	}
	var out []measurement
	for round := 1; round <= b.o.rounds; round++ {
		if b.o.rounds > 1 {
			fmt.Fprintf(b.stderr, "round %d of %d\n", round, b.o.rounds)
		}
		for _, target := range b.o.targets {
			ms, err := b.measureTarget(ctx, target, up, upURL, modes, concs, maxConc, warmup, d)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", target, err)
			}
			if round == 1 {
				out = append(out, ms...)
				continue
			}
			for _, m := range ms {
				for i := range out {
					if out[i].target == m.target && out[i].mode == m.mode && out[i].concurrency == m.concurrency {
						out[i].merge(m)
					}
				}
			}
		}
	}
	return out, nil
}

func (b *bench) measureTarget(ctx context.Context, target string, up *child, upURL string, modes []string, concs []int,
	maxConc int, warmup, d time.Duration) ([]measurement, error) {
	base, model := upURL, "gpt-4o-mini"
	var proxy *child
	var logPath string
	switch target {
	case targetReverseProxy:
		p, err := startChild(target, pinArgs(b.cpu(true), []string{b.self, "-role", "proxy", "-upstream", upURL, "-conns", strconv.Itoa(maxConc)}),
			os.Environ(), b.stderr, true)
		if err != nil {
			return nil, err
		}
		proxy, base = p, "http://"+p.addr
	case targetSovereign, targetSovereignLog:
		level := "warn"
		if target == targetSovereignLog {
			level = "info"
		}
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		cfg := filepath.Join(b.dir, target+".yaml")
		if err := os.WriteFile(cfg, []byte(sovereignConfig(addr, upURL, filepath.Join(b.dir, "data"), level)), 0o600); err != nil {
			return nil, err
		}
		// The log goes to a file, as it would to a terminal or journal: its writes are part of
		// the gateway's cost.
		logPath = filepath.Join(b.dir, target+".log")
		logf, err := os.Create(logPath)
		if err != nil {
			return nil, err
		}
		defer logf.Close()
		p, err := startChild(target, pinArgs(b.cpu(true), []string{b.sovereign, "serve", "--config", cfg}), sovereignEnv(), logf, false)
		if err != nil {
			return nil, err
		}
		proxy, base, model = p, "http://"+addr, "bench/gpt-4o-mini"
		if err := waitHTTP(ctx, p, base+"/readyz", 15*time.Second); err != nil {
			p.stop()
			return nil, err
		}
	}
	if proxy != nil {
		defer proxy.stop()
	}

	var out []measurement
	for _, conc := range concs {
		hc := newClient(conc)
		for _, mode := range modes {
			stream := mode == modeStream
			body, err := requestBody(model, stream)
			if err != nil {
				return nil, err
			}
			spec := loadSpec{url: base + "/v1/chat/completions", body: body, stream: stream, expect: responseFixture, concurrency: conc}
			if stream {
				spec.expect = streamFixture
			}
			b.waitQuiet(ctx)
			fmt.Fprintf(b.stderr, "%-18s %-10s c=%-3d warm-up %s, measure %s …\n", target, mode, conc, warmup, d)
			if warmup > 0 {
				if w := runLoad(ctx, hc, spec, warmup, b.o.maxRequests); w.errors > 0 {
					fmt.Fprintf(b.stderr, "  warm-up: %d errors, first: %s\n", w.errors, w.firstErr)
				}
			}
			m := measurement{target: target, mode: mode, concurrency: conc, proxyCPU: -1}
			before, err := b.snapshot(proxy, up, logPath)
			if err != nil {
				return nil, err
			}
			m.res = runLoad(ctx, hc, spec, d, b.o.maxRequests)
			after, err := b.snapshot(proxy, up, logPath)
			if err != nil {
				return nil, err
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if proxy != nil {
				m.proxyCPU = (after.proxy - before.proxy) / b.clk
				if err := proxy.exited(); err != nil {
					return nil, err
				}
			}
			m.upstreamCPU = (after.upstream - before.upstream) / b.clk
			m.clientCPU = (after.client - before.client) / b.clk
			m.logBytes = after.log - before.log
			m.otherCPU = (after.machine - before.machine) / b.clk
			m.otherCPU -= max(m.proxyCPU, 0) + m.upstreamCPU + m.clientCPU
			m.roundRPS = []float64{float64(m.res.requests) / m.res.elapsed.Seconds()}
			fmt.Fprintf(b.stderr, "  %d requests, %.0f req/s, %d errors, p50 %s, p99 %s\n", m.res.requests,
				float64(m.res.requests)/m.res.elapsed.Seconds(), m.res.errors, ms(percentile(m.res.latency, 50)), ms(percentile(m.res.latency, 99)))
			if m.res.errors > 0 {
				fmt.Fprintf(b.stderr, "  first error: %s\n", m.res.firstErr)
			}
			out = append(out, m)
		}
		hc.CloseIdleConnections()
	}
	return out, nil
}

type snap struct {
	proxy, upstream, client float64 // clock ticks
	machine                 float64 // busy clock ticks of all CPUs together
	log                     int64
}

func (b *bench) snapshot(proxy, up *child, logPath string) (snap, error) {
	var s snap
	var err error
	var t int64
	if proxy != nil {
		if t, err = cpuTicks(proxy.Pid()); err != nil {
			return s, fmt.Errorf("%s CPU time: %w", proxy.name, err)
		}
		s.proxy = float64(t)
	}
	if t, err = cpuTicks(up.Pid()); err != nil {
		return s, fmt.Errorf("upstream CPU time: %w", err)
	}
	s.upstream = float64(t)
	if t, err = cpuTicks(os.Getpid()); err != nil {
		return s, err
	}
	s.client = float64(t)
	busy, _, err := machineTicks()
	if err != nil {
		return s, err
	}
	s.machine = float64(busy)
	if logPath != "" {
		if fi, err := os.Stat(logPath); err == nil {
			s.log = fi.Size()
		}
	}
	return s, nil
}

// machineTicks returns the busy and total clock ticks of all CPUs from /proc/stat. Busy counts
// user, nice, system, irq, softirq and steal time; guest time is already part of user.
func machineTicks() (busy, total int64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, errors.New("malformed /proc/stat")
	}
	var v [8]int64
	for i := range v {
		if v[i], err = strconv.ParseInt(f[i+1], 10, 64); err != nil {
			return 0, 0, errors.New("malformed /proc/stat")
		}
	}
	// user nice system idle iowait irq softirq steal
	busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
	return busy, busy + v[3] + v[4], nil
}

// waitQuiet waits, up to -quiet-wait, until the machine is mostly idle before a measurement,
// since on a small shared machine other programs' work would be counted against the target
// that happens to run beside it. It never fails: the window's other load is reported anyway.
func (b *bench) waitQuiet(ctx context.Context) {
	if b.o.quietWait <= 0 {
		return
	}
	deadline := time.Now().Add(b.o.quietWait)
	for said := false; ; {
		b0, t0, err := machineTicks()
		if err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
		b1, t1, err := machineTicks()
		if err != nil || t1 == t0 {
			return
		}
		busy := float64(b1-b0) / float64(t1-t0)
		if busy <= b.o.quietBusy {
			return
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(b.stderr, "  machine still %.0f%% busy after %s; measuring anyway\n", busy*100, b.o.quietWait)
			return
		}
		if !said {
			fmt.Fprintf(b.stderr, "  machine %.0f%% busy with other work; waiting up to %s …\n", busy*100, b.o.quietWait)
			said = true
		}
	}
}
