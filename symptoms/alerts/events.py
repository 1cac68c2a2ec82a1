"""The alert's own history: every change to an alert leaves an ``AlertEvent`` row."""

from datetime import datetime

from symptoms.models import Alert, AlertEvent
from taperapp.accounts.models import User


def record_event(alert: Alert, kind: str, at: datetime, actor: User | None = None, note="", **data):
    return AlertEvent.objects.create(
        alert=alert, kind=kind, actor=actor, at=at, note=note, data=data
    )
