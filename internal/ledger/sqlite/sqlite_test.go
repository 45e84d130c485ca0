package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/ledger"
)

func f64(v float64) *float64 { return &v }

func openT(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func pragmaInt(t *testing.T, s *Store, name string) int {
	t.Helper()
	var v int
	if err := s.r.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpenMigrates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "ledger.db") // the directories are created
	for i, opts := range []Options{{}, {}, {Durability: ledger.DurabilityStrict}} {
		s, err := Open(path, opts)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		if got := pragmaInt(t, s, "user_version"); got != len(migrations) {
			t.Errorf("open %d: user_version = %d, want %d", i, got, len(migrations))
		}
		if got := pragmaInt(t, s, "application_id"); got != applicationID {
			t.Errorf("open %d: application_id = %#x", i, got)
		}
		var mode string
		if err := s.r.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("open %d: journal_mode = %q, %v", i, mode, err)
		}
		// synchronous: 1 = NORMAL, 2 = FULL, on the write connection.
		var sync int
		if err := s.w.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil {
			t.Fatal(err)
		}
		if want := map[string]int{"": 1, ledger.DurabilityStrict: 2}[opts.Durability]; sync != want {
			t.Errorf("open %d: synchronous = %d, want %d", i, sync, want)
		}
		var fk int
		if err := s.w.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
			t.Errorf("open %d: foreign_keys = %d, %v", i, fk, err)
		}
		var indexes int
		if err := s.r.QueryRow("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'requests'").Scan(&indexes); err != nil || indexes != 4 {
			t.Errorf("open %d: %d indexes, %v", i, indexes, err)
		}
		// A record written by one opening is there for the next: reopening migrates nothing.
		if err := s.Insert(context.Background(), []ledger.Record{{RequestID: "r", Time: time.Now()}}); err != nil {
			t.Fatal(err)
		}
		recs, err := s.Records(context.Background(), ledger.Filter{})
		if err != nil || len(recs) != i+1 {
			t.Errorf("open %d: %d records, %v", i, len(recs), err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	s := openT(t, filepath.Join(t.TempDir(), "ledger.db"), Options{})
	ctx := context.Background()
	at := time.Date(2026, 3, 4, 5, 6, 7, 891234567, time.FixedZone("CET", 3600))
	full := ledger.Record{
		Time: at, RequestID: "req-1", Caller: "key-1", Team: "red", Task: "summarise",
		Session: "s-1", User: "alice", Ingress: "openai.chat", Stream: true,
		RequestedModel: "auto", Route: ledger.RouteLocal, Provider: "ollama", Model: "qwen2.5:3b",
		InputTokens: 1, OutputTokens: 2, CachedInputTokens: 3, CacheWriteTokens: 4, ReasoningTokens: 5,
		TokensEstimated: true, LatencyMS: 123.456, TTFTMS: 7.5, Status: 200, ErrorCode: "",
		Outcome: ledger.OutcomeOK, CostUSD: f64(0), CounterfactualUSD: f64(0.0123), SavedUSD: f64(0.0123),
		ReferenceModel: "openai/gpt-4o", PriceTableDate: "2026-01-15", Prompt: "héllo\x00 'quoted' \"prompt\"",
		Metadata: map[string]string{"project": "x", "empty": ""}, Dropped: "cache_control,thinking",
		RouteReason: "auto: local, p(local ok)=0.83 ≥ 0.70", Decision: json.RawMessage(`{"local":true,"p":0.83}`),
		Privacy: "email=redact",
	}
	tests := []struct {
		name string
		in   ledger.Record
		want ledger.Record // ID and Time are filled in below
	}{
		{"every field", full, full},
		{"zero record", ledger.Record{}, ledger.Record{}},
		{"unknown costs stay nil", ledger.Record{RequestID: "u", Outcome: ledger.OutcomeError, Status: 400, ErrorCode: "model_not_found"},
			ledger.Record{RequestID: "u", Outcome: ledger.OutcomeError, Status: 400, ErrorCode: "model_not_found"}},
		{"zero costs stay zero", ledger.Record{CostUSD: f64(0), CounterfactualUSD: f64(0), SavedUSD: f64(0)},
			ledger.Record{CostUSD: f64(0), CounterfactualUSD: f64(0), SavedUSD: f64(0)}},
		{"negative saving", ledger.Record{CostUSD: f64(0.5), CounterfactualUSD: f64(0.25), SavedUSD: f64(-0.25)},
			ledger.Record{CostUSD: f64(0.5), CounterfactualUSD: f64(0.25), SavedUSD: f64(-0.25)}},
		{"empty metadata reads back nil", ledger.Record{Metadata: map[string]string{}}, ledger.Record{}},
		{"NaN latency and cost are stored as 0 and unknown", ledger.Record{LatencyMS: math.NaN(), CostUSD: f64(math.NaN())}, ledger.Record{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := []ledger.Record{tt.in}
			if err := s.Insert(ctx, recs); err != nil {
				t.Fatal(err)
			}
			if recs[0].ID == 0 {
				t.Fatal("Insert set no ID")
			}
			all, err := s.Records(ctx, ledger.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			var got []ledger.Record
			for _, r := range all {
				if r.ID == recs[0].ID {
					got = append(got, r)
				}
			}
			want := tt.want
			want.ID = recs[0].ID
			want.Time = time.UnixMicro(tt.in.Time.UnixMicro()).UTC()
			if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
				t.Errorf("read back\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestInsertIsOneTransaction(t *testing.T) {
	s := openT(t, filepath.Join(t.TempDir(), "ledger.db"), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Insert(ctx, []ledger.Record{{RequestID: "a"}, {RequestID: "b"}}); err == nil {
		t.Fatal("Insert with a cancelled context succeeded")
	}
	recs, err := s.Records(context.Background(), ledger.Filter{})
	if err != nil || len(recs) != 0 {
		t.Fatalf("after a failed Insert: %d records, %v", len(recs), err)
	}
	batch := []ledger.Record{{RequestID: "a"}, {RequestID: "b"}, {RequestID: "c"}}
	if err := s.Insert(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if !(batch[0].ID < batch[1].ID && batch[1].ID < batch[2].ID) {
		t.Errorf("IDs not ascending in insert order: %d %d %d", batch[0].ID, batch[1].ID, batch[2].ID)
	}
}

// Insert writes a batch with statements of several rows each: every record of every size of
// batch must come back whole, under the ID Insert gave it.
func TestInsertManyRows(t *testing.T) {
	s := openT(t, filepath.Join(t.TempDir(), "ledger.db"), Options{})
	ctx := context.Background()
	want := map[int64]ledger.Record{}
	seq := 0
	for _, n := range []int{1, 7, 8, 9, 63, 64, 65, 75, 200} {
		batch := make([]ledger.Record, n)
		for i := range batch {
			seq++
			cost := float64(seq) / 1000
			batch[i] = ledger.Record{
				Time: day1.Add(time.Duration(seq) * time.Second), RequestID: fmt.Sprintf("req-%d", seq),
				Model: fmt.Sprintf("m%d", seq%5), Route: ledger.RouteLocal, InputTokens: int64(seq),
				OutputTokens: int64(2 * seq), Status: 200, Outcome: ledger.OutcomeOK, CostUSD: &cost,
				Metadata: map[string]string{"n": fmt.Sprint(seq)},
			}
		}
		if err := s.Insert(ctx, batch); err != nil {
			t.Fatalf("batch of %d: %v", n, err)
		}
		for i, r := range batch {
			if r.ID == 0 {
				t.Fatalf("batch of %d: record %d has no ID", n, i)
			}
			if _, dup := want[r.ID]; dup {
				t.Fatalf("batch of %d: ID %d given twice", n, r.ID)
			}
			want[r.ID] = r
		}
	}
	got, err := s.Records(ctx, ledger.Filter{Limit: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != seq {
		t.Fatalf("%d records stored, want %d", len(got), seq)
	}
	for _, r := range got {
		w, ok := want[r.ID]
		if !ok {
			t.Fatalf("stored record %d (%s) has an ID Insert did not give", r.ID, r.RequestID)
		}
		if r.RequestID != w.RequestID || r.InputTokens != w.InputTokens || r.OutputTokens != w.OutputTokens ||
			r.Model != w.Model || !r.Time.Equal(w.Time) || r.CostUSD == nil || *r.CostUSD != *w.CostUSD ||
			r.Metadata["n"] != w.Metadata["n"] {
			t.Errorf("record %d: stored %+v, inserted %+v", r.ID, r, w)
		}
	}
}

var day1 = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

// fixture is a fixed record set over two days, three models, four routes and three tasks.
func fixture() []ledger.Record {
	h := func(d, hour int) time.Time { return day1.AddDate(0, 0, d).Add(time.Duration(hour) * time.Hour) }
	return []ledger.Record{
		// day 1
		{RequestID: "1", Time: h(0, 1), Task: "code", Route: "local", Provider: "ollama", Model: "qwen", Caller: "k1",
			InputTokens: 100, OutputTokens: 10, LatencyMS: 100, Outcome: "ok",
			CostUSD: f64(0), CounterfactualUSD: f64(0.01), SavedUSD: f64(0.01)},
		{RequestID: "2", Time: h(0, 2), Task: "code", Route: "cloud", Provider: "openai", Model: "gpt-4o", Caller: "k1",
			InputTokens: 200, OutputTokens: 20, CachedInputTokens: 50, ReasoningTokens: 5, LatencyMS: 300, Outcome: "ok",
			CostUSD: f64(0.02), CounterfactualUSD: f64(0.02), SavedUSD: f64(0)},
		{RequestID: "3", Time: h(0, 3), Task: "triage", Route: "", Provider: "", Model: "", Caller: "k2",
			Status: 400, Outcome: "error", ErrorCode: "invalid_request"}, // refused before routing: costs unknown
		{RequestID: "4", Time: h(0, 23), Task: "code", Route: "local", Provider: "ollama", Model: "qwen", Caller: "k2",
			InputTokens: 10, OutputTokens: 0, LatencyMS: 50, Outcome: "cancelled",
			CostUSD: f64(0), CounterfactualUSD: f64(0.001), SavedUSD: f64(0.001)},
		// day 2
		{RequestID: "5", Time: h(1, 0), Task: "summarise", Route: "cache", Provider: "openai", Model: "gpt-4o", Caller: "k1",
			InputTokens: 300, OutputTokens: 30, LatencyMS: 2, Outcome: "ok",
			CostUSD: f64(0), CounterfactualUSD: f64(0.03), SavedUSD: f64(0.03)},
		{RequestID: "6", Time: h(1, 5), Task: "summarise", Route: "peer", Provider: "peer", Model: "llama3", Caller: "k1",
			InputTokens: 40, OutputTokens: 4, LatencyMS: 400, Outcome: "failed", // not in the price table
			CounterfactualUSD: f64(0.004)},
		{RequestID: "7", Time: h(1, 6), Task: "code", Route: "local", Provider: "ollama", Model: "qwen", Caller: "k2",
			InputTokens: 1000, OutputTokens: 100, ReasoningTokens: 7, LatencyMS: 150, Outcome: "ok",
			CostUSD: f64(0), CounterfactualUSD: f64(0.1), SavedUSD: f64(0.1)},
	}
}

func TestSummarize(t *testing.T) {
	s := openT(t, filepath.Join(t.TempDir(), "ledger.db"), Options{})
	ctx := context.Background()
	if err := s.Insert(ctx, fixture()); err != nil {
		t.Fatal(err)
	}
	type sm = ledger.Summary
	k := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		f    ledger.Filter
		by   []string
		want []sm
	}{
		{"everything", ledger.Filter{}, nil, []sm{{Key: k(), Requests: 7, Errors: 2, Cancelled: 1,
			InputTokens: 1650, OutputTokens: 164, CachedInputTokens: 50, ReasoningTokens: 12,
			CostUSD: 0.02, CounterfactualUSD: 0.165, SavedUSD: 0.141, UnknownCost: 2, LocalRequests: 3,
			LatencyMeanMS: 1002.0 / 7}}},
		{"by day", ledger.Filter{}, []string{"day"}, []sm{
			{Key: k("day", "2026-05-01"), Requests: 4, Errors: 1, Cancelled: 1, InputTokens: 310, OutputTokens: 30,
				CachedInputTokens: 50, ReasoningTokens: 5, CostUSD: 0.02, CounterfactualUSD: 0.031, SavedUSD: 0.011,
				UnknownCost: 1, LocalRequests: 2, LatencyMeanMS: 112.5},
			{Key: k("day", "2026-05-02"), Requests: 3, Errors: 1, InputTokens: 1340, OutputTokens: 134,
				ReasoningTokens: 7, CostUSD: 0, CounterfactualUSD: 0.134, SavedUSD: 0.13,
				UnknownCost: 1, LocalRequests: 1, LatencyMeanMS: 184}}},
		{"by model", ledger.Filter{}, []string{"model"}, []sm{
			{Key: k("model", ""), Requests: 1, Errors: 1, UnknownCost: 1},
			{Key: k("model", "ollama/qwen"), Requests: 3, Cancelled: 1, InputTokens: 1110, OutputTokens: 110,
				ReasoningTokens: 7, CounterfactualUSD: 0.111, SavedUSD: 0.111, LocalRequests: 3, LatencyMeanMS: 100},
			{Key: k("model", "openai/gpt-4o"), Requests: 2, InputTokens: 500, OutputTokens: 50, CachedInputTokens: 50,
				ReasoningTokens: 5, CostUSD: 0.02, CounterfactualUSD: 0.05, SavedUSD: 0.03, LatencyMeanMS: 151},
			{Key: k("model", "peer/llama3"), Requests: 1, Errors: 1, InputTokens: 40, OutputTokens: 4,
				CounterfactualUSD: 0.004, UnknownCost: 1, LatencyMeanMS: 400}}},
		{"by route", ledger.Filter{}, []string{"route"}, []sm{
			{Key: k("route", ""), Requests: 1, Errors: 1, UnknownCost: 1},
			{Key: k("route", "cache"), Requests: 1, InputTokens: 300, OutputTokens: 30, CounterfactualUSD: 0.03, SavedUSD: 0.03, LatencyMeanMS: 2},
			{Key: k("route", "cloud"), Requests: 1, InputTokens: 200, OutputTokens: 20, CachedInputTokens: 50,
				ReasoningTokens: 5, CostUSD: 0.02, CounterfactualUSD: 0.02, LatencyMeanMS: 300},
			{Key: k("route", "local"), Requests: 3, Cancelled: 1, InputTokens: 1110, OutputTokens: 110,
				ReasoningTokens: 7, CounterfactualUSD: 0.111, SavedUSD: 0.111, LocalRequests: 3, LatencyMeanMS: 100},
			{Key: k("route", "peer"), Requests: 1, Errors: 1, InputTokens: 40, OutputTokens: 4,
				CounterfactualUSD: 0.004, UnknownCost: 1, LatencyMeanMS: 400}}},
		{"by task, day 2 only", ledger.Filter{Since: day1.AddDate(0, 0, 1)}, []string{"task"}, []sm{
			{Key: k("task", "code"), Requests: 1, InputTokens: 1000, OutputTokens: 100, ReasoningTokens: 7,
				CounterfactualUSD: 0.1, SavedUSD: 0.1, LocalRequests: 1, LatencyMeanMS: 150},
			{Key: k("task", "summarise"), Requests: 2, Errors: 1, InputTokens: 340, OutputTokens: 34,
				CounterfactualUSD: 0.034, SavedUSD: 0.03, UnknownCost: 1, LatencyMeanMS: 201}}},
		{"by day and route, local only", ledger.Filter{Route: "local"}, []string{"day", "route"}, []sm{
			{Key: k("day", "2026-05-01", "route", "local"), Requests: 2, Cancelled: 1, InputTokens: 110, OutputTokens: 10,
				CounterfactualUSD: 0.011, SavedUSD: 0.011, LocalRequests: 2, LatencyMeanMS: 75},
			{Key: k("day", "2026-05-02", "route", "local"), Requests: 1, InputTokens: 1000, OutputTokens: 100,
				ReasoningTokens: 7, CounterfactualUSD: 0.1, SavedUSD: 0.1, LocalRequests: 1, LatencyMeanMS: 150}}},
		{"by caller and provider", ledger.Filter{Task: "code"}, []string{"caller", "provider"}, []sm{
			{Key: k("caller", "k1", "provider", "ollama"), Requests: 1, InputTokens: 100, OutputTokens: 10,
				CounterfactualUSD: 0.01, SavedUSD: 0.01, LocalRequests: 1, LatencyMeanMS: 100},
			{Key: k("caller", "k1", "provider", "openai"), Requests: 1, InputTokens: 200, OutputTokens: 20,
				CachedInputTokens: 50, ReasoningTokens: 5, CostUSD: 0.02, CounterfactualUSD: 0.02, LatencyMeanMS: 300},
			{Key: k("caller", "k2", "provider", "ollama"), Requests: 2, Cancelled: 1, InputTokens: 1010, OutputTokens: 100,
				ReasoningTokens: 7, CounterfactualUSD: 0.101, SavedUSD: 0.101, LocalRequests: 2, LatencyMeanMS: 100}}},
		{"no matching records", ledger.Filter{Model: "nope"}, nil, nil},
		{"no matching records, grouped", ledger.Filter{Model: "nope"}, []string{"day"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Summarize(ctx, tt.f, tt.by)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d groups, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range got {
				if !sameSummary(got[i], tt.want[i]) {
					t.Errorf("group %d\n got %+v\nwant %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
	for _, by := range [][]string{{"week"}, {"day", "day"}, {"prompt"}} {
		if _, err := s.Summarize(ctx, ledger.Filter{}, by); err == nil {
			t.Errorf("Summarize by %q: no error", by)
		}
	}
}

// sameSummary compares money and means within rounding, the rest exactly.
func sameSummary(a, b ledger.Summary) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-9 }
	if !near(a.CostUSD, b.CostUSD) || !near(a.CounterfactualUSD, b.CounterfactualUSD) ||
		!near(a.SavedUSD, b.SavedUSD) || !near(a.LatencyMeanMS, b.LatencyMeanMS) {
		return false
	}
	a.CostUSD, a.CounterfactualUSD, a.SavedUSD, a.LatencyMeanMS = 0, 0, 0, 0
	b.CostUSD, b.CounterfactualUSD, b.SavedUSD, b.LatencyMeanMS = 0, 0, 0, 0
	return reflect.DeepEqual(a, b)
}

func TestRecordsFilter(t *testing.T) {
	s := openT(t, filepath.Join(t.TempDir(), "ledger.db"), Options{})
	ctx := context.Background()
	recs := fixture()
	recs = append(recs, ledger.Record{RequestID: "8", Time: day1.Add(30 * time.Hour), Route: "cloud",
		Provider: "openrouter", Model: "meta-llama/llama-3-70b"})
	if err := s.Insert(ctx, recs); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    ledger.Filter
		want string // request IDs, newest first
	}{
		{"all", ledger.Filter{}, "8 7 6 5 4 3 2 1"},
		{"limit", ledger.Filter{Limit: 3}, "8 7 6"},
		{"since is inclusive", ledger.Filter{Since: day1.Add(23 * time.Hour)}, "8 7 6 5 4"},
		{"until is exclusive", ledger.Filter{Until: day1.Add(23 * time.Hour)}, "3 2 1"},
		{"window", ledger.Filter{Since: day1.Add(2 * time.Hour), Until: day1.Add(24 * time.Hour)}, "4 3 2"},
		{"model id", ledger.Filter{Model: "qwen"}, "7 4 1"},
		{"provider/model", ledger.Filter{Model: "openai/gpt-4o"}, "5 2"},
		{"provider/model with a slash in the model", ledger.Filter{Model: "openrouter/meta-llama/llama-3-70b"}, "8"},
		{"model id with a slash", ledger.Filter{Model: "meta-llama/llama-3-70b"}, "8"},
		{"wrong provider", ledger.Filter{Model: "ollama/gpt-4o"}, ""},
		{"route", ledger.Filter{Route: "local"}, "7 4 1"},
		{"task and caller", ledger.Filter{Task: "code", Caller: "k2"}, "7 4"},
		{"model and window", ledger.Filter{Model: "qwen", Since: day1.Add(24 * time.Hour)}, "7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Records(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range got {
				ids = append(ids, r.RequestID)
			}
			if g := strings.Join(ids, " "); g != tt.want {
				t.Errorf("got %q, want %q", g, tt.want)
			}
		})
	}
}

func TestRecordsDefaultLimit(t *testing.T) {
	s := openT(t, filepath.Join(t.TempDir(), "ledger.db"), Options{})
	recs := make([]ledger.Record, ledger.DefaultLimit+5)
	for i := range recs {
		recs[i].Time = day1.Add(time.Duration(i) * time.Second)
	}
	if err := s.Insert(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	got, err := s.Records(context.Background(), ledger.Filter{})
	if err != nil || len(got) != ledger.DefaultLimit {
		t.Fatalf("%d records, %v; want %d", len(got), err, ledger.DefaultLimit)
	}
	if !got[0].Time.Equal(recs[len(recs)-1].Time) {
		t.Errorf("first record is from %v, want the newest", got[0].Time)
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the path to open
		root  bool                                  // runs as root too (root ignores permission bits)
		kind  error
		want  string // in the message, besides the path and SOVEREIGN_DATA
	}{
		{"random bytes", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "ledger.db")
			b := make([]byte, 8192)
			rand.New(rand.NewSource(1)).Read(b)
			write(t, p, b)
			return p
		}, true, ErrCorrupt, "is not a valid SQLite database (file is not a database); move it aside"},
		{"text file", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "ledger.db")
			write(t, p, []byte("hello, this is not a database\n"))
			return p
		}, true, ErrCorrupt, "is not a valid SQLite database"},
		{"damaged pages", damaged, true, ErrCorrupt, "is damaged"},
		{"another program's database", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "other.db")
			s := openT(t, p, Options{})
			if _, err := s.w.Exec("PRAGMA application_id = 42"); err != nil {
				t.Fatal(err)
			}
			s.Close()
			return p
		}, true, ErrCorrupt, "another program's SQLite database"},
		{"newer schema", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "ledger.db")
			s := openT(t, p, Options{})
			if _, err := s.w.Exec("PRAGMA user_version = 99"); err != nil {
				t.Fatal(err)
			}
			s.Close()
			return p
		}, true, ErrCorrupt, "has schema version 99, newer than this gateway's"},
		{"directory", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "ledger.db")
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
			return p
		}, true, ErrUnwritable, "is a directory, not a file"},
		{"parent is a file", func(t *testing.T, dir string) string {
			write(t, filepath.Join(dir, "data"), []byte("x"))
			return filepath.Join(dir, "data", "ledger.db")
		}, true, ErrUnwritable, "cannot be created"},
		{"read-only directory", func(t *testing.T, dir string) string {
			ro := filepath.Join(dir, "ro")
			if err := os.Mkdir(ro, 0o500); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(ro, 0o700) })
			return filepath.Join(ro, "ledger.db")
		}, false, ErrUnwritable, "cannot be opened for writing"},
		{"read-only file", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "ledger.db")
			s := openT(t, p, Options{})
			s.Close()
			if err := os.Chmod(p, 0o400); err != nil {
				t.Fatal(err)
			}
			return p
		}, false, ErrUnwritable, "cannot be opened for writing"},
		// chattr +i stops root too, where the file system has the attribute (ext4, xfs, btrfs).
		{"immutable directory", func(t *testing.T, dir string) string {
			d := filepath.Join(dir, "imm")
			if err := os.Mkdir(d, 0o700); err != nil {
				t.Fatal(err)
			}
			immutable(t, d)
			return filepath.Join(d, "ledger.db")
		}, true, ErrUnwritable, "cannot be opened for writing"},
		{"immutable file", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "ledger.db")
			s := openT(t, p, Options{})
			s.Close()
			immutable(t, p)
			return p
		}, true, ErrUnwritable, "cannot be opened for writing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.root && os.Geteuid() == 0 {
				t.Skip("root writes read-only files; run the tests as another user for this case")
			}
			path := tt.setup(t, t.TempDir())
			s, err := Open(path, Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			t.Log(msg)
			if !strings.Contains(msg, path) || !strings.Contains(msg, "SOVEREIGN_DATA") || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q\nwant the path, SOVEREIGN_DATA and %q", msg, tt.want)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %q is not %v", msg, tt.kind)
			}
		})
	}
	if _, err := Open("", Options{}); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("Open(\"\") = %v", err)
	}
}

// damaged writes a ledger with some records, then overwrites a page in the middle.
func damaged(t *testing.T, dir string) string {
	p := filepath.Join(dir, "ledger.db")
	s := openT(t, p, Options{})
	recs := make([]ledger.Record, 2000)
	for i := range recs {
		recs[i] = ledger.Record{Time: day1.Add(time.Duration(i) * time.Second), RequestID: strings.Repeat("r", 100), Task: "t", Model: "m"}
	}
	if err := s.Insert(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // checkpoints the WAL into the file
		t.Fatal(err)
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	garbage := make([]byte, 4096*4)
	rand.New(rand.NewSource(2)).Read(garbage)
	if _, err := f.WriteAt(garbage, fi.Size()/2/4096*4096); err != nil {
		t.Fatal(err)
	}
	return p
}

// immutable sets the immutable attribute on path, or skips the test where it cannot.
func immutable(t *testing.T, path string) {
	t.Helper()
	if out, err := exec.Command("chattr", "+i", path).CombinedOutput(); err != nil {
		t.Skipf("chattr +i: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", path).Run() })
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestStoredResponses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s := openT(t, path, Options{})
	ctx := context.Background()
	if _, err := s.GetResponse(ctx, "resp_missing"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("missing response: err = %v, want ledger.ErrNotFound", err)
	}
	in := ledger.StoredResponse{ID: "resp_1", Created: time.Unix(1700000000, 0).UTC(), RequestID: "req_1",
		Model: "ollama/qwen", Items: []byte(`[{"type":"message"}]`), Body: []byte(`{"id":"resp_1"}`)}
	if err := s.PutResponse(ctx, in); err != nil {
		t.Fatal(err)
	}
	// Stored responses outlive the process: read them back through a second open of the file.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openT(t, path, Options{})
	got, err := s2.GetResponse(ctx, "resp_1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Errorf("read back %+v, want %+v", got, in)
	}
	if err := s2.DeleteResponse(ctx, "resp_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.GetResponse(ctx, "resp_1"); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("after delete: err = %v, want ledger.ErrNotFound", err)
	}
	if err := s2.DeleteResponse(ctx, "resp_1"); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("second delete: err = %v, want ledger.ErrNotFound", err)
	}
}
