#!/usr/bin/env bash
# Offline base images, made with debootstrap from Debian's packages and imported into podman (no
# registry is reachable on these machines). Needs root.
#   tools/build-base-image.sh          python3: the base of both service images
#   tools/build-base-image.sh infra    PostgreSQL 15 + Java 17: the base of the cluster's stand-ins for
#                                      the PostgreSQL and Kafka images (tools/cluster/infra-images.sh)
set -euo pipefail
# Sandboxed podman (as on these machines) needs runc, cgroupfs and no rlimit changes.
if [ -z "${CONTAINERS_CONF:-}" ] && command -v runc >/dev/null; then
  export CONTAINERS_CONF="$(cd "$(dirname "$0")" && pwd)/containers.conf"
fi
if [ "${1:-}" = infra ]; then
  image=localhost/learnflow/infra-base:bookworm
  rootfs=/var/tmp/learnflow-infra-rootfs
  packages=postgresql-15,openjdk-17-jre-headless,ca-certificates
  probe=usr/lib/postgresql/15/bin/postgres
else
  image=${OFFLINE_BASE_IMAGE:-localhost/learnflow/python-base:bookworm}
  rootfs=${ROOTFS_DIR:-/var/tmp/learnflow-rootfs}
  packages=python3,python3-venv,ca-certificates
  probe=usr/bin/python3
fi
tool=${CONTAINER_TOOL:-podman}
if "$tool" image exists "$image" 2>/dev/null; then
  echo "base image $image exists"; exit 0
fi
if [ ! -x "$rootfs/$probe" ]; then
  rm -rf "$rootfs"
  debootstrap --variant=minbase --include="$packages" bookworm "$rootfs"
  # what an image never needs: package lists and caches, documentation
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
fi
tar -C "$rootfs" -c . | "$tool" import \
  --change 'ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$image"
