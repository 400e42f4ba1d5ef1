# planmap — the two set-up commands of the README:
#   make run    build everything and run the product on the built-in Wenshui data
#   make test   install what the tests need, then run every test
# Both install their Debian packages by themselves (as root, as on CI and the dev machines).

CARGO ?= cargo
DATA ?= data/wenshui
ADDR ?= 127.0.0.1:8080
# libsqlite3-dev: the check history's SQLite (the same library GDAL uses).
# protobuf-compiler builds maplibre-rs; mesa-vulkan-drivers is its software (CPU) Vulkan adapter.
# python3-openpyxl reads the batch e2e's XLSX download back.
# nginx serves `planmap publish`'s static site in the e2e (started by the test, loopback).
# postgresql + postgresql-postgis (PostGIS for the default server version): the database tests'
# throwaway cluster (crates/planmap-testenv: initdb, pg_ctl, psql under a temp dir, loopback).
APT_PACKAGES := gdal-bin libgdal-dev libsqlite3-dev pkg-config wrk chromium fonts-noto-cjk protobuf-compiler mesa-vulkan-drivers nginx python3-openpyxl postgresql postgresql-postgis

.PHONY: run test deps build release fmt lint clippy data bench bench-compare bench-criterion bench-server clean web e2e fuzz load

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

build: web
	$(CARGO) build --release --workspace

# The web front end: npm ci only when package.json/package-lock.json changed, then the Vite
# build into web/dist (embedded in the planmap binary when it is built next).
# Built again only when a source changed: the binary that embeds it rebuilds when it does.
WEB_SOURCES := $(shell find web/src -type f) web/index.html web/report.html web/vite.config.ts web/tsconfig.json
web: web/dist/index.html
web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

# Browser end-to-end tests: playwright-core drives Debian's Chromium against the real server.
# e2e/catalog.test.mjs draws a second county's plan with planmap-datagen (built here too).
e2e: deps web
	$(CARGO) build --release -p planmap -p planmap-datagen
	cd web && PLANMAP_BIN="$${CARGO_TARGET_DIR:-target}/release/planmap" node --test --test-concurrency=1 e2e/*.test.mjs
	# The rename run: the map and check suites again on Wenshui with every layer id renamed.
	rm -rf out/e2e-renamed && mkdir -p out && python3 scripts/rename-plan.py data/wenshui out/e2e-renamed
	cd web && PLANMAP_BIN="$${CARGO_TARGET_DIR:-target}/release/planmap" PLANMAP_DATA=out/e2e-renamed \
		PLANMAP_SCREENSHOTS=out/screenshots/renamed node --test --test-concurrency=1 e2e/map.test.mjs e2e/check.test.mjs

release: build

# `make run DATA=data/region` serves the region's catalog with Wenshui as the default plan
# (DEFAULT_PLAN=ID picks another; for any other folder it is passed only when given).
DEFAULT_PLAN ?= $(if $(filter data/region data/region/,$(DATA)),wenshui,)
run: deps build
	"$${CARGO_TARGET_DIR:-target}/release/planmap" --data $(DATA) serve --addr $(ADDR) \
		$(if $(DEFAULT_PLAN),--default-plan $(DEFAULT_PLAN),)

# Crates held to no import cycle between their files (scripts/import-cycles.py; empty: every
# crate under crates/ — `python3 scripts/import-cycles.py --report` lists them all).
ACYCLIC_CRATES ?=

# `web` first: the release build embeds web/dist (tests/standalone.rs serves it).
test: deps web
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	python3 scripts/import-cycles.py $(ACYCLIC_CRATES)
	python3 scripts/layer-ids.py
	$(CARGO) build --release --workspace
	$(CARGO) test --workspace --release
	$(MAKE) --no-print-directory e2e

# Regenerate the illustrative data (deterministic: same bytes every run): Wenshui's layers
# (data/wenshui, committed) and the region catalog (data/region, generated and git-ignored): a
# drawn plan for every other county outline of data/sources/ and a link to data/wenshui.
WENSHUI ?= data/wenshui
REGION ?= data/region
data:
	$(CARGO) run --release -p planmap-datagen -- --out $(WENSHUI)
	$(CARGO) run --release -p planmap-datagen -- region --out $(REGION) --wenshui $(WENSHUI)

# Criterion micro-benchmarks of load, check and conflict scan (planmap alone).
bench-criterion:
	$(CARGO) bench -p planmap-io --bench engine

# `make bench`: planmap against PostGIS (a throwaway cluster) and shapely 2 on the same data, in
# one run (bench/compare.py): prints the table and writes out/bench/results.json. Fails when the
# engines' areas disagree beyond 1e-6. `bench-compare` is the same, under its older name.
BENCH_VENV := out/bench/venv
$(BENCH_VENV)/.installed: bench/requirements.txt
	python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q -r bench/requirements.txt
	@touch $@

bench bench-compare: $(BENCH_VENV)/.installed
	@$(MAKE) --no-print-directory deps APT_PACKAGES="postgresql postgis wrk nginx"
	$(CARGO) build --release -p planmap -p planmap-bench -p planmap-datagen
	$(BENCH_VENV)/bin/python bench/compare.py $(BENCH_ARGS)

# Load test of the release server (wrk): requests/s and p99 of /api/check and farmland tiles.
bench-server: deps build
	bench/server.sh

# Fuzzing (cargo-fuzz, libFuzzer; not part of `make test`): each target of fuzz/ for
# FUZZ_SECONDS, one after the other, logs in out/fuzz/<target>.log, crashes in
# fuzz/artifacts/<target>/. cargo-fuzz is installed from crates.io when missing. With a nightly
# toolchain (rustup's `nightly`) the targets build with AddressSanitizer; without one, the
# stable compiler builds them unsanitized (RUSTC_BOOTSTRAP=1, `-s none`): panics, aborts and
# hangs are still caught. FUZZ_TOOLCHAIN=stable forces the latter.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= geojson_site coordtxt upload tile_path
FUZZ_TOOLCHAIN ?= $(shell rustup run nightly rustc --version >/dev/null 2>&1 && echo nightly || echo stable)
fuzz:
	@command -v cargo-fuzz >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked
	@mkdir -p out/fuzz
	@if [ "$(FUZZ_TOOLCHAIN)" = nightly ]; then fuzz="cargo +nightly fuzz run"; \
	else fuzz="env RUSTC_BOOTSTRAP=1 cargo fuzz run -s none"; fi; \
	echo "fuzzing with: $$fuzz"; \
	for t in $(FUZZ_TARGETS); do \
	  echo "== $$t: $(FUZZ_SECONDS) s (log: out/fuzz/$$t.log)"; \
	  if ! (cd fuzz && env -u CARGO_TARGET_DIR $$fuzz $$t -- \
	        -max_total_time=$(FUZZ_SECONDS) -timeout=30 -rss_limit_mb=2048 -print_final_stats=1) \
	        > out/fuzz/$$t.log 2>&1; then \
	    tail -n 40 out/fuzz/$$t.log; echo "fuzz target $$t FAILED: see fuzz/artifacts/$$t/"; exit 1; \
	  fi; \
	  grep -E '^#[0-9]+[[:space:]]+DONE|^stat::number_of_executed_units|^stat::peak_rss_mb' out/fuzz/$$t.log; \
	done

# Five minutes of mixed load (tiles, identify, check, exports) against the release server
# (wrk): figures on stdout and in out/load/results.json; fails on any error or RSS growth.
LOAD_SECONDS ?= 300
load: deps build
	LOAD_SECONDS=$(LOAD_SECONDS) bench/load.sh

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
