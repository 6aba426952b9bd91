#!/usr/bin/env bash
# The Debian 12 packages `make image` and `make image-test` need, kept out of install-deps.sh:
# the container image is its own target, not part of building and testing the relay.
# podman (or buildah) builds and runs the image; mmdebstrap makes its Debian base from packages;
# uidmap and fuse-overlayfs let podman run containers.
set -euo pipefail
PACKAGES=(podman buildah mmdebstrap uidmap fuse-overlayfs)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
