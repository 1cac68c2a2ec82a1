"""Replays every patient story of tests/scenarios/alerts.json through the real services,
evaluating after each entry at the moment it was entered, and compares the alerts with what a
clinician expects (the README beside the stories says how to read them). The same stories run
through a real Celery worker in tests/test_pipeline_scenarios.py."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from symptoms.alerts import evaluation, workflow
from symptoms.models import UNRESOLVED, Alert
from symptoms.services import LogEntry, symptom_log_amend
from tests.factories import SymptomLogFactory
from tests.scenarios.replay import STORIES, replay, story_named


def replay_in_process(story, clinic, clinician):
    # Day 0 is yesterday in the clinic, so every time of the story is in the past.
    day0 = timezone.localdate(timezone=clinic.zone) - timedelta(days=1)
    base = datetime.combine(day0, time(12), tzinfo=clinic.zone)
    if "sweep_at_hours" in story:
        base -= timedelta(days=2)

    def evaluate(patient, now):
        evaluation.evaluate_patient(patient.pk, now=now)

    replayed = replay(story, clinic, clinician, base=base, evaluate=evaluate)
    if "sweep_at_hours" in story:
        for patient_id in evaluation.patients_due_for_evaluation(replayed.now):
            evaluation.evaluate_patient(patient_id, now=replayed.now)
    else:
        evaluation.evaluate_patient(replayed.patient.pk, now=replayed.now)
    return replayed.patient


def assert_meets_expectations(story, patient):
    unresolved = {
        a.rule: a.severity for a in Alert.objects.filter(patient=patient, status__in=UNRESOLVED)
    }
    ever = set(Alert.objects.filter(patient=patient).values_list("rule", flat=True))
    for rule, severity in story["expect"]["rules"].items():
        assert unresolved.get(rule) == severity, (story["name"], unresolved)
    for rule in story["expect"].get("absent", []):
        assert rule not in ever, (story["name"], rule, ever)


def test_the_stories_are_there():
    names = {story["name"] for story in STORIES}
    assert len(STORIES) >= 20
    # The shared clinical scenarios are all kept (a copy, so the suite runs from any clone).
    assert {"stable_taper", "seizure_reported", "missed_in_acute", "severe_twice"} <= names


@pytest.mark.parametrize("story", STORIES, ids=[s["name"] for s in STORIES])
def test_scenario(story, riverside, clinician):
    assert_meets_expectations(story, replay_in_process(story, riverside, clinician))


def test_a_late_seizure_says_when_it_was_assessed_and_entered(riverside, clinician):
    patient = replay_in_process(story_named("seizure_typed_next_morning"), riverside, clinician)
    alert = Alert.objects.get(patient=patient, rule="seizure")
    assert "entered 30 h later" in alert.summary
    [cited] = [entry for entry in alert.evidence["logs"] if entry["entered_late_minutes"]]
    assert cited["entered_late_minutes"] == 30 * 60


def test_a_second_seizure_updates_the_same_alert(riverside, clinician):
    patient = replay_in_process(story_named("seizure_reported"), riverside, clinician)
    alert = Alert.objects.get(patient=patient, rule="seizure")
    second = timezone.now() - timedelta(minutes=30)
    SymptomLogFactory(
        patient=patient, recorded_by=clinician, assessed_at=second, total=24, seizure=True
    )
    evaluation.evaluate_patient(patient.pk, now=timezone.now())
    assert Alert.objects.filter(patient=patient, rule="seizure").count() == 1
    alert.refresh_from_db()
    assert alert.trigger_count == 2
    assert [e.kind for e in alert.events.all()][:2] == ["opened", "retriggered"]
    assert len(alert.evidence["logs"]) == 2  # both seizures cited


def test_evaluating_the_same_data_twice_changes_nothing(riverside, clinician):
    patient = replay_in_process(story_named("seizure_reported"), riverside, clinician)
    alert = Alert.objects.get(patient=patient, rule="seizure")
    events = alert.events.count()
    evaluation.evaluate_patient(patient.pk)
    evaluation.evaluate_patient(patient.pk)
    alert.refresh_from_db()
    assert alert.trigger_count == 1 and alert.events.count() == events


def test_a_resolved_seizure_is_not_reopened_but_an_older_late_one_is_raised(
    riverside, clinician, staff
):
    """Staff resolved the seizure alert; the same log never reopens it. A second seizure
    assessed *before* the first but typed in afterwards is news: a new alert."""
    patient = replay_in_process(story_named("seizure_reported"), riverside, clinician)
    alert = Alert.objects.get(patient=patient, rule="seizure")
    workflow.alert_resolve(alert=alert, by=staff, note="Reviewed, stable")
    evaluation.evaluate_patient(patient.pk)
    assert not Alert.objects.filter(patient=patient, rule="seizure", status__in=UNRESOLVED).exists()
    first_log = patient.symptom_logs.get(seizure=True)
    SymptomLogFactory(
        patient=patient,
        recorded_by=clinician,
        assessed_at=first_log.assessed_at - timedelta(hours=5),
        total=20,
        seizure=True,
    )
    evaluation.evaluate_patient(patient.pk)
    assert Alert.objects.get(patient=patient, rule="seizure", status="open") != alert


def test_an_amendment_that_adds_a_seizure_raises_the_alert(riverside, clinician):
    patient = replay_in_process(story_named("stable_taper"), riverside, clinician)
    newest = patient.symptom_logs.filter(status="current").order_by("-assessed_at").first()
    symptom_log_amend(
        log=newest,
        entry=LogEntry(assessed_at=newest.assessed_at, items=newest.items, seizure=True),
        amended_by=clinician,
        reason="Night nurse's note: a seizure at 08:50",
    )
    evaluation.evaluate_patient(patient.pk)
    assert Alert.objects.get(patient=patient, rule="seizure").severity == "critical"
