"""The minute jobs settle one alert per transaction (claim the row, act, commit): an alert
whose handling fails is logged and left for the next run, and never holds back or rolls back
the others. Before, every due snooze was handled in one transaction, so one failure kept every
other snoozed alert out of sight."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from symptoms.alerts import evaluation, workflow
from symptoms.models import Alert
from tests.factories import PatientFactory, make_seizure_alert


@pytest.fixture(autouse=True)
def no_queue():
    with mock.patch("taperapp.jobs.enqueue"):
        yield


@pytest.fixture
def two_alerts(riverside, clinician, patient):
    other = PatientFactory(clinic=riverside, primary_clinician=clinician)
    return make_seizure_alert(patient, clinician), make_seizure_alert(other, clinician)


def test_a_failing_snooze_end_leaves_the_others_settled(two_alerts, staff, caplog):
    first, second = two_alerts
    for alert in two_alerts:
        workflow.alert_snooze(alert=alert, by=staff, minutes=30, reason="Settling")
    real = evaluation.cause_still_holds

    def broken_for_first(alert, now):
        if alert.pk == first.pk:
            raise RuntimeError("database hiccup")
        return real(alert, now)

    later = timezone.now() + timedelta(minutes=31)
    with mock.patch.object(workflow, "cause_still_holds", side_effect=broken_for_first):
        returned = workflow.expire_snoozes(later)

    assert returned == [second.pk]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("snoozed", "open")  # the first rolled back alone
    assert "could not end the snooze" in caplog.text
    # The next run settles it.
    assert workflow.expire_snoozes(later) == [first.pk]
    assert Alert.objects.get(pk=first.pk).status == "open"


def test_a_failing_escalation_leaves_the_others_escalated(two_alerts, caplog):
    first, second = two_alerts
    real = workflow.record_event

    def broken_for_first(alert, kind, *args, **kwargs):
        if alert.pk == first.pk and kind == "escalated":
            raise RuntimeError("database hiccup")
        return real(alert, kind, *args, **kwargs)

    later = max(first.opened_at, second.opened_at) + timedelta(minutes=15)
    with mock.patch.object(workflow, "record_event", side_effect=broken_for_first):
        escalated = workflow.escalate_due(later)

    assert escalated == [second.pk]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.escalation_level, second.escalation_level) == (0, 1)
    assert "could not escalate" in caplog.text
    assert workflow.escalate_due(later) == [first.pk]
