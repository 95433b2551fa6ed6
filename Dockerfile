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
RUN pip install --upgrade pip && pip install -e .

RUN useradd --create-home luthien && mkdir -p /app/var && chown -R luthien /app/var
USER luthien

ENV PORT=8000 WORKERS=2 HOST=0.0.0.0
EXPOSE 8000
CMD ["sh", "-c", "uvicorn luthien_site.asgi:application --host $HOST --port $PORT --workers $WORKERS --lifespan on --no-access-log"]
