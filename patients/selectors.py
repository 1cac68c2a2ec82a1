"""Reads of patient data. Every query starts from the user's clinics (README: Tenancy and roles)."""

import pghistory.models
from django.db import connection
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


def patient_history(patient: Patient, limit: int = 500) -> list:
    """Every recorded version of the patient's rows, newest first, each with ``by``: the name
    of who made it (the history context holds the user's id; one query for the names). Empty
    where the history triggers do not run (they are PostgreSQL's)."""
    if connection.vendor != "postgresql":
        return []
    events = list(
        pghistory.models.Events.objects.references(patient).order_by("-pgh_created_at")[:limit]
    )
    ids = {str((e.pgh_context or {}).get("user")) for e in events if e.pgh_context}
    people = User.objects.filter(pk__in=[i for i in ids if i != "None"])
    names = {str(u.pk): str(u) for u in people}
    for event in events:
        event.by = names.get(str((event.pgh_context or {}).get("user")), "")
    return events
