// Package cli implements the sovereign command's subcommands: serve, init, models, doctor,
// chat, report, prices, scan, eval and version.
package cli

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
)

//go:embed example.yaml
var exampleConfig []byte

// Version is the gateway's version; main may set it at build time.
var version = ""

// Version returns the build's version.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
		if v == "" || v == "(devel)" {
			v = "dev"
		}
		if rev != "" {
			v += "+" + rev[:min(12, len(rev))] + dirty
		}
		return v
	}
	return "dev"
}

// Env is what a command may touch of the outside world.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// ErrUsage reports a command-line mistake; the usage text was already printed.
var ErrUsage = errors.New("usage")

const usage = `Sovereign — a local-first AI gateway.

Usage:
  sovereign serve   [--addr HOST:PORT] [--config FILE]   run the gateway
  sovereign init    [--force] [FILE]                      write a commented sovereign.yaml
  sovereign models  [--config FILE] [--json]              list the models it can reach, local and cloud
  sovereign doctor  [--config FILE]                       check providers, engines, keys, port and data dir
  sovereign chat    [--url URL] [--model NAME] PROMPT     send one prompt through a running gateway
  sovereign report  [--since 7d] [--by day,model] [--json|--csv]   spend, savings, tokens, local share
  sovereign prices                                        the price table and its date
  sovereign scan    [--json] [--jsonl-input] FILE|-       show the personal data and secrets the privacy guard finds
  sovereign eval route --data FILE.jsonl [--local NAME --cloud NAME] [--json]   replay labelled requests through the router
  sovereign eval privacy --data PATH [--data PATH…] [--json]   precision and recall of the privacy guard on labelled data
  sovereign version                                       print the version

Point any OpenAI client at http://127.0.0.1:8420/v1.
`

// Run runs the command line args (without the program name).
func Run(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return ErrUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, env)
	case "init":
		return initCmd(rest, env)
	case "models":
		return modelsCmd(ctx, rest, env)
	case "doctor":
		return doctor(ctx, rest, env)
	case "chat":
		return chat(ctx, rest, env)
	case "report":
		return reportCmd(ctx, rest, env)
	case "prices":
		return pricesCmd(rest, env)
	case "eval":
		return evalCmd(ctx, rest, env)
	case "scan":
		return scanCmd(ctx, rest, env)
	case "version", "--version", "-v":
		fmt.Fprintln(env.Stdout, "sovereign", Version())
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(env.Stdout, usage)
		return nil
	}
	fmt.Fprintf(env.Stderr, "sovereign: unknown command %q\n\n%s", cmd, usage)
	return ErrUsage
}

// evalCmd runs an offline evaluation: eval route, eval privacy.
func evalCmd(ctx context.Context, args []string, env Env) error {
	if len(args) > 0 {
		switch args[0] {
		case "route":
			return evalRoute(ctx, args[1:], env)
		case "privacy":
			return evalPrivacy(ctx, args[1:], env)
		}
	}
	fmt.Fprint(env.Stderr, "usage: sovereign eval route --data FILE.jsonl [--json]\n       sovereign eval privacy --data PATH [--json]\n")
	return ErrUsage
}

func newFlags(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet("sovereign "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ErrUsage
		}
		return ErrUsage
	}
	return nil
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(strings.ToUpper(level)))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func initCmd(args []string, env Env) error {
	fs := newFlags("init", env)
	force := fs.Bool("force", false, "overwrite an existing file")
	if err := parse(fs, args); err != nil {
		return err
	}
	path := "sovereign.yaml"
	if fs.NArg() > 0 {
		path = fs.Arg(0)
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if *force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists; use --force to overwrite it", path)
		}
		return err
	}
	if _, err := f.Write(exampleConfig); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s; edit it, then run: sovereign serve --config %s\n", path, path)
	return nil
}
