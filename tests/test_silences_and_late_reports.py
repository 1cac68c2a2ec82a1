"""Findings of the independent review of the restructuring (all older than it), each a report
or a silence that raised nothing, or a false alarm:

- a silent patient was hidden from the sweep by an old, resolved missed-log alert beside any
  other open alert (an exclude across the relation tested rule and status on different rows);
- a silence across the end of a taper was counted from the first day of the acute phase, so
  a patient who stopped could go about 72 h unlogged before anyone was told;
- a seizure, confusion or suicidal thoughts reported more than 21 days after it happened
  raised nothing (the rules read logs by clinical time only);
- a plan completed before its first dose put the patient in acute withdrawal (a false
  missed-log alarm);
- the sweep stopped looking at ended plans after a fixed 62 days, though an admin may give a
  medication a longer acute window."""

from datetime import datetime, time, timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import Medication
from patients.plans import services as plan_services
from patients.plans.selectors import patient_timeline
from symptoms.alerts import evaluation
from symptoms.models import Alert
from tests.factories import AlertFactory, SymptomLogFactory, make_plan


@pytest.fixture(autouse=True)
def no_queue():
    with mock.patch("taperapp.jobs.enqueue"):
        yield


def _logged(patient, clinician, *, hours_ago):
    SymptomLogFactory(
        patient=patient,
        recorded_by=clinician,
        total=8,
        assessed_at=timezone.now() - timedelta(hours=hours_ago),
    )


def test_an_old_resolved_missed_log_beside_another_open_alert_does_not_hide_a_silence(
    patient, clinician
):
    make_plan(patient, start=timezone.localdate() - timedelta(days=20), by=clinician)
    _logged(patient, clinician, hours_ago=40)
    evaluation.evaluate_patient(patient.pk)
    missed = Alert.objects.get(patient=patient, rule="missed_log")
    _logged(patient, clinician, hours_ago=0)
    evaluation.evaluate_patient(patient.pk)
    missed.refresh_from_db()
    assert missed.status == "resolved"
    AlertFactory(patient=patient, rule="severe_score", severity="high", status="open")

    later = timezone.now() + timedelta(hours=40)
    assert patient.pk in evaluation.patients_due_for_evaluation(later)
    evaluation.evaluate_patient(patient.pk, now=later)
    assert Alert.objects.filter(patient=patient, rule="missed_log", status="open").exists()


@pytest.mark.parametrize("end", ["stop", "complete"])
def test_a_silence_across_the_end_of_a_taper_counts_whole(patient, clinician, end):
    yesterday = timezone.localdate() - timedelta(days=1)
    plan = make_plan(patient, start=yesterday - timedelta(days=30), by=clinician)
    _logged(patient, clinician, hours_ago=40)
    ended = (
        plan_services.taper_plan_stop
        if end == "stop"
        else lambda **kw: plan_services.taper_plan_complete(**kw)
    )
    ended(plan=plan, by=clinician, reason="Patient stopped.", on=yesterday)
    evaluation.evaluate_patient(patient.pk)
    alert = Alert.objects.get(patient=patient, rule="missed_log")
    assert alert.severity == "medium"
    assert "No assessment for 40 h during acute" in alert.summary


def test_a_short_silence_across_the_end_of_a_taper_is_no_alarm(patient, clinician):
    yesterday = timezone.localdate() - timedelta(days=1)
    plan = make_plan(patient, start=yesterday - timedelta(days=30), by=clinician)
    _logged(patient, clinician, hours_ago=30)
    plan_services.taper_plan_stop(plan=plan, by=clinician, reason="Stopped.", on=yesterday)
    evaluation.evaluate_patient(patient.pk)
    assert not Alert.objects.filter(patient=patient, rule="missed_log").exists()


@pytest.mark.parametrize("days_ago", [22, 30, 90])
@pytest.mark.parametrize(
    ("flag", "rule"),
    [
        ("seizure", "seizure"),
        ("confusion", "complicated_withdrawal"),
        ("suicidal_ideation", "suicidality"),
    ],
)
def test_a_report_entered_long_after_it_happened_still_raises_a_critical_alert(
    patient, clinician, api_for, days_ago, flag, rule
):
    answer = api_for(clinician).post(
        reverse("patient-symptom-logs", kwargs={"pk": patient.pk}),
        {
            "assessed_at": (timezone.now() - timedelta(days=days_ago)).isoformat(),
            "items": None,
            "items_not_assessed_reason": "Told by the family at today's visit.",
            flag: True,
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert [(a["rule"], a["severity"]) for a in answer.json()["alerts"]] == [(rule, "critical")]
    alert = Alert.objects.get(patient=patient, rule=rule)
    assert f"entered {days_ago} days later" in alert.summary
    # Raised once: later evaluations while it is within the look-back add nothing.
    evaluation.evaluate_patient(patient.pk, now=timezone.now() + timedelta(days=3))
    assert Alert.objects.filter(patient=patient).count() == 1
    assert alert.triggers.count() == 1


def test_an_old_log_without_a_report_raises_nothing(patient, clinician):
    SymptomLogFactory(
        patient=patient,
        recorded_by=clinician,
        total=45,  # severe, but a score of 30 days ago is history, not news
        assessed_at=timezone.now() - timedelta(days=30),
    )
    evaluation.evaluate_patient(patient.pk)
    assert not Alert.objects.filter(patient=patient).exists()


@pytest.mark.parametrize("held", [False, True])
def test_a_plan_completed_before_its_first_dose_leaves_the_patient_before_the_taper(
    patient, clinician, held
):
    today = timezone.localdate()
    start = today + timedelta(days=3)
    plan = make_plan(patient, start=start, by=clinician)
    if held:
        plan_services.taper_plan_hold(plan=plan, by=clinician, reason="Not ready.")
    plan_services.taper_plan_complete(plan=plan, by=clinician, reason="Never started.")
    later = start + timedelta(days=2)
    assert patient_timeline(patient, later).phase == "pre_taper"
    noon = timezone.make_aware(datetime.combine(later, time(12)))
    evaluation.evaluate_patient(patient.pk, now=noon)
    assert not Alert.objects.filter(patient=patient).exists()


def test_the_sweep_follows_a_medication_acute_window_longer_than_the_catalogues(patient, clinician):
    Medication.objects.filter(code="clonazepam").update(acute_window_days=90)
    today = timezone.localdate()
    plan = make_plan(patient, start=today - timedelta(days=100), by=clinician)
    plan_services.taper_plan_stop(
        plan=plan, by=clinician, reason="Stopped.", on=today - timedelta(days=70)
    )
    _logged(patient, clinician, hours_ago=10)
    now = timezone.now()
    evaluation.evaluate_patient(patient.pk, now=now)
    later = now + timedelta(hours=30)
    assert patient.pk in evaluation.patients_due_for_evaluation(later)
    evaluation.evaluate_patient(patient.pk, now=later)
    assert Alert.objects.filter(patient=patient, rule="missed_log").exists()


# --- The second review of these fixes ---------------------------------------------------------


def _report(patient, clinician, *, days_ago, **flags):
    """An event-only report, entered now about a moment ``days_ago``."""
    return SymptomLogFactory(
        patient=patient,
        recorded_by=clinician,
        items=None,
        items_not_assessed_reason="Told by the family.",
        assessed_at=timezone.now() - timedelta(days=days_ago),
        **flags,
    )


def test_a_discharged_patients_log_cannot_be_corrected_into_a_silent_seizure(
    patient, clinician, api_for
):
    """A discharged patient's record raises no alert: a correction adding a seizure would be
    saved in silence. Refused, as a new log is, with the reason."""
    from patients.services import patient_discharge
    from symptoms.models import SymptomLog

    log = SymptomLogFactory(patient=patient, recorded_by=clinician, total=8)
    patient_discharge(patient=patient, discharged_by=clinician, reason="Completed treatment.")
    answer = api_for(clinician).post(
        reverse("symptom-log-amend", kwargs={"pk": log.pk}),
        {
            "assessed_at": log.assessed_at.isoformat(),
            "items": log.items,
            "seizure": True,
            "reason": "Seizure left out",
        },
        format="json",
    )
    assert answer.status_code == 400
    assert "discharged" in answer.content.decode()
    assert SymptomLog.objects.filter(patient=patient).count() == 1


def test_a_new_plan_begun_during_acute_withdrawal_does_not_restart_the_silence(patient, clinician):
    today = timezone.localdate()
    old = make_plan(patient, start=today - timedelta(days=40), by=clinician)
    plan_services.taper_plan_stop(
        plan=old, by=clinician, reason="Stopped.", on=today - timedelta(days=5)
    )
    _logged(patient, clinician, hours_ago=60)
    make_plan(patient, start=today, by=clinician, dose="1")  # reinstated at a lower dose
    evaluation.evaluate_patient(patient.pk)
    alert = Alert.objects.get(patient=patient, rule="missed_log")
    assert "No assessment for 60 h during tapering" in alert.summary


@pytest.mark.parametrize("handled", ["resolved", "acknowledged"])
def test_correcting_a_report_raised_long_ago_is_not_news(patient, clinician, staff, handled):
    """A seizure entered in real time 30 days ago raised its alert then; a typo fixed in that
    log today (the seizure kept) is the same report."""
    import time_machine

    from symptoms.alerts import workflow
    from symptoms.services import LogEntry, symptom_log_amend

    then = timezone.now() - timedelta(days=30)
    with time_machine.travel(then, tick=False):
        log = _report(patient, clinician, days_ago=0, seizure=True)
        evaluation.evaluate_patient(patient.pk)
        alert = Alert.objects.get(patient=patient, rule="seizure")
        if handled == "resolved":
            workflow.alert_resolve(alert=alert, by=staff, note="Seen in clinic.")
        else:
            workflow.alert_acknowledge(alert=alert, by=staff)
    symptom_log_amend(
        log=log,
        entry=LogEntry(
            assessed_at=log.assessed_at,
            items=None,
            items_not_assessed_reason="Told by the family.",
            seizure=True,
            notes="Witnessed by her sister.",
        ),
        amended_by=clinician,
        reason="Note added",
    )
    evaluation.evaluate_patient(patient.pk)
    alert.refresh_from_db()
    assert alert.status == handled
    assert alert.trigger_count == 1
    assert Alert.objects.filter(patient=patient).count() == 1


def test_a_late_report_does_not_count_as_an_earlier_severe_score(patient, clinician):
    """Two severe scores in a row make the second critical only within the look-back: a
    report of 60 days ago entered today is news for its seizure, not for its score."""
    SymptomLogFactory(
        patient=patient,
        recorded_by=clinician,
        total=45,
        seizure=True,
        assessed_at=timezone.now() - timedelta(days=60),
    )
    SymptomLogFactory(patient=patient, recorded_by=clinician, total=45)
    evaluation.evaluate_patient(patient.pk)
    assert Alert.objects.get(patient=patient, rule="seizure").severity == "critical"
    assert Alert.objects.get(patient=patient, rule="severe_score").severity == "high"
