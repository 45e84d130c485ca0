package cli

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestEvalPrivacyRealData runs the evaluation on the shared datasets when SOVEREIGN_PRIVACY_DATA
// names their directory; it prints the report and checks nothing.
func TestEvalPrivacyRealData(t *testing.T) {
	dir := os.Getenv("SOVEREIGN_PRIVACY_DATA")
	if dir == "" {
		t.Skip("SOVEREIGN_PRIVACY_DATA not set")
	}
	env := Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	args := []string{"--data", dir}
	if extra := os.Getenv("SOVEREIGN_PRIVACY_ARGS"); extra != "" {
		args = append(args, strings.Fields(extra)...)
	}
	if err := evalPrivacy(context.Background(), args, env); err != nil {
		t.Fatal(err)
	}
}
