//go:build sqlitedrivers

package ncruces_test

import (
	"database/sql"
	"testing"

	_ "github.com/ncruces/go-sqlite3/driver"
	"github.com/sovereign-gateway/sovereign/bench/sqlitedrivers"
)

// BenchmarkNcruces: github.com/ncruces/go-sqlite3, SQLite built to Wasm and translated to Go
// with wasm2go (no cgo).
func BenchmarkNcruces(b *testing.B) {
	sqlitedrivers.Run(b, func(path string) (*sql.DB, error) { return sql.Open("sqlite3", sqlitedrivers.DSN(path)) })
}
