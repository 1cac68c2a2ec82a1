"""Celery tasks: thin wrappers that take ids and call the services (style.md).

Every task is idempotent, acknowledged late and rejected (so redelivered) if its worker dies,
retried with backoff on database or broker trouble, and bounded in time.
"""

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

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


def enqueue(task, *args) -> bool:
    """Queue a task after commit; a broker outage is logged, never raised into the request.
    Nothing is lost: the sweep re-evaluates every patient whose data is newer than their last
    evaluation."""

    def send():
        try:
            task.apply_async(args=args, retry=False)
        except (BrokerError, OSError, ConnectionError):
            logger.warning("broker unreachable: %s%s left to the next sweep", task.name, args)

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
    """Every 5 minutes: missed logs, and anyone whose data is newer than their evaluation."""
    due = alert_services.patients_due_for_evaluation(timezone.now())
    # One broker connection for the whole batch, and no result to wait for: subscribing to a
    # result per task was most of the sweep's time at 1,000 due (docs/benchmarks.md, B3).
    with evaluate_patient.app.producer_or_acquire() as producer:
        for patient_id in due:
            evaluate_patient.apply_async(
                args=[str(patient_id)], producer=producer, ignore_result=True
            )
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
