#!/usr/bin/env bash
# The images the manifests pull from Docker Hub, for a cluster that cannot pull: stand-ins built
# from Debian packages and Maven Central with the same contract (tools/cluster/images/*), imported
# into the cluster's containerd under the official names. Needs root (podman, ctr).
#   tools/cluster/infra-images.sh CACHE_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=$1
if [ -z "${CONTAINERS_CONF:-}" ] && command -v runc >/dev/null; then
  export CONTAINERS_CONF="$repo/tools/containers.conf"
fi
"$repo/tools/build-base-image.sh" infra
postgres=docker.io/library/postgres:15.10-bookworm
kafka=docker.io/apache/kafka:3.9.1
podman build -q -t "$postgres" "$here/images/postgres" >/dev/null
libs=$cache/kafka-image-$(sha256sum < "$here/images/kafka/pom.xml" | cut -c1-12)/libs
if [ ! -f "$libs/.resolved" ]; then
  mvn -q -B -f "$here/images/kafka/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs"
  touch "$libs/.resolved"
fi
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp -r "$here/images/kafka/." "$context/"
mkdir -p "$context/libs" && cp "$libs"/*.jar "$context/libs/"
podman build -q -t "$kafka" "$context" >/dev/null
for image in "$postgres" "$kafka"; do
  "$here/import-image.sh" "$image" "$image"
done
