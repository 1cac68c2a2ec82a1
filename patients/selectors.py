"""Reads of patient data. Every query starts from the user's clinics (README: Tenancy and roles)."""

from django.db.models import (
    QuerySet,
)

from patients.models import Patient
from taperapp.accounts.models import User
from taperapp.accounts.roles import Role
from taperapp.accounts.selectors import clinic_ids_for_user


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
