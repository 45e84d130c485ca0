package dispatch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/provider/openaicompat"
)

const okBody = `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`

// upstream answers with the statuses in seq, one per request, then 200.
func upstream(t *testing.T, seq ...int) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		_, _ = io.Copy(io.Discard, r.Body)
		if i < len(seq) && seq[i] != 200 {
			if seq[i] == 429 {
				w.Header().Set("Retry-After", "1")
			}
			w.WriteHeader(seq[i])
			_, _ = w.Write([]byte(`{"error":{"message":"nope","type":"server_error"}}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(okBody))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func target(name, url string, retries int) catalog.Target {
	p := openaicompat.New(openaicompat.Options{Name: name, BaseURL: url + "/v1", Timeout: 5 * time.Second})
	return catalog.Target{Entry: &catalog.Entry{Name: name, Provider: p, MaxRetries: retries, Reachable: true}, Model: "m"}
}

// recordSleep replaces waiting: it records each wait and returns at once.
type recordSleep struct{ waits []time.Duration }

func (r *recordSleep) sleep(ctx context.Context, d time.Duration) error {
	r.waits = append(r.waits, d)
	return ctx.Err()
}

func req() *llm.Request {
	return &llm.Request{Model: "alias", Messages: []llm.Message{{Role: "user", Content: []llm.Part{llm.TextPart("x")}}}}
}

func TestChatRetriesAndFallback(t *testing.T) {
	tests := []struct {
		name      string
		first     []int // statuses of the first target
		retries   int
		second    bool
		wantErr   int // status, 0 for success
		wantFrom  string
		wantCalls int32 // calls to the first target
		wantWaits int
	}{
		{"success", nil, 2, false, 0, "a/m", 1, 0},
		{"5xx then success", []int{500, 503}, 2, false, 0, "a/m", 3, 2},
		{"5xx exhausted", []int{500, 500, 500}, 2, false, 502, "a/m", 3, 2},
		{"5xx exhausted falls back", []int{500, 500, 500}, 2, true, 0, "b/m", 3, 2},
		{"429 honours retry-after", []int{429}, 2, false, 0, "a/m", 2, 1},
		{"400 is not retried nor falls back", []int{400}, 2, true, 400, "a/m", 1, 0},
		{"401 falls back", []int{401}, 2, true, 0, "b/m", 1, 0},
		{"404 falls back", []int{404}, 2, true, 0, "b/m", 1, 0},
		{"no retries configured", []int{500}, 0, false, 502, "a/m", 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, calls := upstream(t, tt.first...)
			targets := []catalog.Target{target("a", a.URL, tt.retries)}
			if tt.second {
				b, _ := upstream(t)
				targets = append(targets, target("b", b.URL, tt.retries))
			}
			rs := &recordSleep{}
			d := New(Options{Backoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second, Sleep: rs.sleep})
			in := req()
			resp, from, err := d.Chat(context.Background(), in, targets)
			if tt.wantErr != 0 {
				if llm.AsError(err).Status != tt.wantErr {
					t.Fatalf("err = %v, want status %d", err, tt.wantErr)
				}
			} else if err != nil || resp == nil {
				t.Fatalf("err = %v", err)
			}
			if from.Name() != tt.wantFrom {
				t.Errorf("answered by %s, want %s", from.Name(), tt.wantFrom)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("first target called %d times, want %d", got, tt.wantCalls)
			}
			if len(rs.waits) != tt.wantWaits {
				t.Errorf("waits = %v, want %d", rs.waits, tt.wantWaits)
			}
			if in.Model != "alias" {
				t.Errorf("inbound request changed: model %q", in.Model)
			}
		})
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	d := New(Options{Backoff: 100 * time.Millisecond, MaxBackoff: 300 * time.Millisecond})
	for attempt, max := range []time.Duration{100, 200, 300, 300} {
		max *= time.Millisecond
		for range 50 {
			b := d.backoff(attempt)
			if b < max/2 || b > max {
				t.Fatalf("attempt %d: backoff %v outside [%v, %v]", attempt, b, max/2, max)
			}
		}
	}
}

func TestRetryAfterBeyondCapGivesUp(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(429)
	}))
	defer srv.Close()
	rs := &recordSleep{}
	d := New(Options{MaxBackoff: time.Second, Sleep: rs.sleep})
	_, _, err := d.Chat(context.Background(), req(), []catalog.Target{target("a", srv.URL, 3)})
	e := llm.AsError(err)
	if e.Status != 429 || e.RetryAfter != 60*time.Second {
		t.Fatalf("err = %+v", e)
	}
	if len(rs.waits) != 0 {
		t.Fatalf("waited %v for a Retry-After beyond the cap", rs.waits)
	}
}

func TestCancelStopsRetrying(t *testing.T) {
	a, calls := upstream(t, 500, 500, 500, 500)
	ctx, cancel := context.WithCancel(context.Background())
	d := New(Options{Sleep: func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }})
	_, _, err := d.Chat(ctx, req(), []catalog.Target{target("a", a.URL, 3)})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if calls.Load() != 1 {
		t.Fatalf("calls = %d after cancel", calls.Load())
	}
}

func TestStreamFallsBackBeforeFirstByte(t *testing.T) {
	a, _ := upstream(t, 503, 503)
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	defer b.Close()
	rs := &recordSleep{}
	d := New(Options{Sleep: rs.sleep})
	r := req()
	r.Stream = true
	s, from, err := d.Stream(context.Background(), r, []catalog.Target{target("a", a.URL, 1), target("b", b.URL, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if from.Name() != "b/m" {
		t.Fatalf("from = %s", from.Name())
	}
	c, err := s.Recv()
	if err == nil {
		err = c.Decode()
	}
	if err != nil || len(c.Choices) != 1 || c.Choices[0].Delta.Content != "hi" {
		t.Fatalf("chunk = %+v, %v", c, err)
	}
	if _, err := s.Recv(); err != io.EOF {
		t.Fatalf("end = %v", err)
	}
}
