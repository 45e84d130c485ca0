package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/config"
	"github.com/sovereign-gateway/sovereign/internal/discover"
)

// probe builds a catalog from cfg and probes every provider once.
func probe(ctx context.Context, cfg *config.Config) *catalog.Catalog {
	cat := catalog.New(catalog.Options{})
	discover.New(cfg, cat, slog.New(slog.DiscardHandler)).Refresh(ctx)
	return cat
}

type modelRow struct {
	Model         string   `json:"model"`
	Route         string   `json:"route"`
	ContextLength int      `json:"context_length,omitempty"`
	Capabilities  []string `json:"capabilities,omitempty"`
}

func modelsCmd(ctx context.Context, args []string, env Env) error {
	fs := newFlags("models", env)
	cfgPath := fs.String("config", "", "configuration file")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	cat := probe(ctx, cfg)
	var rows []modelRow
	var down []string
	for _, route := range []string{catalog.RouteLocal, catalog.RouteCloud} {
		for _, e := range cat.Entries() {
			if e.Route() != route {
				continue
			}
			if !e.Reachable {
				down = append(down, fmt.Sprintf("%s (%s): %s", e.Name, route, e.LastError))
				continue
			}
			for _, m := range e.Models {
				rows = append(rows, modelRow{Model: e.Name + "/" + m.ID, Route: route, ContextLength: m.ContextLength, Capabilities: m.Caps.List()})
			}
		}
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"models": rows, "unreachable": down})
	}
	printModels(env.Stdout, rows, down)
	return nil
}

func printModels(w io.Writer, rows []modelRow, down []string) {
	if len(rows) == 0 {
		fmt.Fprintln(w, "No models reachable. Start a local engine (Ollama, llama.cpp, LM Studio, vLLM) or set a cloud key such as OPENAI_API_KEY; `sovereign doctor` says more.")
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "MODEL\tROUTE\tCONTEXT\tCAPABILITIES")
		for _, r := range rows {
			ctx := "-"
			if r.ContextLength > 0 {
				ctx = fmt.Sprint(r.ContextLength)
			}
			caps := strings.Join(r.Capabilities, ",")
			if caps == "" {
				caps = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Model, r.Route, ctx, caps)
		}
		tw.Flush()
	}
	for _, d := range down {
		fmt.Fprintln(w, "unreachable:", d)
	}
}
