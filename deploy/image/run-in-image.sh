#!/usr/bin/env bash
# `hikyaku ARGS...` inside the image, for the integration harness (HIKYAKU_BIN): the host's
# network (the test's peers listen on loopback), the directory of the -c file mounted at the same
# path and handed to the image's user (uid 10025: the spool and the log are written there).
# IMAGE_RUNNER picks how (deploy/image/test.sh sets it):
#   podman   `podman run`; podman forwards SIGTERM to the relay and exits with its status.
#   buildah  where no OCI runtime can start a container (a host whose cgroups crun refuses):
#            a working container of the image run with `buildah run --isolation chroot`, as the
#            image's USER and ENTRYPOINT say. buildah answers SIGTERM with SIGKILL to its child,
#            so this script forwards SIGTERM, SIGINT and SIGHUP to the relay itself and exits
#            with the relay's status.
set -euo pipefail
image=${IMAGE:-localhost/hikyaku:latest}
runner=${IMAGE_RUNNER:-podman}
config="" prev=""
for a in "$@"; do
  [ "$prev" = "-c" ] && config=$a
  prev=$a
done
dir=""
if [ -n "$config" ]; then
  dir=$(dirname "$(realpath "$config")")
  chown -R 10025:10025 "$dir"
fi

if [ "$runner" = podman ]; then
  args=(--rm --network host --label hikyaku-image-test=1)
  [ -n "$dir" ] && args+=(-v "$dir:$dir")
  exec podman run "${args[@]}" "$image" "$@"
fi

# The image's own configuration: its user and entrypoint.
read -r user entrypoint < <(buildah inspect --type image "$image" | python3 -c '
import json, sys
c = json.load(sys.stdin)["OCIv1"]["config"]
print(c.get("User") or "0", " ".join(c.get("Entrypoint") or []))')
container=$(buildah from --pull=never --quiet "$image")
cleanup() { buildah rm "$container" >/dev/null 2>&1 || true; }
trap cleanup EXIT
args=(--isolation chroot --network host --user "$user")
[ -n "$dir" ] && args+=(-v "$dir:$dir")
# shellcheck disable=SC2086  # the entrypoint's words
buildah run "${args[@]}" "$container" -- $entrypoint "$@" &
runner_pid=$!

# The relay: the first process under `buildah run` (which forks twice before it execs the
# command) whose command line starts with the entrypoint; its own children are SPF helpers.
relay_pid() {
  local pid=$runner_pid child argv0
  while child=$(pgrep -P "$pid" | head -n1) && [ -n "$child" ]; do
    pid=$child
    argv0=$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | head -n1) || true
    [ "$argv0" = "${entrypoint%% *}" ] && { echo "$pid"; return 0; }
  done
  return 1
}
forward() {
  local pid
  pid=$(relay_pid) && kill -s "$1" "$pid" 2>/dev/null || true
}
trap 'forward TERM' TERM
trap 'forward INT' INT
trap 'forward HUP' HUP
set +e
while true; do
  wait "$runner_pid"
  status=$?
  [ "$status" -le 128 ] && break                      # buildah ended: the relay's status
  kill -0 "$runner_pid" 2>/dev/null && continue       # a forwarded signal interrupted the wait
  wait "$runner_pid"                                  # ended meanwhile: its stored status
  s=$?
  [ "$s" -ne 127 ] && status=$s
  break
done
exit "$status"
