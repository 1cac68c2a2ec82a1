"""The alert workflow: staff actions (acknowledge, assign, snooze, resolve, dismiss), the
escalation of critical alerts nobody acknowledged, and the end of snoozes.

Concurrency: every change claims the alert with a compare-and-set UPDATE and goes on only if it
changed it (healthchecks' sendalerts pattern), so two workers or two people never both win. The
periodic jobs handle one alert per transaction: one failure never rolls back the others.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from symptoms import clinical
from symptoms.alerts.evaluation import cause_still_holds
from symptoms.alerts.events import record_event
from symptoms.alerts.notifications import queue_notification
from symptoms.models import UNRESOLVED, Alert, AlertStatus, EventKind
from taperapp.accounts.models import User
from taperapp.accounts.selectors import care_team

if TYPE_CHECKING:  # django-stubs is a development tool: not imported at run time
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

# What a person is told when someone else handled the alert first (compare-and-set lost).
ALREADY_HANDLED = _lazy("This alert is already %(status)s (by %(who)s at %(when)s).")

# How long an alert may be snoozed: long enough to wait for a retest, never past a day (a
# snoozed alert is out of sight). The form offers SNOOZE_OPTIONS; the API takes any minutes in
# range.
SNOOZE_MIN_MINUTES = 5
SNOOZE_MAX_MINUTES = 24 * 60
SNOOZE_OPTIONS = ((30, "30 min"), (60, "1 h"), (240, "4 h"), (720, "12 h"))


def escalate_due(now: datetime) -> list:
    """Critical alerts still open (not acknowledged) after the clinic's delay: raise the
    escalation level and notify again, every delay, until acknowledged. One alert per
    transaction: a failure on one is logged and never holds back the others."""
    default = clinical.ALERT_DEFAULTS["escalate_after_minutes"]
    candidates = (
        Alert.objects.filter(status=AlertStatus.OPEN, severity="critical")
        .annotate(delay=Coalesce(F("patient__clinic__thresholds__escalate_after_minutes"), default))
        .values_list("pk", "escalation_level", "opened_at", "last_notified_at", "delay")
    )
    escalated = []
    for pk, level, opened_at, notified_at, delay in candidates:
        since = max(filter(None, [opened_at, notified_at]))
        if now - since < timedelta(minutes=delay):
            continue
        try:
            if _escalate(pk, level, now):
                escalated.append(pk)
        except Exception:
            logger.exception("could not escalate alert %s: left for the next run", pk)
    return escalated


@transaction.atomic
def _escalate(pk, level: int, now: datetime) -> bool:
    # Compare-and-set: only one worker moves the level on.
    claimed = Alert.objects.filter(pk=pk, status=AlertStatus.OPEN, escalation_level=level).update(
        escalation_level=level + 1, last_notified_at=now
    )
    if claimed != 1:
        return False
    alert = Alert.objects.get(pk=pk)
    record_event(
        alert,
        EventKind.ESCALATED,
        now,
        note=_("Not acknowledged: escalation level %(n)s.") % {"n": level + 1},
        level=level + 1,
    )
    queue_notification(pk, f"escalated:{level + 1}")
    return True


def expire_snoozes(now: datetime) -> list:
    """Snoozes that have ended: the alert returns if its cause still holds, else it resolves.
    One alert per transaction (claim one row, settle it, commit): a failure on one alert is
    logged and leaves the others settled; the failed one is still due next minute."""
    returned = []
    due = Alert.objects.filter(status=AlertStatus.SNOOZED, snoozed_until__lte=now)
    for pk in due.values_list("pk", flat=True):
        try:
            if _end_snooze(pk, now):
                returned.append(pk)
        except Exception:
            logger.exception("could not end the snooze of alert %s: left for the next run", pk)
    return returned


@transaction.atomic
def _end_snooze(pk, now: datetime) -> bool:
    """True when the alert returned to open (its cause still holds)."""
    claimed = Alert.objects.filter(
        pk=pk, status=AlertStatus.SNOOZED, snoozed_until__lte=now
    ).update(status=AlertStatus.OPEN, snoozed_until=None)
    if claimed != 1:
        return False  # another worker, or a person, got there first
    alert = Alert.objects.select_related("patient__clinic").get(pk=pk)
    if cause_still_holds(alert, now):
        record_event(
            alert, EventKind.SNOOZE_ENDED, now, note=_("Snooze ended; the cause still holds.")
        )
        return True
    Alert.objects.filter(pk=pk).update(
        status=AlertStatus.RESOLVED,
        resolved_at=now,
        resolution_note=_("Snooze ended; the cause no longer holds."),
    )
    record_event(
        alert, EventKind.AUTO_RESOLVED, now, note=_("Snooze ended; the cause no longer holds.")
    )
    return False


# --- Staff actions ------------------------------------------------------------------------------


def _claim(alert: Alert, from_statuses, message: StrOrPromise, **changes) -> Alert:
    claimed = Alert.objects.filter(pk=alert.pk, status__in=from_statuses).update(**changes)
    current = Alert.objects.select_related("acknowledged_by", "resolved_by", "patient__clinic").get(
        pk=alert.pk
    )
    if claimed != 1:
        who = current.resolved_by or current.acknowledged_by
        when = current.resolved_at or current.acknowledged_at or current.last_triggered_at
        raise ValidationError(
            message
            % {
                "status": current.get_status_display().lower(),
                "who": who or _("someone else"),
                "when": timezone.localtime(when, current.patient.clinic.zone).strftime("%H:%M"),
            }
        )
    return current


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by: User, now: datetime | None = None) -> Alert:
    now = now or timezone.now()
    alert = _claim(
        alert,
        [AlertStatus.OPEN, AlertStatus.SNOOZED],
        ALREADY_HANDLED,
        status=AlertStatus.ACKNOWLEDGED,
        acknowledged_at=now,
        acknowledged_by=by,
        snoozed_until=None,
    )
    record_event(alert, EventKind.ACKNOWLEDGED, now, actor=by)
    return alert


@transaction.atomic
def alert_assign(*, alert: Alert, by: User, assignee: User, now: datetime | None = None) -> Alert:
    now = now or timezone.now()
    eligible = care_team([alert.patient.clinic_id]).filter(pk=assignee.pk).exists()
    if not eligible:
        raise ValidationError(
            {"user": _("Choose a clinician or staff member of this patient's clinic.")}
        )
    alert = _claim(
        alert,
        UNRESOLVED,
        ALREADY_HANDLED,
        assigned_to=assignee,
    )
    record_event(
        alert, EventKind.ASSIGNED, now, actor=by, note=str(assignee), user=str(assignee.pk)
    )
    return alert


@transaction.atomic
def alert_snooze(
    *, alert: Alert, by: User, minutes: int, reason: str, now: datetime | None = None
) -> Alert:
    now = now or timezone.now()
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("Give the reason for snoozing.")
    if not minutes or minutes < SNOOZE_MIN_MINUTES or minutes > SNOOZE_MAX_MINUTES:
        errors["minutes"] = _("Snooze for 5 minutes to 24 hours.")
    if errors:
        raise ValidationError(errors)
    until = now + timedelta(minutes=minutes)
    alert = _claim(
        alert,
        [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED],
        ALREADY_HANDLED,
        status=AlertStatus.SNOOZED,
        snoozed_until=until,
        snooze_reason=reason,
    )
    record_event(alert, EventKind.SNOOZED, now, actor=by, note=reason, until=until.isoformat())
    return alert


def _close(alert: Alert, by: User, status: str, kind: str, text: str, now: datetime) -> Alert:
    """Resolve or dismiss: the alert leaves the dashboard with who closed it and why."""
    alert = _claim(
        alert,
        UNRESOLVED,
        ALREADY_HANDLED,
        status=status,
        resolved_at=now,
        resolved_by=by,
        resolution_note=text,
        snoozed_until=None,
    )
    record_event(alert, kind, now, actor=by, note=text)
    return alert


@transaction.atomic
def alert_resolve(*, alert: Alert, by: User, note: str, now: datetime | None = None) -> Alert:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Write what was done, to resolve the alert.")})
    return _close(alert, by, AlertStatus.RESOLVED, EventKind.RESOLVED, note, now or timezone.now())


@transaction.atomic
def alert_dismiss(*, alert: Alert, by: User, reason: str, now: datetime | None = None) -> Alert:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for dismissing the alert.")})
    return _close(
        alert, by, AlertStatus.DISMISSED, EventKind.DISMISSED, reason, now or timezone.now()
    )
