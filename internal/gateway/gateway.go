// Package gateway wires the gateway's parts together, by hand and in one place: configuration
// in, a catalog of providers, local engine discovery, the dispatcher, the API handlers and the
// HTTP server out.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/api/anthropic"
	"github.com/sovereign-gateway/sovereign/internal/api/exchange"
	"github.com/sovereign-gateway/sovereign/internal/api/openai"
	"github.com/sovereign-gateway/sovereign/internal/api/responses"
	"github.com/sovereign-gateway/sovereign/internal/api/usage"
	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/config"
	"github.com/sovereign-gateway/sovereign/internal/discover"
	"github.com/sovereign-gateway/sovereign/internal/dispatch"
	"github.com/sovereign-gateway/sovereign/internal/ledger"
	"github.com/sovereign-gateway/sovereign/internal/ledger/sqlite"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/metrics"
	"github.com/sovereign-gateway/sovereign/internal/pricing"
	"github.com/sovereign-gateway/sovereign/internal/privacy"
	"github.com/sovereign-gateway/sovereign/internal/route"
	"github.com/sovereign-gateway/sovereign/internal/server"
)

// Gateway is an assembled gateway.
type Gateway struct {
	Config   *config.Config
	Catalog  *catalog.Catalog
	Discover *discover.Discoverer
	Server   *server.Server
	// Ledger records every request; Store is its database.
	Ledger *ledger.Writer
	Store  ledger.Store
	// Outcomes takes the success or failure of answered requests and moves each task's
	// routing threshold (the outcomes API will feed it).
	Outcomes *route.Adjuster
	log      *slog.Logger

	stop context.CancelFunc
	wg   sync.WaitGroup
}

// LedgerFile is the ledger database's name inside the data directory.
const LedgerFile = "ledger.db"

// New assembles a gateway from cfg; nothing runs until Start. It opens the ledger database
// under cfg.DataDir and fails, naming the file and the fix, when that is not possible: the
// gateway never runs without its ledger.
func New(cfg *config.Config, log *slog.Logger, version string) (*Gateway, error) {
	prices, err := PriceTable(cfg)
	if err != nil {
		return nil, err
	}
	store, err := sqlite.Open(filepath.Join(cfg.DataDir, LedgerFile), sqlite.Options{Durability: cfg.Ledger.Durability})
	if err != nil {
		return nil, err
	}
	writer := ledger.NewWriter(store, ledger.WriterOptions{Durability: cfg.Ledger.Durability, Log: log})
	acct := &exchange.Accounting{Ledger: writer, Prices: prices, Reference: cfg.Ledger.ReferenceModel,
		Strict: cfg.Ledger.Durability == config.DurabilityStrict, StorePrompts: cfg.Ledger.StorePrompts}
	aliases := make(map[string][]string, len(cfg.Aliases))
	for k, v := range cfg.Aliases {
		aliases[k] = v
	}
	cat := catalog.New(catalog.Options{Aliases: aliases, DefaultModel: cfg.Defaults.Model, DefaultCloud: cfg.Defaults.Cloud})
	disc := discover.New(cfg, cat, log)
	disp := dispatch.New(dispatch.Options{Backoff: cfg.Retry.Backoff.D(), MaxBackoff: cfg.Retry.MaxBackoff.D(), Log: log})
	guard, err := privacyGuard(cfg)
	if err != nil {
		store.Close()
		return nil, err
	}
	outcomes := route.NewAdjuster(route.AdjusterOpts{})
	pipe := &exchange.Pipeline{Catalog: cat, Dispatch: disp, Log: log, MaxBody: int64(cfg.MaxBodyBytes), Accounting: acct,
		Routing: routing(cfg, outcomes), Privacy: guard}
	h := &openai.Handler{Pipeline: pipe, Started: time.Now()}
	srv := server.New(server.Options{OpenAI: h, Anthropic: &anthropic.Handler{Pipeline: pipe},
		Responses: &responses.Handler{Pipeline: pipe, Store: store}, Usage: &usage.Handler{Store: store},
		Metrics: metrics.New(writer), Catalog: cat, Log: log, Version: version})
	return &Gateway{Config: cfg, Catalog: cat, Discover: disc, Server: srv, Ledger: writer, Store: store, Outcomes: outcomes, log: log}, nil
}

// privacyGuard is the privacy guard the configuration asks for; nil when it is disabled.
func privacyGuard(cfg *config.Config) (*exchange.Privacy, error) {
	pc := cfg.Privacy
	if pc.Disabled {
		return nil, nil
	}
	var opts privacy.Options
	for _, c := range pc.Custom {
		if c.Pattern != "" {
			opts.Custom = append(opts.Custom, privacy.Pattern{Name: c.Name, Regexp: c.Pattern})
		}
		if len(c.Words) > 0 {
			opts.Dictionaries = append(opts.Dictionaries, privacy.Dictionary{Name: c.Name, Words: c.Words})
		}
	}
	sc, err := privacy.New(opts)
	if err != nil {
		return nil, fmt.Errorf("privacy.custom: %w", err)
	}
	g := &exchange.Privacy{Scanner: sc, Cloud: policy(privacy.DefaultCloud(), pc.Cloud), Local: policy(privacy.DefaultLocal(), pc.Local),
		Models: map[string]privacy.Policy{}, Trusted: map[string]bool{}}
	for k, m := range pc.Models {
		g.Models[k] = policy(privacy.Policy{}, m)
	}
	for _, name := range pc.Trusted {
		g.Trusted[name] = true
	}
	return g, nil
}

// policy is base with the configuration's entries over it: "default" sets the action of every
// category the entries do not name (a secret keeps the base's action unless named).
func policy(base privacy.Policy, m map[string]string) privacy.Policy {
	out := privacy.Policy{Default: base.Default, Categories: map[privacy.Category]privacy.Action{}}
	for c, a := range base.Categories {
		out.Categories[c] = a
	}
	for k, v := range m {
		if k == "default" {
			out.Default = privacy.Action(v)
			continue
		}
		out.Categories[privacy.Category(k)] = privacy.Action(v)
	}
	return out
}

// routing is the router's configuration: the shipped quality model, the quality knob, the
// client model names routed like "auto", and outcome learning's offsets.
func routing(cfg *config.Config, outcomes *route.Adjuster) *exchange.Routing {
	q := config.DefaultQuality
	if cfg.Route.Quality != nil {
		q = *cfg.Route.Quality
	}
	routed := make(map[string]bool, len(cfg.Route.Routed))
	for _, name := range cfg.Route.Routed {
		routed[name] = true
	}
	return &exchange.Routing{Model: route.Default(), Quality: q, Routed: routed, Offsets: outcomes,
		Cascade: exchange.Cascade{On: cfg.Route.Cascade == "on", HoldStreams: cfg.Route.CascadeStreams != "off",
			Check: func(req *llm.Request, resp *llm.Response) (bool, []string) {
				v := route.Check(req, resp, route.CheckOptions{})
				return v.OK, v.Failed
			}}}
}

// PriceTable is the shipped price table with the configuration's overrides and local rate.
func PriceTable(cfg *config.Config) (*pricing.Table, error) {
	overrides := make(map[string]pricing.Price, len(cfg.Prices))
	for k, p := range cfg.Prices {
		pp := pricing.Price{Input: p.Input, Output: p.Output, CachedInput: p.CachedInput, CacheWrite: p.CacheWrite, Source: "configuration"}
		if err := pricing.ValidOverride(k, pp); err != nil {
			return nil, fmt.Errorf("prices %q: %w", k, err)
		}
		overrides[k] = pp
	}
	return pricing.Default().With(overrides).WithLocalRate(cfg.Ledger.LocalRate), nil
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

// Shutdown stops taking requests, lets those in flight finish until ctx ends, stops discovery,
// and then writes every pending ledger record before closing the database.
func (g *Gateway) Shutdown(ctx context.Context) error {
	err := g.Server.Shutdown(ctx)
	if g.stop != nil {
		g.stop()
	}
	g.wg.Wait()
	// The ledger gets its own grace: records of requests that did finish must not be lost
	// because the requests took all of ctx.
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if lerr := g.Ledger.Close(lctx); lerr != nil {
		g.log.Error("ledger records could not be written", "error", lerr)
		err = errors.Join(err, lerr)
	}
	if cerr := g.Store.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	return err
}

// Close releases what New opened, for a gateway that was never started.
func (g *Gateway) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(g.Ledger.Close(ctx), g.Store.Close())
}
