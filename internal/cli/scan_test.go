package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScanCmd(t *testing.T) {
	secret := "ghp_" + "wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx"
	text := "Héllo, write to ada@example.com; token " + secret + "\n"
	p := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	env, out, _ := testEnv()
	if err := scanCmd(context.Background(), []string{p}, env); err != nil {
		t.Fatal(err)
	}
	human := out.String()
	if !strings.Contains(human, "email") || !strings.Contains(human, "github-token") || !strings.Contains(human, "2 finding(s)") {
		t.Fatalf("output:\n%s", human)
	}
	if strings.Contains(human, secret) || strings.Contains(human, "ada@example.com") {
		t.Fatalf("output shows a value:\n%s", human)
	}
	if !strings.Contains(human, "ghp_…(40 chars)") {
		t.Errorf("no masked preview:\n%s", human)
	}

	// --json from stdin: code-point offsets.
	env, out, _ = testEnv()
	env.Stdin = strings.NewReader(text)
	if err := scanCmd(context.Background(), []string{"--json", "-"}, env); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("json lines: %q", out.String())
	}
	var f scanFinding
	if err := json.Unmarshal([]byte(lines[0]), &f); err != nil {
		t.Fatal(err)
	}
	runes := []rune(text)
	if f.Category != "email" || string(runes[f.Start:f.End]) != "ada@example.com" || f.Confidence <= 0 || f.Confidence > 1 {
		t.Fatalf("finding %+v", f)
	}

	// --jsonl-input: one scan per line's text, with line numbers.
	jl := filepath.Join(t.TempDir(), "in.jsonl")
	body := `{"text":"nothing here"}` + "\n" + `{"text":"mail bob@example.org"}` + "\n\n" + `{"other":1}` + "\n"
	if err := os.WriteFile(jl, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	env, out, _ = testEnv()
	if err := scanCmd(context.Background(), []string{"--json", "--jsonl-input", jl}, env); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out.String())), &f); err != nil {
		t.Fatalf("%v: %q", err, out.String())
	}
	if f.Line != 2 || f.Category != "email" || f.Start != 5 || f.End != 20 {
		t.Fatalf("finding %+v", f)
	}

	env, _, _ = testEnv()
	if err := scanCmd(context.Background(), nil, env); err != ErrUsage {
		t.Fatalf("no file: %v", err)
	}
}

func TestEvalPrivacyFormats(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	presidio := write("gen.json", `[{"full_text":"Call Maria at maria@example.com","spans":[{"entity_type":"PERSON","entity_value":"Maria","start_position":5,"end_position":10},{"entity_type":"EMAIL_ADDRESS","entity_value":"maria@example.com","start_position":14,"end_position":31},{"entity_type":"ORGANIZATION","entity_value":"x","start_position":0,"end_position":1}]}]`)
	cases := write("cases.jsonl", `{"source":"t","entity_types":["CREDIT_CARD"],"text":"4111111111111111","expected_count":1,"spans":[[0,16]]}`+"\n"+
		`{"source":"t","entity_types":["CREDIT_CARD"],"text":"4111111111111112","expected_count":0,"spans":[]}`+"\n")
	gl := write("gl.jsonl", `{"rule_id":"github-pat","label":"tp","text":"token = ghp_`+"wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx"+`","secret":"ghp_`+"wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx"+`"}`+"\n")
	ds := write("ds.jsonl", `{"plugin":"aws_key","text":"akiazzzzzzzzzzzzzzzz","is_secret":false,"source_test":"t"}`+"\n")
	own := write("own.jsonl", `{"text":"SSN 536-32-3065","spans":[{"category":"national_id","start":4,"end":15}]}`+"\n")
	env, out, _ := testEnv()
	if err := evalPrivacy(context.Background(), []string{"privacy", "--json", "--data", presidio, "--data", cases, "--data", gl, "--data", ds, "--data", own}, env); err != nil {
		t.Fatal(err)
	}
	rows := map[string]evalRow{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r evalRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		if r.Split == "all" {
			rows[filepath.Base(r.Dataset)+"/"+r.Category] = r
		}
	}
	check := func(key string, p, r float64) {
		t.Helper()
		got, ok := rows[key]
		if !ok || got.Precision != p || got.Recall != r {
			t.Errorf("%s = %+v (present %v), want precision %v recall %v", key, got, ok, p, r)
		}
	}
	check("gen/person", 1, 1)
	check("gen/email", 1, 1)
	check("cases/payment_card", 1, 1)
	check("gl/secret", 1, 1)
	check("ds/secret", 1, 1)
	check("own/national_id", 1, 1)
	if detectFormat([]byte("nonsense")) != "" {
		t.Error("detected a format in nonsense")
	}
}
