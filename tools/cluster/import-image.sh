#!/usr/bin/env bash
# Copies an image from podman into the cluster's containerd (what `minikube image load` does):
#   tools/cluster/import-image.sh localhost/learnflow/course-agent:TAG docker.io/learnflow/course-agent:TAG
# The second name is what the pods ask for (kubelet normalises `learnflow/x:tag` to docker.io/...).
set -euo pipefail
source_image=$1
cluster_name=${2:-$1}
socket=/run/learnflow-cluster/containerd/containerd.sock
[ -S "$socket" ] || { echo "no cluster containerd at $socket (make cluster-up)" >&2; exit 1; }
if [ -z "${CONTAINERS_CONF:-}" ] && command -v runc >/dev/null; then
  export CONTAINERS_CONF="$(cd "$(dirname "$0")/.." && pwd)/containers.conf"
fi
archive=$(mktemp)
trap 'rm -f "$archive"' EXIT
podman save --quiet --format docker-archive -o "$archive" "$source_image" >/dev/null
imported=$(ctr --address "$socket" -n k8s.io images import "$archive" | sed -n 's/^unpacking \([^ ]*\) .*/\1/p' | head -1)
if [ -n "$imported" ] && [ "$imported" != "$cluster_name" ]; then
  ctr --address "$socket" -n k8s.io images tag --force "$imported" "$cluster_name" >/dev/null
fi
echo "cluster image: $cluster_name"
