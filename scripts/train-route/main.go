// Command train-route builds the router's data and model (issue 5).
//
//	go run ./scripts/train-route convert [-src DIR]   RouteLLM's files → data/routing/*.jsonl.gz
//	go run ./scripts/train-route [-data DIR] [-out FILE]   train → internal/route/model.bin
//
// Training reads only the MMLU rows of the training subjects (every subject not in
// route.HeldOutSubjects); the held-out subjects and all of MT-Bench are never read. It picks the
// hyper-parameters by 5-fold cross-validation grouped by subject within the training subjects,
// fits the Platt calibration on the out-of-fold predictions, trains the final model on every
// training row and writes it. Everything is deterministic: the same data gives the same bytes.
// Run it from the repository root.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/route"
	"github.com/sovereign-gateway/sovereign/internal/tokens"
)

// Answer names in the data.
const (
	weakName   = "mixtral-8x7b"
	strongName = "gpt-4-1106"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "train-route:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 && args[0] == "convert" {
		fs := flag.NewFlagSet("convert", flag.ContinueOnError)
		src := fs.String("src", "../shared/data/routing", "directory with routellm_mmlu/ and routellm_mtbench/")
		out := fs.String("out", "data/routing", "output directory")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return convert(*src, *out)
	}
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	data := fs.String("data", "data/routing", "directory with mmlu.jsonl.gz")
	out := fs.String("out", "internal/route/model.bin", "model file to write")
	folds := fs.Int("folds", 5, "cross-validation folds (grouped by subject)")
	exp := fs.Bool("experiments", false, "only print cross-validation figures of feature-family variants")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *exp {
		return experiments(*data, *folds)
	}
	return train(*data, *out, *folds)
}

// ---- conversion ----

type mmluSource struct {
	Domain        string `json:"domain"`
	Prompt        string `json:"prompt"`
	WeakCorrect   bool   `json:"weak_correct"`
	StrongCorrect bool   `json:"strong_correct"`
	Contaminated  bool   `json:"contaminated"`
}

type mtbenchSource struct {
	QuestionID   int      `json:"question_id"`
	Category     string   `json:"category"`
	Turns        []string `json:"turns"`
	WeakScore1   float64  `json:"weak_score_turn1"`
	WeakScore2   float64  `json:"weak_score_turn2"`
	StrongScore1 float64  `json:"strong_score_turn1"`
	StrongScore2 float64  `json:"strong_score_turn2"`
	Contaminated bool     `json:"contaminated"`
}

type judgement struct {
	QuestionID int    `json:"question_id"`
	Model      string `json:"model"`
	Turn       int    `json:"turn"`
	UserPrompt string `json:"user_prompt"`
}

const (
	srcWeak   = "mistralai/Mixtral-8x7B-Instruct-v0.1"
	srcStrong = "gpt-4-1106-preview"
)

func convert(src, out string) error {
	count := func(s string) int { return tokens.CountText("gpt-4", s) }

	// MMLU: one row per question, contaminated rows dropped.
	var mmlu []route.Row
	seen := map[string]int{}
	dropped := 0
	err := readJSONL(filepath.Join(src, "routellm_mmlu", "mmlu_routing.jsonl"), func(line []byte) error {
		var s mmluSource
		if err := json.Unmarshal(line, &s); err != nil {
			return err
		}
		i := seen[s.Domain]
		seen[s.Domain]++
		if s.Contaminated {
			dropped++
			return nil
		}
		mmlu = append(mmlu, route.Row{
			ID:       fmt.Sprintf("mmlu/%s/%d", s.Domain, i),
			Messages: []route.RowMessage{{Role: "user", Content: s.Prompt}},
			Answers: map[string]route.Answer{
				weakName:   {Score: b2f(s.WeakCorrect), OutputTokens: 1},
				strongName: {Score: b2f(s.StrongCorrect), OutputTokens: 1},
			},
			Category: s.Domain,
		})
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("mmlu: %d rows (%d contaminated dropped)\n", len(mmlu), dropped)

	// MT-Bench answers, from the judge prompts that quote them.
	answers := map[string][2]string{} // "qid/model" → turn 1 and turn 2 answers
	err = readJSONL(filepath.Join(src, "routellm_mtbench", "raw_gpt4_judgements.jsonl"), func(line []byte) error {
		var j judgement
		if err := json.Unmarshal(line, &j); err != nil {
			return err
		}
		if j.Turn != 2 {
			return nil // the multi-turn judgement quotes both answers
		}
		a1, a2, err := quotedAnswers(j.UserPrompt)
		if err != nil {
			return fmt.Errorf("question %d, %s: %w", j.QuestionID, j.Model, err)
		}
		answers[fmt.Sprintf("%d/%s", j.QuestionID, j.Model)] = [2]string{a1, a2}
		return nil
	})
	if err != nil {
		return err
	}

	// MT-Bench: one row per question, routed on its first turn as RouteLLM does; the routed
	// model answers both turns, so a row's score is the mean of its two judge scores / 10.
	var mt []route.Row
	dropped = 0
	err = readJSONL(filepath.Join(src, "routellm_mtbench", "mtbench_routing.jsonl"), func(line []byte) error {
		var s mtbenchSource
		if err := json.Unmarshal(line, &s); err != nil {
			return err
		}
		if s.Contaminated {
			dropped++
			return nil
		}
		if len(s.Turns) != 2 {
			return fmt.Errorf("question %d has %d turns", s.QuestionID, len(s.Turns))
		}
		answer := func(model string, t1, t2 float64) (route.Answer, error) {
			a, ok := answers[fmt.Sprintf("%d/%s", s.QuestionID, model)]
			if !ok {
				return route.Answer{}, fmt.Errorf("question %d: no answers of %s", s.QuestionID, model)
			}
			q1, q2 := count(s.Turns[0]), count(s.Turns[1])
			a1, a2 := count(a[0]), count(a[1])
			return route.Answer{
				Score:        (t1 + t2) / 20,
				OutputTokens: a1 + a2,
				InputTokens:  q1 + (q1 + a1 + q2), // the second turn re-sends the first
				Text:         a[0],
			}, nil
		}
		weak, err := answer(srcWeak, s.WeakScore1, s.WeakScore2)
		if err != nil {
			return err
		}
		strong, err := answer(srcStrong, s.StrongScore1, s.StrongScore2)
		if err != nil {
			return err
		}
		mt = append(mt, route.Row{
			ID:       fmt.Sprintf("mtbench/%d", s.QuestionID),
			Messages: []route.RowMessage{{Role: "user", Content: s.Turns[0]}},
			Answers:  map[string]route.Answer{weakName: weak, strongName: strong},
			Category: s.Category,
		})
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("mt-bench: %d rows (%d contaminated dropped)\n", len(mt), dropped)

	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := writeGzip(filepath.Join(out, "mmlu.jsonl.gz"), mmlu); err != nil {
		return err
	}
	return writeGzip(filepath.Join(out, "mtbench.jsonl.gz"), mt)
}

// quotedAnswers returns the two assistant answers quoted in a FastChat multi-turn judge prompt.
func quotedAnswers(prompt string) (string, string, error) {
	const start = "<|The Start of Assistant A's Conversation with User|>"
	const end = "<|The End of Assistant A's Conversation with User|>"
	i := strings.Index(prompt, start)
	j := strings.Index(prompt, end)
	if i < 0 || j < i {
		return "", "", errors.New("no quoted conversation")
	}
	conv := prompt[i+len(start) : j]
	parts := strings.Split(conv, "### Assistant A:\n")
	if len(parts) != 3 {
		return "", "", fmt.Errorf("quoted conversation has %d assistant turns", len(parts)-1)
	}
	a1, _, ok := strings.Cut(parts[1], "\n\n### User:\n")
	if !ok {
		return "", "", errors.New("no second user turn")
	}
	return strings.TrimSpace(a1), strings.TrimSpace(parts[2]), nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func readJSONL(path string, fn func([]byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	n := 0
	for sc.Scan() {
		n++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		if err := fn(sc.Bytes()); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	return sc.Err()
}

// writeGzip writes rows gzip-compressed, with no name or time in the header, so the same rows
// give the same bytes.
func writeGzip(path string, rows []route.Row) error {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	if err := route.WriteRows(zw, rows); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	fmt.Printf("wrote %s (%d rows, %d bytes)\n", path, len(rows), buf.Len())
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// ---- training ----

type config struct {
	Epochs int     `json:"epochs"`
	L2     float64 `json:"l2"`
	Rate   float64 `json:"rate"`
}

// grid is the hyper-parameter search, judged by grouped cross-validation only.
var grid = []config{
	{Epochs: 4, L2: 1e-5, Rate: 0.05},
	{Epochs: 4, L2: 1e-4, Rate: 0.05},
	{Epochs: 4, L2: 1e-3, Rate: 0.05},
	{Epochs: 8, L2: 1e-5, Rate: 0.05},
	{Epochs: 8, L2: 1e-4, Rate: 0.05},
	{Epochs: 8, L2: 1e-3, Rate: 0.05},
	{Epochs: 16, L2: 1e-3, Rate: 0.05},
	{Epochs: 8, L2: 3e-3, Rate: 0.05},
	{Epochs: 8, L2: 1e-2, Rate: 0.05},
	{Epochs: 16, L2: 1e-2, Rate: 0.05},
}

const (
	hashBits = 18
	seed     = 20240626 // RouteLLM's arXiv submission date; any fixed value will do
)

// dataset is the training rows with their features, labels and fold assignment.
type dataset struct {
	rows         []route.Row
	ex           []route.Example
	weak, strong []float64
	subjects     []string
	fold         []int // fold of each row: its subject's
	folds        int
}

func load(dataDir string, folds int) (*dataset, error) {
	f, err := os.Open(filepath.Join(dataDir, "mmlu.jsonl.gz"))
	if err != nil {
		return nil, err
	}
	rows, err := route.ReadRows(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	rows, err = route.SelectRows(rows, route.SplitTrain, nil)
	if err != nil {
		return nil, err
	}
	d := &dataset{rows: rows, folds: folds}
	for i := range rows {
		if !slices.Contains(d.subjects, rows[i].Category) {
			d.subjects = append(d.subjects, rows[i].Category)
		}
	}
	sort.Strings(d.subjects)
	fold := map[string]int{}
	for i, s := range d.subjects {
		fold[s] = i % folds
	}
	d.ex = make([]route.Example, len(rows))
	d.weak = make([]float64, len(rows))
	d.strong = make([]float64, len(rows))
	d.fold = make([]int, len(rows))
	for i := range rows {
		w, s := rows[i].Answers[weakName].Score, rows[i].Answers[strongName].Score
		d.weak[i], d.strong[i] = w, s
		d.ex[i] = route.Example{F: route.Extract(rows[i].Request()), Label: b2f(w >= s)}
		d.fold[i] = fold[rows[i].Category]
	}
	fmt.Printf("training rows: %d from %d subjects; held out: %d subjects and all of MT-Bench\n",
		len(rows), len(d.subjects), len(route.HeldOutSubjects()))
	return d, nil
}

// crossValidate returns out-of-fold logits: each row scored by a model trained on the other
// folds' subjects.
func (d *dataset) crossValidate(ex []route.Example, cfg config) []float64 {
	oof := make([]float64, len(ex))
	for k := range d.folds {
		var tr []route.Example
		for i := range ex {
			if d.fold[i] != k {
				tr = append(tr, ex[i])
			}
		}
		m := route.Train(tr, opts(cfg))
		for i := range ex {
			if d.fold[i] == k {
				oof[i] = m.Logit(&ex[i].F)
			}
		}
	}
	return oof
}

func train(dataDir, out string, folds int) error {
	d, err := load(dataDir, folds)
	if err != nil {
		return err
	}
	ex, weak, strong, subjects := d.ex, d.weak, d.strong, d.subjects

	type result struct {
		cfg     config
		metrics route.Metrics
		logloss float64
		oof     []float64
	}
	var best *result
	for _, cfg := range grid {
		oof := d.crossValidate(ex, cfg)
		r := &result{cfg: cfg, oof: oof, metrics: route.ComputeMetrics(oof, weak, strong, 10), logloss: logLoss(oof, ex)}
		fmt.Printf("cv %+v: APGR %.3f  CPT50 %.1f%%  CPT80 %.1f%%  logloss %.4f\n",
			cfg, r.metrics.APGR, 100*r.metrics.CPT50, 100*r.metrics.CPT80, r.logloss)
		if best == nil || r.metrics.APGR > best.metrics.APGR+1e-9 {
			best = r
		}
	}

	// Platt calibration on the out-of-fold logits of the chosen configuration.
	labels := make([]float64, len(ex))
	for i := range ex {
		labels[i] = ex[i].Label
	}
	final := route.Train(ex, opts(best.cfg))
	final = route.Calibrate(final, best.oof, labels)
	info := final.Info()
	final = route.WithTraining(final, map[string]any{
		"data":              "data/routing/mmlu.jsonl.gz, training subjects only (route.HeldOutSubjects and MT-Bench held out)",
		"label":             "local ok = mixtral-8x7b score >= gpt-4-1106 score",
		"rows":              len(ex),
		"subjects":          len(subjects),
		"config":            best.cfg,
		"hash_bits":         hashBits,
		"seed":              seed,
		"cv_folds":          folds,
		"cv_apgr":           round(best.metrics.APGR, 4),
		"cv_cpt50":          round(best.metrics.CPT50, 4),
		"cv_cpt80":          round(best.metrics.CPT80, 4),
		"cv_logloss":        round(best.logloss, 4),
		"calibration_a_b":   []float64{round(info.PlattA, 4), round(info.PlattB, 4)},
		"calibrated_brier":  round(brier(final, best.oof, labels), 4),
		"out_of_fold_notes": "Platt scaling fitted on out-of-fold logits of grouped CV",
	})
	var buf bytes.Buffer
	if _, err := final.WriteTo(&buf); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Printf("chose %+v (cv APGR %.3f); calibration a=%.3f b=%.3f; wrote %s (%d bytes)\n",
		best.cfg, best.metrics.APGR, info.PlattA, info.PlattB, out, buf.Len())
	return nil
}

func opts(c config) route.TrainOpts {
	return route.TrainOpts{
		Name:     "lr-mmlu43-" + strconv.Itoa(route.FeatureVersion),
		HashBits: hashBits,
		Epochs:   c.Epochs,
		L2:       c.L2,
		DenseL2:  c.L2,
		Rate:     c.Rate,
		Seed:     seed,
	}
}

func logLoss(z []float64, ex []route.Example) float64 {
	var s float64
	for i, e := range ex {
		p := 1 / (1 + math.Exp(-z[i]))
		p = min(max(p, 1e-12), 1-1e-12)
		s -= e.Label*math.Log(p) + (1-e.Label)*math.Log(1-p)
	}
	return s / float64(len(ex))
}

func brier(m *route.Model, z, y []float64) float64 {
	info := m.Info()
	var s float64
	for i := range z {
		p := 1 / (1 + math.Exp(-(info.PlattA*z[i] + info.PlattB)))
		s += (p - y[i]) * (p - y[i])
	}
	return s / float64(len(z))
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// ---- experiments (cross-validation on the training subjects only) ----

type variant struct {
	name     string
	families []int // hashed families kept
	dense    bool
}

func experiments(dataDir string, folds int) error {
	d, err := load(dataDir, folds)
	if err != nil {
		return err
	}
	type agg struct{ n, up, down float64 }
	byTag := map[string]*agg{}
	for i := range d.ex {
		t := route.Tag(&d.ex[i].F)
		a := byTag[t]
		if a == nil {
			a = &agg{}
			byTag[t] = a
		}
		a.n++
		if d.strong[i] > d.weak[i] {
			a.up++
		}
		if d.strong[i] < d.weak[i] {
			a.down++
		}
	}
	for _, t := range route.Tags {
		if a := byTag[t]; a != nil {
			fmt.Printf("tag %-10s rows %5.0f  cloud better %.3f  local better %.3f\n", t, a.n, a.up/a.n, a.down/a.n)
		}
	}
	cfg := config{Epochs: 8, L2: 1e-3, Rate: 0.05}
	variants := []variant{
		{"dense only", nil, true},
		{"unigrams only", []int{route.FamilyUnigram}, false},
		{"dense+unigrams", []int{route.FamilyUnigram}, true},
		{"dense+uni+bi", []int{route.FamilyUnigram, route.FamilyBigram}, true},
	}
	for _, v := range variants {
		ex := make([]route.Example, len(d.ex))
		for i, e := range d.ex {
			ex[i] = filtered(e, v)
		}
		oof := d.crossValidate(ex, cfg)
		m := route.ComputeMetrics(oof, d.weak, d.strong, 10)
		fmt.Printf("%-16s APGR %.3f  CPT50 %.1f%%  CPT80 %.1f%%  logloss %.4f\n", v.name, m.APGR, 100*m.CPT50, 100*m.CPT80, logLoss(oof, ex))
	}
	return nil
}

func filtered(e route.Example, v variant) route.Example {
	out := e
	if !v.dense {
		out.F.Dense = [route.NumDense]float32{}
	}
	out.F.Hashed = nil
	var ss float64
	for _, h := range e.F.Hashed {
		if slices.Contains(v.families, h.Family()) {
			out.F.Hashed = append(out.F.Hashed, h)
			ss += float64(h.Value) * float64(h.Value)
		}
	}
	out.F.HashNorm = 0
	if ss > 0 {
		out.F.HashNorm = float32(1 / math.Sqrt(ss))
	}
	return out
}
