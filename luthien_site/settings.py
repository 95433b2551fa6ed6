"""All settings, read from the environment once, here.

Every variable has a default and is listed in `.env.example` and the README. Application code
reads `django.conf.settings`, never `os.environ`.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def _env_str(name: str, default: str) -> str:
    """Read a string, treating an empty value as unset."""
    value = env.str(name, default=default)
    return value if value != "" else default


DEBUG: bool = env.bool("DEBUG", default=False)

_secret = _env_str("SECRET_KEY", "")
if not _secret:
    if not DEBUG and not env.bool("LUTHIEN_ALLOW_DEV_SECRET", default=True):
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
    logging.getLogger("luthien").warning(
        "SECRET_KEY is not set: using a generated development key (sessions reset on restart)"
    )
    _secret = "dev-insecure-" + secrets.token_urlsafe(32)
SECRET_KEY: str = _secret

ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PORT: int = env.int("PORT", default=8000)

INSTALLED_APPS = [
    "luthien_site",  # first: its `runserver` (daphne + lifespan) wins over daphne's
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "ninja",
    "gateway",
    "policies",
    "activity",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "luthien_site.urls"
ASGI_APPLICATION = "luthien_site.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_default_db = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASE_URL: str = _env_str("DATABASE_URL", _default_db)
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
    # A file (not :memory:) so the recorder thread and e2e server processes share it; one per
    # test process so concurrent runs never collide.
    DATABASES["default"]["TEST"] = {
        "NAME": str(BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3")
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL: str = _env_str("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 500, "expiry": 30},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 500}}
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
LOGIN_URL = "/admin/login/"

LOG_LEVEL: str = _env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "luthien": {"level": LOG_LEVEL, "propagate": True},
        "wire": {"level": LOG_LEVEL, "propagate": True},
        "gateway": {"level": LOG_LEVEL, "propagate": True},
        "policies": {"level": LOG_LEVEL, "propagate": True},
        "activity": {"level": LOG_LEVEL, "propagate": True},
    },
}

# --- Upstreams ---------------------------------------------------------------------------------
OPENAI_BASE_URL: str = _env_str("OPENAI_BASE_URL", "https://api.openai.com/v1")
OPENAI_API_KEY: str = _env_str("OPENAI_API_KEY", "")
ANTHROPIC_BASE_URL: str = _env_str("ANTHROPIC_BASE_URL", "https://api.anthropic.com")
ANTHROPIC_API_KEY: str = _env_str("ANTHROPIC_API_KEY", "")
# Extra OpenAI-compatible upstreams: "name=url[|key_env_var],name2=url2"
LUTHIEN_EXTRA_UPSTREAMS: str = _env_str("LUTHIEN_EXTRA_UPSTREAMS", "")
# Where `mock/*` models go: "inprocess" or a base URL of a `mockllm` server.
LUTHIEN_MOCK_UPSTREAM: str = _env_str("LUTHIEN_MOCK_UPSTREAM", "inprocess")
LUTHIEN_UPSTREAM_CONNECT_TIMEOUT_S: float = env.float("LUTHIEN_UPSTREAM_CONNECT_TIMEOUT_S", 10.0)
LUTHIEN_UPSTREAM_READ_TIMEOUT_S: float = env.float("LUTHIEN_UPSTREAM_READ_TIMEOUT_S", 300.0)
LUTHIEN_UPSTREAM_TOTAL_TIMEOUT_S: float = env.float("LUTHIEN_UPSTREAM_TOTAL_TIMEOUT_S", 900.0)
LUTHIEN_UPSTREAM_MAX_CONNECTIONS: int = env.int("LUTHIEN_UPSTREAM_MAX_CONNECTIONS", 200)
# Idle upstream connections kept per process (above it, released connections are closed).
LUTHIEN_UPSTREAM_MAX_KEEPALIVE: int = env.int("LUTHIEN_UPSTREAM_MAX_KEEPALIVE", 64)
# "http11": the gateway's own event-driven HTTP/1.1 pool; "httpx": httpx's default transport.
LUTHIEN_UPSTREAM_TRANSPORT: str = _env_str("LUTHIEN_UPSTREAM_TRANSPORT", "http11")
if LUTHIEN_UPSTREAM_TRANSPORT not in ("http11", "httpx"):
    raise ImproperlyConfigured("LUTHIEN_UPSTREAM_TRANSPORT must be 'http11' or 'httpx'")

# --- Outbound proxy and TLS trust (wire.egress; checked at start-up) --------------------------
# The standard variables: the lower-case name wins over the upper-case one (as curl reads them).
HTTPS_PROXY: str = env.str("https_proxy", default="") or _env_str("HTTPS_PROXY", "")
HTTP_PROXY: str = env.str("http_proxy", default="") or _env_str("HTTP_PROXY", "")
NO_PROXY: str = env.str("no_proxy", default="") or _env_str("NO_PROXY", "")
# Overrides the two above for upstream and judge calls: a proxy URL, or "none" (always direct).
LUTHIEN_UPSTREAM_PROXY: str = _env_str("LUTHIEN_UPSTREAM_PROXY", "")
# CA roots: SSL_CERT_FILE replaces the default (certifi) roots; the bundle is added on top.
SSL_CERT_FILE: str = _env_str("SSL_CERT_FILE", "")
LUTHIEN_UPSTREAM_CA_BUNDLE: str = _env_str("LUTHIEN_UPSTREAM_CA_BUNDLE", "")
# Proxy URLs may carry credentials: Django's error reports hide them like keys and passwords.
DEFAULT_EXCEPTION_REPORTER_FILTER = "luthien_site.reporting.SettingsFilter"

# --- Client keys and limits --------------------------------------------------------------------
PROXY_API_KEY: str = _env_str("PROXY_API_KEY", "")
# A second bootstrap key that may use X-Luthien-Policy: for tests and demos, never for agents.
PROXY_OVERRIDE_API_KEY: str = _env_str("PROXY_OVERRIDE_API_KEY", "")
# 0: the X-Luthien-Policy header is refused for every key (docker-compose.yaml's default).
LUTHIEN_ALLOW_POLICY_OVERRIDE: bool = env.bool("LUTHIEN_ALLOW_POLICY_OVERRIDE", True)
if PROXY_OVERRIDE_API_KEY and PROXY_OVERRIDE_API_KEY == PROXY_API_KEY:
    raise ImproperlyConfigured("PROXY_OVERRIDE_API_KEY must differ from PROXY_API_KEY")
ADMIN_API_KEY: str = _env_str("ADMIN_API_KEY", "")
LUTHIEN_KEY_CACHE_TTL_S: float = env.float("LUTHIEN_KEY_CACHE_TTL_S", 30.0)
LUTHIEN_MAX_BODY_BYTES: int = env.int("LUTHIEN_MAX_BODY_BYTES", 10 * 1024 * 1024)
LUTHIEN_MAX_MESSAGES: int = env.int("LUTHIEN_MAX_MESSAGES", 2000)
LUTHIEN_RATE_LIMIT_PER_MINUTE: int = env.int("LUTHIEN_RATE_LIMIT_PER_MINUTE", 0)
LUTHIEN_RATE_LIMIT_BURST: int = env.int("LUTHIEN_RATE_LIMIT_BURST", 0)
DATA_UPLOAD_MAX_MEMORY_SIZE = LUTHIEN_MAX_BODY_BYTES + 1024

# --- Operations: circuit breakers, metrics, health, shutdown -----------------------------------
LUTHIEN_CIRCUIT_FAILURES: int = env.int("LUTHIEN_CIRCUIT_FAILURES", 5)
LUTHIEN_CIRCUIT_WINDOW_S: float = env.float("LUTHIEN_CIRCUIT_WINDOW_S", 30.0)
LUTHIEN_CIRCUIT_OPEN_S: float = env.float("LUTHIEN_CIRCUIT_OPEN_S", 30.0)
# `/metrics` answers the admin key, this scrape token, or a staff session.
LUTHIEN_METRICS_TOKEN: str = _env_str("LUTHIEN_METRICS_TOKEN", "")
# Set: metrics are (also) served without authentication on this port, e.g. on a private network.
LUTHIEN_METRICS_PORT: int = env.int("LUTHIEN_METRICS_PORT", 0)
LUTHIEN_HEALTH_MAX_BACKLOG: int = env.int("LUTHIEN_HEALTH_MAX_BACKLOG", 1000)
LUTHIEN_HEALTH_MAX_SPILL_AGE_S: float = env.float("LUTHIEN_HEALTH_MAX_SPILL_AGE_S", 600.0)
# Seconds in-flight calls may take to finish after SIGTERM (uvicorn's
# --timeout-graceful-shutdown, passed by `make serve` and the image); then they are cancelled.
LUTHIEN_SHUTDOWN_GRACE_S: int = env.int("LUTHIEN_SHUTDOWN_GRACE_S", 30)
# OpenTelemetry traces (OTLP over HTTP) when set; the SDK reads its other OTEL_* variables.
OTEL_EXPORTER_OTLP_ENDPOINT: str = _env_str("OTEL_EXPORTER_OTLP_ENDPOINT", "")
OTEL_SERVICE_NAME: str = _env_str("OTEL_SERVICE_NAME", "luthien")

# --- Policies ----------------------------------------------------------------------------------
POLICY_CONFIG: str = _env_str("POLICY_CONFIG", "")
LUTHIEN_POLICY_MODULES: list[str] = env.list("LUTHIEN_POLICY_MODULES", default=[])
LUTHIEN_POLICY_TIMEOUT_S: float = env.float("LUTHIEN_POLICY_TIMEOUT_S", 30.0)
LUTHIEN_POLICY_POLL_INTERVAL_S: float = env.float("LUTHIEN_POLICY_POLL_INTERVAL_S", 0.25)
# Sessions: a key's calls without a client session id are one session until this long a pause.
LUTHIEN_SESSION_GAP_S: float = env.float("LUTHIEN_SESSION_GAP_S", 1800.0)
# How old a worker's cached copy of a session's decisions may be before trajectory rules re-read it.
LUTHIEN_SESSION_CACHE_TTL_S: float = env.float("LUTHIEN_SESSION_CACHE_TTL_S", 2.0)
# The approval queue: how long a held tool call waits for a human (a policy may override), how
# often a waiting call re-reads its row besides the channel-layer notification, and the
# keep-alive interval of a held stream.
LUTHIEN_APPROVAL_TIMEOUT_S: float = env.float("LUTHIEN_APPROVAL_TIMEOUT_S", 300.0)
LUTHIEN_APPROVAL_POLL_S: float = env.float("LUTHIEN_APPROVAL_POLL_S", 2.0)
LUTHIEN_STREAM_KEEPALIVE_S: float = env.float("LUTHIEN_STREAM_KEEPALIVE_S", 10.0)
# Hosts (`host` or `host:port`) a judge may call by `base_url`; empty: judges only call models
# the gateway routes, with the gateway's own upstream keys.
LUTHIEN_JUDGE_ALLOWED_HOSTS: list[str] = [
    host.strip() for host in env.list("LUTHIEN_JUDGE_ALLOWED_HOSTS", default=[]) if host.strip()
]

# --- Recording ---------------------------------------------------------------------------------
LUTHIEN_RECORDING: bool = env.bool("LUTHIEN_RECORDING", default=True)
LUTHIEN_RECORDER_QUEUE_SIZE: int = env.int("LUTHIEN_RECORDER_QUEUE_SIZE", 10000)
# ...and at most this many bytes of bodies (agent requests reach megabytes each).
LUTHIEN_RECORDER_QUEUE_BYTES: int = env.int("LUTHIEN_RECORDER_QUEUE_BYTES", 256 * 1024 * 1024)
LUTHIEN_RECORDER_BATCH_SIZE: int = env.int("LUTHIEN_RECORDER_BATCH_SIZE", 200)
LUTHIEN_RECORDER_FLUSH_INTERVAL_S: float = env.float("LUTHIEN_RECORDER_FLUSH_INTERVAL_S", 0.2)
LUTHIEN_SPILL_DIR: str = _env_str("LUTHIEN_SPILL_DIR", str(BASE_DIR / "var" / "spill"))
LUTHIEN_BODY_RETENTION_DAYS: int = env.int("LUTHIEN_BODY_RETENTION_DAYS", 30)
LUTHIEN_METADATA_RETENTION_DAYS: int = env.int("LUTHIEN_METADATA_RETENTION_DAYS", 365)

# --- Live activity -----------------------------------------------------------------------------
LUTHIEN_BROADCAST: bool = env.bool("LUTHIEN_BROADCAST", default=True)
LUTHIEN_BROADCAST_QUEUE_SIZE: int = env.int("LUTHIEN_BROADCAST_QUEUE_SIZE", 1000)

LUTHIEN_REQUIRE_SERVICES: bool = env.bool("LUTHIEN_REQUIRE_SERVICES", default=False)
