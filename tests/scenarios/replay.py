"""Replaying a patient story of tests/scenarios/alerts.json (its README says how to read one)
through the real services: the plan, the logs as they were entered (late ones late), the
plan's stop or completion, and the evaluation.

The stories are the shared clinical scenarios (a copy) and the project's own. Two ways to run
one: in-process, evaluating after every entry at the moment it was entered (the clock moved
with time-machine, so each log's entry time is real), or for the real-worker pipeline tests:
the same entries, then one evaluation by a Celery worker at the story's "now".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import time_machine

from patients.models import Medication
from patients.plans import services as plan_services
from symptoms.scales import items_for_total
from symptoms.services import LogEntry, symptom_log_record
from tests.factories import PatientFactory

STORIES = json.loads((Path(__file__).parent / "alerts.json").read_text())["scenarios"]
VITALS = {
    "heart_rate": 76,
    "systolic_bp": 120,
    "diastolic_bp": 76,
    "temperature_c": Decimal("36.8"),
    "respiratory_rate": 14,
}


def story_named(name: str) -> dict:
    return next(story for story in STORIES if story["name"] == name)


@dataclass
class Replayed:
    patient: object
    now: datetime  # the story's "now": day 0 at noon, or the sweep's moment


def _offset_hours(story) -> float:
    """Hours from day 0 noon to the story's final moment (a sweep may come later)."""
    if "sweep_at_hours" not in story:
        return 0
    last = max(
        (e["day"] * 24 + e.get("hour", 9) - 12 for e in _log_specs(story)),
        default=0,
    )
    return last + story["sweep_at_hours"]


def _log_specs(story) -> list[dict]:
    specs = []
    daily = story.get("daily")
    if daily:
        for day in range(daily["from"], daily["to"] + 1):
            specs.append(
                {
                    "day": day,
                    "total": daily["total"],
                    "hour": daily.get("hour", 9),
                    "dose_as_planned": daily.get("dose_as_planned", False),
                }
            )
    return specs + story.get("logs", [])


def base_for(story, final_moment: datetime) -> datetime:
    """Day 0 noon such that the story's final moment falls on ``final_moment``."""
    return final_moment - timedelta(hours=_offset_hours(story))


def _params(story, base: datetime, patient) -> plan_services.PlanParameters:
    spec = story["plan"]
    medication = Medication.objects.get(code=spec["medication"])
    day = lambda n: (base + timedelta(days=n)).date()  # noqa: E731
    if spec["method"] == "custom":
        first, *rest = spec["steps"]
        return plan_services.PlanParameters(
            medication=medication,
            method="custom",
            start_date=day(first["day"]),
            start_dose_mg=Decimal(str(first["daily_dose_mg"])),
            custom_steps=[(day(s["day"]), Decimal(str(s["daily_dose_mg"]))) for s in rest],
        )
    params = plan_services.PlanParameters(
        medication=medication,
        method=spec["method"],
        start_date=day(spec.get("start_day", 0)),
        start_dose_mg=Decimal(str(spec["start_dose_mg"])),
        reduction_percent=Decimal(str(spec["reduction_percent"])),
        interval_days=spec["interval_days"],
    )
    if "last_dose_day" in spec:
        # Place the whole schedule so that its last dose falls on that day of the story.
        trial = plan_services.plan_preview(patient=patient, params=params)
        shift = day(spec["last_dose_day"]) - trial.last_dose_date
        params.start_date += shift
    return params


def replay(story, clinic, clinician, *, base: datetime, evaluate) -> Replayed:
    """Enter the story at its own times; ``evaluate(patient, now)`` runs after each entry
    (None: only the caller evaluates, at the end)."""
    zone = clinic.zone
    base = base.astimezone(zone)

    def at(day, hour=9):
        return base + timedelta(days=day, hours=hour - 12)

    patient = PatientFactory(
        clinic=clinic, created_by=clinician, primary_clinician=clinician, **story.get("patient", {})
    )
    params = _params(story, base, patient)
    start = datetime.combine(params.start_date, datetime.min.time(), tzinfo=zone)
    with time_machine.travel(min(start, base), tick=False):
        plan = plan_services.taper_plan_create(
            patient=patient,
            params=params,
            justification="Replayed as the patient story describes the plan.",
            created_by=clinician,
        )
        plan_services.taper_plan_activate(plan=plan, by=clinician)
        if evaluate:
            evaluate(patient, min(start, base))

    events = []
    for spec in _log_specs(story):
        assessed = at(spec["day"], spec.get("hour", 9))
        entered = assessed + timedelta(hours=spec.get("entered_hours_later", 0))
        events.append((entered, "log", spec, assessed))
    for action in story.get("actions", []):
        events.append((at(action["day"], action.get("hour", 12)), "action", action, None))
    for entered, kind, spec, assessed in sorted(events, key=lambda e: e[0]):
        with time_machine.travel(entered, tick=False):
            if kind == "action":
                run = {
                    "stop": plan_services.taper_plan_stop,
                    "complete": plan_services.taper_plan_complete,
                }[spec["action"]]
                plan.refresh_from_db()
                run(plan=plan, by=clinician, reason=spec["reason"], on=entered.date())
            else:
                symptom_log_record(
                    patient=patient, entry=_entry(spec, assessed, plan), recorded_by=clinician
                )
            if evaluate:
                evaluate(patient, entered)
    return Replayed(patient, base + timedelta(hours=_offset_hours(story)))


def _entry(spec, assessed: datetime, plan) -> LogEntry:
    vitals = VITALS | {
        name: Decimal(str(value)) if name == "temperature_c" else value
        for name, value in spec.get("vitals", {}).items()
    }
    dose = spec.get("dose_taken_mg")
    if spec.get("dose_as_planned"):
        plan.refresh_from_db()
        dose = plan.dose_on(assessed.date())
    return LogEntry(
        assessed_at=assessed,
        items=None if "not_assessed" in spec else items_for_total(spec["total"], spec.get("items")),
        items_not_assessed_reason=spec.get("not_assessed", ""),
        **vitals,
        **spec.get("flags", {}),
        dose_taken_mg=None if dose is None else Decimal(str(dose)),
    )
