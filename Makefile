# SegSweep: build, test, run sweeps. `make help` lists the targets.
SHELL := /bin/bash
SWIFT ?= swift
SWEEP ?= sweeps/paper.yaml
RESULTS ?= results
JOBS ?=
SET ?=
CELL ?=
RELEASE_BIN := .build/release/sweep
DEBUG_BIN := .build/debug/sweep

JOBS_FLAG := $(if $(JOBS),--jobs $(JOBS),)
# SET reaches the recipes through the environment, never through make's word splitting, so a
# value may hold spaces (theta=[0.5, 0.95]); overrides are separated by ';'.
export SET
SET_ARGS = sets=(); IFS=';' read -ra parts <<< "$$SET"; \
	for part in "$${parts[@]}"; do read -r part <<< "$$part"; [ -z "$$part" ] || sets+=(--set "$$part"); done
# The release binary is rebuilt only when a source file or the package manifest is newer, so a
# no-op `make sweep` does not pay for SwiftPM's own up-to-date check.
BUILD_INPUTS := Package.swift $(wildcard Package.resolved) $(shell find Sources -type f 2>/dev/null)

.PHONY: help deps report-deps build build-debug sweep test e2e lint format bench bench-sweep rerun \
        golden golden-check \
        determinism slurm-test report clean

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
	@echo "make bench         single-threaded core benchmark (steps/s, GFLOP/s)"
	@echo "make bench-sweep   orchestration overhead and --jobs 2 speed-up"
	@echo "make slurm-test    submit the smoke sweep to a local single-node Slurm (installs slurm-wlm)"
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

build: $(RELEASE_BIN)

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
	$(RELEASE_BIN) bench

bench-sweep: build
	scripts/bench-sweep.sh $(RELEASE_BIN)

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
	$(RELEASE_BIN) train $$args --out "$$tmp/release.ndjson.gz" >/dev/null && \
	$(DEBUG_BIN) train $$args --out "$$tmp/debug.ndjson.gz" >/dev/null && \
	cmp "$$tmp/release.ndjson.gz" "$$tmp/debug.ndjson.gz" && \
	echo "determinism: debug and release step logs are identical ($$(sha256sum < "$$tmp/release.ndjson.gz" | cut -c1-16))"

e2e: build report-deps
	scripts/e2e.sh $(RELEASE_BIN)

slurm-test: build
	scripts/slurm-integration.sh $(RELEASE_BIN)

lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests

format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Tests

clean:
	rm -rf .build
