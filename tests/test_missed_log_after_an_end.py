"""A patient who goes silent in the acute phase after an abrupt stop is the patient most at risk
of a withdrawal seizure (the acute window opens the day after the last dose). The design's
missed-log rule covers "a stopped plan included": the sweep must find such a patient, and the
evaluation must raise missed_log, as it does during a running taper. Found by a review of the
clinical numbers: the sweep looked only at running and recently completed plans."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from patients.plans import services as plan_services
from symptoms.alerts import evaluation
from symptoms.models import Alert
from tests.factories import SymptomLogFactory, make_plan


@pytest.fixture(autouse=True)
def no_queue():
    with mock.patch("taperapp.jobs.enqueue"):
        yield


def _ended(patient, clinician, how):
    plan = make_plan(patient, start=timezone.localdate() - timedelta(days=30), by=clinician)
    yesterday = timezone.localdate() - timedelta(days=1)
    if how == "stopped":
        plan_services.taper_plan_stop(
            plan=plan, by=clinician, reason="Patient stopped taking it.", on=yesterday
        )
    else:
        plan_services.taper_plan_complete(
            plan=plan, by=clinician, reason="Patient chose to stop early.", on=yesterday
        )
    return plan


@pytest.mark.parametrize("how", ["stopped", "completed early"])
def test_silence_after_an_abrupt_end_is_found_by_the_sweep_and_raises_missed_log(
    patient, clinician, how
):
    _ended(patient, clinician, how)
    SymptomLogFactory(patient=patient, recorded_by=clinician, total=12, assessed_at=timezone.now())
    now = timezone.now()
    evaluation.evaluate_patient(patient.pk, now=now)
    assert patient.pk not in evaluation.patients_due_for_evaluation(now)  # nothing new yet

    silent = now + timedelta(hours=40)
    assert patient.pk in evaluation.patients_due_for_evaluation(silent)
    evaluation.evaluate_patient(patient.pk, now=silent)
    alert = Alert.objects.get(patient=patient, rule="missed_log")
    assert (alert.status, alert.severity) == ("open", "medium")


def test_silence_long_after_the_acute_window_is_not_a_missed_log(patient, clinician):
    """No false alarm: in the protracted phase daily logs are not expected."""
    plan = make_plan(patient, start=timezone.localdate() - timedelta(days=200), by=clinician)
    plan_services.taper_plan_stop(
        plan=plan,
        by=clinician,
        reason="Stopped.",
        on=timezone.localdate() - timedelta(days=120),
    )
    now = timezone.now()
    evaluation.evaluate_patient(patient.pk, now=now)
    assert patient.pk not in evaluation.patients_due_for_evaluation(now + timedelta(hours=40))
    assert not Alert.objects.filter(patient=patient, rule="missed_log").exists()
