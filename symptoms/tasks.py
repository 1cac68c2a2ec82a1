"""Celery tasks: thin wrappers that take ids and call the services (style.md).

Every task is idempotent, acknowledged late and rejected (so redelivered) if its worker dies,
retried with backoff on database or broker trouble, and bounded in time.
"""

import logging
import time

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from . import alert_services, notifications

logger = logging.getLogger(__name__)

RELIABLE = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 6,
}


# After a failed publish, this process skips the broker for a moment instead of paying one
# more connection timeout per task (a request can queue an evaluation and a notification): the
# sweep does what was skipped, as it does what failed.
BROKER_BACKOFF_SECONDS = 10.0
_broker_down_until = 0.0


def enqueue(task, *args) -> bool:
    """Queue a task after commit, fire-and-forget. Nothing a broker or its result store does
    may fail the request whose data is already committed: any error is logged and left to the
    sweep, which re-evaluates every patient whose data is newer than their last evaluation and
    queues again every notification not handled (alert_services.notifications_owed)."""

    def send():
        global _broker_down_until
        if time.monotonic() < _broker_down_until:
            logger.warning("broker recently unreachable: %s%s left to the sweep", task.name, args)
            return
        try:
            task.apply_async(args=args, retry=False, ignore_result=True)
        except Exception:  # a stopped Redis raises kombu, redis-py, OSError or RuntimeError
            _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
            logger.exception("could not queue %s%s: left to the next sweep", task.name, args)

    from django.db import transaction

    transaction.on_commit(send)
    return True


@shared_task(name="symptoms.evaluate_patient", soft_time_limit=30, time_limit=60, **RELIABLE)
def evaluate_patient(patient_id: str) -> int:
    from patients.models import Patient

    try:
        return len(alert_services.evaluate_patient(patient_id))
    except Patient.DoesNotExist:
        logger.warning("evaluate_patient: no patient %s", patient_id)
        return 0


@shared_task(name="symptoms.sweep", soft_time_limit=240, time_limit=280, **RELIABLE)
def sweep() -> int:
    """Every 5 minutes: missed logs, anyone whose data is newer than their evaluation, and
    notifications that a broker outage kept from being sent."""
    due = alert_services.patients_due_for_evaluation(timezone.now())
    # One broker connection for the whole batch, and no result to wait for: subscribing to a
    # result per task was most of the sweep's time at 1,000 due (docs/benchmarks.md, B3).
    with evaluate_patient.app.producer_or_acquire() as producer:
        for patient_id in due:
            evaluate_patient.apply_async(
                args=[str(patient_id)], producer=producer, ignore_result=True
            )
        for alert_id, reason in alert_services.notifications_owed(timezone.now()):
            notify_alert.apply_async(args=[alert_id, reason], producer=producer, ignore_result=True)
    return len(due)


@shared_task(name="symptoms.escalate", soft_time_limit=50, time_limit=55, **RELIABLE)
def escalate() -> int:
    return len(alert_services.escalate_due(timezone.now()))


@shared_task(name="symptoms.expire_snoozes", soft_time_limit=50, time_limit=55, **RELIABLE)
def expire_snoozes() -> int:
    return len(alert_services.expire_snoozes(timezone.now()))


@shared_task(name="symptoms.notify_alert", soft_time_limit=30, time_limit=60, **RELIABLE)
def notify_alert(alert_id: str, reason: str) -> int:
    return notifications.notify_alert(alert_id, reason)
