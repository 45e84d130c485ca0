package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/ledger"
	"github.com/sovereign-gateway/sovereign/internal/ledger/sqlite"
	"github.com/sovereign-gateway/sovereign/internal/report"
)

// startGatewayIn is startGateway with SOVEREIGN_DATA set to dataDir, so that the test can read
// the ledger once the process has ended. The test ends the process itself (terminate, or a
// signal of its own); cleanup only kills one still running, and checks the log for secrets.
func startGatewayIn(t *testing.T, cfg, dataDir string) *gateway {
	t.Helper()
	if !strings.Contains(cfg, "skip_default_ports") {
		cfg = "discovery:\n  skip_default_ports: true\n" + cfg
	}
	cfg = "log:\n  level: debug\n" + cfg
	path := filepath.Join(t.TempDir(), "sovereign.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var lastLog string
	for range 5 { // a free port can be taken between choosing and binding it
		g := &gateway{URL: "http://" + freeAddr(t), stderr: &syncBuffer{}, exited: make(chan struct{})}
		g.cmd = exec.Command(sovereignBin, "serve", "--config", path, "--addr", strings.TrimPrefix(g.URL, "http://"))
		g.cmd.Dir = t.TempDir()
		g.cmd.Env = cleanEnv(t, "SOVEREIGN_DATA="+dataDir) // the last value of a key wins
		g.cmd.Stdout, g.cmd.Stderr = g.stderr, g.stderr
		if err := g.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() {
			_ = g.cmd.Wait()
			close(g.exited)
		}()
		err := g.waitHealthy(30 * time.Second)
		if err == nil {
			t.Cleanup(func() {
				select {
				case <-g.exited:
				default:
					g.kill()
				}
				if t.Failed() {
					t.Logf("gateway log:\n%s", g.stderr.String())
				}
				checkLogPrivate(t, g.stderr.String())
			})
			return g
		}
		g.kill()
		lastLog = g.stderr.String()
		if !strings.Contains(lastLog, "address already in use") {
			t.Fatalf("gateway did not start: %v\nconfig:\n%s\nlog:\n%s", err, cfg, lastLog)
		}
	}
	t.Fatalf("gateway did not start: no free port\nlog:\n%s", lastLog)
	return nil
}

// terminate sends SIGTERM and waits for the gateway to exit with status 0.
func (g *gateway) terminate(t *testing.T) {
	t.Helper()
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-g.exited:
	case <-time.After(30 * time.Second): // a failure bound, not a timing assertion
		g.kill()
		t.Fatalf("gateway did not stop within 30s of SIGTERM")
	}
	if code := g.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("gateway exited with status %d after SIGTERM, want 0\nlog:\n%s", code, g.stderr.String())
	}
}

// readLedger returns every record in the ledger of dataDir, which no gateway may be using.
func readLedger(t *testing.T, dataDir string) []ledger.Record {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(dataDir, "ledger.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("opening the ledger: %v", err)
	}
	defer s.Close()
	recs, err := s.Records(context.Background(), ledger.Filter{Limit: 1 << 30})
	if err != nil {
		t.Fatalf("reading the ledger: %v", err)
	}
	return recs
}

// recordsByID indexes records by request id, failing the test for a duplicate or a missing id.
func recordsByID(t *testing.T, recs []ledger.Record) map[string]ledger.Record {
	t.Helper()
	out := make(map[string]ledger.Record, len(recs))
	for _, r := range recs {
		if r.RequestID == "" {
			t.Errorf("record %d has no request id: %+v", r.ID, r)
			continue
		}
		if _, dup := out[r.RequestID]; dup {
			t.Errorf("request %s has more than one record", r.RequestID)
		}
		out[r.RequestID] = r
	}
	return out
}

// answer is one exchange with the gateway as the client saw it.
type answer struct {
	resp *http.Response // its body is read to the end, so Trailer is filled
	body []byte
	id   string
}

func (g *gateway) send(ctx context.Context, t *testing.T, path string, body []byte) answer {
	t.Helper()
	resp, b := g.post(ctx, t, path, body)
	id := resp.Header.Get("X-Sovereign-Request-Id")
	if !strings.HasPrefix(id, "req_") {
		t.Fatalf("POST %s: X-Sovereign-Request-Id %q, want req_…", path, id)
	}
	return answer{resp: resp, body: b, id: id}
}

// rates are a model's prices in USD per 1M tokens, as configured below.
type rates struct{ input, output, cachedInput float64 }

func (r rates) cost(in, out, cached int64) float64 {
	return (float64(in-cached)*r.input + float64(cached)*r.cachedInput + float64(out)*r.output) / 1e6
}

// The prices the ledger tests configure. Their values are arbitrary, and unlike the shipped
// table's, so a cost priced from the wrong entry shows.
var (
	miniRates  = rates{input: 1.0, output: 2.0, cachedInput: 0.5}  // fakeai/gpt-4o-mini
	refRates   = rates{input: 3.0, output: 7.0, cachedInput: 1.5}  // fakeai/gpt-4o-mini-ref, the reference
	embedRates = rates{input: 0.25, output: 0.0, cachedInput: 0.0} // fakeai/text-embedding-3-small
)

const pricesConfig = `prices:
  fakeai/gpt-4o-mini: {input: 1.0, output: 2.0, cached_input: 0.5}
  fakeai/gpt-4o-mini-ref: {input: 3.0, output: 7.0, cached_input: 1.5}
  fakeai/text-embedding-3-small: {input: 0.25, output: 0}
`

// recordedUsage is the usage of a recorded OpenAI answer (JSON body or SSE stream).
type recordedUsage struct {
	PromptTokens        int64 `json:"prompt_tokens"`
	CompletionTokens    int64 `json:"completion_tokens"`
	PromptTokensDetails struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails struct {
		ReasoningTokens int64 `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
}

// fixtureUsage reads the usage of testdata/name: a JSON answer's, or a stream's last usage.
func fixtureUsage(t *testing.T, name string) recordedUsage {
	t.Helper()
	var docs [][]byte
	if strings.HasSuffix(name, ".sse") {
		for _, l := range dataLines(fixture(t, name)) {
			docs = append(docs, []byte(l))
		}
	} else {
		docs = [][]byte{fixture(t, name)}
	}
	var found *recordedUsage
	for _, d := range docs {
		var v struct {
			Usage *recordedUsage `json:"usage"`
		}
		if json.Unmarshal(d, &v) == nil && v.Usage != nil {
			found = v.Usage
		}
	}
	if found == nil {
		t.Fatalf("%s has no usage", name)
	}
	return *found
}

// wantRecord is what one request's ledger record must hold. Tokens are checked when
// checkTokens is set, money when checkMoney is.
type wantRecord struct {
	outcome, route, provider, model, requested, ingress, errorCode string
	status                                                         int
	stream                                                         bool

	checkTokens                bool
	in, out, cached, reasoning int64
	estimated                  bool

	checkMoney       bool
	cost, cf, saved  float64 // unknownUSD: must be unknown (nil)
	moneyFromHeaders bool    // the client saw X-Sovereign-Cost-Usd/Saved (headers or trailers)
}

var unknownUSD = math.NaN()

func checkRecord(t *testing.T, name string, r ledger.Record, w wantRecord) {
	t.Helper()
	errorf := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s (%s): "+format, append([]any{name, r.RequestID}, args...)...)
	}
	for _, f := range []struct{ field, got, want string }{
		{"Outcome", r.Outcome, w.outcome}, {"Route", r.Route, w.route}, {"Provider", r.Provider, w.provider},
		{"Model", r.Model, w.model}, {"RequestedModel", r.RequestedModel, w.requested},
		{"Ingress", r.Ingress, w.ingress}, {"ErrorCode", r.ErrorCode, w.errorCode},
	} {
		if f.got != f.want {
			errorf("%s %q, want %q", f.field, f.got, f.want)
		}
	}
	if r.Status != w.status {
		errorf("Status %d, want %d", r.Status, w.status)
	}
	if r.Stream != w.stream {
		errorf("Stream %v, want %v", r.Stream, w.stream)
	}
	if r.Prompt != "" {
		errorf("Prompt %q, want none (store_prompts is off)", r.Prompt)
	}
	if r.Time.IsZero() || time.Since(r.Time) > time.Hour || r.LatencyMS < 0 {
		errorf("Time %v LatencyMS %v", r.Time, r.LatencyMS)
	}
	if w.checkTokens {
		if r.InputTokens != w.in || r.OutputTokens != w.out || r.CachedInputTokens != w.cached || r.ReasoningTokens != w.reasoning {
			errorf("tokens in %d out %d cached %d reasoning %d, want %d %d %d %d", r.InputTokens, r.OutputTokens,
				r.CachedInputTokens, r.ReasoningTokens, w.in, w.out, w.cached, w.reasoning)
		}
		if r.TokensEstimated != w.estimated {
			errorf("TokensEstimated %v, want %v", r.TokensEstimated, w.estimated)
		}
	}
	if w.checkMoney {
		for _, f := range []struct {
			field string
			got   *float64
			want  float64
		}{{"CostUSD", r.CostUSD, w.cost}, {"CounterfactualUSD", r.CounterfactualUSD, w.cf}, {"SavedUSD", r.SavedUSD, w.saved}} {
			switch {
			case math.IsNaN(f.want) && f.got != nil:
				errorf("%s %v, want unknown (NULL)", f.field, *f.got)
			case !math.IsNaN(f.want) && f.got == nil:
				errorf("%s unknown, want %.9f", f.field, f.want)
			case !math.IsNaN(f.want) && math.Abs(*f.got-f.want) > 1e-9:
				errorf("%s %.12f, want %.12f", f.field, *f.got, f.want)
			}
		}
		if w.moneyFromHeaders && (r.ReferenceModel != "fakeai/gpt-4o-mini-ref" || r.PriceTableDate == "") {
			errorf("ReferenceModel %q PriceTableDate %q, want the configured reference and the table's date", r.ReferenceModel, r.PriceTableDate)
		}
	}
}

// checkMoneyHeader asserts that a cost header value is the record's value, exactly, or
// "unknown" when the record's is.
func checkMoneyHeader(t *testing.T, name, header, got string, rec *float64) {
	t.Helper()
	if rec == nil {
		if got != "unknown" {
			t.Errorf("%s: %s %q, want \"unknown\"", name, header, got)
		}
		return
	}
	v, err := strconv.ParseFloat(got, 64)
	if err != nil || v != *rec {
		t.Errorf("%s: %s %q, want the record's %v", name, header, got, *rec)
	}
}

// sseMoney returns the values of the stream's `: x-sovereign-cost-usd=… x-sovereign-saved-usd=…`
// comment, and fails unless it comes once, before `data: [DONE]`.
func sseMoney(t *testing.T, name string, stream []byte) (cost, saved string) {
	t.Helper()
	lines := strings.Split(strings.ReplaceAll(string(stream), "\r\n", "\n"), "\n")
	at, done := -1, -1
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(l, ": x-sovereign-cost-usd="); ok {
			if at >= 0 {
				t.Errorf("%s: two cost comments", name)
			}
			at = i
			c, s, ok := strings.Cut(rest, " x-sovereign-saved-usd=")
			if !ok {
				t.Errorf("%s: cost comment %q has no saved value", name, l)
			}
			cost, saved = c, s
		}
		if l == "data: [DONE]" {
			done = i
		}
	}
	if at < 0 || done < 0 || at > done {
		t.Errorf("%s: cost comment at line %d, [DONE] at line %d; want the comment before [DONE]:\n%s", name, at, done, stream)
	}
	return cost, saved
}

// streamUsageChunks counts the data events of an OpenAI stream that carry usage.
func streamUsageChunks(t *testing.T, stream []byte) int {
	t.Helper()
	n := 0
	for _, l := range dataLines(stream) {
		if l == "[DONE]" {
			continue
		}
		var ch struct {
			Usage json.RawMessage `json:"usage"`
		}
		if err := json.Unmarshal([]byte(l), &ch); err != nil {
			t.Errorf("event %s: %v", l, err)
			continue
		}
		if len(ch.Usage) > 0 && string(ch.Usage) != "null" {
			n++
		}
	}
	return n
}

// TestLedgerMatchesRequests is the Ledger issue's acceptance test: with a real SQLite file,
// the ledger matches the requests sent through the gateway one for one — answered (plain,
// streamed with and without usage, embeddings, local and cloud, priced and unpriced), refused,
// failed upstream, failed midway and cancelled by the client — with the recorded token counts,
// the configured prices, and the cost headers the client saw. The usage endpoint and
// `sovereign report` then agree with the records.
func TestLedgerMatchesRequests(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	fake := newFakeOpenAI(t, nil)
	sse := sseEvents(fixture(t, "openai-chat/stream_text_include_usage.response.sse"))
	broken := newFakeOpenAI(t, func(w http.ResponseWriter, r *http.Request) {
		writeSSE(w, bytes.Join(sse[:2], nil))
		hangUp(t, w)
	})
	cancelled := make(chan struct{})
	hanging := newFakeOpenAI(t, func(w http.ResponseWriter, r *http.Request) {
		writeSSE(w, sse[0])
		<-r.Context().Done()
		close(cancelled)
	})
	failing := newFakeOpenAI(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusInternalServerError, []byte(`{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}`))
	})
	ollama := newFakeOllama(t, nil)
	provider := func(name, url string) string {
		return fmt.Sprintf("  - name: %s\n    base_url: %s/v1\n    api_key: %s\n    local: false\n    max_retries: 0\n    models: [m]\n", name, url, testAPIKey)
	}
	cfg := ollamaConfig(ollama) + fakeaiConfig(fake) + provider("broken", broken.URL) + provider("hanging", hanging.URL) +
		provider("failing", failing.URL) + pricesConfig + "ledger:\n  durability: batched\n  reference_model: fakeai/gpt-4o-mini-ref\n"
	dataDir := t.TempDir()
	g := startGatewayIn(t, cfg, dataDir)

	plain := fixtureUsage(t, "openai-chat/plain.response.json")
	streamed := fixtureUsage(t, "openai-chat/stream_text_include_usage.response.sse")
	embedded := fixtureUsage(t, "openai-embeddings/float_with_dimensions.response.json")
	_, ollamaFinal := recordedOllamaStream(t, fixture(t, "ollama/chat_stream.response.ndjson"))
	if plain.PromptTokens == 0 || streamed.PromptTokens == 0 || embedded.PromptTokens == 0 || ollamaFinal.PromptEvalCount == 0 {
		t.Fatal("a recording lacks the usage these checks rest on")
	}

	type sentRequest struct {
		name        string
		a           answer
		want        wantRecord
		cost, saved string // what the client was told: headers, or a stream's trailers
	}
	var sent []sentRequest
	ok := func(name string, a answer, w wantRecord) {
		t.Helper()
		if a.resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d: %s", name, a.resp.StatusCode, a.body)
		}
		sent = append(sent, sentRequest{name: name, a: a, want: w})
	}
	stream := map[string]any{"stream": true}
	withUsage := map[string]any{"stream": true, "stream_options": map[string]bool{"include_usage": true}}
	upstreamAskedUsage := func(name string, f *fakeOpenAI) {
		t.Helper()
		var up struct {
			StreamOptions *struct {
				IncludeUsage bool `json:"include_usage"`
			} `json:"stream_options"`
		}
		if err := json.Unmarshal(f.seen.last(t, "/v1/chat/completions").Body, &up); err != nil || up.StreamOptions == nil || !up.StreamOptions.IncludeUsage {
			t.Errorf("%s: the upstream was not asked for stream_options.include_usage=true (%v)", name, err)
		}
	}

	// answered is the record of an answer with the recorded usage: priced at rates (nil: no
	// price, so the cost is unknown), or free on the local engine; either way its
	// counterfactual is the reference's price for the same tokens.
	answered := func(provider, model string, stream bool, u recordedUsage, price *rates) wantRecord {
		in, out, cached := u.PromptTokens, u.CompletionTokens, u.PromptTokensDetails.CachedTokens
		w := wantRecord{outcome: "ok", status: 200, route: "cloud", provider: provider, model: model,
			requested: provider + "/" + model, ingress: "openai.chat", stream: stream,
			checkTokens: true, in: in, out: out, cached: cached, reasoning: u.CompletionTokensDetails.ReasoningTokens,
			checkMoney: true, moneyFromHeaders: true, cf: refRates.cost(in, out, cached)}
		switch {
		case provider == "ollama":
			w.route, w.cost = "local", 0
		case price == nil:
			w.cost = unknownUSD
		default:
			w.cost = price.cost(in, out, cached)
		}
		w.saved = w.cf - w.cost // unknown when the cost is
		return w
	}

	// Answered, cloud, priced.
	ok("plain chat", g.send(ctx, t, "/v1/chat/completions", chatBody("fakeai/gpt-4o-mini", nil)),
		answered("fakeai", "gpt-4o-mini", false, plain, &miniRates))
	a := g.send(ctx, t, "/v1/chat/completions", chatBody("fakeai/gpt-4o-mini", withUsage))
	ok("stream with usage", a, answered("fakeai", "gpt-4o-mini", true, streamed, &miniRates))
	if n := streamUsageChunks(t, a.body); n != 1 {
		t.Errorf("stream with usage: %d usage chunks, want 1", n)
	}
	upstreamAskedUsage("stream with usage", fake)
	// The client does not ask for usage; the gateway does, and keeps it to itself.
	a = g.send(ctx, t, "/v1/chat/completions", chatBody("fakeai/gpt-4o-mini", stream))
	ok("stream without usage", a, answered("fakeai", "gpt-4o-mini", true, streamed, &miniRates))
	if n := streamUsageChunks(t, a.body); n != 0 {
		t.Errorf("stream without usage: the client got %d usage chunks, want none (it did not ask):\n%s", n, a.body)
	}
	upstreamAskedUsage("stream without usage", fake)
	w := answered("fakeai", "text-embedding-3-small", false, embedded, &embedRates)
	w.ingress = "openai.embeddings"
	ok("embeddings", g.send(ctx, t, "/v1/embeddings",
		[]byte(`{"model":"fakeai/text-embedding-3-small","input":["`+secretPrompt+`"],"dimensions":256}`)), w)

	// Answered, cloud, no price: the cost is unknown, not zero; the counterfactual is known.
	ok("unpriced model", g.send(ctx, t, "/v1/chat/completions", chatBody("fakeai/unpriced-model", nil)),
		answered("fakeai", "unpriced-model", false, plain, nil))
	ok("unpriced model, streamed", g.send(ctx, t, "/v1/chat/completions", chatBody("fakeai/unpriced-model", stream)),
		answered("fakeai", "unpriced-model", true, streamed, nil))

	// Answered, local: a known zero cost, and all of the counterfactual saved. Ollama reports
	// prompt_eval_count and eval_count.
	local := recordedUsage{PromptTokens: ollamaFinal.PromptEvalCount, CompletionTokens: ollamaFinal.EvalCount}
	ok("ollama chat", g.send(ctx, t, "/v1/chat/completions", chatBody("ollama/gemma3:1b", nil)),
		answered("ollama", "gemma3:1b", false, local, nil))
	a = g.send(ctx, t, "/v1/chat/completions", chatBody("ollama/gemma3:1b", stream))
	ok("ollama stream without usage", a, answered("ollama", "gemma3:1b", true, local, nil))
	if n := streamUsageChunks(t, a.body); n != 0 {
		t.Errorf("ollama stream without usage: the client got %d usage chunks, want none:\n%s", n, a.body)
	}
	if up := lastOllamaChat(t, ollama); up.Stream == nil || !*up.Stream {
		t.Errorf("ollama stream: the upstream was not asked to stream")
	}

	// Refused before routing.
	refused := func(name string, body []byte, status int, code, requested string) {
		t.Helper()
		a := g.send(ctx, t, "/v1/chat/completions", body)
		checkError(t, a.resp, a.body, wantError{status: status, code: code})
		sent = append(sent, sentRequest{name: name, a: a, want: wantRecord{outcome: "error", status: status, errorCode: code,
			requested: requested, ingress: "openai.chat", checkTokens: true, checkMoney: true}}) // nothing spent: a known 0
	}
	refused("malformed JSON", []byte(`{"model":"fakeai/gpt-4o-mini","messages":[`), 400, "invalid_json", "")
	refused("unknown model", chatBody("no-such-model", nil), 404, "model_not_found", "no-such-model")

	// Failed upstream, before the answer began: the record names the target that failed, and
	// nothing was spent.
	a = g.send(ctx, t, "/v1/chat/completions", chatBody("failing/m", nil))
	checkError(t, a.resp, a.body, wantError{status: 502, code: "upstream_error"})
	sent = append(sent, sentRequest{name: "upstream 500", a: a, want: wantRecord{outcome: "error", status: 502, errorCode: "upstream_error",
		route: "cloud", provider: "failing", model: "m", requested: "failing/m", ingress: "openai.chat", checkTokens: true, checkMoney: true}})
	a = g.send(ctx, t, "/v1/chat/completions", chatBody("failing/m", stream))
	checkError(t, a.resp, a.body, wantError{status: 502, code: "upstream_error"})
	sent = append(sent, sentRequest{name: "upstream 500, streamed", a: a, want: wantRecord{outcome: "error", status: 502, errorCode: "upstream_error",
		route: "cloud", provider: "failing", model: "m", requested: "failing/m", ingress: "openai.chat", stream: true, checkTokens: true, checkMoney: true}})

	// Failed midway: the client got 200 and two chunks, then an error event.
	a = g.send(ctx, t, "/v1/chat/completions", chatBody("broken/m", stream))
	if a.resp.StatusCode != 200 || !bytes.Contains(a.body, []byte(`"error"`)) || bytes.Contains(a.body, []byte("[DONE]")) {
		t.Errorf("mid-stream failure: status %d, body %s; want 200 and an error event without [DONE]", a.resp.StatusCode, a.body)
	}
	var failedEvent struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if lines := dataLines(a.body); len(lines) > 0 {
		_ = json.Unmarshal([]byte(lines[len(lines)-1]), &failedEvent)
	}
	sent = append(sent, sentRequest{name: "mid-stream failure", a: a, want: wantRecord{outcome: "failed", status: 200,
		errorCode: failedEvent.Error.Code, route: "cloud", provider: "broken", model: "m", requested: "broken/m",
		ingress: "openai.chat", stream: true}})

	// Cancelled by the client after the first chunk.
	cctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(cctx, http.MethodPost, g.URL+"/v1/chat/completions",
		bytes.NewReader(chatBody("hanging/m", stream)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 1)
	if _, err := resp.Body.Read(first); err != nil {
		t.Fatalf("cancelled stream: no first byte: %v", err)
	}
	cancel()
	resp.Body.Close()
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second): // a failure bound, not a timing assertion
		t.Fatal("the gateway did not cancel the upstream after the client went away")
	}
	sent = append(sent, sentRequest{name: "client cancelled", a: answer{resp: resp, id: resp.Header.Get("X-Sovereign-Request-Id")},
		want: wantRecord{outcome: "cancelled", status: 200, errorCode: "client_disconnected", route: "cloud", provider: "hanging",
			model: "m", requested: "hanging/m", ingress: "openai.chat", stream: true}})

	// The money the client saw: headers for plain answers, trailers and a comment for streams.
	for i := range sent {
		s := &sent[i]
		if !s.want.moneyFromHeaders {
			continue
		}
		cost, saved := s.a.resp.Header.Get("X-Sovereign-Cost-Usd"), s.a.resp.Header.Get("X-Sovereign-Saved-Usd")
		if s.want.stream {
			if cost != "" {
				t.Errorf("%s: cost %q as a header of a stream, before the stream's end", s.name, cost)
			}
			cost, saved = s.a.resp.Trailer.Get("X-Sovereign-Cost-Usd"), s.a.resp.Trailer.Get("X-Sovereign-Saved-Usd")
			c, sv := sseMoney(t, s.name, s.a.body)
			if c != cost || sv != saved {
				t.Errorf("%s: SSE comment says cost %q saved %q, trailers %q %q", s.name, c, sv, cost, saved)
			}
		}
		s.cost, s.saved = cost, saved // checked against the record below
	}

	// The usage endpoint reads what is written: wait until it holds every request.
	var live report.Report
	deadline := time.Now().Add(20 * time.Second) // a failure bound, not a timing assertion
	for {
		_, body := do(t, mustGet(t, ctx, g.URL+"/v1/sovereign/usage?since=1d&by=model"))
		live = report.Report{}
		if err := json.Unmarshal(body, &live); err != nil {
			t.Fatalf("usage: %v: %s", err, body)
		}
		if live.Total.Requests >= int64(len(sent)) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not an assertion
	}

	g.terminate(t)
	recs := readLedger(t, dataDir)
	byID := recordsByID(t, recs)
	if len(recs) != len(sent) {
		t.Errorf("%d records for %d requests", len(recs), len(sent))
	}
	for _, s := range sent {
		r, found := byID[s.a.id]
		if !found {
			t.Errorf("%s (%s): no record", s.name, s.a.id)
			continue
		}
		checkRecord(t, s.name, r, s.want)
		if s.want.moneyFromHeaders {
			checkMoneyHeader(t, s.name, "X-Sovereign-Cost-Usd", s.cost, r.CostUSD)
			checkMoneyHeader(t, s.name, "X-Sovereign-Saved-Usd", s.saved, r.SavedUSD)
		}
		if s.want.outcome != "ok" && r.ErrorCode == "" {
			t.Errorf("%s: outcome %s without an error code", s.name, r.Outcome)
		}
		if (s.want.outcome == "failed" || s.want.outcome == "cancelled") && (!r.TokensEstimated || r.InputTokens <= 0) {
			// No usage came: the gateway counts what was asked and what was streamed.
			t.Errorf("%s: tokens in %d (estimated %v), want the gateway's own count", s.name, r.InputTokens, r.TokensEstimated)
		}
		if s.want.stream && s.want.outcome == "ok" && r.TTFTMS <= 0 {
			t.Errorf("%s: TTFTMS %v, want the time to the first chunk", s.name, r.TTFTMS)
		}
	}
	checkNoPromptInFiles(t, dataDir)

	// The usage endpoint and `sovereign report` agree with the records.
	want := reportFromRecords(recs)
	checkReport(t, "GET /v1/sovereign/usage", live, want)
	r := runCLIData(t, dataDir, "report", "--json", "--since", "1d", "--by", "model")
	if r.code != 0 {
		t.Fatalf("sovereign report: exit %d: %s", r.code, r.stderr)
	}
	var cli report.Report
	if err := json.Unmarshal([]byte(r.stdout), &cli); err != nil {
		t.Fatalf("sovereign report --json: %v: %s", err, r.stdout)
	}
	checkReport(t, "sovereign report", cli, want)
}

func mustGet(t *testing.T, ctx context.Context, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// checkNoPromptInFiles fails if any file of the data directory (the database, its WAL) holds
// the test's prompt text.
func checkNoPromptInFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		if bytes.Contains(b, []byte("e2e-private-prompt")) {
			t.Errorf("%s holds the prompt text; store_prompts is off", e.Name())
		}
	}
}

// runCLIData runs the binary like runCLI, with SOVEREIGN_DATA set to dataDir.
func runCLIData(t *testing.T, dataDir string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sovereignBin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = cleanEnv(t, "SOVEREIGN_DATA="+dataDir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := cliResult{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
	if ctx.Err() != nil {
		t.Fatalf("sovereign %v did not finish within 60s", args)
	}
	if err != nil && r.code <= 0 {
		t.Fatalf("sovereign %v: %v", args, err)
	}
	return r
}

// reportFromRecords computes a by-model report from the records themselves.
func reportFromRecords(recs []ledger.Record) map[string]report.Row {
	out := map[string]report.Row{}
	latency := map[string]float64{}
	for _, r := range recs {
		key := r.Model
		if r.Provider != "" {
			key = r.Provider + "/" + r.Model
		}
		row := out[key]
		row.Requests++
		switch r.Outcome {
		case ledger.OutcomeError, ledger.OutcomeFailed:
			row.Errors++
		case ledger.OutcomeCancelled:
			row.Cancelled++
		}
		row.InputTokens += r.InputTokens
		row.OutputTokens += r.OutputTokens
		row.CachedInputTokens += r.CachedInputTokens
		row.ReasoningTokens += r.ReasoningTokens
		if r.CostUSD != nil {
			row.CostUSD += *r.CostUSD
		} else {
			row.UnknownCost++
		}
		if r.CounterfactualUSD != nil {
			row.CounterfactualUSD += *r.CounterfactualUSD
		}
		if r.SavedUSD != nil {
			row.SavedUSD += *r.SavedUSD
		}
		if r.Route == ledger.RouteLocal {
			row.LocalRequests++
		}
		latency[key] += r.LatencyMS
		out[key] = row
	}
	for k, row := range out {
		row.LatencyMeanMS = latency[k] / float64(row.Requests)
		out[k] = row
	}
	return out
}

// checkReport compares a by-model report with the figures computed from the records.
func checkReport(t *testing.T, name string, got report.Report, want map[string]report.Row) {
	t.Helper()
	if fmt.Sprint(got.By) != "[model]" {
		t.Errorf("%s: by %v, want [model]", name, got.By)
	}
	seen := map[string]bool{}
	var total report.Row
	for _, row := range got.Rows {
		key := row.Key["model"]
		if seen[key] {
			t.Errorf("%s: model %q has two rows", name, key)
		}
		seen[key] = true
		w, ok := want[key]
		if !ok {
			t.Errorf("%s: row for model %q, which no record has", name, key)
			continue
		}
		compareRow(t, fmt.Sprintf("%s, model %q", name, key), row, w)
		total.Requests += w.Requests
		total.CostUSD += w.CostUSD
		total.SavedUSD += w.SavedUSD
		total.CounterfactualUSD += w.CounterfactualUSD
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !seen[k] {
			t.Errorf("%s: no row for model %q (%d records)", name, k, want[k].Requests)
		}
	}
	if got.Total.Requests != total.Requests || math.Abs(got.Total.CostUSD-total.CostUSD) > 1e-9 ||
		math.Abs(got.Total.SavedUSD-total.SavedUSD) > 1e-9 || math.Abs(got.Total.CounterfactualUSD-total.CounterfactualUSD) > 1e-9 {
		t.Errorf("%s: total %d requests, cost %v, cf %v, saved %v; records give %d, %v, %v, %v", name, got.Total.Requests,
			got.Total.CostUSD, got.Total.CounterfactualUSD, got.Total.SavedUSD, total.Requests, total.CostUSD, total.CounterfactualUSD, total.SavedUSD)
	}
}

func compareRow(t *testing.T, name string, got, want report.Row) {
	t.Helper()
	ints := []struct {
		field     string
		got, want int64
	}{
		{"requests", got.Requests, want.Requests}, {"errors", got.Errors, want.Errors}, {"cancelled", got.Cancelled, want.Cancelled},
		{"input_tokens", got.InputTokens, want.InputTokens}, {"output_tokens", got.OutputTokens, want.OutputTokens},
		{"cached_input_tokens", got.CachedInputTokens, want.CachedInputTokens}, {"reasoning_tokens", got.ReasoningTokens, want.ReasoningTokens},
		{"unknown_cost_requests", got.UnknownCost, want.UnknownCost}, {"local_requests", got.LocalRequests, want.LocalRequests},
	}
	for _, f := range ints {
		if f.got != f.want {
			t.Errorf("%s: %s %d, records give %d", name, f.field, f.got, f.want)
		}
	}
	floats := []struct {
		field     string
		got, want float64
		tol       float64
	}{
		{"cost_usd", got.CostUSD, want.CostUSD, 1e-9}, {"counterfactual_usd", got.CounterfactualUSD, want.CounterfactualUSD, 1e-9},
		{"saved_usd", got.SavedUSD, want.SavedUSD, 1e-9}, {"latency_mean_ms", got.LatencyMeanMS, want.LatencyMeanMS, 1e-6},
		{"local_share", got.LocalShare, float64(want.LocalRequests) / float64(want.Requests), 1e-12},
	}
	for _, f := range floats {
		if math.Abs(f.got-f.want) > f.tol {
			t.Errorf("%s: %s %v, records give %v", name, f.field, f.got, f.want)
		}
	}
}

// TestLedgerStorePrompts: with store_prompts on, the record keeps the prompt (and the log
// still never shows it).
func TestLedgerStorePrompts(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	fake := newFakeOpenAI(t, nil)
	dataDir := t.TempDir()
	g := startGatewayIn(t, fakeaiConfig(fake)+"ledger:\n  store_prompts: true\n", dataDir)
	plain := g.send(ctx, t, "/v1/chat/completions", chatBody("fakeai/gpt-4o-mini", nil))
	streamed := g.send(ctx, t, "/v1/chat/completions", chatBody("fakeai/gpt-4o-mini", map[string]any{"stream": true}))
	g.terminate(t)
	byID := recordsByID(t, readLedger(t, dataDir))
	for _, a := range []answer{plain, streamed} {
		r, ok := byID[a.id]
		if !ok {
			t.Errorf("no record for %s", a.id)
			continue
		}
		if !strings.Contains(r.Prompt, secretPrompt) {
			t.Errorf("record %s: Prompt %q, want it to hold the caller's prompt", a.id, r.Prompt)
		}
	}
}
