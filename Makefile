# Luthien — the two commands: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
WORKERS ?= 1
SERVER ?= uvicorn
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install run serve test test-httpx test-fast lint typecheck bench mock clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# Development/demo server: embedded defaults, DEBUG on, a fresh demo key printed; served by
# daphne through `manage.py runserver` (autoreload; lifespan start-up/shutdown included).
run: install
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput -v 0
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py luthien_demo --host $(HOST) --port $(PORT)
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production-style server: configured only by the environment, no seeding, no autoreload.
# SERVER=uvicorn (default; WORKERS processes) or SERVER=daphne (one process, lifespan included).
# Several uvicorn workers: Prometheus multiprocess mode in a directory emptied at each start.
# SIGTERM lets in-flight calls finish for LUTHIEN_SHUTDOWN_GRACE_S seconds (uvicorn).
serve: install
	$(BIN)/python manage.py migrate --noinput -v 0
ifeq ($(SERVER),daphne)
	$(BIN)/python -m luthien_site.daphne_server -b $(HOST) -p $(PORT) -v 0 luthien_site.asgi:application
else
	if [ "$(WORKERS)" -gt 1 ]; then rm -rf var/prometheus && mkdir -p var/prometheus; fi
	PROMETHEUS_MULTIPROC_DIR=$$([ "$(WORKERS)" -gt 1 ] && echo $(CURDIR)/var/prometheus) \
	exec $(BIN)/uvicorn luthien_site.asgi:application --host $(HOST) --port $(PORT) \
		--workers $(WORKERS) --lifespan on --no-access-log --log-level warning \
		--timeout-graceful-shutdown $${LUTHIEN_SHUTDOWN_GRACE_S:-30}
endif

# Everything (upstream transport: the gateway's own HTTP/1.1), then the tests whose upstream
# calls leave the process once more on httpx's transport: the end-to-end files that proxy to the
# mock process and the integration files that call real sockets (the rest of the integration
# tier is answered by the in-process mock, which no transport carries).
TRANSPORT_TIERS := tests/e2e/test_gateway_sdks.py tests/e2e/test_gateway_responses_sdk.py \
	tests/e2e/test_upstream_faults.py tests/e2e/test_v1_endpoints.py tests/e2e/test_translation_sdks.py \
	tests/gateway/integration/test_proxy_errors.py \
	tests/gateway/integration/test_count_tokens.py

test: install
	$(BIN)/python -m pytest -q -ra
	$(MAKE) --no-print-directory test-httpx

test-httpx: install
	LUTHIEN_UPSTREAM_TRANSPORT=httpx $(BIN)/python -m pytest -q -ra -m "not browser" $(TRANSPORT_TIERS)

test-fast: install
	$(BIN)/python -m pytest -q -ra -m "not e2e and not browser"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy luthien_site wire gateway policies activity

# `make bench SERVER=both` measures the gateway under uvicorn and daphne and compares them;
# BENCH_ARGS passes other options (`--quick`, `--scenario c1`, `--json`, ...).
bench: install
	$(BIN)/python -m bench --server $(SERVER) $(BENCH_ARGS)

mock: install
	$(BIN)/python manage.py mockllm --port $${MOCK_PORT:-8100}

clean:
	rm -rf $(VENV) var db.sqlite3 .pytest_cache .mypy_cache .ruff_cache
