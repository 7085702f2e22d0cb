# itcap — the two commands (see README): `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501
# pytest-xdist workers for `make test`: two halve the suite's time on a 2-core machine (CI's); the
# browser and load tests start their own servers, so more workers than cores slows them to time-outs.
TEST_WORKERS ?= 2
ADDRESS ?= 127.0.0.1

.PHONY: run test demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

## run: set up .venv, create/upgrade the SQLite database (itcap.db), serve the app on http://localhost:$(PORT)
run: $(VENV)/.installed
	$(BIN)/itcap init
	$(BIN)/itcap serve --port $(PORT) --address $(ADDRESS)

## demo: like run, with the demo organisation loaded first (passwords are printed once)
demo: $(VENV)/.installed
	$(BIN)/itcap init
	$(BIN)/itcap demo
	$(BIN)/itcap serve --port $(PORT) --address $(ADDRESS)

## test: set up .venv with test tools and run the whole suite (TEST_WORKERS=0 runs it in this one process)
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

## bench: the benchmarks in bench/
bench: $(VENV)/.installed-test
	for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache test-artifacts
