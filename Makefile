# sfmon: `make run` renders and validates the SoftFactory stack; `make test` runs the suite.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat constraints.txt pyproject.toml | cksum | cut -d' ' -f1)
SPEC ?= specs/specs.yaml
OUT ?= generated

.PHONY: setup tools run generate check validate test update-snapshots docs schema bench fuzz hostile drill clean

setup: $(STAMP) tools

$(STAMP):
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt hatchling
	$(BIN)/pip install -q --disable-pip-version-check --no-build-isolation -c constraints.txt -e '.[test]'
	touch $@

# Redis and its exporter are for the live Redis drill (tests/live); CI must run it.
SFMON_EXTRA_PACKAGES ?= redis-server prometheus-redis-exporter prometheus-blackbox-exporter
export SFMON_EXTRA_PACKAGES

# Debian's packages, then (when Go is installed) Prometheus 3 and the newest Alertmanager
# built from their Go modules into a cache (scripts/install-go-tools, tools/versions.env).
tools:
	scripts/install-tools
	scripts/install-go-tools

run: setup generate validate

generate: $(STAMP)
	$(BIN)/sfmon generate --spec $(SPEC) --out $(OUT)

check: $(STAMP)
	$(BIN)/sfmon generate --check --spec $(SPEC) --out $(OUT)

validate: setup
	$(BIN)/sfmon validate --spec $(SPEC) --out $(OUT)

# The version matrix (tests/toolsets.py): tests marked `matrix` run on every toolset named here.
SFMON_TOOLSETS ?= $(shell scripts/install-go-tools toolsets)
export SFMON_TOOLSETS

# One pytest worker per core (xdist); the live tests share one worker (tests/conftest.py).
PYTEST_WORKERS ?= auto

test: setup
	@case "$(SFMON_TOOLSETS)" in debian) echo "version matrix: no Go toolchain, Debian's promtool/amtool only";; \
	  *) echo "version matrix: $(SFMON_TOOLSETS)";; esac
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup

# Property tests at 1,000 examples (each a batch of up to 4 random specs), one process per
# core; CI runs 30.
fuzz: setup
	scripts/fuzz

update-snapshots: $(STAMP)
	$(BIN)/sfmon generate --spec $(SPEC) --out $(OUT)
	$(BIN)/python -m pytest -q --snapshot-update tests

docs: $(STAMP)
	$(BIN)/python -m sfmon.spec.docgen

# The spec's JSON Schema for editors; tests fail when it is out of date with the models.
schema: $(STAMP)
	$(BIN)/sfmon schema --output schema/sfmon.schema.json

# sfmon next to promtool on three spec sizes, whole processes, medians (bench/run.py);
# prints Markdown tables and writes JSON to bench/results/. docs/performance.md explains.
bench: setup
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The hostile-value sweep over every mutant (tests/hostile.py, docs/hardening.md); CI runs a
# sample of 300. About two hours on two cores; SHARD=k/n runs every n-th mutant from the k-th
# (one eighth of the Debian bases: 13 to 16 minutes).
hostile: setup
	SFMON_HOSTILE_SAMPLE=all SFMON_HOSTILE_SHARD=$(SHARD) $(BIN)/python -m pytest -q -s tests/test_hostile.py::test_sweep tests/test_hostile.py::test_sweep_of_the_newer_alertmanager_receivers

# Fault drills with the real Prometheus, Alertmanager, Redis, the example app and local
# Slack/PagerDuty/webhook/SMTP sinks, all on 127.0.0.1 (tests/live, docs/drills.md).
drill: setup
	$(BIN)/python -m pytest -q tests/live --durations=0

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
