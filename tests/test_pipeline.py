"""The alert pipeline with real Celery workers (separate processes, not eager mode), on the
configured broker: Redis in CI."""

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from symptoms.alerts import evaluation
from symptoms.alerts.tasks import evaluate_patient_task
from symptoms.models import Alert, AlertEvent, SymptomLog
from symptoms.scales import items_for_total
from taperapp.celery import app as celery_app
from taperapp.workers import Worker, default_queue, drain, wait_for
from tests.factories import (
    PatientEvaluationFactory,
    PatientFactory,
    SymptomLogFactory,
    UserFactory,
)
from tests.scenarios.replay import STORIES, base_for, replay
from tests.test_scenarios import assert_meets_expectations

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def kill_queue() -> str:
    """The SIGKILL test's own queue, named per run like the default one."""
    return f"{default_queue()}-kill"


def wait_until_consuming(worker: Worker, timeout: float = 60.0):
    """Until the worker answers a ping: its pool is up and it consumes its queues (the
    remote-control consumer starts after the task consumer), so a test's clock measures the
    pipeline, not the worker's start."""
    wait_for(
        lambda: celery_app.control.ping(destination=[worker.hostname], timeout=0.5),
        timeout=timeout,
        what=f"{worker.hostname} to answer a ping",
    )


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker):
    """Two worker processes (a prefork pool of 2) on the default queue."""
    started = Worker(concurrency=2, name="pipeline")
    try:
        wait_until_consuming(started)
    except BaseException:
        started.stop()
        raise
    yield started
    started.stop()


@pytest.fixture(autouse=True)
def idle_workers_before_flush():
    yield
    drain(celery_app, queues=(default_queue(), kill_queue()))


@pytest.fixture
def people(db):
    from tests.factories import ClinicFactory

    clinic = ClinicFactory(slug="riverside", name="Riverside", time_zone="Europe/London")
    staff = UserFactory(username="nurse", role="Staff", clinic=clinic)
    return clinic, staff


def seizure_body():
    return {
        "assessed_at": (timezone.now() - timedelta(minutes=2)).isoformat(),
        "items": items_for_total(22),
        "seizure": True,
        "heart_rate": 96,
    }


def test_a_seizure_log_becomes_a_visible_critical_alert_within_seconds(worker, people):
    clinic, staff = people
    patient = PatientFactory(clinic=clinic)
    api = APIClient()
    api.force_authenticate(staff)
    started = time.monotonic()
    response = api.post(
        reverse("patient-symptom-logs", kwargs={"pk": patient.pk}), seizure_body(), format="json"
    )
    assert response.status_code == 201

    def visible():
        rows = api.get(reverse("alert-list"), {"patient": str(patient.pk)}).json()["results"]
        return rows if rows else None

    [alert] = wait_for(visible, timeout=30, what="the seizure alert in the API")
    elapsed = time.monotonic() - started
    assert (alert["rule"], alert["severity"], alert["status"]) == ("seizure", "critical", "open")
    assert elapsed < 15, f"{elapsed:.1f}s from commit to a readable alert"


def test_concurrent_evaluations_of_one_patient_leave_one_alert(worker, people):
    clinic, staff = people
    patient = PatientFactory(clinic=clinic)
    with mock.patch("taperapp.jobs.enqueue"):
        SymptomLogFactory(
            patient=patient,
            recorded_by=staff,
            assessed_at=timezone.now() - timedelta(minutes=5),
            total=22,
            seizure=True,
        )
    results = [
        evaluate_patient_task.apply_async(args=[str(patient.pk)], ignore_result=False)
        for _ in range(6)
    ]
    for result in results:
        result.get(timeout=60)
    assert Alert.objects.filter(patient=patient).count() == 1
    assert AlertEvent.objects.filter(alert__patient=patient, kind="opened").count() == 1
    assert Alert.objects.get(patient=patient).trigger_count == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="lock waits are observed in pg_stat_activity"
)
def test_a_worker_killed_mid_evaluation_loses_and_duplicates_nothing(people):
    clinic, staff = people
    patient = PatientFactory(clinic=clinic)
    with mock.patch("taperapp.jobs.enqueue"):
        SymptomLogFactory(
            patient=patient,
            recorded_by=staff,
            assessed_at=timezone.now() - timedelta(minutes=5),
            total=22,
            seizure=True,
        )
    PatientEvaluationFactory(patient=patient, evaluated_at=timezone.now() - timedelta(days=1))
    lone = Worker(concurrency=1, name="victim", queues=kill_queue())
    try:

        def waiting_on_the_lock():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query ILIKE '%%symptoms_patientevaluation%%'"
                )
                return cursor.fetchone()[0] > 0

        import psycopg

        from taperapp.workers import test_database_url

        # Hold the patient's evaluation lock from another connection, so the task stops in the
        # middle of its work.
        with psycopg.connect(test_database_url()) as holder:
            holder.execute(
                "SELECT 1 FROM symptoms_patientevaluation WHERE patient_id = %s FOR UPDATE",
                [patient.pk],
            )
            evaluate_patient_task.apply_async(args=[str(patient.pk)], queue=kill_queue())
            # One read of the children, kept: reading twice raced a child being replaced.
            [first_child, *_] = wait_for(lone.children, timeout=30, what="the pool child")
            wait_for(waiting_on_the_lock, timeout=30, what="the evaluation to block on the lock")
            lone.kill_children()  # SIGKILL in the middle of the evaluation
            wait_for(
                lambda: [pid for pid in lone.children() if pid != first_child],
                timeout=30,
                what="a new pool child",
            )
            holder.rollback()
        # The lock is released: the redelivered task runs to the end.
        wait_for(
            lambda: Alert.objects.filter(patient=patient).exists(),
            timeout=60,
            what="the redelivered evaluation",
        )
        # Any duplicate delivery runs to its end before the counts below: the victim holds no
        # task (active or reserved) and its queue is empty.
        drain(celery_app, queues=(kill_queue(),))
    finally:
        lone.stop()
        # Whatever happened, leave no message on this test's own queue: nobody else consumes
        # it, and the next tests' drain would wait on it.
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_purge(kill_queue())
    assert Alert.objects.filter(patient=patient).count() == 1
    assert AlertEvent.objects.filter(alert__patient=patient, kind="opened").count() == 1
    assert SymptomLog.objects.filter(patient=patient).count() == 1


@pytest.mark.parametrize("story", STORIES, ids=[s["name"] for s in STORIES])
def test_every_scenario_holds_through_a_real_worker(worker, riverside, clinician, story):
    """The patient stories of tests/scenarios/ entered as they happened (late ones late), then
    evaluated by the worker process at the story's "now": the same alerts as in-process."""
    with mock.patch("taperapp.jobs.enqueue"):  # no evaluation mid-story
        replayed = replay(
            story, riverside, clinician, base=base_for(story, timezone.now()), evaluate=None
        )
    patient = replayed.patient
    if "sweep_at_hours" in story:
        assert patient.pk in evaluation.patients_due_for_evaluation(timezone.now())
    evaluate_patient_task.apply_async(args=[str(patient.pk)], ignore_result=False).get(timeout=60)
    assert_meets_expectations(story, patient)
