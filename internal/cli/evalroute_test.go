package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/route"
)

const evalRouteData = "../route/testdata/eval_small.jsonl"

func TestEvalRouteText(t *testing.T) {
	env, out, _ := testEnv()
	if err := evalRoute(context.Background(), []string{"--data", evalRouteData, "--quality", "0.8"}, env); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"14 rows (split all)",
		"local only", "cloud only", "random, 95% of cloud quality", "router, quality knob 0.80",
		"this router (" + route.Default().Name() + ")",
		"oracle (hindsight, upper bound)",
		"Threshold sweep", "By category", "moral_scenarios",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	// The published figures, one router per line.
	for _, want := range [][2]string{
		{"RouteLLM mt-bench, Matrix Factorization (D_arena+D_judge)", "0.802     13.4%     31.3%"},
		{"RouteLLM mmlu, SW Ranking (D_arena+D_gold)", "0.603     35.4%     71.5%"},
	} {
		found := false
		for _, line := range strings.Split(s, "\n") {
			if strings.Contains(line, want[0]) && strings.Contains(line, want[1]) {
				found = true
			}
		}
		if !found {
			t.Errorf("no line with %q and %q", want[0], want[1])
		}
	}
}

func TestEvalRouteJSONAndSplit(t *testing.T) {
	// The same rows gzip-compressed, read through --split heldout.
	raw, err := os.ReadFile(evalRouteData)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	path := filepath.Join(t.TempDir(), "rows.jsonl.gz")
	if err := os.WriteFile(path, gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	env, out, _ := testEnv()
	if err := evalRoute(context.Background(), []string{"--data", path, "--split", "heldout", "--json"}, env); err != nil {
		t.Fatal(err)
	}
	var rep route.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	// Held out: virology, moral_scenarios, college_computer_science, marketing and the 6 MT-Bench rows.
	if rep.Rows != 10 || rep.Local != "mixtral-8x7b" || rep.Cloud != "gpt-4-1106" || len(rep.Sweep) != 21 {
		t.Errorf("report: %d rows, local %q, cloud %q, %d sweep points", rep.Rows, rep.Local, rep.Cloud, len(rep.Sweep))
	}
	if rep.CloudOnly.Cost <= 0 || rep.LocalOnly.Cost != 0 || rep.Prices.CloudIn != 10 {
		t.Errorf("costs: %+v %+v %+v", rep.LocalOnly, rep.CloudOnly, rep.Prices)
	}

	env, out, _ = testEnv()
	if err := evalRoute(context.Background(), []string{"--data", path, "--category", "writing", "--json"}, env); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Rows != 1 {
		t.Errorf("--category writing: %d rows, %v", rep.Rows, err)
	}
}

func TestEvalRouteErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string // "" means ErrUsage
	}{
		{nil, ""},
		{[]string{"--data"}, ""},
		{[]string{"--data", evalRouteData, "extra"}, ""},
		{[]string{"--data", evalRouteData, "--split", "test"}, "unknown split"},
		{[]string{"--data", evalRouteData, "--quality", "1.5"}, "--quality"},
		{[]string{"--data", evalRouteData, "--cloud", "gpt-5"}, `"gpt-5"`},
		{[]string{"--data", evalRouteData, "--category", "cooking"}, "no rows"},
		{[]string{"--data", "no/such/file.jsonl"}, "no such file"},
		{[]string{"--data", evalRouteData, "--model", evalRouteData}, "not a route model"},
	}
	for _, tt := range tests {
		env, _, _ := testEnv()
		err := evalRoute(context.Background(), tt.args, env)
		switch {
		case tt.want == "" && !errors.Is(err, ErrUsage):
			t.Errorf("%v: err = %v, want ErrUsage", tt.args, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%v: err = %v, want %q", tt.args, err, tt.want)
		}
	}
}
