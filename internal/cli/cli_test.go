package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/config"
)

func testEnv() (Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}, &out, &errb
}

// The file `sovereign init` writes must be a valid configuration with every key known.
func TestExampleConfigIsValid(t *testing.T) {
	cfg, err := config.Parse(exampleConfig, "example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != config.DefaultAddr {
		t.Errorf("example addr = %q", cfg.Addr)
	}
}

func TestInitWritesAndRefusesOverwrite(t *testing.T) {
	env, out, _ := testEnv()
	p := filepath.Join(t.TempDir(), "s.yaml")
	if err := Run(context.Background(), []string{"init", p}, env); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(b, exampleConfig) {
		t.Fatalf("file = %d bytes, %v", len(b), err)
	}
	if !strings.Contains(out.String(), "wrote "+p) {
		t.Errorf("out = %q", out.String())
	}
	if err := Run(context.Background(), []string{"init", p}, env); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second init: %v", err)
	}
	if err := Run(context.Background(), []string{"init", "--force", p}, env); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownCommand(t *testing.T) {
	env, _, errb := testEnv()
	err := Run(context.Background(), []string{"serv"}, env)
	if !errors.Is(err, ErrUsage) || !strings.Contains(errb.String(), `unknown command "serv"`) {
		t.Fatalf("err = %v, stderr = %q", err, errb.String())
	}
	if err := Run(context.Background(), nil, env); !errors.Is(err, ErrUsage) {
		t.Fatalf("no args: %v", err)
	}
}

func TestVersion(t *testing.T) {
	env, out, _ := testEnv()
	if err := Run(context.Background(), []string{"version"}, env); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "sovereign ") {
		t.Fatalf("out = %q", out.String())
	}
}
