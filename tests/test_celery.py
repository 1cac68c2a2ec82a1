import os
from unittest import mock

import pytest
from django.conf import settings
from django.db import transaction

from taperapp import jobs
from taperapp.celery import app as celery_app
from taperapp.celery import ping


def test_tasks_are_sent_only_after_the_transaction_commits(db, django_capture_on_commit_callbacks):
    with mock.patch.object(celery_app, "send_task") as send:
        with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
            assert jobs.enqueue("taperapp.ping") is None
            assert send.call_count == 0
        assert len(callbacks) == 1
        assert send.call_count == 1


def test_a_rolled_back_transaction_sends_nothing(transactional_db):
    with mock.patch.object(celery_app, "send_task") as send:
        with pytest.raises(RuntimeError), transaction.atomic():
            jobs.enqueue("taperapp.ping")
            raise RuntimeError("roll back")
        assert send.call_count == 0


def test_outside_a_transaction_a_task_is_sent_at_once(transactional_db):
    with mock.patch.object(celery_app, "send_task") as send:
        jobs.enqueue("taperapp.ping")
    assert send.call_count == 1
    assert send.call_args.args == ("taperapp.ping",)


def test_the_broker_comes_from_the_environment():
    expected = os.environ.get("CELERY_BROKER_URL", "filesystem://")
    assert celery_app.conf.broker_url == settings.CELERY_BROKER_URL == expected
    assert celery_app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


@pytest.fixture(scope="module")
def celery_worker_process():
    """A real worker on the configured broker (Redis in CI, the filesystem transport here)."""
    from taperapp.workers import Worker

    worker = Worker(pool="solo")
    yield worker.process
    worker.stop()


@pytest.mark.celery_worker
def test_a_real_worker_answers_a_round_trip(celery_worker_process):
    result = ping.apply_async(ignore_result=False)  # tasks are fire-and-forget by default
    assert result.get(timeout=60) == "pong"
    assert celery_worker_process.poll() is None


@pytest.mark.parametrize(
    "failure",
    [
        RuntimeError("Retry limit exceeded while trying to reconnect to the Celery redis result"),
        OSError(111, "Connection refused"),
    ],
    ids=["result-store", "broker"],
)
def test_a_failed_publish_never_reaches_the_request_and_backs_off(
    transactional_db, caplog, failure
):
    """What a stopped Redis raises at publish time (the result store's RuntimeError included)
    is logged; the next enqueue within the back-off does not try the broker again."""
    failing = mock.patch.object(celery_app, "send_task", side_effect=failure)
    with failing as send, transaction.atomic():
        jobs.enqueue("symptoms.evaluate_patient", "a-patient")
        jobs.enqueue("symptoms.notify_alert", "an-alert", "opened")
    assert send.call_count == 1
    assert send.call_args.kwargs["ignore_result"] is True
    assert "left to the next sweep" in caplog.text
    assert "left to the sweep" in caplog.text


def test_every_task_is_fire_and_forget_by_default():
    assert celery_app.conf.task_ignore_result is True
    assert ping.ignore_result is True
