"""A stopped Redis (broker and result store both) must never cost a report: every write that
queues work answers its normal status at once, keeps its row, and what could not be queued is
done after Redis is back, by the sweep. The Redis here is the test's own, on its own port,
really stopped and started again (not a redirected URL)."""

import contextlib
import shutil
import socket
import subprocess
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from symptoms.alerts.tasks import sweep_task
from symptoms.models import Alert, AlertEvent, AlertNotification, SymptomLog
from symptoms.scales import items_for_total
from taperapp.celery import app as celery_app
from taperapp.workers import Worker, drain, wait_for
from tests.factories import PatientFactory, make_plan
from tests.test_symptom_logs import form_data

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]

WRITE_BUDGET_SECONDS = 2.0


class OwnRedis:
    """A redis-server process of this test only, on a free port, that keeps nothing on disk."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(self.answers, timeout=10, what="the test's own redis-server")

    def answers(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1):
            return True
        return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        assert not self.answers(), "Redis should be down"


def point_celery_at(url: str) -> dict:
    """Broker and result backend of the in-process app (the web side) at ``url``; returns the
    previous settings for restore."""
    from django.conf import settings

    keys = (
        "broker_url",
        "broker_read_url",
        "broker_write_url",
        "result_backend",
        "broker_transport_options",
    )
    saved = {key: celery_app.conf[key] for key in keys}
    # Redis's own transport options (timeouts), as production has them: a run on the embedded
    # filesystem broker carries folder options instead, and a frozen Redis then hung the test.
    celery_app.conf.update(
        broker_url=url,
        broker_read_url=url,
        broker_write_url=url,
        result_backend=url,
        broker_transport_options=settings.REDIS_BROKER_TRANSPORT_OPTIONS,
    )
    forget_connections()
    return saved


def forget_connections():
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app._backend_cache = None
    with contextlib.suppress(AttributeError):
        del celery_app._local.backend


@pytest.fixture
def own_redis():
    redis = OwnRedis()
    redis.start()
    saved = point_celery_at(redis.url)
    try:
        yield redis
    finally:
        celery_app.conf.update(saved)
        forget_connections()
        if redis.process and redis.process.poll() is None:
            redis.process.kill()
            redis.process.wait(timeout=10)


def seizure_body():
    return {
        "assessed_at": (timezone.now() - timedelta(minutes=3)).isoformat(),
        "items": items_for_total(24),
        "seizure": True,
    }


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_with_redis_stopped_every_write_answers_at_once_and_the_sweep_catches_up(
    own_redis, riverside, clinician, api_for, client_for
):
    seizure_patient = PatientFactory(clinic=riverside, primary_clinician=clinician)
    unevaluated_patient = PatientFactory(clinic=riverside, primary_clinician=clinician)
    planned_patient = PatientFactory(clinic=riverside, primary_clinician=clinician)
    plan = make_plan(planned_patient, by=clinician, start=timezone.localdate() - timedelta(days=3))
    api = api_for(clinician)
    own_redis.stop()

    # 1. A seizure: saved, answered 201 at once, its alert raised by the request itself; the
    # e-mail to the on-call staff could not be queued and is owed.
    response, elapsed = timed(
        lambda: api.post(
            reverse("patient-symptom-logs", kwargs={"pk": seizure_patient.pk}),
            seizure_body(),
            format="json",
        )
    )
    assert response.status_code == 201, response.content
    assert elapsed < WRITE_BUDGET_SECONDS, f"{elapsed:.1f}s with Redis stopped"
    assert SymptomLog.objects.filter(patient=seizure_patient).count() == 1
    [alert] = Alert.objects.filter(patient=seizure_patient, rule="seizure")
    assert response.json()["alerts"][0]["id"] == str(alert.pk)
    owed = AlertNotification.objects.get(alert=alert, reason="opened")
    assert owed.handled_at is None

    # 2. A seizure whose immediate evaluation also fails (a database hiccup): still 201, row
    # kept, nothing raised yet.
    failing = mock.patch(
        "symptoms.alerts.evaluation.evaluate_patient", side_effect=OperationalError("gone")
    )
    with failing:
        response, elapsed = timed(
            lambda: api.post(
                reverse("patient-symptom-logs", kwargs={"pk": unevaluated_patient.pk}),
                seizure_body(),
                format="json",
            )
        )
    assert response.status_code == 201, response.content
    assert elapsed < WRITE_BUDGET_SECONDS
    assert not Alert.objects.filter(patient=unevaluated_patient).exists()

    # 3. A plan change (hold) queues a re-evaluation too: answered normally, change kept.
    response, elapsed = timed(
        lambda: api.post(
            reverse("taper-plan-hold", kwargs={"pk": plan.pk}),
            {"reason": "Withdrawal symptoms; review on Monday."},
            format="json",
        )
    )
    assert response.status_code == 200, response.content
    assert elapsed < WRITE_BUDGET_SECONDS
    plan.refresh_from_db()
    assert plan.status == "on_hold"

    # 4. The clinician's form: saved and shown as usual.
    page, elapsed = timed(
        lambda: client_for(clinician).post(
            reverse("symptoms:log_create", kwargs={"pk": seizure_patient.pk}),
            form_data(total=30, seizure="on"),
        )
    )
    assert page.status_code == 302, page.content[:2000]
    assert elapsed < WRITE_BUDGET_SECONDS
    assert SymptomLog.objects.filter(patient=seizure_patient).count() == 2

    # Redis is back; time passes beyond the redelivery delay; a worker and the sweep run.
    own_redis.start()
    forget_connections()
    AlertNotification.objects.update(requested_at=F("requested_at") - timedelta(minutes=5))
    worker = Worker(concurrency=1, name="outage", env={"CELERY_BROKER_URL": own_redis.url})
    try:
        queued = sweep_task.apply_async(ignore_result=False).get(timeout=60)
        assert queued >= 1  # at least the patient whose evaluation failed
        wait_for(
            lambda: Alert.objects.filter(patient=unevaluated_patient, rule="seizure").exists(),
            timeout=60,
            what="the sweep to raise the missed seizure",
        )
        wait_for(
            lambda: AlertEvent.objects.filter(
                alert=alert, kind="notified", data__reason="opened"
            ).exists(),
            timeout=60,
            what="the owed notification to be sent",
        )
        owed.refresh_from_db()
        assert owed.handled_at is not None
        drain(celery_app)
    finally:
        worker.stop()
    # Sent once: a second sweep owes nothing.
    assert AlertEvent.objects.filter(alert=alert, kind="notified").count() == 1
    assert not AlertNotification.objects.filter(handled_at__isnull=True, alert=alert).exists()


def test_with_redis_frozen_a_write_answers_within_the_read_timeout(
    own_redis, riverside, clinician, api_for
):
    """A Redis that accepts connections and never answers (SIGSTOP: a paused container, a host
    in swap): the log is saved and answered, bounded by the socket read timeout, not hung."""
    import os
    import signal

    from django.conf import settings

    patient = PatientFactory(clinic=riverside, primary_clinician=clinician)
    api = api_for(clinician)
    os.kill(own_redis.process.pid, signal.SIGSTOP)
    try:
        response, elapsed = timed(
            lambda: api.post(
                reverse("patient-symptom-logs", kwargs={"pk": patient.pk}),
                seizure_body(),
                format="json",
            )
        )
    finally:
        os.kill(own_redis.process.pid, signal.SIGCONT)
    budget = settings.REDIS_BROKER_TRANSPORT_OPTIONS["socket_timeout"] + WRITE_BUDGET_SECONDS
    assert response.status_code == 201, response.content
    assert elapsed < budget, f"{elapsed:.1f}s with Redis frozen"
    assert SymptomLog.objects.filter(patient=patient).count() == 1
    assert Alert.objects.filter(patient=patient, rule="seizure").exists()
