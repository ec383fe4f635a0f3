#!/usr/bin/env bash
# Two commits in one sitting: the stack of COMMIT, then of this checkout, each started in turn on the
# same ports and measured by a short benchmarks/compare.py run (ratios to the baseline of the same
# run). The machine's speed drifts over a day, so only figures of one sitting compare.
#
#   make bench-ab COMMIT=e5e03a9 [AB_OUT=/tmp/learnflow-ab]   # then <AB_OUT>/{old-<commit>,new}/compare.md
#
# COMMIT runs from a git worktree of it with its own sources first on PYTHONPATH (the virtualenv's
# editable installs point at this checkout) and its own stack folder. Needs no stack running on the
# default ports (`make down`); DAPR_BIN_DIR and KAFKA_LIBS_DIR come from the Makefile.
set -euo pipefail
commit=${1:?usage: benchmarks/ab.sh COMMIT [OUT]}
out=${2:-/tmp/learnflow-ab}
here=$(cd "$(dirname "$0")/.." && pwd)
python=$here/.venv/bin/python
worktree=$out/tree-$commit
mkdir -p "$out"
[ -d "$worktree" ] || git -C "$here" worktree add --detach "$worktree" "$commit" >/dev/null

measure() {  # measure LABEL TREE [VAR=value ...]: start that tree's stack, measure, stop it
  local label=$1 tree=$2
  shift 2
  (
    cd "$tree"
    export TRACE_SAMPLING_RATE=${TRACE_SAMPLING_RATE:-0} "$@"  # as the cluster runs (see make bench)
    "$python" -m devstack up >/dev/null
    trap '"$python" -m devstack down >/dev/null' EXIT
    "$python" benchmarks/compare.py --seconds 5 --warmup 2 --concurrency 1 32 --propagation-samples 5 \
      --out "$out/$label" >"$out/$label.log" 2>&1
  )
  echo "$label: $out/$label/compare.md"
}

measure "old-$commit" "$worktree" \
  PYTHONPATH="$worktree/common/src:$worktree/user-progress/src:$worktree/course-agent/src:$worktree/tools/devstack/src" \
  LEARNFLOW_REPO="$worktree" LEARNFLOW_STACK_DIR="$out/stack-old"
measure new "$here" LEARNFLOW_STACK_DIR="$out/stack-new"
