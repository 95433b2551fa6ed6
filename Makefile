# Luthien — the two commands: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
WORKERS ?= 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install run serve test test-fast lint typecheck bench mock clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# Development/demo server: embedded defaults, DEBUG on, a fresh demo key printed.
run: install
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput -v 0
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py luthien_demo --port $(PORT)
	DEBUG=$${DEBUG:-1} $(BIN)/uvicorn luthien_site.asgi:application --host $(HOST) --port $(PORT) \
		--lifespan on --no-access-log --log-level warning

# Production-style server: configured only by the environment, no seeding, no autoreload.
# Several workers: Prometheus multiprocess mode in a directory emptied at each start. SIGTERM
# lets in-flight calls finish for LUTHIEN_SHUTDOWN_GRACE_S seconds.
serve: install
	$(BIN)/python manage.py migrate --noinput -v 0
	if [ "$(WORKERS)" -gt 1 ]; then rm -rf var/prometheus && mkdir -p var/prometheus; fi
	PROMETHEUS_MULTIPROC_DIR=$$([ "$(WORKERS)" -gt 1 ] && echo $(CURDIR)/var/prometheus) \
	exec $(BIN)/uvicorn luthien_site.asgi:application --host $(HOST) --port $(PORT) \
		--workers $(WORKERS) --lifespan on --no-access-log --log-level warning \
		--timeout-graceful-shutdown $${LUTHIEN_SHUTDOWN_GRACE_S:-30}

test: install
	$(BIN)/python -m pytest -q -ra

test-fast: install
	$(BIN)/python -m pytest -q -ra -m "not e2e and not browser"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy luthien_site wire gateway policies activity

bench: install
	$(BIN)/python -m bench

mock: install
	$(BIN)/python manage.py mockllm --port $${MOCK_PORT:-8100}

clean:
	rm -rf $(VENV) var db.sqlite3 .pytest_cache .mypy_cache .ruff_cache
