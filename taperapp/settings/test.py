"""Test settings: PostgreSQL when DATABASE_URL is set (CI), SQLite otherwise."""

import os
import secrets

from .base import *  # noqa: F403
from .base import BASE_DIR, CELERY_BROKER_URL, DATABASES, env, filesystem_transport

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="test-only-key-0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d")
# A fast hasher: the suite creates many users; production keeps the strong default.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# One name per test run, inherited by the worker processes the run starts (they get its
# environment): its Celery queue, its filesystem broker folder and its test database never meet
# those of another run on the same host (scripts/bench, a second clone, a CI run beside a
# session). Before, a benchmark and a test run consumed each other's tasks.
TEST_RUN_ID = os.environ.setdefault("TAPERAPP_TEST_RUN", f"{os.getpid()}x{secrets.token_hex(3)}")
CELERY_TASK_DEFAULT_QUEUE = f"test-{TEST_RUN_ID}"
CELERY_FILESYSTEM_DIR = BASE_DIR / "var" / "test-celery" / TEST_RUN_ID
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Apart from the run command's queue, so a running demo never feeds the test workers.
    CELERY_BROKER_TRANSPORT_OPTIONS, CELERY_RESULT_BACKEND = filesystem_transport(
        CELERY_FILESYSTEM_DIR
    )
else:
    # The tests that wait on a round trip (apply_async(ignore_result=False)) read results here.
    CELERY_RESULT_BACKEND = CELERY_BROKER_URL
DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_taperapp_{TEST_RUN_ID}"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: the browser tests' live server answers requests on several threads
    # at once (htmx previews), which an in-memory database would refuse as "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{TEST_RUN_ID}.sqlite3")}

# CI sets this so that a run that silently fell back to SQLite fails instead of passing.
if env.bool("TAPERAPP_REQUIRE_POSTGRES", default=False) and (
    DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql"
):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "TAPERAPP_REQUIRE_POSTGRES is set but DATABASE_URL is not PostgreSQL."
    )

ALERT_DASHBOARD_REFRESH_SECONDS = 2  # the browser test waits for a refresh
