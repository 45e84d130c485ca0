// Package sqlitedrivers compares SQLite drivers for the ledger (internal/ledger/sqlite) on the
// three workloads the ledger has: batched inserts of 512 records per transaction, one-record
// transactions with synchronous=FULL (strict durability), and the report query over 100k rows.
//
// Each driver has its own subpackage, so that each runs in its own test binary:
// github.com/mattn/go-sqlite3 and github.com/ncruces/go-sqlite3/driver both register the
// database/sql driver name "sqlite3" in init, and one binary that imports both panics. The
// subpackages build only with the sqlitedrivers tag, so that `go test ./...` does not compile
// SQLite's C source for the cgo driver:
//
//	go test -tags sqlitedrivers -run '^$' -bench . -benchtime 3s ./bench/sqlitedrivers/...
//
// The schema comes from internal/ledger/sqlite; the statements and pragmas mirror it; results and the decision
// are in docs/BENCHMARKS.md ("Ledger: SQLite driver").
package sqlitedrivers

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ledgersqlite "github.com/sovereign-gateway/sovereign/internal/ledger/sqlite"
)

const insertSQL = `INSERT INTO requests (
	time_us, request_id, caller, team, task, session, user, ingress, stream, requested_model,
	route, provider, model, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens,
	reasoning_tokens, tokens_estimated, latency_ms, ttft_ms, status, error_code, outcome,
	cost_usd, counterfactual_usd, saved_usd, reference_model, price_table_date, prompt, metadata
) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`

// summarizeSQL is the report the dashboard asks most: by day, model and route over a window.
const summarizeSQL = `SELECT
	date(time_us / 1000000, 'unixepoch') AS day,
	CASE WHEN provider = '' THEN model ELSE provider || '/' || model END AS model_key,
	route,
	count(*), sum(outcome IN ('error', 'failed')),
	sum(input_tokens), sum(output_tokens), sum(cached_input_tokens), sum(reasoning_tokens),
	total(cost_usd), total(counterfactual_usd), total(saved_usd),
	sum(cost_usd IS NULL), sum(route = 'local')
FROM requests
WHERE time_us >= ? AND time_us < ?
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3`

// Opener opens path with the driver under test. The harness sets the pragmas itself on the one
// connection it allows, so that each driver runs with the same settings.
type Opener func(path string) (*sql.DB, error)

var base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func open(b *testing.B, o Opener, synchronous string) *sql.DB {
	b.Helper()
	db, err := o(filepath.Join(b.TempDir(), "ledger.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	// One connection, so that the per-connection pragmas below hold for every statement.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	for _, p := range []string{
		"PRAGMA busy_timeout = 5000",
		"PRAGMA journal_mode = WAL",
		"PRAGMA synchronous = " + synchronous,
		"PRAGMA foreign_keys = ON",
	} {
		if _, err := db.Exec(p); err != nil {
			b.Fatalf("%s: %v", p, err)
		}
	}
	if _, err := db.Exec(strings.Join(ledgersqlite.Schema(), ";\n")); err != nil {
		b.Fatal(err)
	}
	return db
}

var (
	models = []string{"qwen2.5:3b", "llama3.2:1b", "gpt-4o-mini", "claude-sonnet-4", "mistral-small"}
	routes = []string{"local", "local", "cloud", "cache", "peer"}
	tasks  = []string{"summarise", "code", "triage", "translate"}
)

// args returns the insert arguments of the i-th synthetic record: 24 days of traffic, five
// models, a fifth of the costs unknown.
func args(i int) []any {
	m := i % len(models)
	var cost, cf, saved any
	if i%5 != 0 {
		c := float64(i%100) * 1e-5
		cost, cf, saved = c, 2*c, c
	}
	provider := "ollama"
	if routes[m] == "cloud" {
		provider = "openai"
	}
	return []any{
		base.Add(time.Duration(i) * 20 * time.Second).UnixMicro(),
		fmt.Sprintf("req-%08d", i), "", "", tasks[i%len(tasks)], "", "", "openai.chat", i%2 == 0, models[m],
		routes[m], provider, models[m], int64(200 + i%1000), int64(50 + i%300), int64(i % 64), int64(0),
		int64(0), false, 120.5 + float64(i%50), 30.25, 200, "", "ok",
		cost, cf, saved, "gpt-4o", "2026-01-01", "", nil,
	}
}

func insert(ctx context.Context, db *sql.DB, from, n int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, insertSQL)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i := from; i < from+n; i++ {
		if _, err := stmt.ExecContext(ctx, args(i)...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func reportRate(b *testing.B, records int) {
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

// BatchInsert512 measures transactions of 512 records each at synchronous=NORMAL (the
// ledger's batched durability).
func BatchInsert512(b *testing.B, o Opener) {
	db := open(b, o, "NORMAL")
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := insert(ctx, db, i*512, 512); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, b.N*512)
}

// SingleInsertStrict measures one record per transaction at synchronous=FULL (the ledger's
// strict durability: every commit is fsynced).
func SingleInsertStrict(b *testing.B, o Opener) {
	db := open(b, o, "FULL")
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := insert(ctx, db, i, 1); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, b.N)
}

// Summarize100k measures the grouped report over 100,000 records (filled before the timer).
func Summarize100k(b *testing.B, o Opener) {
	db := open(b, o, "NORMAL")
	ctx := context.Background()
	const rows = 100_000
	for i := 0; i < rows; i += 1000 {
		if err := insert(ctx, db, i, 1000); err != nil {
			b.Fatal(err)
		}
	}
	until := base.Add(rows * 20 * time.Second).UnixMicro()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rs, err := db.QueryContext(ctx, summarizeSQL, base.UnixMicro(), until)
		if err != nil {
			b.Fatal(err)
		}
		groups, requests := 0, int64(0)
		for rs.Next() {
			var day, model, route string
			var n, errs, in, out, cached, reasoning, unknown, local int64
			var cost, cf, saved float64
			if err := rs.Scan(&day, &model, &route, &n, &errs, &in, &out, &cached, &reasoning,
				&cost, &cf, &saved, &unknown, &local); err != nil {
				b.Fatal(err)
			}
			groups++
			requests += n
		}
		if err := rs.Err(); err != nil {
			b.Fatal(err)
		}
		rs.Close()
		if requests != rows {
			b.Fatalf("summarised %d requests in %d groups, want %d", requests, groups, rows)
		}
	}
}

// Run runs the three workloads as sub-benchmarks.
func Run(b *testing.B, o Opener) {
	b.Run("BatchInsert512", func(b *testing.B) { BatchInsert512(b, o) })
	b.Run("SingleInsertStrict", func(b *testing.B) { SingleInsertStrict(b, o) })
	b.Run("Summarize100k", func(b *testing.B) { Summarize100k(b, o) })
}

// DSN returns path as a file: URI, for the drivers that want one.
func DSN(path string) string {
	return "file:" + strings.ReplaceAll(path, "?", "%3f")
}
