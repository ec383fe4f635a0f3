#!/usr/bin/env bash
# The offline base image: Debian bookworm with python3, made with debootstrap from Debian's packages
# and imported into podman (no registry is reachable on these machines). Needs root.
set -euo pipefail
# Sandboxed podman (as on these machines) needs runc, cgroupfs and no rlimit changes.
if [ -z "${CONTAINERS_CONF:-}" ] && command -v runc >/dev/null; then
  export CONTAINERS_CONF="$(cd "$(dirname "$0")" && pwd)/containers.conf"
fi
image=${OFFLINE_BASE_IMAGE:-localhost/learnflow/python-base:bookworm}
rootfs=${ROOTFS_DIR:-/var/tmp/learnflow-rootfs}
tool=${CONTAINER_TOOL:-podman}
if "$tool" image exists "$image" 2>/dev/null; then
  echo "base image $image exists"; exit 0
fi
if [ ! -x "$rootfs/usr/bin/python3" ]; then
  rm -rf "$rootfs"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$rootfs"
  # what an image never needs: package lists and caches, documentation
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
fi
tar -C "$rootfs" -c . | "$tool" import \
  --change 'ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$image"
