# LearnFlow phase 3 backend services.
#   make run    the whole system in the foreground (Ctrl-C stops every process it started)
#   make test   every test: unit, then integration against the real stack (started if needed)
# Everything is installed on first use: Debian packages (PostgreSQL), a virtualenv, the Dapr
# runtime built from the Go module proxy, Kafka resolved from Maven Central.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
CACHE ?= $(HOME)/.cache/learnflow

DAPR_VERSION := $(shell tools/dapr/version.sh)
KAFKA_VERSION := $(shell sed -n 's/.*<kafka.version>\(.*\)<\/kafka.version>.*/\1/p' tools/kafka/pom.xml)

# Build outputs are cached under a key of the files that define them, so a fresh clone reuses
# them and a change to tools/dapr or tools/kafka rebuilds.
DAPR_BUILD_KEY := $(shell cat tools/dapr/go.mod tools/dapr/go.sum tools/dapr/cmd/*/*.go | sha256sum | cut -c1-12)
KAFKA_BUILD_KEY := $(shell sha256sum < tools/kafka/pom.xml | cut -c1-12)

# Use the dapr CLI's binaries (~/.dapr/bin) when they are of the same minor version; else build.
DAPR_CLI_BIN := $(HOME)/.dapr/bin
DAPR_CLI_MINOR := $(shell $(DAPR_CLI_BIN)/daprd --version 2>/dev/null | cut -d. -f1,2)
ifeq ($(DAPR_CLI_MINOR)-$(wildcard $(DAPR_CLI_BIN)/placement)-$(wildcard $(DAPR_CLI_BIN)/scheduler),$(basename $(DAPR_VERSION))-$(DAPR_CLI_BIN)/placement-$(DAPR_CLI_BIN)/scheduler)
DAPR_BIN_DIR ?= $(DAPR_CLI_BIN)
else
DAPR_BIN_DIR ?= $(CACHE)/dapr-$(DAPR_VERSION)-$(DAPR_BUILD_KEY)
endif
KAFKA_LIBS_DIR ?= $(CACHE)/kafka-$(KAFKA_VERSION)-$(KAFKA_BUILD_KEY)/libs
export DAPR_BIN_DIR KAFKA_LIBS_DIR
# The Go that tools/install-system-deps.sh installs when the machine's is too old (Debian 12: 1.19).
export PATH := $(CACHE)/go/bin:$(PATH)
# The real single-node Kubernetes of `make cluster-up`: its binaries, built from upstream modules.
CLUSTER_BUILD_KEY := $(shell cat tools/cluster/build.sh $(wildcard tools/cluster/*/go.mod tools/cluster/*/go.sum \
  tools/cluster/*/*.go tools/dapr/controlplane/*/*.go) tools/dapr/go.mod tools/dapr/go.sum 2>/dev/null | sha256sum | cut -c1-12)
CLUSTER_BIN_DIR ?= $(CACHE)/cluster-$(CLUSTER_BUILD_KEY)

DEVSTACK := $(VENV)/bin/devstack
PYTEST := $(VENV)/bin/pytest
PACKAGES := common user-progress course-agent tools/devstack

.PHONY: cluster-binaries cluster-up cluster-down cluster-e2e new-service update-service remove-service e2e-containers base-image images minikube-up deploy verify undeploy help deps system-deps python-deps dapr kafka run up down status token test unit bench bench-ab chaos lint format schemas clean clean-cache

help: ## List the targets
	@grep -E '^[a-z0-9 -]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

deps: system-deps python-deps dapr kafka ## Install / build everything the stack needs (cached)

system-deps: ## Debian packages: PostgreSQL server, Java, Go, Maven (skips what is present)
	@tools/install-system-deps.sh

python-deps: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt constraints.txt $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	@# what pip fetches and installs is shown, not what is already there
	set -o pipefail; $(VENV)/bin/pip install --progress-bar off -c constraints.txt -r requirements-dev.txt \
	  $(foreach p,$(PACKAGES),-e ./$(p)) | { grep -v '^Requirement already satisfied' || true; }
	@touch $@

dapr: $(DAPR_BIN_DIR)/daprd $(DAPR_BIN_DIR)/placement $(DAPR_BIN_DIR)/scheduler ## Build daprd, placement, scheduler

$(CACHE)/dapr-$(DAPR_VERSION)-$(DAPR_BUILD_KEY)/%:
	@echo "building Dapr $(DAPR_VERSION) $* with $$(go version | cut -d' ' -f3) (first time: a few minutes on 2 cores)"
	@# a line every 30 s, so a long first build is not mistaken for a hang
	@(while sleep 30; do echo "  still building $* ($$SECONDS s)"; done) & ticker=$$!; \
	cd tools/dapr && GOFLAGS=-mod=readonly GOSUMDB=off CGO_ENABLED=0 go build -trimpath \
	  -ldflags "-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$(DAPR_VERSION) -X github.com/dapr/kit/logger.DaprVersion=$(DAPR_VERSION)" \
	  -o $@ ./cmd/$*; rc=$$?; kill $$ticker 2>/dev/null; echo "built $* in $$SECONDS s"; exit $$rc

kafka: $(KAFKA_LIBS_DIR)/.resolved ## Resolve the Kafka broker jars from Maven Central

$(CACHE)/kafka-$(KAFKA_VERSION)-$(KAFKA_BUILD_KEY)/libs/.resolved:
	mvn -B --no-transfer-progress -f tools/kafka/pom.xml dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=$(@D)
	@touch $@

run: deps ## Run the whole system in the foreground until Ctrl-C
	$(DEVSTACK) run

up: deps ## Start the whole system in the background, return when it is ready
	$(DEVSTACK) up

down: ## Stop the background system; no process of it is left
	@if [ -x $(DEVSTACK) ]; then $(DEVSTACK) down; else echo "nothing to stop"; fi

status: ## Ports, URLs and tokens of the running system
	@$(DEVSTACK) status

# A development bearer token, signed by the stack's key (made by `make up`, or here if missing):
#   curl -H "Authorization: Bearer $$(make -s token LEARNER=ada)" localhost:8002/status?learner_id=ada
token: python-deps ## Print a dev bearer token: make token LEARNER=ada, or make token SCOPE=admin
	@$(DEVSTACK) token $(if $(LEARNER),--learner $(LEARNER)) $(foreach s,$(SCOPE),--scope $(s)) $(if $(TTL),--ttl $(TTL))

unit: python-deps ## Unit tests only (no infrastructure)
	$(PYTEST) -m "not integration"

test: deps ## Every test; starts the stack for the integration tests if it is not running
	@started=0; \
	if ! $(DEVSTACK) status >/dev/null 2>&1; then \
	  $(DEVSTACK) up || { echo "make test: the stack could not be started (see above); integration tests cannot run" >&2; exit 1; }; \
	  started=1; \
	fi; \
	$(VENV)/bin/ruff check . && $(VENV)/bin/mypy && $(PYTEST); rc=$$?; \
	if [ $$started = 1 ]; then $(DEVSTACK) down; fi; \
	exit $$rc

# e.g. make bench COMPARE_ARGS="--seconds 2 --warmup 1 --concurrency 1 8 --out /tmp/bench" (a short comparison)
bench: deps ## Benchmarks against the real stack (started if needed), and vs the direct path; they report figures
	@tools/install-system-deps.sh bench
	@$(VENV)/bin/pip install --quiet -c constraints.txt -r benchmarks/requirements.txt
	@# a stack started here traces nothing, as the cluster's (TRACE_SAMPLING_RATE=1 make bench: its cost),
	@# and its sidecars serve Go's pprof for benchmarks/daprd_profile.py (idle until it asks)
	@started=0; \
	if ! $(DEVSTACK) status >/dev/null 2>&1; then TRACE_SAMPLING_RATE=$${TRACE_SAMPLING_RATE:-0} DAPR_PROFILING=1 $(DEVSTACK) up || exit 1; started=1; fi; \
	$(VENV)/bin/python benchmarks/app_stack.py && $(VENV)/bin/python benchmarks/ledger_cpu.py && $(VENV)/bin/python benchmarks/update_progress.py && $(VENV)/bin/python benchmarks/progress_growth.py && $(VENV)/bin/python benchmarks/generate_lesson.py \
	  && $(VENV)/bin/python benchmarks/lesson_growth.py && $(VENV)/bin/python benchmarks/consumer_drain.py \
	  && $(VENV)/bin/python benchmarks/memory_growth.py && $(VENV)/bin/python benchmarks/learner_pace.py \
	  && $(VENV)/bin/python benchmarks/daprd_profile.py && $(VENV)/bin/python benchmarks/sidecar_protocols.py \
	  && $(VENV)/bin/python benchmarks/gc_pauses.py && $(VENV)/bin/python benchmarks/floors.py && $(VENV)/bin/python benchmarks/floors.py --clients 1 \
	  && $(VENV)/bin/python benchmarks/compare.py $(COMPARE_ARGS); rc=$$?; \
	if [ $$started = 1 ]; then $(DEVSTACK) down; fi; \
	exit $$rc

bench-ab: deps ## Two commits in one sitting: make bench-ab COMMIT=<older commit> [AB_OUT=/tmp/learnflow-ab]
	@tools/install-system-deps.sh bench
	@$(VENV)/bin/pip install --quiet -c constraints.txt -r benchmarks/requirements.txt
	benchmarks/ab.sh $(COMMIT) $(or $(AB_OUT),/tmp/learnflow-ab)

# e.g. make chaos CHAOS_ARGS="--seconds 4 --outage 3 --out /tmp/chaos" (what CI runs); tools/chaos.py --help
chaos: deps ## kill -9 each process in turn under load, restart it; report losses, answers, recovery (stack started if needed)
	@started=0; \
	if ! $(DEVSTACK) status >/dev/null 2>&1; then $(DEVSTACK) up || exit 1; started=1; fi; \
	$(VENV)/bin/python tools/chaos.py $(CHAOS_ARGS); rc=$$?; \
	if [ $$started = 1 ]; then $(DEVSTACK) down; fi; \
	exit $$rc

lint: python-deps ## ruff, and mypy (strict on common/ and every domain/; configured in pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: python-deps ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

schemas: python-deps ## Regenerate the event and lesson JSON Schema files and the AsyncAPI document
	$(VENV)/bin/python -m learnflow_common.schemas
	$(VENV)/bin/python -m course_agent.schemas

new-service: python-deps ## Scaffold a service (fastapi-dapr-agent skill): make new-service NAME=exercise-agent PORT=8003
	@test -n "$(NAME)" -a -n "$(PORT)" || { echo "usage: make new-service NAME=<service> PORT=<8001-8099>" >&2; exit 1; }
	$(VENV)/bin/python tools/new_service.py add $(NAME) $(PORT)
	@$(MAKE) --no-print-directory python-deps

update-service: python-deps ## Re-render a service's scaffolded files from the template: make update-service NAME=...
	@test -n "$(NAME)" || { echo "usage: make update-service NAME=<service>" >&2; exit 1; }
	$(VENV)/bin/python tools/new_service.py update $(NAME)

remove-service: python-deps ## Remove a scaffolded service and every line it added: make remove-service NAME=...
	@test -n "$(NAME)" || { echo "usage: make remove-service NAME=<service>" >&2; exit 1; }
	$(VENV)/bin/python tools/new_service.py remove $(NAME)
	$(VENV)/bin/pip uninstall --quiet --yes learnflow-$(NAME) || true

base-image: ## Offline Debian base image for the services (debootstrap + podman import; root)
	tools/build-base-image.sh

images: python-deps ## Build both service images (podman or docker; offline base if present)
	tools/build-images.sh

e2e-containers: deps ## (root) Both images checked: non-root, read-only root filesystem, HEALTHCHECK, 503 without sidecar, 401 without token
	tools/install-system-deps.sh containers
	tools/e2e-containers.sh

cluster-binaries: ## Build Kubernetes, etcd, CoreDNS, Helm, the Dapr control plane from source (cached)
	tools/install-system-deps.sh cluster
	tools/cluster/build.sh $(CLUSTER_BIN_DIR)

cluster-up: dapr cluster-binaries ## (root) A real single-node Kubernetes + Dapr (Helm) here; kubectl context `learnflow`
	python3 tools/cluster/cluster.py up --bin-dir $(CLUSTER_BIN_DIR) --dapr-bin-dir $(DAPR_BIN_DIR) \
	  --dapr-chart "$$(cd tools/dapr && go list -m -f '{{.Dir}}' github.com/dapr/dapr)/charts/dapr" \
	  --dapr-version $(DAPR_VERSION)
	tools/cluster/infra-images.sh $(CACHE)

cluster-down: ## (root) Stop the cluster and undo every change it made to this machine
	python3 tools/cluster/cluster.py down

cluster-e2e: python-deps ## (root) cluster-up, deploy, verify, a rolling redeploy, verify, cluster-down; times and memory
	tools/cluster/e2e.sh

minikube-up deploy verify undeploy: ## Minikube: see phase-3-backend-services/README.md
	$(MAKE) -C phase-3-backend-services $@

clean: ## Stop the stack and remove its data (PostgreSQL, Kafka), logs and secrets
	@if [ -x $(DEVSTACK) ]; then $(DEVSTACK) clean; else rm -rf .stack; fi

clean-cache: ## Remove the built Dapr binaries and Kafka jars
	rm -rf $(CACHE)
