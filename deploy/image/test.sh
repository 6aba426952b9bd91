#!/usr/bin/env bash
# `make image-test`: tests/integration/test_image.py against the image IMAGE (default
# localhost/hikyaku:latest), which must exist (`make image`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export IMAGE=${IMAGE:-localhost/hikyaku:latest}
podman image exists "$IMAGE" || { echo "image-test: no image $IMAGE (make image)" >&2; exit 2; }
export HIKYAKU_BIN="$here/run-in-image.sh" PYTHONDONTWRITEBYTECODE=1
cd "$here/../../tests/integration"
exec /usr/bin/python3 -m unittest -v test_image
