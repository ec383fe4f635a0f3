#!/usr/bin/env bash
# Builds the binaries of the single-node Kubernetes cluster into OUT_DIR from the Go module proxy
# only: Kubernetes, etcd, CoreDNS, Helm, the hostPath provisioner, metrics-server, the Dapr control plane (the
# daprd/placement/scheduler of `make dapr` are not built here), and the pause binary of the
# sandbox image. A binary already in OUT_DIR is skipped; one line per binary says what happened.
#   usage: tools/cluster/build.sh OUT_DIR
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DAPR_MOD=$(cd "$HERE/../dapr" && pwd)

export CGO_ENABLED=0 GOFLAGS=-mod=readonly
# dapr 1.18.1 needs go-etcd-cron v0.12.7, which the checksum database does not have (go.sum does).
export GONOSUMDB=github.com/diagridio/go-etcd-cron

# modver DIR MODULE [TEMPLATE]: a field of a dependency of the module in DIR (default: its version).
modver() {
  local tmpl=${3:-'{{.Version}}'}
  (cd "$1" && go list -m -f "$tmpl" "$2")
}

# build NAME DIR PACKAGE LDFLAGS: go build PACKAGE in module DIR to OUT/NAME unless it exists.
build() {
  local name=$1 dir=$2 pkg=$3 ldflags=$4 start
  if [ -e "$OUT/$name" ]; then
    printf '%-24s present, skipped\n' "$name"
    return
  fi
  start=$SECONDS
  (cd "$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$OUT/.$name.tmp" "$pkg")
  mv "$OUT/.$name.tmp" "$OUT/$name"
  printf '%-24s built in %d s\n' "$name" $((SECONDS - start))
}

# Kubernetes: the version variables hack/lib/version.sh sets, for component-base and client-go.
K8S=$HERE/kubernetes
K8S_VERSION=$(modver "$K8S" k8s.io/kubernetes)                     # v1.34.4
K8S_DATE=$(modver "$K8S" k8s.io/kubernetes '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}')
IFS=. read -r k8s_major k8s_minor _ <<<"${K8S_VERSION#v}"
k8s_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$k8s_major -X $pkg.gitMinor=$k8s_minor"
  k8s_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$K8S_DATE"
done
for cmd in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
  build "$cmd" "$K8S" "k8s.io/kubernetes/cmd/$cmd" "$k8s_ldflags"
done

# The sandbox ("pause") binary, from Kubernetes' own source in the module cache.
if [ -e "$OUT/pause" ]; then
  printf '%-24s present, skipped\n' pause
else
  start=$SECONDS
  (cd "$K8S" && go mod download k8s.io/kubernetes)
  K8S_SRC=$(modver "$K8S" k8s.io/kubernetes '{{.Dir}}')
  pause_tag=$(sed -n 's/^TAG ?= *//p' "$K8S_SRC/build/pause/Makefile")   # what `pause -v` reports
  gcc -Os -Wall -Werror -static -DVERSION="v$pause_tag" -o "$OUT/.pause.tmp" "$K8S_SRC/build/pause/linux/pause.c"
  mv "$OUT/.pause.tmp" "$OUT/pause"
  printf '%-24s built in %d s\n' pause $((SECONDS - start))
fi

build etcd "$HERE/etcd" . ""
build coredns "$HERE/coredns" . ""

# Helm reports its version, and the Kubernetes version it assumes (that of its client-go, as its Makefile).
HELM=$HERE/helm
HELM_VERSION=$(modver "$HELM" helm.sh/helm/v3)
helm_k8s=$(modver "$HELM" k8s.io/client-go)                         # v0.MINOR.PATCH
helm_k8s_minor=$(echo "$helm_k8s" | cut -d. -f2)
helm_ldflags="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  helm_ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$helm_k8s_minor"
done
build helm "$HELM" helm.sh/helm/v3/cmd/helm "$helm_ldflags"

build learnflow-provisioner "$HERE/provisioner" . ""

# metrics-server (the HPAs' CPU readings), reporting its own version.
MS_VERSION=$(modver "$HERE/metrics-server" sigs.k8s.io/metrics-server)
build metrics-server "$HERE/metrics-server" sigs.k8s.io/metrics-server/cmd/metrics-server \
  "-X k8s.io/client-go/pkg/version.gitVersion=$MS_VERSION -X k8s.io/client-go/pkg/version.gitTreeState=clean"

# The Dapr control plane, from the module of `make dapr` (same version ldflags as the Makefile).
DAPR_VERSION=$("$DAPR_MOD/version.sh")
dapr_ldflags="-X github.com/dapr/dapr/pkg/buildinfo.version=$DAPR_VERSION -X github.com/dapr/kit/logger.DaprVersion=$DAPR_VERSION"
for cmd in operator injector sentry; do
  build "dapr-$cmd" "$DAPR_MOD" "./controlplane/$cmd" "$dapr_ldflags"
done
