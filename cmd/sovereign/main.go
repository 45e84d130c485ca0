// Command sovereign is a local-first AI gateway: one binary that any OpenAI client can point
// at, answering with models on the user's own hardware whenever they can do the job.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/sovereign-gateway/sovereign/internal/cli"
)

func main() {
	err := cli.Run(context.Background(), os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	switch {
	case err == nil:
	case errors.Is(err, cli.ErrUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "sovereign:", err)
		os.Exit(1)
	}
}
