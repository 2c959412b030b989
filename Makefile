# SegSweep: build, test, run sweeps. `make help` lists the targets.
SHELL := /bin/bash
SWIFT ?= swift
SWEEP ?= sweeps/paper.yaml
RESULTS ?= results
JOBS ?=
SET ?=
CELL ?=
NATIVE ?=
# make bench times this many kinds at once, one per core (each by its own thread CPU time).
BENCH_THREADS ?= $(shell nproc)
RELEASE_BIN := .build/release/sweep
DEBUG_BIN := .build/debug/sweep
# NATIVE=1: the vector kernels compiled for this machine's CPU, in their own build folder.
HOST_CPU = $(shell clang -march=native -\#\#\# -x c /dev/null 2>&1 | grep -o '"-target-cpu" "[^"]*"' | cut -d'"' -f4)
NATIVE_BIN := .build-native/release/sweep

JOBS_FLAG := $(if $(JOBS),--jobs $(JOBS),)
# SET reaches the recipes through the environment, never through make's word splitting, so a
# value may hold spaces (theta=[0.5, 0.95]); overrides are separated by ';'.
export SET
SET_ARGS = sets=(); IFS=';' read -ra parts <<< "$$SET"; \
	for part in "$${parts[@]}"; do read -r part <<< "$$part"; [ -z "$$part" ] || sets+=(--set "$$part"); done
# The release binary is rebuilt only when a source file or the package manifest is newer, so a
# no-op `make sweep` does not pay for SwiftPM's own up-to-date check.
BUILD_INPUTS := Package.swift $(wildcard Package.resolved) $(shell find Sources -type f 2>/dev/null)

.PHONY: help deps report-deps build build-debug sweep test e2e lint format bench bench-sweep bench-jax rerun \
        golden golden-check \
        determinism determinism-native slurm-test report clean report-check

help:
	@echo "make sweep SWEEP=sweeps/paper.yaml [JOBS=N] [RESULTS=ROOT] [SET='k=v;k=v']  run a sweep"
	@echo "                   SET holds --set overrides separated by ';', e.g. SET='theta=[0.5, 0.95];iterations=200'"
	@echo "                   RESULTS is the results root (default results) in every target"
	@echo "make test          unit and end-to-end tests (swift test)"
	@echo "make e2e           slow end-to-end checks through the release binary (CI runs it)"
	@echo "make golden-check  run sweeps/ci.yaml and diff against results/golden/ci/manifest.json"
	@echo "make golden        regenerate results/golden/ci/manifest.json on purpose"
	@echo "make determinism   a debug and a release build produce identical step logs"
	@echo "make rerun CELL=ID [RESULTS=ROOT]  rerun one cell by id or prefix and compare bit-for-bit"
	@echo "make bench         whole cells of every kind of the paper grid, one kind per core (~3 min on 2)"
	@echo "make build NATIVE=1  vector kernels for this CPU in .build-native (same bytes)"
	@echo "make bench-sweep   orchestration overhead and --jobs 2 speed-up"
	@echo "make bench-jax     the reference cell against its JAX-jit version on one core, BN off and on"
	@echo "                   [ROUNDS=3]; installs jax into .build/jax-venv (~90 MB from PyPI)"
	@echo "make slurm-test    submit the smoke sweep to a local single-node Slurm (installs slurm-wlm),"
	@echo "                   and measure --dynamic against static shards (scripts/slurm-balance.sh)"
	@echo "make lint          swift format lint --strict"

# System libraries: libyaml (yaml-0.1) and zlib through pkg-config; installed with apt-get when possible.
deps:
	@missing=""; \
	pkg-config --exists yaml-0.1 || missing="$$missing libyaml-dev"; \
	pkg-config --exists zlib || missing="$$missing zlib1g-dev"; \
	command -v pkg-config >/dev/null || missing="$$missing pkg-config"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing"; \
	    (apt-get install -y -q $$missing || (apt-get update -q && apt-get install -y -q $$missing)) >/dev/null; \
	  else \
	    echo "missing system packages:$$missing"; \
	    echo "run: sudo apt-get install -y$$missing"; exit 2; \
	  fi; \
	fi

# rsvg-convert renders the report's SVG figures in the report tests.
report-deps:
	@command -v rsvg-convert >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing librsvg2-bin"; \
	    (apt-get install -y -q librsvg2-bin || (apt-get update -q && apt-get install -y -q librsvg2-bin)) >/dev/null; \
	  else echo "rsvg-convert missing; run: sudo apt-get install -y librsvg2-bin"; exit 2; fi; }

ifeq ($(NATIVE),1)
build: deps
	SEGSWEEP_VECTOR_CPU=$(HOST_CPU) $(SWIFT) build -c release --scratch-path .build-native
	@echo "native build for $(HOST_CPU): $(NATIVE_BIN)"
else
build: $(RELEASE_BIN)
endif

$(RELEASE_BIN): $(BUILD_INPUTS) | deps
	$(SWIFT) build -c release
	@touch $@

build-debug: deps
	$(SWIFT) build

sweep: build
	@$(SET_ARGS); set -x; $(RELEASE_BIN) run $(SWEEP) --results $(RESULTS) $(JOBS_FLAG) "$${sets[@]}"

test: deps report-deps
	$(SWIFT) test --parallel

bench: build
	$(RELEASE_BIN) bench --sweep sweeps/paper.yaml --jobs 2 --threads $(BENCH_THREADS)

bench-sweep: build
	scripts/bench-sweep.sh $(RELEASE_BIN)

# Not part of CI or make bench: it downloads jax and jaxlib from PyPI.
bench-jax: build
	scripts/bench-jax.sh $(RELEASE_BIN)

rerun: build
	@test -n "$(CELL)" || { echo "usage: make rerun CELL=<id or prefix> [RESULTS=<results root>]"; exit 2; }
	$(RELEASE_BIN) rerun $(CELL) --results $(RESULTS)

golden-check: build
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(RELEASE_BIN) run sweeps/ci.yaml --results "$$tmp" --quiet && \
	$(RELEASE_BIN) diff results/golden/ci/manifest.json "$$tmp/ci" --tolerance 0

golden: build
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(RELEASE_BIN) run sweeps/ci.yaml --results "$$tmp" --quiet && \
	mkdir -p results/golden/ci && cp "$$tmp/ci/manifest.json" results/golden/ci/manifest.json && \
	echo "wrote results/golden/ci/manifest.json: commit it with the reason the numbers changed"

determinism: build build-debug
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	args="loss=dicefg theta=0.95 batch_norm=true iterations=300 eval_every=100 seed=7"; \
	$(RELEASE_BIN) train $$args --kernels portable --out "$$tmp/release.ndjson.gz" >/dev/null && \
	$(DEBUG_BIN) train $$args --kernels portable --out "$$tmp/debug.ndjson.gz" >/dev/null && \
	cmp "$$tmp/release.ndjson.gz" "$$tmp/debug.ndjson.gz" && \
	echo "determinism: debug and release step logs are identical ($$(sha256sum < "$$tmp/release.ndjson.gz" | cut -c1-16))" && \
	for bn in false true; do \
	  args="loss=cce theta=0.5 batch_norm=$$bn iterations=200 eval_every=50 seed=3"; \
	  $(RELEASE_BIN) train $$args --kernels portable --out "$$tmp/portable.ndjson.gz" >/dev/null && \
	  $(DEBUG_BIN) train $$args --out "$$tmp/debug-best.ndjson.gz" >/dev/null && \
	  cmp "$$tmp/portable.ndjson.gz" "$$tmp/debug-best.ndjson.gz" || exit 1; \
	  for k in vector vector512; do \
	    if ! $(RELEASE_BIN) train iterations=1 eval_images=1 --kernels $$k >/dev/null 2>&1; then \
	      echo "determinism: this CPU does not run the $$k kernels; not compared"; continue; fi; \
	    $(RELEASE_BIN) train $$args --kernels $$k --out "$$tmp/$$k.ndjson.gz" >/dev/null && \
	    cmp "$$tmp/portable.ndjson.gz" "$$tmp/$$k.ndjson.gz" || exit 1; \
	  done; \
	done && \
	echo "determinism: every kernel variant this CPU runs writes the portable step logs (batch norm off and on)"

# The native build (vector kernels for this CPU) must write the same bytes as the portable one.
determinism-native: build
	$(MAKE) build NATIVE=1
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for bn in false true; do \
	  args="loss=dice theta=0.95 batch_norm=$$bn iterations=300 eval_every=100 seed=5"; \
	  $(RELEASE_BIN) train $$args --kernels portable --out "$$tmp/portable.ndjson.gz" >/dev/null && \
	  $(NATIVE_BIN) train $$args --out "$$tmp/native.ndjson.gz" >/dev/null && \
	  cmp "$$tmp/portable.ndjson.gz" "$$tmp/native.ndjson.gz" || exit 1; \
	done && echo "determinism: the native build ($(HOST_CPU)) writes the same step logs as the portable kernels"

e2e: build report-deps
	scripts/e2e.sh $(RELEASE_BIN)

slurm-test: build
	scripts/slurm-integration.sh $(RELEASE_BIN)
	scripts/slurm-balance.sh $(RELEASE_BIN)

lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests

format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Tests

clean:
	rm -rf .build .build-native

# The report as a web page: headless Chromium (Debian's chromium) renders the report of
# sweeps/ci.yaml; every figure must load and the screenshot must not be blank.
report-check: build
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium"; \
	    (apt-get install -y -q chromium || (apt-get update -q && apt-get install -y -q chromium)) >/dev/null; \
	  else echo "chromium missing; run: sudo apt-get install -y chromium"; exit 2; fi; }
	scripts/report-browser.sh $(RELEASE_BIN)
