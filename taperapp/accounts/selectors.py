from django.db.models import QuerySet

from .models import Clinic, User
from .roles import Role


def clinics_for_user(user: User) -> QuerySet[Clinic]:
    """The clinics a user may see: their memberships. The root of every tenant scope."""
    if not user.is_authenticated or not user.is_active:
        return Clinic.objects.none()
    return Clinic.objects.filter(memberships__user=user)


def clinic_ids_for_user(user: User) -> QuerySet:
    """A subquery of the user's clinic ids, for filtering without a join fan-out."""
    return clinics_for_user(user).values("id")


def care_team(clinic_ids) -> QuerySet[User]:
    """Active clinicians and staff of these clinics (ids, or a subquery of ids): the people an
    alert can be assigned to and who are told of one. May repeat a person: add ``distinct()``
    where rows must be unique."""
    return User.objects.filter(
        is_active=True,
        memberships__clinic_id__in=clinic_ids,
        groups__name__in=[Role.CLINICIAN, Role.STAFF],
    )


def users_sharing_clinics_with(user: User) -> QuerySet[User]:
    if user.is_superuser:
        return User.objects.all()
    return User.objects.filter(memberships__clinic__in=clinic_ids_for_user(user)).distinct()
