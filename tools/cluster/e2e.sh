#!/usr/bin/env bash
# The Minikube path, proven on the real single-node cluster of this machine (issue 12):
#   cluster up (Kubernetes + Dapr from its Helm chart) -> make deploy -> make verify ->
#   the development issuer's key lost and made anew (the running pods must take the new JWKS) ->
#   make verify with it -> a rolling redeploy of a changed image (back to the usual key) ->
#   make verify again -> cluster down.
# Prints the time of each phase and the memory of the cluster. Needs root. `make cluster-e2e`.
set -euo pipefail
cd "$(dirname "$0")/../.."
namespace=$(sed -n 's/^namespace: *//p' phase-3-backend-services/kustomization.yaml)
phase() { printf '\ncluster-e2e: == %s\n' "$1"; started=$(date +%s); }
took() { echo "cluster-e2e: $1 took $(( $(date +%s) - started )) s"; }
# A stand-in for a lost key folder, so the operator's own key (.stack-k8s/auth) is left alone.
lost_key=$(mktemp -d)
trap 'rm -rf "$lost_key"' EXIT

phase "cluster up"
make cluster-up
trap 'echo "cluster-e2e: == cluster down"; make cluster-down; rm -rf "$lost_key"' EXIT
took "cluster up (builds cached)"

phase "deploy"
make deploy
took "deploy (images built, imported, rollouts done)"

phase "verify"
make verify
took "verify"

phase "the development issuer's key lost: a new one, the Secret auth-jwks replaced under running pods"
pods=$(kubectl -n "$namespace" get pods -l app.kubernetes.io/component=api -o name | sort)
make -C phase-3-backend-services secrets AUTH_DIR="$lost_key/auth"
make verify AUTH_DIR="$lost_key/auth"
if [ -z "$(comm -12 <(echo "$pods") <(kubectl -n "$namespace" get pods -l app.kubernetes.io/component=api -o name | sort))" ]; then
  echo "cluster-e2e: FAILED: no service pod of before the key change is left to show it reread the JWKS" >&2
  exit 1
fi
took "key change (the pods reread the mounted JWKS)"

phase "rolling redeploy of a changed image"
tag=$(make -s -C phase-3-backend-services print-tag)-redeploy
make -C phase-3-backend-services deploy TAG="$tag"
# `rollout status` ends once the old ReplicaSet is scaled down; its pods may still be terminating
# (daprd's graceful shutdown, the grace period), and they are listed until they are gone.
deadline=$(( $(date +%s) + 120 ))
for service in course-agent user-progress; do
  while images=$(kubectl -n "$namespace" get pods -l "app.kubernetes.io/name=$service" \
      -o jsonpath='{range .items[*]}{.spec.containers[0].image}{"\n"}{end}' | sort -u)
    [ "$images" != "learnflow/$service:$tag" ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "cluster-e2e: FAILED: $service pods run $images, not learnflow/$service:$tag, 120 s after the rollout" >&2
      exit 1
    fi
    sleep 2
  done
done
took "redeploy"
make verify

phase "memory"
echo "cluster-e2e: host control plane RSS (MiB):"
for name in etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy; do
  pid=$(cat "/var/lib/learnflow-cluster/pids/$name.pid")
  printf '  %-24s %6d\n' "$name" "$(( $(awk '/VmRSS/{print $2}' "/proc/$pid/status") / 1024 ))"
done
echo "cluster-e2e: pods (working set, MiB, from the kubelet's summary API):"
kubectl get --raw "/api/v1/nodes/learnflow/proxy/stats/summary" | python3 -c '
import json, sys
for pod in json.load(sys.stdin)["pods"]:
    memory = sum((c.get("memory") or {}).get("workingSetBytes", 0) for c in pod["containers"])
    name = pod["podRef"]["namespace"] + "/" + pod["podRef"]["name"]
    print("  " + name.ljust(60) + str(memory // 2**20).rjust(6))'
echo "cluster-e2e: OK"
