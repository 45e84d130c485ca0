//go:build sqlitedrivers

package modernc_test

import (
	"database/sql"
	"testing"

	"github.com/sovereign-gateway/sovereign/bench/sqlitedrivers"
	_ "modernc.org/sqlite"
)

// BenchmarkModernc: modernc.org/sqlite, SQLite translated from C to Go (no cgo).
func BenchmarkModernc(b *testing.B) {
	sqlitedrivers.Run(b, func(path string) (*sql.DB, error) { return sql.Open("sqlite", path) })
}
