#!/usr/bin/env bash
# Installs the Debian packages the project needs, only those missing. Idempotent.
# PostgreSQL server (the stack runs its own cluster, not the system service), a Java 17 runtime
# for Kafka, Go to build the Dapr runtime, Maven to resolve Kafka's jars; with `containers`, also
# podman, runc and debootstrap for the image builds and `make e2e-containers`; with `bench`, also
# wrk, the HTTP load generator of `make bench` (benchmarks/compare.py); with `cluster`, what
# `make cluster-up` needs (containerd, runc, CNI plugins, iptables, conntrack, socat, openssl, gcc).
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v go >/dev/null || missing+=(golang-go)
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

if [ ${#missing[@]} -eq 0 ]; then
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
