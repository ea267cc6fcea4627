# Every target builds the local virtual environment it needs from the lock.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint demo bench lock clean

run: $(STAMP)          ## run the bot (console alerts unless TELEGRAM_BOT_TOKEN is set)
	$(BIN)/tieswatch run

test: $(STAMP) lint    ## ruff (lint and format), then the whole test suite
	$(BIN)/python -m pytest -q

demo: $(STAMP)         ## bundled sample feeds on loopback, real pipeline, alerts printed
	$(BIN)/tieswatch demo

bench: $(STAMP)        ## benchmarks that print figures
	$(BIN)/python benchmarks/poll_bench.py
	$(BIN)/python benchmarks/classify_bench.py
	$(BIN)/python benchmarks/fanout_bench.py
	$(BIN)/python benchmarks/retrain_bench.py
	$(BIN)/python benchmarks/run_memory_bench.py
	$(BIN)/python benchmarks/story_bench.py

lint: $(STAMP)         ## ruff: lint and formatting
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

lock:                  ## re-pin both locks after editing pyproject.toml (the runtime one is what Docker installs)
	$(PYTHON) -m piptools compile -q --extra dev --generate-hashes --strip-extras -o requirements.lock pyproject.toml
	$(PYTHON) -m piptools compile -q --generate-hashes --strip-extras -o requirements-runtime.lock pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
