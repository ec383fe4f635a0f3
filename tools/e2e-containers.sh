#!/usr/bin/env bash
# Container checks that can run on these machines:
# 1. both service images build from their Dockerfiles, run as a non-root user on a read-only root
#    filesystem, start without their sidecar (/readyz says why they are not ready) and pass their
#    HEALTHCHECK;
# 2. the local overlay (tools/podman_play.py: the k8s/base Deployments with the daprd sidecars spelled
#    out, PostgreSQL, Kafka, placement and scheduler) runs under `podman kube play`, and the same
#    checks as `make verify` pass against it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${CONTAINERS_CONF:-}" ] && command -v runc >/dev/null; then
  export CONTAINERS_CONF="$PWD/tools/containers.conf"
fi
tool=${CONTAINER_TOOL:-podman}
version=${VERSION:-0.1.0}

tools/build-base-image.sh
tools/build-images.sh

failures=0
for service in course-agent user-progress; do
  name="e2e-$service-$$"
  "$tool" run -d --name "$name" --read-only --tmpfs /tmp \
    -e DAPR_API_TOKEN=e2e -e APP_API_TOKEN=e2e "learnflow/$service:$version" >/dev/null 2>&1
  trap '"$tool" rm -f "$name" >/dev/null 2>&1 || true' EXIT
  healthy=no
  for _ in $(seq 1 30); do
    if "$tool" healthcheck run "$name" >/dev/null 2>&1; then healthy=yes; break; fi
    sleep 1
  done
  user=$("$tool" exec "$name" id -u)
  ready=$("$tool" exec "$name" python3 -c "
import os, urllib.request, urllib.error
try:
    urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ['APP_PORT'], timeout=5); print('200')
except urllib.error.HTTPError as error:
    print(error.code)")
  echo "e2e-containers: $service healthy=$healthy uid=$user readyz-without-sidecar=$ready"
  if [ "$healthy" != yes ] || [ "$user" = 0 ] || [ "$ready" != 503 ]; then
    failures=$((failures + 1)); "$tool" logs "$name" | tail -20
  fi
  "$tool" rm -f "$name" >/dev/null 2>&1
done
tools/build-base-image.sh infra
.venv/bin/python tools/podman_play.py down
if .venv/bin/python tools/podman_play.py up && .venv/bin/python tools/podman_play.py smoke; then
  echo "e2e-containers: kube play overlay smoke OK"
else
  failures=$((failures + 1))
  for pod in course-agent user-progress; do "$tool" pod logs "$pod" 2>/dev/null | tail -15 || true; done
fi
.venv/bin/python tools/podman_play.py down
echo "e2e-containers: $((3 - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
