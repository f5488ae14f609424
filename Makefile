# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit bench clean ui-assets screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The console's graph-layout library, vendored from the npm registry at the version
# ui/package-lock.json pins. The vendored copy is committed, so this only checks it unless
# the lock file changed (then it needs npm).
ui-assets:
	@$(PYTHON) ui/vendor.py

run: ui-assets $(STAMP)
	$(BIN)/statewise serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: ui-assets $(STAMP)
	$(BIN)/pytest -q || [ $$? -eq 5 ]

test: lint typecheck unit

# The README's console pictures (docs/console-*.png), taken by the browser tests.
screenshots: ui-assets $(STAMP)
	STATEWISE_SCREENSHOTS=1 $(BIN)/pytest -q tests/ui -k screenshots

bench: $(STAMP)
	$(BIN)/python bench/asl_steps.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info
