package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/ledger"
	"github.com/sovereign-gateway/sovereign/internal/ledger/sqlite"
)

// Bounds of a load run: it ends at whichever comes first.
const (
	loadClients  = 16
	loadRequests = 2000
	loadDuration = 3 * time.Second
	// The signal goes out after this many complete answers, or after loadSignalAt.
	loadSignalAfter = 1000
	loadSignalAt    = 1500 * time.Millisecond
	// Fewer complete answers than this before the signal say nothing about durability.
	loadEnough = 50
)

// loadResult is what the clients of a load run saw.
type loadResult struct {
	complete []string // request ids of the answers received completely
	sent     int64    // requests begun
	stopped  int64    // clients stopped by an error (connection refused or reset, a cut answer)
}

// driveLoad sends plain and streamed chat requests from loadClients goroutines until the
// bounds above, calling signal once mid-load. Each client stops at its first error. An answer
// is complete when it is a 200 with the recorded body, or a 200 stream that ends in [DONE].
func driveLoad(t *testing.T, g *gateway, signal func()) loadResult {
	t.Helper()
	plainWant := fixture(t, "openai-chat/plain.response.json")
	tr := &http.Transport{MaxIdleConnsPerHost: loadClients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second} // a failure bound
	plainBody, sseBody := chatBody("fakeai/gpt-4o-mini", nil), chatBody("fakeai/gpt-4o-mini", map[string]any{"stream": true})
	ctx := testCtx(t)
	deadline := time.Now().Add(loadDuration)
	var (
		sent, done, stopped atomic.Int64
		mu                  sync.Mutex
		complete            []string
		wg                  sync.WaitGroup
		// An error before the signal is a bug, not the cut: early counts them, first keeps one.
		early     atomic.Int64
		first     atomic.Value
		signalled atomic.Bool
		once      sync.Once
	)
	fire := func() {
		once.Do(func() {
			signalled.Store(true)
			signal()
		})
	}
	timer := time.AfterFunc(loadSignalAt, fire)
	defer timer.Stop()
	for range loadClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := sent.Add(1)
				if n > loadRequests || time.Now().After(deadline) {
					sent.Add(-1)
					return
				}
				stream := n%2 == 0
				body := plainBody
				if stream {
					body = sseBody
				}
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL+"/v1/chat/completions", bytes.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				req.Header.Set("Content-Type", "application/json")
				ok, id, why := func() (bool, string, string) {
					resp, err := client.Do(req)
					if err != nil {
						return false, "", err.Error()
					}
					defer resp.Body.Close()
					b, err := io.ReadAll(resp.Body)
					id := resp.Header.Get("X-Sovereign-Request-Id")
					switch {
					case err != nil:
						return false, id, "reading: " + err.Error()
					case resp.StatusCode != http.StatusOK:
						return false, id, fmt.Sprintf("status %d: %s", resp.StatusCode, b)
					case !stream && !bytes.Equal(b, plainWant):
						return false, id, fmt.Sprintf("body differs from the recording: %s", b)
					case stream && !bytes.HasSuffix(b, []byte("data: [DONE]\n\n")):
						return false, id, fmt.Sprintf("stream without [DONE]: %s", b)
					}
					return true, id, ""
				}()
				if !ok {
					stopped.Add(1)
					if !signalled.Load() {
						early.Add(1)
						first.CompareAndSwap(nil, why)
					}
					return
				}
				mu.Lock()
				complete = append(complete, id)
				mu.Unlock()
				if done.Add(1) == loadSignalAfter {
					fire()
				}
			}
		}()
	}
	wg.Wait()
	if n := early.Load(); n > 0 {
		t.Errorf("%d clients failed before the signal; the first: %v", n, first.Load())
	}
	if !signalled.Load() {
		t.Errorf("the load ended (%d requests) before the signal went out", sent.Load())
		fire()
	}
	return loadResult{complete: complete, sent: sent.Load(), stopped: stopped.Load()}
}

// TestLedgerDurability drives load through a real `sovereign serve` and stops it mid-load:
// with SIGTERM in batched mode, and with SIGKILL (kill -9) in strict mode. Either way every
// answer a client received completely is in the ledger, with outcome ok.
func TestLedgerDurability(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		durability string
		sig        syscall.Signal
	}{
		{"batched, SIGTERM", ledger.DurabilityBatched, syscall.SIGTERM},
		{"strict, SIGKILL", ledger.DurabilityStrict, syscall.SIGKILL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeOpenAI(t, nil)
			dataDir := t.TempDir()
			g := startGatewayIn(t, fakeaiConfig(fake)+"ledger:\n  durability: "+tc.durability+"\n", dataDir)
			res := driveLoad(t, g, func() { _ = g.cmd.Process.Signal(tc.sig) })
			select {
			case <-g.exited:
			case <-time.After(30 * time.Second): // a failure bound, not a timing assertion
				g.kill()
				t.Fatalf("gateway still running 30s after %v", tc.sig)
			}
			ws := g.cmd.ProcessState.Sys().(syscall.WaitStatus)
			switch {
			case tc.sig == syscall.SIGTERM && ws.ExitStatus() != 0:
				t.Errorf("exit status %d after SIGTERM, want 0", ws.ExitStatus())
			case tc.sig == syscall.SIGKILL && !(ws.Signaled() && ws.Signal() == syscall.SIGKILL):
				t.Errorf("process state %v, want killed by SIGKILL", g.cmd.ProcessState)
			}
			if res.stopped == 0 {
				t.Errorf("no client saw the gateway go away: the signal did not land mid-load")
			}
			if len(res.complete) < loadEnough {
				t.Fatalf("only %d complete answers: too little load to say anything", len(res.complete))
			}

			recs := readLedger(t, dataDir)
			byID := recordsByID(t, recs)
			missing := 0
			for _, id := range res.complete {
				r, ok := byID[id]
				switch {
				case !ok:
					missing++
					if missing <= 5 {
						t.Errorf("request %s was answered completely but has no record", id)
					}
				case r.Outcome != ledger.OutcomeOK || r.Status != http.StatusOK:
					t.Errorf("request %s: outcome %s status %d, want ok 200", id, r.Outcome, r.Status)
				}
			}
			if missing > 5 {
				t.Errorf("… %d answered requests in all have no record", missing)
			}
			if int64(len(recs)) > res.sent {
				t.Errorf("%d records for %d requests sent", len(recs), res.sent)
			}
			if tc.sig == syscall.SIGTERM {
				// A graceful stop finishes what it started: nothing recorded as cut.
				for _, r := range recs {
					if r.Outcome != ledger.OutcomeOK {
						t.Errorf("request %s: outcome %s (%s) after a graceful stop", r.RequestID, r.Outcome, r.ErrorCode)
					}
				}
			}
			t.Logf("%d requests sent, %d answered completely, %d records, %d clients stopped by %v",
				res.sent, len(res.complete), len(recs), res.stopped, tc.sig)
		})
	}
}

// TestLedgerCorruptDatabase: a ledger file that is not a usable database stops `sovereign
// serve` at once, with a message that names the file and the fix; the gateway never runs
// without its ledger (no in-memory fallback) and leaves the file as it was.
func TestLedgerCorruptDatabase(t *testing.T) {
	t.Parallel()
	damaged := func(t *testing.T, path string) {
		// A real ledger with its pages past the first overwritten: the header is valid, the
		// b-trees are not.
		s, err := sqlite.Open(path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		recs := make([]ledger.Record, 500)
		for i := range recs {
			recs[i] = ledger.Record{Time: time.Now().UTC(), RequestID: fmt.Sprintf("req_%06d", i), Ingress: "openai.chat",
				RequestedModel: "fakeai/gpt-4o-mini", Route: "cloud", Provider: "fakeai", Model: "gpt-4o-mini",
				InputTokens: 11, OutputTokens: 809, Status: 200, Outcome: ledger.OutcomeOK}
		}
		if err := s.Insert(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 4*4096 {
			t.Fatalf("the ledger is only %d bytes", len(b))
		}
		garbage := bytes.Repeat([]byte("\xde\xad\xbe\xef"), (len(b)-4096)/4)
		copy(b[4096:], garbage)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, path string)
		want  []string // in stderr, besides the path and SOVEREIGN_DATA
	}{
		{"garbage", func(t *testing.T, path string) {
			if err := os.WriteFile(path, bytes.Repeat([]byte("this is not a database\n"), 500), 0o600); err != nil {
				t.Fatal(err)
			}
		}, []string{"not a valid SQLite database", "move it aside"}},
		{"sqlite header, garbage after", func(t *testing.T, path string) {
			b := append([]byte("SQLite format 3\x00"), bytes.Repeat([]byte{0xff}, 8192)...)
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}, []string{"move it aside"}},
		{"damaged pages", damaged, []string{"damaged", "move it aside"}},
		{"a directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}, []string{"is a directory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dataDir := t.TempDir()
			path := filepath.Join(dataDir, "ledger.db")
			tc.setup(t, path)
			before := snapshot(t, path)

			cfgPath := writeFile(t, "sovereign.yaml", "discovery:\n  skip_default_ports: true\n")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a failure bound
			defer cancel()
			cmd := exec.CommandContext(ctx, sovereignBin, "serve", "--config", cfgPath, "--addr", freeAddr(t))
			cmd.Dir = t.TempDir()
			cmd.Env = cleanEnv(t, "SOVEREIGN_DATA="+dataDir)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("sovereign serve still ran after 30s on a bad ledger; it must refuse to start\n%s", stderr.String())
			}
			if err == nil || cmd.ProcessState.ExitCode() <= 0 {
				t.Fatalf("sovereign serve: %v (exit %d), want a non-zero exit\nstderr: %s", err, cmd.ProcessState.ExitCode(), stderr.String())
			}
			msg := stderr.String()
			for _, want := range append([]string{path, "SOVEREIGN_DATA"}, tc.want...) {
				if !strings.Contains(msg, want) {
					t.Errorf("stderr lacks %q:\n%s", want, msg)
				}
			}
			if strings.Contains(msg+stdout.String(), "listening") {
				t.Errorf("the gateway started listening with a bad ledger:\n%s", msg)
			}
			if after := snapshot(t, path); after != before {
				t.Errorf("the gateway changed the bad ledger file; it must leave it for the user to inspect")
			}
		})
	}
}

// snapshot describes a path's content: a file's bytes, or a directory's listing.
func snapshot(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("dir %d entries", len(entries))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
