package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// A command name with spaces and parentheses, as /proc allows.
	stat := []byte("4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 8 0 100 0 0\n")
	got, err := parseStatCPU(stat)
	if err != nil || got != 1234+567 {
		t.Fatalf("parseStatCPU = %d, %v; want %d", got, err, 1234+567)
	}
	if _, err := parseStatCPU([]byte("garbage")); err == nil {
		t.Error("parseStatCPU accepted garbage")
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 50}, {99, 99}, {100, 100}, {0, 1}} {
		if got := percentile(d, tc.p); got != tc.want {
			t.Errorf("percentile(%v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if percentile(nil, 50) != 0 {
		t.Error("percentile of nothing is not 0")
	}
}

func TestFixtures(t *testing.T) {
	events := splitEvents(streamFixture)
	if len(events) != 12 || string(events[11]) != "data: [DONE]\n\n" {
		t.Fatalf("%d events, last %q", len(events), events[len(events)-1])
	}
	if !bytes.Equal(bytes.Join(events, nil), streamFixture) {
		t.Error("events do not add up to the recorded stream")
	}
	for _, stream := range []bool{false, true} {
		b, err := requestBody("bench/gpt-4o-mini", stream)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m["model"] != "bench/gpt-4o-mini" || bytes.Contains(b, []byte(`"stream":true`)) != stream {
			t.Errorf("stream=%v: body %s", stream, b)
		}
	}
}

// The load generator sees the upstream's exact bytes, directly and through the reverse proxy.
func TestLoadThroughReverseProxy(t *testing.T) {
	up := httptest.NewServer(upstreamHandler(0))
	defer up.Close()
	u, _ := url.Parse(up.URL)
	px := httptest.NewServer(fullDuplex(newReverseProxy(u, 4)))
	defer px.Close()
	for _, base := range []string{up.URL, px.URL} {
		for _, stream := range []bool{false, true} {
			body, err := requestBody("gpt-4o-mini", stream)
			if err != nil {
				t.Fatal(err)
			}
			spec := loadSpec{url: base + "/v1/chat/completions", body: body, stream: stream, expect: responseFixture, concurrency: 4}
			if stream {
				spec.expect = streamFixture
			}
			hc := newClient(4)
			res := runLoad(context.Background(), hc, spec, time.Minute, 200)
			hc.CloseIdleConnections()
			if res.requests != 200 || res.errors != 0 || res.mismatches != 0 || len(res.latency) != 200 {
				t.Errorf("%s stream=%v: %d requests, %d errors (%s), %d mismatches", base, stream, res.requests, res.errors, res.firstErr, res.mismatches)
			}
			if stream && (len(res.ttfb) != 200 || res.ttfb[0] <= 0 || res.ttfb[0] > res.latency[len(res.latency)-1]) {
				t.Errorf("%s: time to first byte not measured", base)
			}
		}
	}
}
