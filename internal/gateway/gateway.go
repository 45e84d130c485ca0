// Package gateway wires the gateway's parts together, by hand and in one place: configuration
// in, a catalog of providers, local engine discovery, the dispatcher, the API handlers and the
// HTTP server out.
package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/api/openai"
	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/config"
	"github.com/sovereign-gateway/sovereign/internal/discover"
	"github.com/sovereign-gateway/sovereign/internal/dispatch"
	"github.com/sovereign-gateway/sovereign/internal/server"
)

// Gateway is an assembled gateway.
type Gateway struct {
	Config   *config.Config
	Catalog  *catalog.Catalog
	Discover *discover.Discoverer
	Server   *server.Server
	log      *slog.Logger

	stop context.CancelFunc
	wg   sync.WaitGroup
}

// New assembles a gateway from cfg; nothing runs until Start.
func New(cfg *config.Config, log *slog.Logger, version string) *Gateway {
	aliases := make(map[string][]string, len(cfg.Aliases))
	for k, v := range cfg.Aliases {
		aliases[k] = v
	}
	cat := catalog.New(catalog.Options{Aliases: aliases, DefaultModel: cfg.Defaults.Model, DefaultCloud: cfg.Defaults.Cloud})
	disc := discover.New(cfg, cat, log)
	disp := dispatch.New(dispatch.Options{Backoff: cfg.Retry.Backoff.D(), MaxBackoff: cfg.Retry.MaxBackoff.D(), Log: log})
	h := &openai.Handler{Catalog: cat, Dispatch: disp, Log: log, MaxBody: int64(cfg.MaxBodyBytes), Started: time.Now()}
	srv := server.New(server.Options{OpenAI: h, Catalog: cat, Log: log, Version: version})
	return &Gateway{Config: cfg, Catalog: cat, Discover: disc, Server: srv, log: log}
}

// Start probes providers once, then serves on ln and keeps discovery running.
func (g *Gateway) Start(ctx context.Context, ln net.Listener) <-chan error {
	ctx, g.stop = context.WithCancel(ctx)
	g.Discover.Refresh(ctx)
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		g.Discover.Run(ctx)
	}()
	errc := make(chan error, 1)
	go func() { errc <- g.Server.Serve(ln) }()
	return errc
}

// Listen opens the configured address with a clear error when it is taken.
func (g *Gateway) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", g.Config.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (is another gateway running? choose another with --addr)", g.Config.Addr, err)
	}
	return ln, nil
}

// Shutdown stops taking requests, lets those in flight finish until ctx ends, and stops
// discovery.
func (g *Gateway) Shutdown(ctx context.Context) error {
	err := g.Server.Shutdown(ctx)
	if g.stop != nil {
		g.stop()
	}
	g.wg.Wait()
	return err
}
