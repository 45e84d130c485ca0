//go:build sqlitedrivers

package mattn_test

import (
	"database/sql"
	"testing"

	_ "github.com/mattn/go-sqlite3"
	"github.com/sovereign-gateway/sovereign/bench/sqlitedrivers"
)

// BenchmarkMattn: github.com/mattn/go-sqlite3, SQLite's C source through cgo.
func BenchmarkMattn(b *testing.B) {
	sqlitedrivers.Run(b, func(path string) (*sql.DB, error) { return sql.Open("sqlite3", path) })
}
