PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TESTSTAMP := $(VENV)/.installed-test
HOST ?= 127.0.0.1
PORT ?= 9925
DATA ?= ./data

.PHONY: run test lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(TESTSTAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(VENV)/bin/loadmaster serve --host $(HOST) --port $(PORT) --data $(DATA)

lint: $(TESTSTAMP)
	$(VENV)/bin/ruff format --check loadmaster tests benchmarks
	$(VENV)/bin/ruff check loadmaster tests benchmarks
	$(VENV)/bin/mypy

test: lint
	$(PY) -m pytest -q

bench: $(TESTSTAMP)
	$(PY) -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
