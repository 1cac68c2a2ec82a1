"""Email to the clinic's on-call staff for high and critical alerts and escalations.

No clinical detail leaves by email: the message names the rule, the severity, the clinic and
the MRN, and links to the alert, where the reader signs in.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from taperapp.accounts.models import User
from taperapp.accounts.roles import Role

from .models import Alert, AlertEvent, AlertNotification, EventKind


def recipients_for(alert: Alert) -> list[str]:
    """On-call clinicians and staff of the clinic; everyone of those roles if nobody is on
    call (an alert must reach someone)."""
    members = User.objects.filter(
        is_active=True,
        memberships__clinic_id=alert.patient.clinic_id,
        groups__name__in=[Role.CLINICIAN, Role.STAFF],
    ).exclude(email="")
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
        "url": settings.SITE_URL.rstrip("/")
        + reverse("symptoms:alert_detail", kwargs={"pk": alert.pk}),
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
