package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/api/exchange"
	"github.com/sovereign-gateway/sovereign/internal/api/openai"
	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/dispatch"
	"github.com/sovereign-gateway/sovereign/internal/metrics"
)

func newTestServer(t *testing.T, logw io.Writer) (*Server, *httptest.Server) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(logw, nil))
	cat := catalog.New(catalog.Options{})
	h := &openai.Handler{Pipeline: &exchange.Pipeline{Catalog: cat, Dispatch: dispatch.New(dispatch.Options{}), Log: log, MaxBody: 1 << 20}, Started: time.Now()}
	s := New(Options{OpenAI: h, Catalog: cat, Log: log, Version: "test", Metrics: metrics.New(nil)})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

type errBody struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Code    *string `json:"code"`
	} `json:"error"`
}

func TestRoutesAndErrors(t *testing.T) {
	_, ts := newTestServer(t, io.Discard)
	tests := []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"GET", "/v1/chat/completions", "", 405, "method_not_allowed"},
		{"GET", "/nope", "", 404, "not_found"},
		{"POST", "/v1/chat/completions", `{"model":"x","messages":[{"role":"user","content":"hi"}]}`, 404, "model_not_found"},
		{"POST", "/v1/chat/completions", `{`, 400, "invalid_json"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, ts.URL+tt.path, strings.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e errBody
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || e.Error.Code == nil || *e.Error.Code != tt.code || e.Error.Message == "" {
				t.Fatalf("status %d, body %+v; want %d %s", resp.StatusCode, e, tt.status, tt.code)
			}
			if !strings.HasPrefix(resp.Header.Get(exchange.HeaderRequestID), "req_") {
				t.Errorf("no request id header")
			}
			if resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("content type %q", resp.Header.Get("Content-Type"))
			}
		})
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	_, ts := newTestServer(t, io.Discard)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 503, "/metrics": 200} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d %s", path, resp.StatusCode, b)
		}
		if path == "/metrics" && !strings.Contains(string(b), "sovereign_requests_total") {
			// The counter appears once a request was counted; the scrape itself is not counted.
			if _, err := http.Get(ts.URL + "/v1/models"); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestPanicBecomesJSON500(t *testing.T) {
	var logs strings.Builder
	s, _ := newTestServer(t, &logs)
	s.handle("GET /boom", func(w http.ResponseWriter, r *http.Request) error { panic("boom") })
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e errBody
	_ = json.NewDecoder(resp.Body).Decode(&e)
	if resp.StatusCode != 500 || e.Error.Type != "server_error" {
		t.Fatalf("status %d body %+v", resp.StatusCode, e)
	}
	if !strings.Contains(logs.String(), "handler panicked") {
		t.Errorf("panic not logged: %s", logs.String())
	}
}

func TestAccessLogHasNoPromptText(t *testing.T) {
	var logs strings.Builder
	_, ts := newTestServer(t, &logs)
	const secret = "my-very-private-prompt-text"
	resp, err := http.Post(ts.URL+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"x","messages":[{"role":"user","content":"`+secret+`"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if strings.Contains(logs.String(), secret) {
		t.Fatalf("prompt text in the log: %s", logs.String())
	}
	if !strings.Contains(logs.String(), "request_id=req_") {
		t.Fatalf("no access log line: %s", logs.String())
	}
}
