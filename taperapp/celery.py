"""The Celery application.

Broker from CELERY_BROKER_URL: Redis in production, kombu's filesystem transport by default so
the run command needs no broker server. Periodic schedules are stored by django-celery-beat.

Application code queues tasks only through ``taperapp.jobs.enqueue``, which waits for the
surrounding transaction to commit; tasks are thin wrappers that take ids and call services.
"""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taperapp.settings.local")


app = Celery("taperapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The alert jobs live in a sub-package of the symptoms app, beside the alert services they call.
app.autodiscover_tasks(lambda: ["symptoms.alerts"])

# Every periodic job, in one place (django-celery-beat stores and runs them; exactly one beat).
app.conf.beat_schedule = {
    "sweep-every-5-minutes": {"task": "symptoms.sweep", "schedule": 5 * 60.0},
    "escalate-every-minute": {"task": "symptoms.escalate", "schedule": 60.0},
    "expire-snoozes-every-minute": {"task": "symptoms.expire_snoozes", "schedule": 60.0},
}


@app.on_after_configure.connect
def _create_filesystem_transport_folders(sender, **kwargs):
    """The filesystem transport and file result backend need their folders to exist."""
    folders = []
    if (sender.conf.broker_url or "").startswith("filesystem://"):
        folders = list((sender.conf.broker_transport_options or {}).values())
    backend = sender.conf.result_backend or ""
    if backend.startswith("file://"):
        folders.append(backend.removeprefix("file://"))
    for folder in folders:
        Path(folder).mkdir(parents=True, exist_ok=True)


@app.task(name="taperapp.ping")
def ping():
    """A no-op round trip, used to prove a worker is consuming (tests, benchmarks)."""
    return "pong"
