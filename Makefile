PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TESTSTAMP := $(VENV)/.installed-test
# `make run` installs the package as a user would (non-editable) in its own environment, so
# what it serves is the built package; `make test` uses an editable install for development.
RUN_VENV := .venv-run
RUN_PY := $(RUN_VENV)/bin/python
RUN_STAMP := $(RUN_VENV)/.installed
LOCK_VENV := .venv-lock
# Every runtime and test dependency, pinned: installs use it as constraints (`make lock`).
LOCK := requirements/lock.txt
SOURCES := $(shell find loadmaster -type f -not -path '*/__pycache__/*')
HOST ?= 127.0.0.1
PORT ?= 9925
DATA ?= ./data

.PHONY: run test lint bench lock clean browser

$(PY):
	$(PYTHON) -m venv $(VENV)

$(RUN_PY):
	$(PYTHON) -m venv $(RUN_VENV)

$(LOCK_VENV)/bin/pip-compile:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet 'pip-tools>=7.4,<8'

$(RUN_STAMP): pyproject.toml $(LOCK) $(SOURCES) | $(RUN_PY)
	$(RUN_PY) -m pip install --quiet -c $(LOCK) .
	touch $@

$(TESTSTAMP): pyproject.toml $(LOCK) | $(PY)
	$(PY) -m pip install --quiet -c $(LOCK) -e '.[test]'
	touch $@

run: $(RUN_STAMP)
	$(RUN_VENV)/bin/loadmaster serve --host $(HOST) --port $(PORT) --data $(DATA)

# Refresh the lock after changing dependencies in pyproject.toml: existing pins are kept where
# they still fit; `make lock UPGRADE=1` moves every pin to the newest allowed release.
lock: | $(LOCK_VENV)/bin/pip-compile
	mkdir -p requirements
	CUSTOM_COMPILE_COMMAND='make lock' $(LOCK_VENV)/bin/pip-compile --quiet --extra test \
		--strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
		$(if $(UPGRADE),--upgrade) --output-file $(LOCK) pyproject.toml

lint: $(TESTSTAMP)
	$(VENV)/bin/ruff format --check loadmaster tests benchmarks
	$(VENV)/bin/ruff check loadmaster tests benchmarks
	$(VENV)/bin/mypy

# The jobs page test drives Debian's headless Chromium through chromedriver (and fails without
# them, so CI proves the page): install both when missing and we may (root).
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
		else \
			echo "chromium or chromedriver missing: run apt-get install chromium chromium-driver" \
				"as root (tests/e2e/test_jobs_page.py fails without them)" >&2; \
		fi; \
	fi

test: lint browser
	$(PY) -m pytest -q -n auto --dist loadfile

bench: $(TESTSTAMP)
	$(PY) -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(RUN_VENV) $(LOCK_VENV) build .mypy_cache .pytest_cache .ruff_cache
