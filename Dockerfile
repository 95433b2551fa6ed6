# Luthien gateway image: Python 3.11, uvicorn workers, migrations run by the compose service.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY luthien_site ./luthien_site
COPY wire ./wire
COPY gateway ./gateway
COPY policies ./policies
COPY activity ./activity
COPY templates ./templates
COPY manage.py ./
RUN pip install --upgrade pip && pip install -e '.[tracing]'

RUN useradd --create-home luthien && mkdir -p /app/var && chown -R luthien /app/var
USER luthien

ENV PORT=8000 WORKERS=2 HOST=0.0.0.0 LUTHIEN_SHUTDOWN_GRACE_S=30
EXPOSE 8000
# Several workers: Prometheus multiprocess mode (a fresh directory per start). `exec` puts
# uvicorn in the shell's place, so `docker stop`'s SIGTERM reaches it: in-flight calls get
# LUTHIEN_SHUTDOWN_GRACE_S seconds, then the recorder flushes (or spills).
CMD ["sh", "-c", "if [ \"$WORKERS\" -gt 1 ]; then export PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus; rm -rf \"$PROMETHEUS_MULTIPROC_DIR\"; mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\"; fi; exec uvicorn luthien_site.asgi:application --host $HOST --port $PORT --workers $WORKERS --lifespan on --no-access-log --timeout-graceful-shutdown $LUTHIEN_SHUTDOWN_GRACE_S"]
