"""Benchmark settings (benchmarks/, scripts/bench): production behaviour (no debug pages, the
real password hasher, sessions, audit, CSP, persistent connections) over plain http on the
loopback, without the second factor so the benchmark can sign its personas in. PostgreSQL and
Redis only: the figures are meant for the production stack."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import BASE_DIR, CELERY_BROKER_URL, DATABASES, env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="bench-only-key-7c1e5a9d3b8f2e6a0c4d9b7e1f3a5c8d")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
MFA_REQUIRED = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING["root"]["level"] = "WARNING"
STATIC_ROOT = BASE_DIR / "var" / "bench-static"  # collected by benchmarks/run.py

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("The benchmarks run on PostgreSQL: set DATABASE_URL.")
if not CELERY_BROKER_URL.startswith("redis://"):
    raise ImproperlyConfigured("The benchmarks run on Redis: set CELERY_BROKER_URL.")
