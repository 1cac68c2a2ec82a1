"""Reads of symptom logs, one selector per screen, scoped to the user's clinics."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Lower
from django.shortcuts import get_object_or_404
from django.utils import timezone

from patients.models import Patient, PlanStatus
from patients.plans.selectors import (
    annotate_day_in_phase,
    annotate_timeline,
    patient_timeline,
    timeline_plans_prefetch,
)
from patients.plans.timeline import timeline_on
from patients.selectors import patients_visible_to
from symptoms import clinical
from symptoms.models import SEVERITY_RANK, UNRESOLVED, Alert, AlertThresholds, LogStatus, SymptomLog
from taperapp.accounts.models import User
from taperapp.accounts.selectors import clinic_ids_for_user, clinics_for_user

RANK_SEVERITY = {rank: code for code, rank in SEVERITY_RANK.items()}


def logs_visible_to(user: User) -> QuerySet[SymptomLog]:
    return SymptomLog.objects.filter(patient__clinic_id__in=clinic_ids_for_user(user))


def log_detail(*, user: User) -> QuerySet[SymptomLog]:
    return logs_visible_to(user).select_related(
        "patient__clinic", "recorded_by", "voided_by", "supersedes"
    )


def correction_of(log: SymptomLog) -> SymptomLog | None:
    """The version that corrected this log, if any."""
    return SymptomLog.objects.filter(supersedes=log).first()


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
    """For each dose cut up to ``until`` of the non-draft plans (the same cuts the
    reduction-response alert judges: none past a hold, and a plan's end), the median total of
    the clinic's baseline window before it and the highest total of its post-reduction window
    from it (symptoms may take a week to appear: docs/clinical-basis.md#reduction-response-rule)."""
    before_window = timedelta(days=thresholds.baseline_days)
    after_window = timedelta(days=thresholds.post_reduction_days)
    # Event-only logs have no total: they are neither a baseline nor a peak.
    dated = [
        (timezone.localtime(log.assessed_at, zone), log) for log in logs if log.total is not None
    ]
    responses = []
    for plan in plans:
        if plan.status == PlanStatus.DRAFT or plan.current_revision is None:
            continue
        for on, from_mg, to_mg in plan.facts().reductions_until(until):
            cut = datetime.combine(on, datetime.min.time(), tzinfo=zone)
            before = [log.total for when, log in dated if cut - before_window <= when < cut]
            after = [
                (log.total, log.assessed_at)
                for when, log in dated
                if cut <= when < cut + after_window
            ]
            peak = max(after, default=None, key=lambda pair: pair[0])
            responses.append(
                ReductionResponse(
                    on=on,
                    from_mg=from_mg,
                    to_mg=to_mg,
                    baseline=statistics.median(before) if before else None,
                    peak=peak[0] if peak else None,
                    peak_at=peak[1] if peak else None,
                    logs_before=len(before),
                    logs_after=len(after),
                    rise_threshold=thresholds.reduction_response_rise,
                )
            )
    return sorted(responses, key=lambda r: r.on)


TIMELINE_LOGS_PER_PAGE = 50
# What the chart and the per-reduction view read of each log of the year; the table reads whole
# rows, one page at a time.
CHART_LOG_FIELDS = (
    "id",
    "patient_id",
    "assessed_at",
    "total",
    "status",
    *clinical.VITAL_LIMITS,
    "seizure",
    "hallucinations",
    "confusion",
    "suicidal_ideation",
    "consciousness",
)


def timeline_page(*, user: User, patient_id, log_page=1) -> dict:
    """Everything the patient timeline page shows, in a fixed number of queries: every current
    log on the chart (only the columns it draws), and the table one page of logs at a time,
    newest first."""

    patient = get_object_or_404(
        patients_visible_to(user)
        .select_related("clinic")
        .prefetch_related(timeline_plans_prefetch()),
        pk=patient_id,
    )
    current = list(current_logs(patient).only(*CHART_LOG_FIELDS))
    table = Paginator(
        patient.symptom_logs.select_related("recorded_by", "voided_by").order_by(
            "-assessed_at", "-created_at"
        ),
        TIMELINE_LOGS_PER_PAGE,
    ).get_page(log_page)
    zone = patient.clinic.zone
    today = timezone.localdate(timezone=zone)
    thresholds = AlertThresholds.for_clinic(patient.clinic)
    return {
        "patient": patient,
        "plans": patient.timeline_plans,
        "logs": list(table.object_list),
        "log_page": table,
        "current_logs": current,
        "today": today,
        "timeline": patient_timeline(patient, today, patient.timeline_plans),
        "reductions": reduction_responses(patient.timeline_plans, current, zone, today, thresholds),
        "thresholds": thresholds,
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
    alert_count: int = 0
    top_alert_severity: str | None = None

    @property
    def trend(self) -> str | None:
        if self.last_total is None or self.previous_total is None:
            return None
        if self.last_total > self.previous_total:
            return "up"
        if self.last_total < self.previous_total:
            return "down"
        return "same"


WORKLIST_PAGE_SIZE = 50
WORKLIST_SORT_NAMES = ("due", "name", "phase", "last_log", "total")


class _CountedPaginator(Paginator):
    """A Paginator whose count the caller already has (the worklist counts its patients and
    the due ones in one query; a second COUNT would repeat every subquery)."""

    def __init__(self, object_list, per_page, count: int):
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # fills the cached_property


@dataclass
class Worklist:
    rows: list[WorklistRow]
    page: Page  # number, pages, "51–100 of 1,000" for the template
    due_count: int


def _worklist_order(sort: str) -> list:
    name = [Lower("family_name"), Lower("given_name"), "mrn", "pk"]
    orders = {
        # Patients with a critical, then a high, unresolved alert first, then those due.
        "due": [F("wl_urgent").desc(), F("wl_due").desc(), *name],
        "name": name,
        "phase": ["tl_phase", F("tl_day").desc(nulls_last=True), *name],
        "last_log": [F("last_assessed_at").asc(nulls_first=True), *name],
        "total": [F("last_total").desc(nulls_last=True), *name],
    }
    return orders.get(sort, orders["due"])


def worklist(*, user: User, sort: str = "due", page=1) -> Worklist:
    """The "Today" worklist: active patients of the user's clinics, with where they stand,
    one page at a time. Phase, due-ness and the order are computed in SQL
    (patients.selectors.annotate_timeline) so a clinic of thousands costs one page of rows;
    the rows shown are then placed on the timeline by patients/timeline.py itself. Five
    queries whatever the size: clinics, counts, the page, its plans, their steps."""
    clinics = list(clinics_for_user(user))
    today_by_clinic = {clinic.pk: timezone.localdate(timezone=clinic.zone) for clinic in clinics}
    day_start = {
        clinic.pk: datetime.combine(today_by_clinic[clinic.pk], datetime.min.time(), clinic.zone)
        for clinic in clinics
    }
    newest = SymptomLog.objects.filter(patient=OuterRef("pk"), status=LogStatus.CURRENT).order_by(
        "-assessed_at"
    )
    assessed_today = Q(
        last_assessed_at__isnull=False,
        last_assessed_at__gte=Case(
            *[When(clinic_id=pk, then=Value(at)) for pk, at in day_start.items()],
            output_field=DateTimeField(),
        ),
    )
    patients = annotate_timeline(
        Patient.objects.filter(clinic__in=clinics, status=Patient.Status.ACTIVE),
        today_by_clinic,
    ).annotate(
        last_assessed_at=Subquery(newest.values("assessed_at")[:1]),
        wl_due=Case(
            When(Q(tl_phase__in=clinical.DUE_PHASES) & ~assessed_today, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )
    counts = patients.aggregate(total=Count("pk"), due=Count("pk", filter=Q(wl_due=True)))
    unresolved = Alert.objects.filter(patient=OuterRef("pk"), status__in=UNRESOLVED)
    top_rank = (
        unresolved.annotate(
            rank=Case(
                *[When(severity=code, then=Value(rank)) for code, rank in SEVERITY_RANK.items()],
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("-rank")
        .values("rank")[:1]
    )
    patients = patients.annotate(
        wl_alert_rank=Coalesce(Subquery(top_rank), Value(0)),
        wl_alert_count=Coalesce(
            Subquery(
                unresolved.order_by().values("patient").annotate(n=Count("pk")).values("n")[:1]
            ),
            Value(0),
        ),
        wl_urgent=Case(
            When(wl_alert_rank__gte=SEVERITY_RANK["high"], then=F("wl_alert_rank")),
            default=Value(0),
            output_field=IntegerField(),
        ),
    )
    if sort == "phase":
        patients = annotate_day_in_phase(patients)
    ordered = (
        patients.annotate(
            last_total=Subquery(newest.values("total")[:1]),
            last_severity=Subquery(newest.values("severity")[:1]),
            previous_total=Subquery(newest.values("total")[1:2]),
        )
        .select_related("clinic", "primary_clinician")
        .prefetch_related(timeline_plans_prefetch())
        .order_by(*_worklist_order(sort))
    )
    # get_page forgives a malformed or out-of-range number: the nearest page, never an error.
    shown = _CountedPaginator(ordered, WORKLIST_PAGE_SIZE, counts["total"]).get_page(page)
    rows = []
    for patient in shown.object_list:
        today = today_by_clinic[patient.clinic_id]
        point = patient_timeline(patient, today, patient.timeline_plans)
        assessed = (
            patient.last_assessed_at is not None
            and patient.last_assessed_at >= day_start[patient.clinic_id]
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
                due=not assessed and point.phase in clinical.DUE_PHASES,
                alert_count=patient.wl_alert_count,
                top_alert_severity=RANK_SEVERITY.get(patient.wl_alert_rank),
            )
        )
    return Worklist(rows=rows, page=shown, due_count=counts["due"])


# The entry form warns about a dose taken against the plan for assessments this far back.
PLANNED_DOSE_DAYS = 14


def dose_warning(patient) -> dict:
    """What the entry form's live dose warning needs: the planned doses by day and the clinic's
    pace (the dose-deviation rule's)."""
    return {
        "planned_doses": planned_doses(patient),
        "pace_percent": AlertThresholds.for_clinic(patient.clinic).taper_pace_percent,
    }


def planned_doses(patient) -> dict:
    """The plan's dose on each of the last two weeks and today, in the clinic's days (two
    queries), for the entry form's dose warning; days without a plan are left out."""
    plans = (
        patient.taper_plans.exclude(status=PlanStatus.DRAFT)
        .select_related("medication", "current_revision")
        .prefetch_related("current_revision__steps")
    )
    facts = [plan.facts() for plan in plans]
    today = timezone.localdate(timezone=patient.clinic.zone)
    doses = {}
    for back in range(PLANNED_DOSE_DAYS + 1):
        day = today - timedelta(days=back)
        dose = timeline_on(facts, day).daily_dose_mg
        if dose is not None:
            doses[day] = dose
    return doses
