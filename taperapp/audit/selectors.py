"""Which audit events and lockouts an administrator may see: one home for the scope, used by
the API, the admin changelist, its CSV export and the lockout lists."""

from django.db.models import Q, QuerySet

from patients.models import Patient
from taperapp.accounts.models import User
from taperapp.accounts.selectors import clinic_ids_for_user

from .models import AuditEvent


def member_usernames(user: User) -> QuerySet:
    """Usernames of the people of the user's clinics (a subquery)."""
    return User.objects.filter(memberships__clinic__in=clinic_ids_for_user(user)).values("username")


def audit_events_for(user: User) -> QuerySet[AuditEvent]:
    """A platform operator (superuser) sees every event. A clinic admin sees the events about
    their clinics' patients, and the other events of their clinics' people (by account, or by
    the username a failed sign-in typed): never another clinic's staff or patients."""
    events = AuditEvent.objects.all()
    if user.is_superuser:
        return events

    members = User.objects.filter(memberships__clinic__in=clinic_ids_for_user(user)).values("pk")
    patients = Patient.objects.filter(clinic__in=clinic_ids_for_user(user)).values("pk")
    # An event about a patient belongs to the patient's clinic (a person in two clinics does
    # not carry one clinic's patients into the other's view); other events to the person's.
    return events.filter(
        Q(patient_id__in=patients)
        | Q(patient_id__isnull=True, user_id__in=members)
        | Q(patient_id__isnull=True, user__isnull=True, username__in=member_usernames(user))
    )


def lockouts_for(user: User, queryset: QuerySet) -> QuerySet:
    """Axes' attempts and logs (keyed by username): a clinic admin sees their own people's."""
    if user.is_superuser:
        return queryset
    return queryset.filter(username__in=member_usernames(user))
