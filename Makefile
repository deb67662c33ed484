# The two commands a fresh machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_BASE := $(VENV)/.installed-base
STAMP_DEV  := $(VENV)/.installed-dev
STAMP_DOCS := $(VENV)/.installed-docs
STAMP_BENCH := $(VENV)/.installed-bench

.PHONY: demo test lint typecheck pytest docs pack-docs cli-docs function-docs bench bench-rules clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_BASE): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_DEV): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(STAMP_BASE)

$(STAMP_DOCS): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	touch $@

$(STAMP_BENCH): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	touch $@ $(STAMP_DEV) $(STAMP_BASE)

demo: $(STAMP_BASE)
	$(BIN)/regkit demo --out build/demo

lint: $(STAMP_DEV)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP_DEV)
	$(BIN)/mypy --strict src

pytest: $(STAMP_DEV)
	$(BIN)/pytest -q

test: lint typecheck pytest

docs: $(STAMP_DOCS)
	$(BIN)/mkdocs build --strict --site-dir build/site

# docs/packs/*.md from src/regkit/rules/packs/*.yaml (tests/docs/test_pack_docs.py checks them)
pack-docs: $(STAMP_BASE)
	$(BIN)/python -m regkit.rules.packdocs --out docs/packs

# docs/cli.md from the regkit argument parser (tests/cli/test_cli_docs.py checks it)
cli-docs: $(STAMP_BASE)
	$(BIN)/python -m regkit.clidocs --out docs/cli.md

# the function table of docs/policies.md from the expression language's registry
# (tests/docs/test_function_table.py checks it)
function-docs: $(STAMP_BASE)
	$(BIN)/python -m regkit.rules.lang.docs --page docs/policies.md

bench: $(STAMP_DEV)
	$(BIN)/python benchmarks/bench_records.py

bench-rules: $(STAMP_BENCH)
	$(BIN)/python benchmarks/bench_rules.py

clean:
	rm -rf $(VENV) build dist .mypy_cache .pytest_cache .ruff_cache
