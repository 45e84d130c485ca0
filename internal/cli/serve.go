package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/config"
	"github.com/sovereign-gateway/sovereign/internal/gateway"
)

// shutdownGrace is how long in-flight requests may finish after SIGINT or SIGTERM.
const shutdownGrace = 15 * time.Second

func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

func serve(ctx context.Context, args []string, env Env) error {
	fs := newFlags("serve", env)
	addr := fs.String("addr", "", "listen address (default 127.0.0.1:8420)")
	cfgPath := fs.String("config", "", "configuration file (default: $SOVEREIGN_CONFIG, ./sovereign.yaml)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Addr = *addr
		if err := cfg.Validate(); err != nil {
			return err
		}
	}
	log := newLogger(env.Stderr, cfg.Log.Level, cfg.Log.Format)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory %s: %w; set SOVEREIGN_DATA or data_dir to a writable place", cfg.DataDir, err)
	}
	g, err := gateway.New(cfg, log, Version())
	if err != nil {
		return err
	}
	ln, err := g.Listen()
	if err != nil {
		g.Close()
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := g.Start(ctx, ln)
	var local, cloud int
	for _, e := range g.Catalog.Entries() {
		if !e.Reachable {
			continue
		}
		if e.Local {
			local += len(e.Models)
		} else {
			cloud += len(e.Models)
		}
	}
	log.Info("sovereign listening", "addr", "http://"+ln.Addr().String()+"/v1", "version", Version(),
		"config", cfg.File, "local_models", local, "cloud_models", cloud,
		"ledger", LedgerPath(cfg), "durability", cfg.Ledger.Durability)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", shutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	return g.Shutdown(sctx)
}
