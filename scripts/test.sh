#!/usr/bin/env bash
# Runs every test of the project: formatting and vet checks, then `go test -race ./...`,
# including the end-to-end tests against a real llama.cpp llama-server, which this script
# builds once and caches outside the clone (see scripts/build-llama-server.sh).
#
# The end-to-end tests also run the coding agents Claude Code and Codex through the gateway;
# scripts/install-agents.sh installs their pinned versions from npm into e2e/agents.
#
# Needs: Go, Node.js and npm, and for the llama-server build git, a C++ compiler and cmake
# (installed with apt-get when missing). The model under test is ../shared/models/llama-2-tiny-random.gguf,
# or $SOVEREIGN_TEST_MODEL.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

if [ -z "${SOVEREIGN_LLAMA_SERVER:-}" ]; then
  echo "== llama-server (built once, then cached)"
  SOVEREIGN_LLAMA_SERVER=$(scripts/build-llama-server.sh | tail -n 1)
  export SOVEREIGN_LLAMA_SERVER
fi
echo "using $SOVEREIGN_LLAMA_SERVER"

echo "== coding agents (Claude Code and Codex, pinned, from npm)"
scripts/install-agents.sh >/dev/null

echo "== go test -race"
go test -race -count=1 -timeout 20m ./... "$@"
