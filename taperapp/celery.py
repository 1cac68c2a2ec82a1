"""The Celery application.

Broker from CELERY_BROKER_URL: Redis in production, kombu's filesystem transport by default so
the run command needs no broker server. Periodic schedules are stored by django-celery-beat.

Every task of this project is queued only after the surrounding database transaction commits
(``AfterCommitTask``): a worker must never look for a row that is not committed yet, and a
rolled-back change must never trigger work.
"""

import os
from pathlib import Path

from celery import Celery, Task
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taperapp.settings.local")


class AfterCommitTask(Task):
    """A task whose ``delay``/``apply_async`` waits for the current transaction to commit.

    Outside a transaction it is sent at once. Inside one it is handed to
    ``transaction.on_commit`` and returns None: the caller cannot wait on a result that
    depends on a commit that has not happened.
    """

    abstract = True

    def apply_async(self, args=None, kwargs=None, **options):
        connection = transaction.get_connection()
        if connection.in_atomic_block:
            transaction.on_commit(
                lambda: super(AfterCommitTask, self).apply_async(args, kwargs, **options)
            )
            return None
        return super().apply_async(args, kwargs, **options)


app = Celery("taperapp", task_cls=AfterCommitTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

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
