#!/usr/bin/env bash
# Builds llama.cpp's llama-server from the source that the npm package node-llama-cpp ships
# (see ../shared/models/PROVENANCE.md) and caches the binary outside the clone, keyed by the
# package version, so that later runs on the same machine skip the ~15 minute build.
#
# Prints the path of the built binary on its last line of stdout.
set -euo pipefail

VERSION="${NODE_LLAMA_CPP_VERSION:-3.22.1}"
CACHE="${SOVEREIGN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sovereign}"
DEST="$CACHE/llama-server/node-llama-cpp-$VERSION"
BIN="$DEST/llama-server"

if [ -x "$BIN" ] && "$BIN" --version >/dev/null 2>&1; then
  echo "$BIN"
  exit 0
fi

log() { echo "build-llama-server: $*" >&2; }

if ! command -v cmake >/dev/null 2>&1; then
  log "installing cmake"
  (apt-get update -qq && apt-get install -y -qq cmake) >&2
fi
for tool in npm git g++ make; do
  command -v "$tool" >/dev/null 2>&1 || { log "missing $tool"; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
log "fetching node-llama-cpp@$VERSION source bundle"
npm pack --silent "node-llama-cpp@$VERSION" >&2
tar xzf "node-llama-cpp-$VERSION.tgz"
git clone -q package/llama/gitRelease.bundle llama.cpp >&2
cd llama.cpp
log "configuring"
cmake -B build -DGGML_NATIVE=OFF -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
  -DLLAMA_CURL=OFF -DCMAKE_BUILD_TYPE=Release >&2
log "building llama-server (about 15 minutes on 2 cores)"
cmake --build build --target llama-server -j"$(nproc)" >&2
mkdir -p "$DEST"
cp build/bin/llama-server "$BIN.tmp"
mv "$BIN.tmp" "$BIN"
echo "$BIN"
