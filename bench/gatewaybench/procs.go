package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// child is a process the benchmark started.
type child struct {
	name string
	cmd  *exec.Cmd
	addr string // host:port it listens on
	done chan struct{}
	err  error // its exit, valid once done is closed
}

// Pid returns the child's process id. Under taskset it is the same process: taskset execs.
func (c *child) Pid() int { return c.cmd.Process.Pid }

// exited reports the child's exit when it ended early.
func (c *child) exited() error {
	select {
	case <-c.done:
		return fmt.Errorf("%s exited: %v", c.name, c.err)
	default:
		return nil
	}
}

// stop ends the child: SIGTERM, then SIGKILL after a grace period.
func (c *child) stop() {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// pinArgs prefixes argv with taskset when cpu >= 0.
func pinArgs(cpu int, argv []string) []string {
	if cpu < 0 {
		return argv
	}
	return append([]string{"taskset", "-c", strconv.Itoa(cpu)}, argv...)
}

// startChild starts argv with its stderr (and, unless it announces, its stdout) going to logw.
// A child that announces prints "LISTEN host:port" as its first line; startChild waits for it.
func startChild(name string, argv, env []string, logw io.Writer, announces bool) (*child, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stderr = logw
	cmd.SysProcAttr = childAttr()
	var stdout io.ReadCloser
	if announces {
		var err error
		if stdout, err = cmd.StdoutPipe(); err != nil {
			return nil, err
		}
	} else {
		cmd.Stdout = logw
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, done: make(chan struct{})}
	lines := make(chan string, 1)
	if announces {
		go func() {
			br := bufio.NewReader(stdout)
			line, _ := br.ReadString('\n')
			lines <- strings.TrimSpace(line)
			_, _ = io.Copy(io.Discard, br)
		}()
	}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	if !announces {
		return c, nil
	}
	select {
	case line := <-lines:
		addr, ok := strings.CutPrefix(line, "LISTEN ")
		if !ok {
			c.stop()
			return nil, fmt.Errorf("%s did not announce its address (got %q)", name, line)
		}
		c.addr = addr
		return c, nil
	case <-time.After(10 * time.Second):
		c.stop()
		return nil, fmt.Errorf("%s did not start within 10s", name)
	}
}

// freeAddr returns a loopback address that was free a moment ago, for a child that cannot
// announce its own (sovereign takes its address from configuration).
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitHTTP polls url until it answers 200.
func waitHTTP(ctx context.Context, c *child, url string, within time.Duration) error {
	deadline := time.Now().Add(within)
	hc := &http.Client{Timeout: time.Second}
	for {
		resp, err := hc.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := c.exited(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready at %s within %s", c.name, url, within)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// buildSovereign builds ./cmd/sovereign of the module that holds this benchmark.
func buildSovereign(dir string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run from inside the sovereign module, or pass -sovereign-bin")
	}
	bin := filepath.Join(dir, "sovereign")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/sovereign")
	cmd.Dir = filepath.Dir(gomod)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/sovereign: %w", err)
	}
	return bin, nil
}

// sovereignConfig is the gateway's configuration for the benchmark: one OpenAI-compatible
// provider (the fake upstream), no probing of the default local ports.
func sovereignConfig(addr, upstreamURL, dataDir, level string) string {
	return fmt.Sprintf(`addr: %s
data_dir: %s
providers:
  - name: bench
    type: openai
    base_url: %s/v1
    models: [gpt-4o-mini]
discovery:
  skip_default_ports: true
log:
  level: %s
`, addr, dataDir, upstreamURL, level)
}

// sovereignEnv is the environment without the variables through which Sovereign would find
// other providers or another configuration.
func sovereignEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasSuffix(k, "_API_KEY"), strings.HasSuffix(k, "_BASE_URL"),
			k == "OLLAMA_HOST", strings.HasPrefix(k, "SOVEREIGN_"):
			continue
		}
		out = append(out, kv)
	}
	return out
}

// clockTicks is the unit of utime and stime in /proc/<pid>/stat.
func clockTicks() int64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil && n > 0 {
			return n
		}
	}
	return 100
}

// cpuTicks returns utime+stime of a process (all its threads), in clock ticks.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b)
}

// parseStatCPU reads fields 14 (utime) and 15 (stime) of /proc/<pid>/stat. The command name
// (field 2) is in parentheses and may hold spaces, so fields are counted after its ")".
func parseStatCPU(b []byte) (int64, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("malformed /proc stat times")
	}
	return u + s, nil
}

// pinSelf moves every thread of this process to cpu. Threads the Go runtime starts later are
// cloned from these and inherit the mask.
func pinSelf(cpu int) error {
	out, err := exec.Command("taskset", "-a", "-p", "-c", strconv.Itoa(cpu), strconv.Itoa(os.Getpid())).CombinedOutput()
	if err != nil {
		return fmt.Errorf("taskset: %v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}
