# The two commands of the README: `make run` and `make test`. Both bootstrap .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export BATON_HOME ?= $(CURDIR)/.baton
export BATON_DAGS_FOLDER ?= $(CURDIR)/dags
# The web UI's address: BATON_WEBUI_BIND (default 127.0.0.1:8080); `make run PORT=9090`
# serves on 127.0.0.1:9090 (HOST=0.0.0.0 too, to listen on every interface).
ifdef PORT
export BATON_WEBUI_BIND := $(or $(HOST),127.0.0.1):$(PORT)
endif

.PHONY: run test chaos bench lint format clean

$(BIN)/baton: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(BIN)/baton

run: $(BIN)/baton
	$(BIN)/baton db migrate
	$(BIN)/baton dags sync
	$(BIN)/baton dags unpause --tag example
	$(BIN)/baton users create --username admin --role Admin \
		--password-from-env BATON_ADMIN_PASSWORD --if-missing
	$(BIN)/baton standalone

# The suite runs on TEST_WORKERS processes (pytest-xdist; most tests wait on real processes
# and services, so more workers than cores pays), then the `serial` tests alone: they stop a
# service the others use (a RabbitMQ restart) or measure a rate against the clock. `make test TEST_WORKERS=0` runs all in one.
TEST_WORKERS ?= 3
test: $(BIN)/baton
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope -m "not serial"
	$(BIN)/python -m pytest -m serial

# kill -9 of the scheduler and its workers over 50 runs, then the checks (docs: tests/chaos).
# `make test` runs it too; BATON_CHAOS_SEED=N replays one, BATON_CHAOS_RUNS=N changes the count.
chaos: $(BIN)/baton
	$(BIN)/python -m pytest tests/chaos -q -s

bench: $(BIN)/baton
	$(BIN)/python bench/run.py
	$(BIN)/python bench/ui_bench.py
	@if [ -n "$$BENCH_DEFERRAL" ]; then $(BIN)/python bench/deferral_bench.py; fi
	@if [ -n "$$BENCH_MQ" ]; then $(BIN)/python bench/mq_bench.py; fi
	@if [ -n "$$BENCH_ADAPTIVE" ]; then $(BIN)/python bench/adaptive_throttle_bench.py; fi

# ruff, the layering contracts of pyproject.toml ([tool.importlinter]) and mypy ([tool.mypy]:
# any error in the tree fails); tests/architecture runs the same checks inside `make test`.
lint: $(BIN)/baton
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/python tools/check_types.py

format: $(BIN)/baton
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .baton bench-results.json
