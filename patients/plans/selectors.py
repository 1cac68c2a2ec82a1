"""Reads of taper plans and of where patients stand on their timeline. Every query starts from
the user's clinics."""

from django.db.models import (
    Case,
    CharField,
    DateField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.lookups import LessThanOrEqual

from patients.models import Medication, Patient, PlanStatus, TaperPlan
from patients.plans.timeline import Phase, timeline_on
from taperapp.accounts.models import User
from taperapp.accounts.selectors import clinic_ids_for_user


def medications() -> QuerySet:
    return Medication.objects.prefetch_related("strengths", "equivalences")


def plans_with_steps(queryset: QuerySet) -> QuerySet:
    """Plans with what their pages and the timeline read: medication, current steps."""
    return queryset.select_related(
        "medication",
        "current_revision__cosigned_by",
        "created_by",
        "patient__clinic",
    ).prefetch_related(
        "medication__strengths", "medication__equivalences", "current_revision__steps"
    )


def plans_visible_to(user: User) -> QuerySet:
    return TaperPlan.objects.filter(patient__clinic_id__in=clinic_ids_for_user(user))


def plan_detail(*, user: User) -> QuerySet:
    """The plan page: the plan, its current steps and every revision with its steps."""
    return plans_with_steps(plans_visible_to(user)).prefetch_related(
        "revisions__steps", "revisions__created_by"
    )


def patient_timeline(patient: Patient, on, plans=None):
    """Where the patient stands on a date, from their non-draft plans."""
    if plans is None:
        # Only what the timeline reads: two queries (plans, their current steps).
        plans = (
            patient.taper_plans.exclude(status=PlanStatus.DRAFT)
            .select_related("medication", "current_revision")
            .prefetch_related("current_revision__steps")
        )
    facts = [plan.facts() for plan in plans if plan.status != PlanStatus.DRAFT]
    return timeline_on(facts, on)


def timeline_plans_prefetch(to_attr: str = "timeline_plans"):
    """A Prefetch of each patient's non-draft plans with what the timeline reads, for lists."""
    return Prefetch(
        "taper_plans",
        queryset=TaperPlan.objects.exclude(status=PlanStatus.DRAFT)
        .select_related("medication", "current_revision")
        .prefetch_related("current_revision__steps"),
        to_attr=to_attr,
    )


class DaysBetween(Func):
    """Whole days from the date ``start`` to the date ``end`` (negative when end is earlier)."""

    output_field = IntegerField()

    def __init__(self, end, start):
        super().__init__(end, start)

    def as_sql(self, compiler, connection, **extra):
        # PostgreSQL: date - date is an integer number of days.
        return super().as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra
        )

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


def annotate_timeline(patients: QuerySet, today_by_clinic: dict) -> QuerySet:
    """Each patient's phase and day in phase on their clinic's today, computed in SQL so a list
    of thousands can be filtered, sorted and paged by it (annotations ``tl_today`` and
    ``tl_phase``; annotate_day_in_phase adds ``tl_day``).

    The same rules as patients.plans.timeline.timeline_on, read from the stored first and last dose
    dates of the governing plan (the non-draft plan that started last, on or before today);
    tests/test_timeline.py holds the two equal at every boundary.
    """
    today = Case(
        *[When(clinic_id=clinic, then=Value(day)) for clinic, day in today_by_clinic.items()],
        output_field=DateField(),
    )
    governing = (
        TaperPlan.objects.filter(patient=OuterRef("pk"), first_dose_on__lte=OuterRef("tl_today"))
        .exclude(status=PlanStatus.DRAFT)
        .order_by("-first_dose_on", "-created_at")
    )

    def of_governing(field):
        return Subquery(governing.values(field)[:1])

    after_last = DaysBetween(F("tl_today"), F("tl_last"))
    return patients.annotate(
        tl_today=today,
        tl_status=of_governing("status"),
        tl_first=of_governing("first_dose_on"),
        tl_last=of_governing("last_dose_on"),
        tl_ended=of_governing("ended_on"),
        tl_acute=of_governing("medication__acute_window_days"),
        tl_protracted=of_governing("medication__protracted_window_days"),
    ).annotate(
        tl_phase=Case(
            When(tl_first__isnull=True, then=Value(Phase.PRE_TAPER)),
            When(
                Q(tl_last__isnull=True) | Q(tl_last__gte=F("tl_today")),
                then=Value(Phase.TAPERING),
            ),
            When(LessThanOrEqual(after_last, F("tl_acute")), then=Value(Phase.ACUTE)),
            When(LessThanOrEqual(after_last, F("tl_protracted")), then=Value(Phase.PROTRACTED)),
            default=Value(Phase.POST_WITHDRAWAL),
            output_field=CharField(),
        ),
    )


def annotate_day_in_phase(patients: QuerySet) -> QuerySet:
    """``tl_day``, the day in the phase, on a queryset from annotate_timeline (apart, because
    each reference to the phase repeats its subqueries: only the lists sorted by it pay)."""
    after_last = DaysBetween(F("tl_today"), F("tl_last"))
    return patients.annotate(
        tl_day=Case(
            When(tl_phase=Phase.PRE_TAPER, then=Value(None)),
            When(tl_phase=Phase.TAPERING, then=DaysBetween(F("tl_today"), F("tl_first")) + 1),
            When(tl_phase=Phase.ACUTE, then=after_last),
            When(tl_phase=Phase.PROTRACTED, then=after_last - F("tl_acute")),
            default=after_last - F("tl_protracted"),
            output_field=IntegerField(),
        )
    )
