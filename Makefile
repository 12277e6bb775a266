# Quick start: `make run` and `make test` create .venv and install on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint fmt demo bench clean

# Set-up and run lines are silent (@) so piped console output is only the bot's; notes go
# to stderr. The stamp is older than pyproject.toml after a dependency change: reinstall.
$(STAMP): pyproject.toml
	@echo "copbot: installing into $(VENV) (first run, or pyproject.toml changed)" >&2
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --upgrade pip >&2
	@$(BIN)/pip install --quiet -e '.[dev]' >&2
	@touch $(STAMP)

run: $(STAMP)
	@$(BIN)/copbot run

demo: $(STAMP)
	@$(BIN)/copbot demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	for f in bench/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) *.egg-info
