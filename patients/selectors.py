"""Reads of patient data. Every query starts from the user's clinics (design §3)."""

from django.db.models import QuerySet

from taperapp.accounts.models import User
from taperapp.accounts.roles import Role
from taperapp.accounts.selectors import clinic_ids_for_user

from .models import Patient


def patients_visible_to(user: User) -> QuerySet[Patient]:
    """Every patient of the user's clinics; anything else does not exist for this user."""
    return Patient.objects.filter(clinic_id__in=clinic_ids_for_user(user))


def patient_list(*, user: User) -> QuerySet[Patient]:
    """The patient list screen: one query for the page whatever its size."""
    return patients_visible_to(user).select_related("clinic", "primary_clinician")


def patient_detail(*, user: User) -> QuerySet[Patient]:
    return patients_visible_to(user).select_related(
        "clinic", "primary_clinician", "created_by", "discharged_by"
    )


def clinicians_for_user_clinics(user: User) -> QuerySet[User]:
    """Clinicians who may be a patient's primary clinician: members of the user's clinics."""
    return (
        User.objects.filter(
            is_active=True,
            groups__name=Role.CLINICIAN,
            memberships__clinic_id__in=clinic_ids_for_user(user),
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def medications() -> QuerySet:
    from .models import Medication

    return Medication.objects.prefetch_related("strengths", "equivalences")


def plans_with_steps(queryset: QuerySet) -> QuerySet:
    """Plans with what their pages and the timeline read: medication, current steps."""
    return queryset.select_related(
        "medication", "current_revision", "created_by", "patient__clinic"
    ).prefetch_related(
        "medication__strengths", "medication__equivalences", "current_revision__steps"
    )


def plans_visible_to(user: User) -> QuerySet:
    from .models import TaperPlan

    return TaperPlan.objects.filter(patient__clinic_id__in=clinic_ids_for_user(user))


def plan_detail(*, user: User) -> QuerySet:
    """The plan page: the plan, its current steps and every revision with its steps."""
    return plans_with_steps(plans_visible_to(user)).prefetch_related(
        "revisions__steps", "revisions__created_by"
    )


def patient_timeline(patient: Patient, on, plans=None):
    """Where the patient stands on a date, from their non-draft plans."""
    from .models import PlanStatus
    from .timeline import timeline_on

    if plans is None:
        plans = plans_with_steps(patient.taper_plans.exclude(status=PlanStatus.DRAFT))
    facts = [plan.facts() for plan in plans if plan.status != PlanStatus.DRAFT]
    return timeline_on(facts, on)


def timeline_plans_prefetch(to_attr: str = "timeline_plans"):
    """A Prefetch of each patient's non-draft plans with what the timeline reads, for lists."""
    from django.db.models import Prefetch

    from .models import PlanStatus, TaperPlan

    return Prefetch(
        "taper_plans",
        queryset=TaperPlan.objects.exclude(status=PlanStatus.DRAFT)
        .select_related("medication", "current_revision")
        .prefetch_related("current_revision__steps"),
        to_attr=to_attr,
    )
