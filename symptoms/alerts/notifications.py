"""Email to the clinic's on-call staff for high and critical alerts and escalations.

No clinical detail leaves by email: the message names the rule, the severity, the clinic and
the MRN, and links to the alert, where the reader signs in.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from symptoms.models import Alert, AlertEvent, AlertNotification, EventKind
from taperapp import jobs
from taperapp.accounts.selectors import care_team

# Severities that are worth waking someone for: a notification is owed when an alert of these
# opens, returns or escalates (docs/clinical-basis.md, notification).
NOTIFY_SEVERITIES = ("high", "critical")


def queue_notification(alert_id, reason: str):
    """Record the notification owed, in this transaction, then queue it after commit. A dead
    broker is logged, not raised: the row stays unhandled and the sweep queues it again."""
    AlertNotification.objects.get_or_create(
        alert_id=alert_id, reason=reason, defaults={"requested_at": timezone.now()}
    )
    jobs.enqueue("symptoms.notify_alert", str(alert_id), reason)


# A notification still unhandled this long after it was asked for was lost on its way (a broker
# outage at commit, a purged queue): the sweep queues it again. Longer than a normal delivery,
# shorter than the first escalation.
NOTIFICATION_REDELIVERY_AFTER = timedelta(minutes=2)


def notifications_owed(now: datetime) -> list[tuple[str, str]]:
    """(alert id, reason) of every notification asked for and not handled in time."""
    rows = AlertNotification.objects.filter(
        handled_at__isnull=True, requested_at__lt=now - NOTIFICATION_REDELIVERY_AFTER
    ).values_list("alert_id", "reason")
    return [(str(alert_id), reason) for alert_id, reason in rows]


def recipients_for(alert: Alert) -> list[str]:
    """On-call clinicians and staff of the clinic; everyone of those roles if nobody is on
    call (an alert must reach someone)."""
    members = care_team([alert.patient.clinic_id]).exclude(email="")
    on_call = members.filter(
        memberships__on_call=True, memberships__clinic_id=alert.patient.clinic_id
    )
    chosen = on_call if on_call.exists() else members
    return sorted(set(chosen.values_list("email", flat=True)))


@transaction.atomic
def notify_alert(alert_id, reason: str) -> int:
    """Send one notification for (alert, reason); a repeat of the same reason sends nothing."""
    alert = (
        Alert.objects.select_for_update(of=("self",))
        .select_related("patient__clinic")
        .get(pk=alert_id)
    )
    now = timezone.now()
    # The outbox row is settled whatever happens below (sent, sent before, nothing to send).
    AlertNotification.objects.filter(alert=alert, reason=reason, handled_at__isnull=True).update(
        handled_at=now
    )
    if AlertEvent.objects.filter(
        alert=alert, kind=EventKind.NOTIFIED, data__reason=reason
    ).exists():
        return 0
    if not alert.is_unresolved:
        return 0
    to = recipients_for(alert)
    context = {
        "alert": alert,
        "reason": reason,
        "escalated": reason.startswith("escalated"),
        "url": settings.SITE_URL.rstrip("/") + reverse("alerts:detail", kwargs={"pk": alert.pk}),
    }
    subject = " ".join(render_to_string("emails/alert-subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/alert-body.txt", context),
        to=to,
    )
    message.attach_alternative(render_to_string("emails/alert-body.html", context), "text/html")
    if to:
        message.send()
    AlertEvent.objects.create(
        alert=alert,
        kind=EventKind.NOTIFIED,
        at=now,
        note=f"{len(to)} recipient(s)",
        data={"reason": reason, "recipients": len(to)},
    )
    return len(to)
