from django.db.models import QuerySet

from .models import Clinic, User


def clinics_for_user(user: User) -> QuerySet[Clinic]:
    """The clinics a user may see: their memberships. The root of every tenant scope."""
    if not user.is_authenticated or not user.is_active:
        return Clinic.objects.none()
    return Clinic.objects.filter(memberships__user=user)


def clinic_ids_for_user(user: User) -> QuerySet:
    """A subquery of the user's clinic ids, for filtering without a join fan-out."""
    return clinics_for_user(user).values("id")


def users_sharing_clinics_with(user: User) -> QuerySet[User]:
    if user.is_superuser:
        return User.objects.all()
    return User.objects.filter(memberships__clinic__in=clinic_ids_for_user(user)).distinct()
