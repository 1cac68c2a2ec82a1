"""Writing audit events. Called by the audit middleware and the authentication signals."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.db import transaction

from .models import AuditEvent

logger = logging.getLogger(__name__)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the first X-Forwarded-For hop when the app runs
    behind a trusted proxy (TAPERAPP_TRUST_X_FORWARDED_FOR)."""
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def request_id(request) -> str:
    if not hasattr(request, "request_id"):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming[:64] if incoming else uuid.uuid4().hex
    return request.request_id


def record(request, *, action: str, outcome: str, user=None, username: str = "", **fields) -> None:
    """Append one event. An audit write failure is logged loudly but never hides the page:
    the request has already happened."""
    from taperapp.accounts.roles import role_names

    user = user if user is not None else getattr(request, "user", None)
    patient_id = fields.pop("patient_id", None)
    try:
        patient_id = uuid.UUID(str(patient_id)) if patient_id else None
    except ValueError:
        patient_id = None  # a malformed id in a URL: nothing to point at
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    try:
        with transaction.atomic():  # a savepoint: a failure here never poisons the request
            AuditEvent.objects.create(
                user=user if authenticated else None,
                username=(user.get_username() if authenticated else username)[:150],
                role=",".join(sorted(role_names(user))) if authenticated else "",
                action=action,
                outcome=outcome,
                patient_id=patient_id,
                source_ip=client_ip(request) if request is not None else None,
                request_id=request_id(request) if request is not None else "",
                method=getattr(request, "method", "") or "",
                **fields,
            )
    except Exception:
        logger.exception("audit: could not write an event for action %s", action)
