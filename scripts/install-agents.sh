#!/usr/bin/env bash
# Installs the pinned coding-agent CLIs that the e2e tests drive headless against the gateway
# (Claude Code and OpenAI Codex, see e2e/agents/package.json) into e2e/agents/node_modules with
# `npm ci`, from the npm registry alone: both ship their native linux binaries as optional
# platform packages, so nothing else is downloaded.
#
# Idempotent and fast when already installed: a stamp in node_modules records the hash of
# package.json + package-lock.json (and the platform); a matching stamp with both binaries in
# place skips npm entirely.
#
# Prints the directory holding the `claude` and `codex` launchers on its last line of stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

AGENTS="e2e/agents"
MODS="$AGENTS/node_modules"
STAMP="$MODS/.sovereign-install-stamp"
CLAUDE="$MODS/@anthropic-ai/claude-code/bin/claude.exe"
CLAUDE_NATIVE="$MODS/@anthropic-ai/claude-code-linux-x64/claude"
CODEX="$MODS/.bin/codex"

log() { echo "install-agents: $*" >&2; }

for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || { log "missing $tool (Debian package nodejs/npm, node >= 20)"; exit 1; }
done

want="$(cat "$AGENTS/package.json" "$AGENTS/package-lock.json" | sha256sum | cut -d' ' -f1) $(uname -sm)"

# A real Claude Code binary is hundreds of MB; the placeholder the package ships is a few bytes.
claude_ok() { [ -x "$CLAUDE" ] && [ "$(stat -c %s "$CLAUDE")" -gt 1000000 ]; }
codex_ok() { [ -x "$CODEX" ] && [ -n "$(find "$MODS/@openai" -path '*/vendor/*/bin/codex' -type f 2>/dev/null | head -n 1)" ]; }

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && claude_ok && codex_ok; then
  realpath "$MODS/.bin"
  exit 0
fi

log "npm ci in $AGENTS"
rm -f "$STAMP"
(cd "$AGENTS" && npm ci --no-audit --no-fund --prefer-offline) >&2

# Claude Code's postinstall (node install.cjs) hard-links the native binary from the platform
# package over bin/claude.exe. If npm skipped the script (--ignore-scripts, allow-scripts
# policy), do the same thing here.
if ! claude_ok && [ -f "$CLAUDE_NATIVE" ]; then
  log "postinstall did not place the claude binary; linking it from the platform package"
  rm -f "$CLAUDE"
  ln "$CLAUDE_NATIVE" "$CLAUDE" 2>/dev/null || cp "$CLAUDE_NATIVE" "$CLAUDE"
  chmod 755 "$CLAUDE"
fi

claude_ok || { log "claude native binary missing after install"; exit 1; }
codex_ok || { log "codex native binary missing after install"; exit 1; }
log "$("$MODS/.bin/claude" --version 2>&1 | head -n 1)"
log "$("$CODEX" --version 2>&1 | head -n 1)"

echo "$want" >"$STAMP"
realpath "$MODS/.bin"
