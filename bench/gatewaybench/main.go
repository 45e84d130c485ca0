// Command gatewaybench measures what a gateway adds on the request path. It sends the same
// recorded OpenAI Chat Completions traffic, plain and streamed, to a fast fake upstream three
// ways, one after another: directly, through a bare net/http/httputil.ReverseProxy, and through
// the real sovereign binary (with log level warn, and again with the default level info). For
// each it reports requests/s, p50/p99 latency, time to first byte of a stream, and the CPU time
// the proxy process spent per request, read from /proc.
//
// Every part runs as its own process (the upstream and the reverse proxy are this binary started
// again with the hidden -role flag), so the CPU time of each can be read apart. Traffic goes to
// 127.0.0.1 only. Linux only: CPU time comes from /proc/<pid>/stat.
//
//	go run ./bench/gatewaybench -duration 10s -concurrency 16,64
//
// See docs/BENCHMARKS.md for the figures and how to read them.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The recorded traffic; see testdata/PROVENANCE.md.
var (
	//go:embed testdata/plain_raw.request.json
	requestFixture []byte
	//go:embed testdata/plain_raw.response.json
	responseFixture []byte
	//go:embed testdata/stream_text_include_usage.response.sse
	streamFixture []byte
)

// Target names.
const (
	targetDirect       = "direct"
	targetReverseProxy = "reverseproxy"
	targetSovereign    = "sovereign"
	targetSovereignLog = "sovereign-info-log"
)

// Modes.
const (
	modePlain  = "non-stream"
	modeStream = "stream"
)

type options struct {
	duration      time.Duration
	warmup        time.Duration
	concurrency   []int
	maxRequests   int
	targets       []string
	modes         []string
	chunkDelay    time.Duration
	pacedDelay    time.Duration
	pacedConc     int
	pacedDuration time.Duration
	pin           bool
	sovereignBin  string
	workDir       string
	rounds        int
	quietWait     time.Duration
	quietBusy     float64
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gatewaybench:", err)
		os.Exit(1)
	}
}

func run() error {
	var o options
	var conc, targets, modes string
	// Hidden flags: the child roles.
	role := flag.String("role", "", "internal: run as the fake upstream (upstream) or the bare reverse proxy (proxy)")
	listen := flag.String("listen", "127.0.0.1:0", "internal: listen address of a role")
	upstream := flag.String("upstream", "", "internal: upstream URL of the proxy role")
	conns := flag.Int("conns", 64, "internal: idle connections per host of the proxy role")

	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per target, mode and concurrency")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured warm-up before each measurement")
	flag.StringVar(&conc, "concurrency", "32", "concurrent client connections; a comma-separated list runs each")
	flag.IntVar(&o.maxRequests, "max-requests", 2_000_000, "upper bound on requests in one measurement")
	flag.StringVar(&targets, "targets", strings.Join([]string{targetDirect, targetReverseProxy, targetSovereign, targetSovereignLog}, ","), "targets to measure, in order")
	flag.StringVar(&modes, "modes", modePlain+","+modeStream, "modes to measure")
	flag.DurationVar(&o.chunkDelay, "chunk-delay", 0, "the upstream's pause between stream events in the load runs")
	flag.DurationVar(&o.pacedDelay, "paced-delay", 10*time.Millisecond, "pause between events in the extra paced-stream run that checks a stream's first chunk is relayed at once; 0 skips it")
	flag.IntVar(&o.pacedConc, "paced-concurrency", 4, "concurrency of the paced-stream run")
	flag.DurationVar(&o.pacedDuration, "paced-duration", 3*time.Second, "measured time of the paced-stream run per target")
	flag.BoolVar(&o.pin, "pin", false, "pin the process under test to CPU 1 and everything else to CPU 0 (taskset)")
	flag.StringVar(&o.sovereignBin, "sovereign-bin", "", "a built sovereign binary; empty builds ./cmd/sovereign into a temporary directory")
	flag.StringVar(&o.workDir, "workdir", "", "where configuration and logs go; empty means a temporary directory, removed afterwards")
	flag.IntVar(&o.rounds, "rounds", 1, "measure every target this many times, interleaved, and pool the figures")
	flag.DurationVar(&o.quietWait, "quiet-wait", 30*time.Second, "before each measurement, wait up to this long for the machine to be mostly idle; 0 never waits")
	flag.Float64Var(&o.quietBusy, "quiet-busy", 0.15, "the busy fraction of all CPUs under which the machine counts as idle")
	flag.Parse()

	switch *role {
	case "upstream":
		return serveUpstream(*listen, o.chunkDelay)
	case "proxy":
		return serveProxy(*listen, *upstream, *conns)
	case "":
	default:
		return fmt.Errorf("unknown -role %q", *role)
	}

	var err error
	if o.concurrency, err = parseInts(conc); err != nil {
		return fmt.Errorf("-concurrency: %w", err)
	}
	o.targets = splitList(targets)
	for _, t := range o.targets {
		switch t {
		case targetDirect, targetReverseProxy, targetSovereign, targetSovereignLog:
		default:
			return fmt.Errorf("-targets: unknown target %q", t)
		}
	}
	o.modes = splitList(modes)
	for _, m := range o.modes {
		if m != modePlain && m != modeStream {
			return fmt.Errorf("-modes: unknown mode %q (use %s, %s)", m, modePlain, modeStream)
		}
	}
	if o.duration <= 0 || o.maxRequests <= 0 || o.rounds <= 0 {
		return errors.New("-duration, -max-requests and -rounds must be positive")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return orchestrate(ctx, o)
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("empty")
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
