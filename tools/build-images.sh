#!/usr/bin/env bash
# Builds every service's image (a service is a folder the skill scaffolded: it has .copier-answers.yml). Container tool: $CONTAINER_TOOL, else podman, else docker.
# Base image: the offline Debian base (`make base-image`) when it exists - these machines cannot pull -
# with dependencies from wheels downloaded on the host; otherwise the official Python image, online.
set -euo pipefail
# Sandboxed podman (as on these machines) needs runc, cgroupfs and no rlimit changes.
if [ -z "${CONTAINERS_CONF:-}" ] && command -v runc >/dev/null; then
  export CONTAINERS_CONF="$(cd "$(dirname "$0")" && pwd)/containers.conf"
fi
cd "$(dirname "$0")/.."
services=()
for answers in */.copier-answers.yml; do services+=("${answers%%/*}"); done

version=${VERSION:-0.1.0}
tool=${CONTAINER_TOOL:-$(command -v podman || command -v docker || true)}
[ -n "$tool" ] || { echo "no podman or docker: install one, or use 'make -C phase-3-backend-services images' with Minikube" >&2; exit 1; }
offline_base=${OFFLINE_BASE_IMAGE:-localhost/learnflow/python-base:bookworm}
format=()
[[ "$tool" == *podman ]] && format=(--format docker)   # keeps HEALTHCHECK (the OCI format drops it)

mkdir -p .wheels
build_args=()
if "$tool" image exists "$offline_base" 2>/dev/null || "$tool" image inspect "$offline_base" >/dev/null 2>&1; then
  echo "images: offline, on $offline_base, wheels from .wheels/"
  .venv/bin/pip wheel -q --wheel-dir .wheels -c constraints.txt ./common "${services[@]/#/./}"
  .venv/bin/pip download -q -d .wheels "setuptools>=69" wheel
  rm -f .wheels/learnflow_*
  rm -rf common/build "${services[@]/%//build}"  # left by pip wheel
  build_args=(--build-arg "BASE_IMAGE=$offline_base" --build-arg "PIP_ARGS=--no-index --find-links=/wheels")
fi
for service in "${services[@]}"; do
  started=$(date +%s.%N)
  "$tool" build "${format[@]}" -q -f "$service/Dockerfile" -t "learnflow/$service:$version" "${build_args[@]}" . >/dev/null
  size=$("$tool" image inspect "learnflow/$service:$version" --format '{{.Size}}')
  printf 'images: learnflow/%s:%s built in %.1fs, %d MB\n' "$service" "$version" \
    "$(echo "$(date +%s.%N) - $started" | bc)" "$((size / 1000000))"
done
