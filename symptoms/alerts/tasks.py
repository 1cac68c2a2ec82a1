"""Celery tasks: thin wrappers that take ids and call the alert services.

Every task is idempotent, acknowledged late and rejected (so redelivered) if its worker dies,
retried with backoff on database or broker trouble, and bounded in time. The task names are
the queue's contract (messages in flight carry them): keep them when code moves.
"""

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from patients.models import Patient
from symptoms.alerts import evaluation, notifications, workflow

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


@shared_task(name="symptoms.evaluate_patient", soft_time_limit=30, time_limit=60, **RELIABLE)
def evaluate_patient_task(patient_id: str) -> int:
    try:
        return len(evaluation.evaluate_patient(patient_id))
    except Patient.DoesNotExist:
        logger.warning("evaluate_patient: no patient %s", patient_id)
        return 0


@shared_task(name="symptoms.sweep", soft_time_limit=240, time_limit=280, **RELIABLE)
def sweep_task() -> int:
    """Every 5 minutes: missed logs, anyone whose data is newer than their evaluation, and
    notifications that a broker outage kept from being sent."""
    due = evaluation.patients_due_for_evaluation(timezone.now())
    # One broker connection for the whole batch, and no result to wait for: subscribing to a
    # result per task was most of the sweep's time at 1,000 due (docs/benchmarks.md, B3).
    with evaluate_patient_task.app.producer_or_acquire() as producer:
        for patient_id in due:
            evaluate_patient_task.apply_async(
                args=[str(patient_id)], producer=producer, ignore_result=True
            )
        for alert_id, reason in notifications.notifications_owed(timezone.now()):
            notify_alert_task.apply_async(
                args=[alert_id, reason], producer=producer, ignore_result=True
            )
    return len(due)


@shared_task(name="symptoms.escalate", soft_time_limit=50, time_limit=55, **RELIABLE)
def escalate_task() -> int:
    return len(workflow.escalate_due(timezone.now()))


@shared_task(name="symptoms.expire_snoozes", soft_time_limit=50, time_limit=55, **RELIABLE)
def expire_snoozes_task() -> int:
    return len(workflow.expire_snoozes(timezone.now()))


@shared_task(name="symptoms.notify_alert", soft_time_limit=30, time_limit=60, **RELIABLE)
def notify_alert_task(alert_id: str, reason: str) -> int:
    return notifications.notify_alert(alert_id, reason)
