package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/config"
	"github.com/sovereign-gateway/sovereign/internal/gateway"
	"github.com/sovereign-gateway/sovereign/internal/ledger/sqlite"
	"github.com/sovereign-gateway/sovereign/internal/pricing"
	"github.com/sovereign-gateway/sovereign/internal/report"
)

// LedgerPath returns where cfg keeps its ledger.
func LedgerPath(cfg *config.Config) string { return filepath.Join(cfg.DataDir, gateway.LedgerFile) }

func reportCmd(ctx context.Context, args []string, env Env) error {
	fs := newFlags("report", env)
	cfgPath := fs.String("config", "", "configuration file")
	since := fs.String("since", "30d", "from: a date (2026-11-01), an RFC 3339 time, or an age (24h, 7d); \"\" for all")
	until := fs.String("until", "", "until (same forms); default now")
	by := fs.String("by", "day", "group by: comma-separated day, model, route, task, provider, caller; \"\" for one total")
	model := fs.String("model", "", "only this model (provider/model)")
	route := fs.String("route", "", "only this route: local, cloud")
	task := fs.String("task", "", "only this task tag")
	asJSON := fs.Bool("json", false, "print JSON")
	asCSV := fs.Bool("csv", false, "print CSV")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	q := report.Query{By: report.ParseBy(*by), Model: *model, Route: *route, Task: *task}
	if q.Since, err = report.ParseTime(*since, now); err != nil {
		return fmt.Errorf("--since: %w", err)
	}
	if q.Until, err = report.ParseTime(*until, now); err != nil {
		return fmt.Errorf("--until: %w", err)
	}
	path := LedgerPath(cfg)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no ledger at %s yet: it is created when `sovereign serve` answers its first request (set SOVEREIGN_DATA if the gateway uses another data directory)", path)
	}
	store, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	r, err := report.Build(ctx, store, q)
	if err != nil {
		return err
	}
	switch {
	case *asJSON:
		return report.WriteJSON(env.Stdout, r)
	case *asCSV:
		return report.WriteCSV(env.Stdout, r)
	}
	return report.WriteText(env.Stdout, r)
}

func pricesCmd(args []string, env Env) error {
	fs := newFlags("prices", env)
	cfgPath := fs.String("config", "", "configuration file")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	t, err := gateway.PriceTable(cfg)
	if err != nil {
		return err
	}
	return pricing.FormatTable(env.Stdout, t)
}
