"""Replays every story of shared/scenarios/alerts.json through the real services: plan
creation, log recording, evaluation after each log, and the sweep (its README says how)."""

import json
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from patients import plan_services
from patients.models import Medication
from symptoms import alert_services
from symptoms.models import UNRESOLVED, Alert
from symptoms.scales import items_for_total
from symptoms.services import LogEntry, symptom_log_record
from tests.factories import PatientFactory

SCENARIOS = Path(settings.BASE_DIR).parent / "shared" / "scenarios" / "alerts.json"
STORIES = json.loads(SCENARIOS.read_text())["scenarios"] if SCENARIOS.exists() else []
VITALS = {
    "heart_rate": 76,
    "systolic_bp": 120,
    "diastolic_bp": 76,
    "temperature_c": Decimal("36.8"),
    "respiratory_rate": 14,
}


def replay(story, clinic, clinician):
    zone = clinic.zone
    # Day 0 is yesterday in the clinic, so every time of the story is in the past.
    day0 = timezone.localdate(timezone=zone) - timedelta(days=1)
    now = datetime.combine(day0, time(12), tzinfo=zone)

    def at(day, hour=9):
        return datetime.combine(day0 + timedelta(days=day), time(hour), tzinfo=zone)

    patient = PatientFactory(
        clinic=clinic, created_by=clinician, primary_clinician=clinician, **story.get("patient", {})
    )
    spec = story["plan"]
    medication = Medication.objects.get(code=spec["medication"])
    if spec["method"] == "custom":
        first, *rest = spec["steps"]
        params = plan_services.PlanParameters(
            medication=medication,
            method="custom",
            start_date=day0 + timedelta(days=first["day"]),
            start_dose_mg=Decimal(str(first["daily_dose_mg"])),
            custom_steps=[
                (day0 + timedelta(days=s["day"]), Decimal(str(s["daily_dose_mg"]))) for s in rest
            ],
        )
    else:
        params = plan_services.PlanParameters(
            medication=medication,
            method=spec["method"],
            start_date=day0 + timedelta(days=spec["start_day"]),
            start_dose_mg=Decimal(str(spec["start_dose_mg"])),
            reduction_percent=Decimal(str(spec["reduction_percent"])),
            interval_days=spec["interval_days"],
        )
    plan = plan_services.taper_plan_create(
        patient=patient, params=params, justification="Scenario replay", created_by=clinician
    )
    plan_services.taper_plan_activate(plan=plan, by=clinician)
    alert_services.evaluate_patient(
        patient.pk, now=datetime.combine(params.start_date, time(0), tzinfo=zone)
    )

    logs = []
    daily = story.get("daily")
    if daily:
        for day in range(daily["from"], daily["to"] + 1):
            logs.append({"day": day, "total": daily["total"], "hour": daily.get("hour", 9)})
    logs += story.get("logs", [])
    last = None
    for entry in sorted(logs, key=lambda e: (e["day"], e.get("hour", 9))):
        when = at(entry["day"], entry.get("hour", 9))
        symptom_log_record(
            patient=patient,
            entry=LogEntry(
                assessed_at=when,
                items=items_for_total(entry["total"], entry.get("items")),
                **(VITALS | entry.get("vitals", {})),
                **entry.get("flags", {}),
            ),
            recorded_by=clinician,
        )
        alert_services.evaluate_patient(patient.pk, now=when)
        last = when
    if "sweep_at_hours" in story:
        sweep_now = last + timedelta(hours=story["sweep_at_hours"])
        for patient_id in alert_services.patients_due_for_evaluation(sweep_now):
            alert_services.evaluate_patient(patient_id, now=sweep_now)
    else:
        alert_services.evaluate_patient(patient.pk, now=now)
    return patient


def test_the_scenarios_file_is_there():
    assert len(STORIES) >= 9, f"expected the stories at {SCENARIOS}"


@pytest.mark.parametrize("story", STORIES, ids=[s["name"] for s in STORIES])
def test_scenario(story, riverside, clinician):
    patient = replay(story, riverside, clinician)
    unresolved = {
        a.rule: a.severity for a in Alert.objects.filter(patient=patient, status__in=UNRESOLVED)
    }
    ever = set(Alert.objects.filter(patient=patient).values_list("rule", flat=True))
    for rule, severity in story["expect"]["rules"].items():
        assert unresolved.get(rule) == severity, (story["name"], unresolved)
    for rule in story["expect"].get("absent", []):
        assert rule not in ever, (story["name"], rule, ever)


def test_a_second_seizure_updates_the_same_alert(riverside, clinician):
    story = next(s for s in STORIES if s["name"] == "seizure_reported")
    patient = replay(story, riverside, clinician)
    alert = Alert.objects.get(patient=patient, rule="seizure")
    second = timezone.now() - timedelta(minutes=30)
    symptom_log_record(
        patient=patient,
        entry=LogEntry(assessed_at=second, items=items_for_total(24), seizure=True),
        recorded_by=clinician,
    )
    alert_services.evaluate_patient(patient.pk, now=timezone.now())
    assert Alert.objects.filter(patient=patient, rule="seizure").count() == 1
    alert.refresh_from_db()
    assert alert.trigger_count == 2
    assert [e.kind for e in alert.events.all()][:2] == ["opened", "retriggered"]


def test_evaluating_the_same_data_twice_changes_nothing(riverside, clinician):
    story = next(s for s in STORIES if s["name"] == "seizure_reported")
    patient = replay(story, riverside, clinician)
    alert = Alert.objects.get(patient=patient, rule="seizure")
    events = alert.events.count()
    alert_services.evaluate_patient(patient.pk)
    alert.refresh_from_db()
    assert alert.trigger_count == 1 and alert.events.count() == events
