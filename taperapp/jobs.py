"""The one way application code queues background work: after the transaction commits.

A worker must never look for a row that is not committed yet, and a rolled-back change must
never trigger work, so every service queues through :func:`enqueue`, by task name (services
never import task modules: tasks import services, not the reverse).

Nothing a broker or its result store does may fail a request whose data is already committed:
a publish error is logged and left to the sweep, which re-evaluates every patient whose data is
newer than their last evaluation and queues again every notification not handled. After a
failed publish this process skips the broker for a moment instead of paying one more
connection timeout per task (a request can queue an evaluation and a notification).
"""

import logging
import time

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)

BROKER_BACKOFF_SECONDS = 10.0
_broker_down_until = 0.0


def enqueue(task_name: str, *args: str) -> None:
    """Queue ``task_name(*args)`` once the current transaction commits (at once outside one),
    fire-and-forget."""
    transaction.on_commit(lambda: _publish(task_name, args))


def _publish(task_name: str, args: tuple) -> None:
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        logger.warning("broker recently unreachable: %s%s left to the sweep", task_name, args)
        return
    try:
        current_app.send_task(task_name, args=args, retry=False, ignore_result=True)
    except Exception:  # a stopped Redis raises kombu, redis-py, OSError or RuntimeError
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.exception("could not queue %s%s: left to the next sweep", task_name, args)


def reset_backoff() -> None:
    """Forget a past broker failure (tests that stop and restart the broker)."""
    global _broker_down_until
    _broker_down_until = 0.0
