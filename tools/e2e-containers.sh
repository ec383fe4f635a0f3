#!/usr/bin/env bash
# Container checks of the images themselves: both service images build from their Dockerfiles, run
# as a non-root user on a read-only root filesystem, start without their sidecar (/readyz says why
# they are not ready) and pass their HEALTHCHECK (what `docker run` users get; Kubernetes uses the
# probes instead). The deployment itself - sidecars injected, placement, the smoke - is proven on a
# real cluster by `make cluster-e2e` (tools/cluster/e2e.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${CONTAINERS_CONF:-}" ] && command -v runc >/dev/null; then
  export CONTAINERS_CONF="$PWD/tools/containers.conf"
fi
tool=${CONTAINER_TOOL:-podman}
version=${VERSION:-0.1.0}

tools/build-base-image.sh
tools/build-images.sh

# Throwaway tokens, as long as the apps require (learnflow_common.settings.MIN_TOKEN_LENGTH), given
# to the containers by name (-e NAME) so that no value is on a command line.
DAPR_API_TOKEN=$(openssl rand -hex 32)
APP_API_TOKEN=$(openssl rand -hex 32)
export DAPR_API_TOKEN APP_API_TOKEN

failures=0
for service in course-agent user-progress; do
  name="e2e-$service-$$"
  # Configured as in production: its tokens, an identity provider's JWKS URL (fetched on the first
  # bearer token, so none is needed to start) and the leaderboard's pseudonym key.
  "$tool" run -d --name "$name" --read-only --tmpfs /tmp \
    -e DAPR_API_TOKEN -e APP_API_TOKEN -e AUTH_JWKS_URL=https://issuer.invalid/.well-known/jwks.json \
    -e PSEUDONYM_KEY=e2e-pseudonym-key-0000 "learnflow/$service:$version" >/dev/null 2>&1
  trap '"$tool" rm -f "$name" >/dev/null 2>&1 || true' EXIT
  healthy=no
  for _ in $(seq 1 30); do
    if "$tool" healthcheck run "$name" >/dev/null 2>&1; then healthy=yes; break; fi
    sleep 1
  done
  user=$("$tool" exec "$name" id -u)
  answer() {  # the status code of GET $1 on the app, from inside the container
    "$tool" exec "$name" python3 -c "
import os, sys, urllib.request, urllib.error
try:
    urllib.request.urlopen('http://127.0.0.1:%s%s' % (os.environ['APP_PORT'], sys.argv[1]), timeout=5); print('200')
except urllib.error.HTTPError as error:
    print(error.code)" "$1"
  }
  ready=$(answer /readyz)
  anonymous=$(answer "$([ "$service" = user-progress ] && echo /status || echo /lessons)?learner_id=ada")
  echo "e2e-containers: $service healthy=$healthy uid=$user readyz-without-sidecar=$ready without-token=$anonymous"
  if [ "$healthy" != yes ] || [ "$user" = 0 ] || [ "$ready" != 503 ] || [ "$anonymous" != 401 ]; then
    failures=$((failures + 1)); "$tool" logs "$name" | tail -20
  fi
  "$tool" rm -f "$name" >/dev/null 2>&1
done
echo "e2e-containers: $((2 - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
