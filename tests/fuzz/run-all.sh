#!/usr/bin/env bash
# Runs every libFuzzer binary in BUILD_DIR for SECONDS each, starting from its seed corpus
# (copied, so new inputs stay out of the tree). Exits non-zero on the first crash.
set -euo pipefail
build=${1:?build dir}; seconds=${2:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
for bin in "$build"/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  work=$(mktemp -d)
  cp -r "$root/tests/fuzz/corpus/$name/." "$work/" 2>/dev/null || true
  echo "== $name for ${seconds}s"
  "$bin" -max_total_time="$seconds" -max_len=70000 -timeout=10 -rss_limit_mb=2048 \
         -artifact_prefix="$build/$name-" "$work" 2>&1 | tail -n 3
  rm -rf "$work"
done
