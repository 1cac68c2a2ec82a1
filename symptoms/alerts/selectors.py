"""Reads of alerts: the dashboard, its counts, one alert with its history."""

from collections import defaultdict

from django import forms
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from patients.models import PlanStatus
from symptoms.models import SEVERITY_RANK, UNRESOLVED, Alert, AlertSeverity, AlertStatus, Rule
from taperapp.accounts.models import User
from taperapp.accounts.selectors import care_team, clinic_ids_for_user


def alerts_visible_to(user: User) -> QuerySet[Alert]:
    return Alert.objects.filter(patient__clinic_id__in=clinic_ids_for_user(user))


class AlertFilterForm(forms.Form):
    """Dashboard filters, by allow-list: an unknown value is ignored, never an error."""

    severity = forms.ChoiceField(
        choices=[("", "Any severity"), *AlertSeverity.choices], required=False
    )
    rule = forms.ChoiceField(choices=[("", "Any rule"), *Rule.choices], required=False)
    status = forms.ChoiceField(
        choices=[
            ("", "Open, acknowledged or snoozed"),
            (AlertStatus.OPEN, "Open"),
            (AlertStatus.ACKNOWLEDGED, "Acknowledged"),
            (AlertStatus.SNOOZED, "Snoozed"),
        ],
        required=False,
    )
    mine = forms.BooleanField(label="Assigned to me", required=False)

    def clean_fields_safely(self) -> dict:
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v}


SEVERITY_ORDER = Case(
    *[When(severity=code, then=Value(rank)) for code, rank in SEVERITY_RANK.items()],
    output_field=IntegerField(),
)


def alert_dashboard(*, user: User, filters: dict) -> tuple[QuerySet[Alert], dict]:
    """Unresolved alerts, most severe first, oldest first within a severity; and the counts
    per severity of the unfiltered set (two queries)."""
    base = alerts_visible_to(user).filter(status__in=UNRESOLVED)
    alerts = base
    if filters.get("severity"):
        alerts = alerts.filter(severity=filters["severity"])
    if filters.get("rule"):
        alerts = alerts.filter(rule=filters["rule"])
    if filters.get("status"):
        alerts = alerts.filter(status=filters["status"])
    if filters.get("mine"):
        alerts = alerts.filter(assigned_to=user)
    alerts = (
        alerts.select_related("patient__clinic", "assigned_to", "acknowledged_by")
        .annotate(severity_order=SEVERITY_ORDER)
        .order_by("-severity_order", "opened_at")
    )
    counts = base.aggregate(
        **{code: Count("pk", filter=Q(severity=code)) for code in AlertSeverity.values},
        unacknowledged=Count("pk", filter=Q(status=AlertStatus.OPEN)),
    )
    return alerts, counts


def unacknowledged_count(user: User) -> int:
    return alerts_visible_to(user).filter(status=AlertStatus.OPEN).count()


def alert_detail(*, user: User) -> QuerySet[Alert]:
    return (
        alerts_visible_to(user)
        .select_related("patient__clinic", "assigned_to", "acknowledged_by", "resolved_by")
        .prefetch_related("events__actor")
    )


def assignable_users(alert: Alert) -> QuerySet[User]:
    return care_team([alert.patient.clinic_id]).distinct().order_by("last_name", "first_name")


def assignees_by_clinic(user: User) -> dict:
    """(id, name) of everyone an alert of each of the user's clinics can be assigned to, by
    clinic id: one query for a whole dashboard page."""
    people = defaultdict(list)
    for person in (
        care_team(clinic_ids_for_user(user))
        .values("pk", "first_name", "last_name", "username", "memberships__clinic_id")
        .distinct()
        .order_by("last_name", "first_name")
    ):
        name = f"{person['first_name']} {person['last_name']}".strip() or person["username"]
        people[person["memberships__clinic_id"]].append((person["pk"], name))
    return people


def holdable_plan(alert: Alert):
    """The patient's running plan, which the alert page offers to hold."""
    return alert.patient.taper_plans.filter(status=PlanStatus.ACTIVE).first()


def open_alerts_for_patient(patient) -> list[Alert]:
    """A patient's unresolved alerts, most severe first (the top of the patient page)."""
    return list(
        Alert.objects.filter(patient=patient, status__in=UNRESOLVED)
        .annotate(severity_order=SEVERITY_ORDER)
        .order_by("-severity_order", "opened_at")
    )
