"""The run command's settings: embedded SQLite and filesystem broker unless told otherwise."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY", default="local-only-key-not-for-production-0d1f2e3c4b5a69788796a5b4"
)
