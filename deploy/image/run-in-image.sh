#!/usr/bin/env bash
# `hikyaku ARGS...` inside the image, for the integration harness (HIKYAKU_BIN): the host's
# network (the test's peers listen on loopback), the directory of the -c file mounted at the same
# path and handed to the image's user (uid 10025: the spool and the log are written there).
# podman forwards SIGTERM to the relay and exits with its status.
set -euo pipefail
image=${IMAGE:-localhost/hikyaku:latest}
config="" prev=""
for a in "$@"; do
  [ "$prev" = "-c" ] && config=$a
  prev=$a
done
args=(--rm --network host --label hikyaku-image-test=1)
if [ -n "$config" ]; then
  dir=$(dirname "$(realpath "$config")")
  chown -R 10025:10025 "$dir"
  args+=(-v "$dir:$dir")
fi
exec podman run "${args[@]}" "$image" "$@"
