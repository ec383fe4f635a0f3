#!/usr/bin/env bash
# Installs the Debian packages the project needs, only those missing. Idempotent.
# PostgreSQL server (the stack runs its own cluster, not the system service), a Java 17 runtime
# for Kafka, Go to build the Dapr runtime (from the Go module proxy), Maven to resolve Kafka's jars; with `containers`, also
# podman, runc and debootstrap for the image builds and `make e2e-containers`; with `bench`, also
# wrk, the HTTP load generator of `make bench` (benchmarks/compare.py); with `cluster`, what
# `make cluster-up` needs (containerd, runc, CNI plugins, iptables, conntrack, socat, openssl, gcc).
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
# Go: Debian 12's golang-go is 1.19, too old for the Dapr build; see install_go below.
command -v unzip >/dev/null || missing+=(unzip)
command -v curl >/dev/null || missing+=(curl)
if [ "${1:-}" = containers ]; then
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  # podman builds its pod infra (pause) image from catatonit; a fresh podman install may lack it
  command -v catatonit >/dev/null || [ -x /usr/libexec/podman/catatonit ] || missing+=(catatonit)
fi
if [ "${1:-}" = cluster ]; then
  # a real single-node Kubernetes (make cluster-up): container runtime, networking, certificates,
  # and gcc for the pause binary
  command -v containerd >/dev/null || missing+=(containerd)
  command -v runc >/dev/null || missing+=(runc)
  [ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v conntrack >/dev/null || missing+=(conntrack)
  command -v socat >/dev/null || missing+=(socat)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v curl >/dev/null || missing+=(curl)
  command -v gcc >/dev/null || missing+=(gcc libc6-dev)
  command -v podman >/dev/null || missing+=(podman)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
fi
if [ "${1:-}" = bench ]; then
  command -v wrk >/dev/null || missing+=(wrk)
fi

# The Go that tools/dapr/go.mod asks for, unless a `go` at least as new is on PATH: the toolchain
# module the go command itself downloads for GOTOOLCHAIN (golang.org/toolchain, from the module
# proxy - go.dev/dl is not reachable from every machine), unpacked into the cache; the Makefile puts
# $CACHE/go/bin first on PATH.
at_least() {  # at_least NEED GO: the go binary GO exists and is version NEED or newer
  local have
  have=$("$2" env GOVERSION 2>/dev/null | sed 's/^go//') || return 1
  [ -n "$have" ] && [ "$(printf '%s\n%s\n' "$1" "$have" | sort -V | head -1)" = "$1" ]
}
install_go() {
  local need have cache arch zip
  need=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$(dirname "$0")/dapr/go.mod")
  cache=${CACHE:-$HOME/.cache/learnflow}
  if at_least "$need" go || at_least "$need" "$cache/go/bin/go"; then
    return 0
  fi
  have=$(go env GOVERSION 2>/dev/null) || have=
  case $(uname -m) in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  zip="v0.0.1-go$need.linux-$arch.zip"
  echo "installing Go $need (found: ${have:-none}) into $cache/go from the Go module proxy"
  rm -rf "$cache/go" "$cache/go-download" && mkdir -p "$cache/go-download"
  curl -fsSL --retry 3 -o "$cache/go-download/$zip" "https://proxy.golang.org/golang.org/toolchain/@v/$zip"
  unzip -q "$cache/go-download/$zip" -d "$cache/go-download"
  mv "$cache/go-download/golang.org/toolchain@v0.0.1-go$need.linux-$arch" "$cache/go"
  rm -rf "$cache/go-download"
  "$cache/go/bin/go" version
}

if [ ${#missing[@]} -eq 0 ]; then
  install_go
  exit 0
fi
echo "installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "need root (or sudo) to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package starts a system cluster on 5432; the stack does not use it.
if command -v pg_ctlcluster >/dev/null; then
  for cluster in $(pg_lsclusters -h 2>/dev/null | awk '$4=="online"{print $1"/"$2}'); do
    "${sudo[@]}" pg_ctlcluster "${cluster%/*}" "${cluster#*/}" stop || true
  done
fi
install_go
