package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/sovereign-gateway/sovereign/internal/config"
	"github.com/sovereign-gateway/sovereign/internal/route"
	"github.com/sovereign-gateway/sovereign/internal/tokens"
)

const evalRouteUsage = `usage: sovereign eval route --data FILE.jsonl[.gz] [--local NAME] [--cloud NAME] [--split all|heldout|train] [--json]

Replays a routing data set (data/routing/*.jsonl.gz) through the router's own decision, with no
model called, and reports quality and cost of local only, cloud only, random routing and the
router, with RouteLLM's APGR and CPT metrics next to RouteLLM's published figures.
`

// evalRoute runs `sovereign eval route`.
func evalRoute(ctx context.Context, args []string, env Env) error {
	fs := newFlags("eval route", env)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, evalRouteUsage)
		fs.PrintDefaults()
	}
	data := fs.String("data", "", "data set, JSON Lines, gzip-compressed or not (required)")
	local := fs.String("local", "mixtral-8x7b", "answer name of the local (weak) model")
	cloud := fs.String("cloud", "gpt-4-1106", "answer name of the cloud (strong) model")
	quality := fs.Float64("quality", config.DefaultQuality, "the quality knob of the operating point: threshold on p(local ok), 0..1 (route.quality)")
	split := fs.String("split", route.SplitAll, "rows: all, heldout (never trained on: held-out MMLU subjects and MT-Bench) or train")
	categories := fs.String("category", "", "only these categories (comma-separated MMLU subjects or MT-Bench categories)")
	steps := fs.Int("steps", 10, "even cloud-call shares APGR integrates over (RouteLLM uses 10)")
	modelPath := fs.String("model", "", "model file to evaluate instead of the embedded one")
	cloudIn := fs.Float64("cloud-in", 10, "cloud price, USD per million input tokens")
	cloudOut := fs.Float64("cloud-out", 30, "cloud price, USD per million output tokens")
	hosted := fs.Float64("local-hosted", 0.6, "hosted price of the local model, USD per million tokens, for comparison")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" || fs.NArg() > 0 {
		fs.Usage()
		return ErrUsage
	}
	if *quality < 0 || *quality > 1 {
		return fmt.Errorf("--quality %v: want a value in [0, 1]", *quality)
	}
	if *cloudIn <= 0 || *cloudOut <= 0 || *hosted <= 0 {
		return errors.New("prices must be positive")
	}
	m := route.Default()
	if *modelPath != "" {
		f, err := os.Open(*modelPath)
		if err != nil {
			return err
		}
		m, err = route.Load(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *modelPath, err)
		}
	}
	f, err := os.Open(*data)
	if err != nil {
		return err
	}
	rows, err := route.ReadRows(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", *data, err)
	}
	var cats []string
	if *categories != "" {
		cats = strings.Split(*categories, ",")
	}
	rows, err = route.SelectRows(rows, *split, cats)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rep, err := route.Evaluate(m, rows, route.EvalOptions{
		Local:   *local,
		Cloud:   *cloud,
		Quality: *quality,
		Steps:   *steps,
		Count:   func(s string) int { return tokens.CountText("gpt-4", s) },
		Prices:  route.Prices{CloudIn: *cloudIn, CloudOut: *cloudOut, LocalHosted: *hosted},
	})
	if err != nil {
		return fmt.Errorf("%s: %w", *data, err)
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return writeEvalRoute(env.Stdout, rep, *data, *split)
}

func writeEvalRoute(w io.Writer, r *route.Report, data, split string) error {
	pct := func(x float64) string {
		if x < 0 {
			return "never"
		}
		return fmt.Sprintf("%.1f%%", 100*x)
	}
	usd := func(x float64) string { return fmt.Sprintf("$%.2f", x) }
	saving := func(cost, base float64) string {
		if base <= 0 {
			return ""
		}
		return fmt.Sprintf(" (%+.0f%%)", 100*(cost/base-1))
	}
	p := r.Prices
	fmt.Fprintf(w, "%s: %d rows (split %s), model %s, benchmarks %s\n", data, r.Rows, split, r.Model, strings.Join(r.Benchmarks, ", "))
	fmt.Fprintf(w, "local %s ($0: it runs on your hardware; hosted comparison $%.2f/M), cloud %s ($%g/M in, $%g/M out)\n\n",
		r.Local, p.LocalHosted, r.Cloud, p.CloudIn, p.CloudOut)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tquality\tcloud calls\tcost, local free\tcost, local hosted\t")
	fmt.Fprintf(tw, "local only\t%.3f\t%s\t%s\t%s\t\n", r.LocalOnly.Quality, pct(0), usd(r.LocalOnly.Cost), usd(r.LocalOnly.CostHosted))
	fmt.Fprintf(tw, "cloud only\t%.3f\t%s\t%s\t%s\t\n", r.CloudOnly.Quality, pct(1), usd(r.CloudOnly.Cost), usd(r.CloudOnly.CostHosted))
	fmt.Fprintf(tw, "random, 95%% of cloud quality\t%.3f\t%s\t%s\t%s\t\n", r.Random95.Quality, pct(r.Random95.CloudShare),
		usd(r.Random95.Cost)+saving(r.Random95.Cost, r.CloudOnly.Cost), usd(r.Random95.CostHosted)+saving(r.Random95.CostHosted, r.CloudOnly.CostHosted))
	if r.At95.CloudShare >= 0 {
		fmt.Fprintf(tw, "router, 95%% of cloud quality\t%.3f\t%s\t%s\t%s\t\n", r.At95.Quality, pct(r.At95.CloudShare),
			usd(r.At95.Cost)+saving(r.At95.Cost, r.CloudOnly.Cost), usd(r.At95.CostHosted)+saving(r.At95.CostHosted, r.CloudOnly.CostHosted))
	} else {
		fmt.Fprintln(tw, "router, 95% of cloud quality\tnever\t\t\t\t")
	}
	o := r.Operating
	fmt.Fprintf(tw, "router, quality knob %.2f\t%.3f\t%s\t%s\t%s\t\n", o.Threshold, o.Quality, pct(o.CloudShare),
		usd(o.Cost)+saving(o.Cost, r.CloudOnly.Cost), usd(o.CostHosted)+saving(o.CostHosted, r.CloudOnly.CostHosted))
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(w, "\nRouteLLM metrics: APGR is the area under PGR over the cloud-call share (%d steps); CPT(x) the\ncloud calls needed to recover x of the quality gap between local only and cloud only.\n\n", r.Steps)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "router\tAPGR\tCPT(50%)\tCPT(80%)\tCPT(95%)\t")
	for _, x := range []struct {
		name string
		m    route.Metrics
	}{{"this router (" + r.Model + ")", r.Router}, {"random", r.Random}, {"oracle (hindsight, upper bound)", r.Oracle}} {
		fmt.Fprintf(tw, "%s\t%.3f\t%s\t%s\t%s\t\n", x.name, x.m.APGR, pct(x.m.CPT50), pct(x.m.CPT80), pct(x.m.CPT95))
	}
	for _, pub := range r.Published {
		name := "RouteLLM " + pub.Benchmark + ", " + pub.Router
		if pub.Training != "" {
			name += " (" + pub.Training + ")"
		}
		fmt.Fprintf(tw, "%s\t%.3f\t%s\t%s\t\t\n", name, pub.APGR, pct(pub.CPT50), pct(pub.CPT80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Published) > 0 {
		fmt.Fprintln(w, "(RouteLLM: Ong et al., arXiv:2406.18665v4, Tables 1 and 2; same model pair and decontaminated rows.)")
	}
	c := r.Calibration
	fmt.Fprintf(w, "\nCalibration: mean p(local ok) %.3f, observed local ok %.3f, Brier %.3f\n", c.MeanP, c.Observed, c.Brier)

	fmt.Fprintln(w, "\nThreshold sweep (the quality knob is the threshold on p(local ok)):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "knob\tcloud calls\tquality\tPGR\tcost, local free\tcost, local hosted\trandom at same share\t")
	for _, pt := range r.Sweep {
		fmt.Fprintf(tw, "%.2f\t%s\t%.3f\t%.2f\t%s\t%s\t%.3f\t\n", pt.Threshold, pct(pt.CloudShare), pt.Quality, pt.PGR+0, usd(pt.Cost), usd(pt.CostHosted), pt.RandomQuality)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nBy category, at the operating point:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "category\trows\tkept local\tlocal only\tcloud only\trouted\tAPGR within\t")
	for _, c := range r.Categories {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t\n", c.Category, c.Rows, pct(c.LocalShare), c.Local, c.Cloud, c.Routed, c.APGR)
	}
	return tw.Flush()
}
