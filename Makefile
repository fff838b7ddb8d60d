# Quick start: `make run` runs the bot, `make test` runs every check. Both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Crossfade needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[console,slack,discord,dev]"
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/crossfade run

demo: $(STAMP)
	$(BIN)/crossfade demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# One pytest worker per core, at most four (each starts a PostgreSQL server of its own);
# worksteal hands a long test's leftovers to an idle worker. TEST_WORKERS=0 runs in-process.
TEST_WORKERS ?= auto

test: lint
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --maxprocesses 4 --dist worksteal

bench: $(STAMP)
	$(BIN)/python -m benchmarks.core_bench
	$(BIN)/python -m benchmarks.slack_delivery
	$(BIN)/python -m benchmarks.discord_delivery
	$(BIN)/python -m benchmarks.clinic_rsvp
	$(BIN)/python -m benchmarks.clinic_feed
	$(BIN)/python -m benchmarks.gig_match
	$(BIN)/python -m benchmarks.multi_process
	$(BIN)/python -m benchmarks.slack_commands

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
