"""Reads of symptom logs, one selector per screen, scoped to the user's clinics."""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from patients.models import Patient, PlanStatus
from patients.selectors import patient_timeline, patients_visible_to, timeline_plans_prefetch
from taperapp.accounts.models import User
from taperapp.accounts.selectors import clinic_ids_for_user

from . import clinical
from .alert_services import thresholds_for
from .models import LogStatus, SymptomLog


def logs_visible_to(user: User) -> QuerySet[SymptomLog]:
    return SymptomLog.objects.filter(patient__clinic_id__in=clinic_ids_for_user(user))


def log_detail(*, user: User) -> QuerySet[SymptomLog]:
    return logs_visible_to(user).select_related(
        "patient__clinic", "recorded_by", "voided_by", "supersedes"
    )


def current_logs(patient: Patient) -> QuerySet[SymptomLog]:
    return patient.symptom_logs.filter(status=LogStatus.CURRENT).order_by("assessed_at")


@dataclass
class ReductionResponse:
    """How the patient took one dose cut: baseline before it, peak in the week after."""

    on: date
    from_mg: object
    to_mg: object
    baseline: float | None
    peak: int | None
    peak_at: datetime | None
    logs_before: int
    logs_after: int
    rise_threshold: int  # the clinic's reduction_response_rise

    @property
    def rise(self) -> float | None:
        if self.baseline is None or self.peak is None:
            return None
        return self.peak - self.baseline

    @property
    def not_tolerated(self) -> bool:
        return self.rise is not None and self.rise >= self.rise_threshold


def reduction_responses(plans, logs, zone, until: date, thresholds) -> list[ReductionResponse]:
    """For each dose cut up to ``until`` of the non-draft plans: median total of the 7 days
    before it and the highest total of the 7 days from it (domain.md §1: symptoms may take a
    week to appear)."""
    window = timedelta(days=thresholds.post_reduction_days)
    dated = [(timezone.localtime(log.assessed_at, zone), log) for log in logs]
    responses = []
    for plan in plans:
        if plan.status == PlanStatus.DRAFT or plan.current_revision is None:
            continue
        steps = list(plan.current_revision.steps.all())
        for previous, step in itertools.pairwise(steps):
            if step.daily_dose_mg >= previous.daily_dose_mg or step.start_date > until:
                continue
            cut = datetime.combine(step.start_date, datetime.min.time(), tzinfo=zone)
            before = [log.total for when, log in dated if cut - window <= when < cut]
            after = [
                (log.total, log.assessed_at) for when, log in dated if cut <= when < cut + window
            ]
            peak = max(after, default=None, key=lambda pair: pair[0])
            responses.append(
                ReductionResponse(
                    on=step.start_date,
                    from_mg=previous.daily_dose_mg,
                    to_mg=step.daily_dose_mg,
                    baseline=statistics.median(before) if before else None,
                    peak=peak[0] if peak else None,
                    peak_at=peak[1] if peak else None,
                    logs_before=len(before),
                    logs_after=len(after),
                    rise_threshold=thresholds.reduction_response_rise,
                )
            )
    return sorted(responses, key=lambda r: r.on)


def timeline_page(*, user: User, patient_id) -> dict:
    """Everything the patient timeline page shows, in a fixed number of queries."""
    from django.shortcuts import get_object_or_404

    patient = get_object_or_404(
        patients_visible_to(user)
        .select_related("clinic")
        .prefetch_related(timeline_plans_prefetch()),
        pk=patient_id,
    )
    logs = list(
        patient.symptom_logs.select_related("recorded_by", "voided_by").order_by("-assessed_at")
    )
    current = sorted(
        (log for log in logs if log.status == LogStatus.CURRENT), key=lambda log: log.assessed_at
    )
    zone = patient.clinic.zone
    today = timezone.localdate(timezone=zone)
    return {
        "patient": patient,
        "plans": patient.timeline_plans,
        "logs": logs,
        "current_logs": current,
        "today": today,
        "timeline": patient_timeline(patient, today, patient.timeline_plans),
        "reductions": reduction_responses(
            patient.timeline_plans, current, zone, today, thresholds_for(patient.clinic)
        ),
    }


@dataclass
class WorklistRow:
    patient: Patient
    timeline: object
    dose_mg: object
    last_assessed_at: datetime | None
    last_total: int | None
    previous_total: int | None
    last_severity: str | None
    due: bool

    @property
    def trend(self) -> str | None:
        if self.last_total is None or self.previous_total is None:
            return None
        if self.last_total > self.previous_total:
            return "up"
        if self.last_total < self.previous_total:
            return "down"
        return "same"


WORKLIST_SORTS = {
    "due": lambda row: (
        not row.due,
        row.patient.family_name.lower(),
        row.patient.given_name.lower(),
    ),
    "name": lambda row: (row.patient.family_name.lower(), row.patient.given_name.lower()),
    "phase": lambda row: (row.timeline.phase, -(row.timeline.day_in_phase or 0)),
    "total": lambda row: (-(row.last_total if row.last_total is not None else -1),),
}


def worklist(*, user: User, sort: str = "due") -> list[WorklistRow]:
    """The "Today" worklist: active patients of the user's clinics, with where they stand."""
    newest = SymptomLog.objects.filter(patient=OuterRef("pk"), status=LogStatus.CURRENT).order_by(
        "-assessed_at"
    )
    patients = (
        patients_visible_to(user)
        .filter(status=Patient.Status.ACTIVE)
        .select_related("clinic", "primary_clinician")
        .prefetch_related(timeline_plans_prefetch())
        .annotate(
            last_assessed_at=Subquery(newest.values("assessed_at")[:1]),
            last_total=Subquery(newest.values("total")[:1]),
            last_severity=Subquery(newest.values("severity")[:1]),
            previous_total=Subquery(newest.values("total")[1:2]),
        )
    )
    rows = []
    for patient in patients:
        zone = patient.clinic.zone
        today = timezone.localdate(timezone=zone)
        point = patient_timeline(patient, today, patient.timeline_plans)
        assessed_today = (
            patient.last_assessed_at is not None
            and timezone.localtime(patient.last_assessed_at, zone).date() == today
        )
        rows.append(
            WorklistRow(
                patient=patient,
                timeline=point,
                dose_mg=point.daily_dose_mg,
                last_assessed_at=patient.last_assessed_at,
                last_total=patient.last_total,
                previous_total=patient.previous_total,
                last_severity=patient.last_severity,
                due=not assessed_today and point.phase in clinical.DUE_PHASES,
            )
        )
    if sort == "last_log":  # longest without a log first, never-assessed at the top
        return sorted(rows, key=lambda row: row.last_assessed_at or NEVER)
    return sorted(rows, key=WORKLIST_SORTS.get(sort, WORKLIST_SORTS["due"]))


NEVER = datetime.min.replace(tzinfo=UTC)
WORKLIST_SORT_NAMES = ("due", "name", "phase", "last_log", "total")
