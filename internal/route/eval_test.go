package route

import (
	"bytes"
	"compress/gzip"
	"math"
	"os"
	"strings"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// Four rows, by hand. Sorted by p (cloud first): b (gain +1), d (-1), c (+1), a (0). Local
// only scores 2 of 4, cloud only 3 of 4: the gap is 1. PGR at cloud shares 0, ¼, ½, ¾, 1 is
// 0, 1, 0, 1, 1.
var (
	handP      = []float64{0.9, 0.1, 0.5, 0.3}
	handWeak   = []float64{1, 0, 0, 1}
	handStrong = []float64{1, 1, 1, 0}
)

func TestComputeMetricsByHand(t *testing.T) {
	tests := []struct {
		name                string
		p, weak, strong     []float64
		steps               int
		apgr, c50, c80, c95 float64
	}{
		// Trapezoid over 4 steps: ¼·(½ + ½ + ½ + 1) = 0.625. CPT(x): PGR rises from 0 to 1
		// over the first quarter, so x/4.
		{"four rows", handP, handWeak, handStrong, 4, 0.625, 0.125, 0.2, 0.2375},
		// All p equal: the expected order is random routing, PGR(c) = c.
		{"all tied", []float64{0.5, 0.5, 0.5, 0.5}, handWeak, handStrong, 10, 0.5, 0.5, 0.8, 0.95},
		// Two tie groups; the first holds all the gain: PGR(c) = 2c up to ½, then 1.
		// Over 2 steps: ½·(0+1)/2 + ½·(1+1)/2 = 0.75.
		{"tie groups", []float64{0.2, 0.2, 0.8, 0.8}, []float64{0, 0, 1, 1}, []float64{1, 1, 1, 1}, 2, 0.75, 0.25, 0.4, 0.475},
		// A router that is exactly wrong: the rows the cloud helps go last.
		{"backwards", []float64{0.1, 0.9}, []float64{1, 0}, []float64{1, 1}, 2, 0.25, 0.75, 0.9, 0.975},
		// No gap: PGR is undefined; report 0 and never.
		{"no gap", []float64{0.1, 0.9}, []float64{1, 0}, []float64{1, 0}, 2, 0, -1, -1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ComputeMetrics(tt.p, tt.weak, tt.strong, tt.steps)
			if !near(m.APGR, tt.apgr) || !near(m.CPT50, tt.c50) || !near(m.CPT80, tt.c80) || !near(m.CPT95, tt.c95) {
				t.Errorf("metrics = %+v, want APGR %v CPT %v %v %v", m, tt.apgr, tt.c50, tt.c80, tt.c95)
			}
		})
	}
}

func handRows() []Row {
	words := []string{"alpha", "bravo", "charlie", "delta"}
	rows := make([]Row, 4)
	for i, w := range words {
		rows[i] = Row{
			ID:       "mtbench/" + w,
			Messages: []RowMessage{{Role: "user", Content: w}},
			Answers: map[string]Answer{
				"weak":   {Score: handWeak[i], OutputTokens: 20},
				"strong": {Score: handStrong[i], OutputTokens: 10},
			},
			Category: []string{"writing", "math", "math", "writing"}[i],
		}
	}
	return rows
}

func handRowModel(t *testing.T) *Model {
	return handModel(t, 0, map[string]float64{
		"alpha": logit(handP[0]), "bravo": logit(handP[1]), "charlie": logit(handP[2]), "delta": logit(handP[3]),
	})
}

func TestEvaluateByHand(t *testing.T) {
	m := handRowModel(t)
	rep, err := Evaluate(m, handRows(), EvalOptions{
		Local: "weak", Cloud: "strong", Quality: 0.4, Steps: 4,
		Count: func(string) int { return 100 },
	})
	if err != nil {
		t.Fatal(err)
	}
	// Per row: cloud (100·$10 + 10·$30)/1M = $0.0013; local hosted (100+20)·$0.6/1M = $0.000072.
	const cloud, hosted = 0.0013, 0.000072
	check := func(name string, got, want float64) {
		t.Helper()
		if !near(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("local only quality", rep.LocalOnly.Quality, 0.5)
	check("local only cost", rep.LocalOnly.Cost, 0)
	check("local only hosted", rep.LocalOnly.CostHosted, 4*hosted)
	check("cloud only quality", rep.CloudOnly.Quality, 0.75)
	check("cloud only cost", rep.CloudOnly.Cost, 4*cloud)
	check("cloud only hosted", rep.CloudOnly.CostHosted, 4*cloud)
	check("APGR", rep.Router.APGR, 0.625)
	check("CPT50", rep.Router.CPT50, 0.125)
	// The oracle sends b and c (gain +1 each) first: PGR ¼→1, ½→2, ¾→2, 1→1; area 1.375.
	check("oracle APGR", rep.Oracle.APGR, 1.375)
	check("oracle CPT50", rep.Oracle.CPT50, 0.125) // gain ½ of 2 over the first half

	// Knob 0.4: a (0.9) and c (0.5) stay local, b and d go to the cloud.
	op := rep.Operating
	check("operating share", op.CloudShare, 0.5)
	check("operating quality", op.Quality, 0.5) // a 1 + b 1 + c 0 + d 0
	check("operating cost", op.Cost, 2*cloud)
	check("operating hosted", op.CostHosted, 2*cloud+2*hosted)
	check("operating random", op.RandomQuality, 0.625)

	// 95% of cloud quality is 0.7125: a gain of 0.85 rows, reached 0.85 of the way through b.
	check("at95 share", rep.At95.CloudShare, 0.2125)
	check("at95 cost", rep.At95.Cost, 0.85*cloud)
	check("saving95", rep.Saving95, 1-0.85/4)
	check("random95 share", rep.Random95.CloudShare, 0.85)
	check("random95 cost", rep.Random95.Cost, 0.85*4*cloud)

	// Local ok (weak ≥ strong) in rows a and d; p is 0.9, 0.1, 0.5, 0.3 (up to the float32
	// rounding of the model's weights).
	check("observed", rep.Calibration.Observed, 0.5)
	if c := rep.Calibration; math.Abs(c.MeanP-0.45) > 1e-6 || math.Abs(c.Brier-(0.01+0.01+0.25+0.49)/4) > 1e-6 {
		t.Errorf("calibration = %+v, want mean p 0.45, Brier 0.19", c)
	}
	if len(rep.Sweep) != 21 || rep.Sweep[0].CloudShare != 0 || rep.Sweep[20].CloudShare != 1 {
		t.Errorf("sweep ends: %+v … %+v", rep.Sweep[0], rep.Sweep[len(rep.Sweep)-1])
	}
	if len(rep.Curve) != 5 || !near(rep.Curve[1].PGR, 1) || !near(rep.Curve[2].PGR, 0) {
		t.Errorf("curve = %+v", rep.Curve)
	}
	if len(rep.Categories) != 2 || rep.Categories[0].Category != "math" || !near(rep.Categories[0].LocalShare, 0.5) {
		t.Errorf("categories = %+v", rep.Categories)
	}
	if len(rep.Benchmarks) != 1 || rep.Benchmarks[0] != BenchmarkMTBench || len(rep.Published) != 9 {
		t.Errorf("benchmarks %v, %d published", rep.Benchmarks, len(rep.Published))
	}
}

// The sweep applies Decide's own rule: at every knob it sends exactly the rows Decide sends.
func TestEvaluateSweepMatchesDecide(t *testing.T) {
	m := Default()
	rows, err := readFile(t, "testdata/eval_small.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Evaluate(m, rows, EvalOptions{Local: "mixtral-8x7b", Cloud: "gpt-4-1106"})
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range rep.Sweep {
		cloud := 0
		for i := range rows {
			if !Decide(m, rows[i].Request(), Input{Quality: pt.Threshold}).Local {
				cloud++
			}
		}
		if got := float64(cloud) / float64(len(rows)); !near(got, pt.CloudShare) {
			t.Errorf("knob %v: Decide sends %v to the cloud, the sweep %v", pt.Threshold, got, pt.CloudShare)
		}
	}
}

func TestEvaluateErrors(t *testing.T) {
	if _, err := Evaluate(Default(), nil, EvalOptions{}); err == nil {
		t.Error("no rows accepted")
	}
	_, err := Evaluate(Default(), handRows(), EvalOptions{Local: "weak", Cloud: "gpt-5"})
	if err == nil || !strings.Contains(err.Error(), `"gpt-5"`) {
		t.Errorf("err = %v", err)
	}
}

func readFile(t *testing.T, path string) ([]Row, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadRows(f)
}

func TestReadRows(t *testing.T) {
	var plain bytes.Buffer
	if err := WriteRows(&plain, handRows()); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain.Bytes())
	zw.Close()
	for name, b := range map[string][]byte{"plain": plain.Bytes(), "gzip": gz.Bytes()} {
		rows, err := ReadRows(bytes.NewReader(b))
		if err != nil || len(rows) != 4 || rows[1].Answers["strong"].Score != 1 || rows[2].Messages[0].Content != "charlie" {
			t.Errorf("%s: %d rows, %v", name, len(rows), err)
		}
	}
	for _, bad := range []string{
		`{"id":"x","messages":[{"role":"user","content":"hi"}],"answers":{},"extra":1}`,
		`{"id":"x","messages":[],"answers":{}}`,
		`{"id":"x",`,
	} {
		if _, err := ReadRows(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestSelectRows(t *testing.T) {
	rows := []Row{
		{ID: "mmlu/anatomy/0", Category: "anatomy"},
		{ID: "mmlu/virology/0", Category: "virology"}, // held out
		{ID: "mtbench/81", Category: "writing"},
		{ID: "mtbench/101", Category: "reasoning"},
	}
	ids := func(rs []Row) string {
		var s []string
		for _, r := range rs {
			s = append(s, r.ID)
		}
		return strings.Join(s, " ")
	}
	tests := []struct {
		split string
		cats  []string
		want  string
	}{
		{SplitAll, nil, "mmlu/anatomy/0 mmlu/virology/0 mtbench/81 mtbench/101"},
		{SplitHeldOut, nil, "mmlu/virology/0 mtbench/81 mtbench/101"},
		{SplitTrain, nil, "mmlu/anatomy/0"},
		{SplitHeldOut, []string{"reasoning", "anatomy"}, "mtbench/101"},
	}
	for _, tt := range tests {
		got, err := SelectRows(rows, tt.split, tt.cats)
		if err != nil || ids(got) != tt.want {
			t.Errorf("SelectRows(%s, %v) = %q, %v; want %q", tt.split, tt.cats, ids(got), err, tt.want)
		}
	}
	if _, err := SelectRows(rows, "test", nil); err == nil {
		t.Error("unknown split accepted")
	}
	if n := len(HeldOutSubjects()); n != 14 {
		t.Errorf("%d held-out subjects", n)
	}
}

func TestRouteLLMPublished(t *testing.T) {
	var mf bool
	for _, p := range RouteLLMPublished() {
		if p.APGR <= 0 || p.APGR >= 1 || p.CPT50 <= 0 || p.CPT50 >= 1 || p.CPT80 < p.CPT50 && p.Router != "SW Ranking" {
			t.Errorf("implausible %+v", p)
		}
		if p.Benchmark == BenchmarkMTBench && p.Router == "Matrix Factorization" && p.Training == "D_arena+D_judge" {
			mf = p.APGR == 0.802 && p.CPT50 == 0.134
		}
	}
	if !mf {
		t.Error("RouteLLM's best MT Bench router (MF, APGR 0.802, CPT(50%) 13.40%) is missing")
	}
}
