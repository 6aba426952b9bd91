#!/usr/bin/env bash
# `make image-test`: tests/integration/test_image.py against the image IMAGE (default
# localhost/hikyaku:latest), which must exist (`make image`). The image is started with
# `podman run` where podman can start a container; else (no podman, or its OCI runtime refuses
# here, e.g. crun on a host with hybrid cgroups) with `buildah run --isolation chroot`
# (deploy/image/run-in-image.sh). IMAGE_RUNNER=podman or buildah skips the probe.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export IMAGE=${IMAGE:-localhost/hikyaku:latest}
if ! buildah inspect --type image "$IMAGE" >/dev/null 2>&1 && ! podman image exists "$IMAGE" 2>/dev/null; then
  echo "image-test: no image $IMAGE (make image)" >&2
  exit 2
fi
if [ -z "${IMAGE_RUNNER:-}" ]; then
  IMAGE_RUNNER=buildah
  if command -v podman >/dev/null 2>&1; then
    if probe=$(podman run --rm --network host "$IMAGE" --version 2>&1); then
      IMAGE_RUNNER=podman
    else
      echo "image-test: podman cannot start the image here ($probe); using buildah run --isolation chroot" >&2
    fi
  fi
fi
export IMAGE_RUNNER HIKYAKU_BIN="$here/run-in-image.sh" PYTHONDONTWRITEBYTECODE=1
echo "image-test: $IMAGE with $IMAGE_RUNNER" >&2
cd "$here/../../tests/integration"
exec /usr/bin/python3 -m unittest -v test_image
