#!/bin/sh
# Prints the Dapr runtime version this project builds and deploys (e.g. 1.18.1): the
# github.com/dapr/dapr requirement of tools/dapr/go.mod, the one place it is pinned. Both Makefiles
# and tools/cluster/build.sh read it here; it needs no Go, so a Makefile can read it before Go is
# installed.
sed -n 's/^[[:space:]]*github\.com\/dapr\/dapr v\([0-9.]*\).*/\1/p' "$(dirname "$0")/go.mod" | head -1
