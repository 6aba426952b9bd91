#!/usr/bin/env bash
# Makes the Debian 12 base images of deploy/Dockerfile from Debian's own packages, with no
# registry pull: mmdebstrap builds a root file system from the host's apt sources, and podman
# (or buildah) imports it under a local tag. Two variants: "bookworm" (the build stage: apt,
# minimal base) and "bookworm-slim" (the runtime: the same, without documentation and locales,
# as Debian's slim images). Usage: base.sh TOOL PREFIX (e.g. base.sh podman localhost/debian).
set -euo pipefail
tool=${1:-podman}
prefix=${2:-localhost/debian}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sources=/etc/apt/sources.list.d/debian.sources
[ -r "$sources" ] || sources=/etc/apt/sources.list

make_base() {  # TAG EXTRA-MMDEBSTRAP-ARGS...
  local tag=$1; shift
  if "$tool" image exists "$prefix:$tag" 2>/dev/null || \
     { [ "$tool" = buildah ] && buildah inspect --type image "$prefix:$tag" >/dev/null 2>&1; }; then
    echo "base.sh: $prefix:$tag exists"
    return
  fi
  mmdebstrap --variant=apt --format=tar "$@" bookworm "$work/$tag.tar" "$sources"
  case "$tool" in
    podman) podman import --change 'CMD ["/bin/bash"]' "$work/$tag.tar" "$prefix:$tag" ;;
    buildah)
      local c
      c=$(buildah from scratch)
      local m
      m=$(buildah mount "$c")
      tar -C "$m" -xf "$work/$tag.tar"
      buildah umount "$c"
      buildah config --cmd /bin/bash "$c"
      buildah commit "$c" "$prefix:$tag"
      buildah rm "$c" ;;
    *) echo "base.sh: unknown tool $tool" >&2; exit 2 ;;
  esac
}

make_base bookworm
make_base bookworm-slim \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*'
