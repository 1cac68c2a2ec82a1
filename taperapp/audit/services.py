"""Writing audit events. Called by the audit middleware and the authentication signals."""

from __future__ import annotations

import ipaddress
import logging
import uuid

from django.conf import settings
from django.db import transaction

from taperapp.accounts.roles import role_names

from .models import AuditEvent

logger = logging.getLogger(__name__)


def _valid_address(candidate: str) -> str | None:
    """``candidate`` as a plain IP address PostgreSQL's inet can store, or None. A scope id
    (``fe80::1%eth0``) is dropped: Python accepts it, inet does not (a 500 at sign-in)."""
    try:
        address = ipaddress.ip_address(candidate.strip().split("%", 1)[0])
    except ValueError:
        return None
    return str(address)


def client_ip(request) -> str | None:
    """The client's address, validated: REMOTE_ADDR or, behind trusted proxies
    (TAPERAPP_TRUST_X_FORWARDED_FOR), the X-Forwarded-For hop the nearest proxy appended:
    counted from the right, so a client cannot choose it by writing the header's first entry
    (it dodged the sign-in throttle and the audit that way). When that hop is not an address,
    the connecting peer's is used; the raw header is kept in ``forwarded_for``. One home: the
    audit, the sign-in throttle and django-axes (AXES_CLIENT_IP_CALLABLE) all call this."""
    peer = _valid_address(request.META.get("REMOTE_ADDR") or "")
    if settings.TRUST_X_FORWARDED_FOR:
        hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop]
        proxies = settings.TRUSTED_PROXY_COUNT
        if len(hops) >= proxies:
            return _valid_address(hops[-proxies]) or peer
    return peer


def _printable(value: str, limit: int) -> str:
    return "".join(ch for ch in value if ch.isprintable())[:limit]


def request_id(request) -> str:
    """The server's id for this request (always generated, never the client's)."""
    if not hasattr(request, "request_id"):
        request.request_id = uuid.uuid4().hex
    return request.request_id


def record(request, *, action: str, outcome: str, user=None, username: str = "", **fields) -> bool:
    """Append one event; whether it was written. A failure is logged loudly: the middleware
    withholds the PHI response it was recording (fail closed)."""

    user = user if user is not None else getattr(request, "user", None)
    patient_id = fields.pop("patient_id", None)
    try:
        patient_id = uuid.UUID(str(patient_id)) if patient_id else None
    except ValueError:
        patient_id = None  # a malformed id in a URL: nothing to point at
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    meta = getattr(request, "META", {}) if request is not None else {}
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
                forwarded_for=_printable(meta.get("HTTP_X_FORWARDED_FOR", ""), 200),
                request_id=request_id(request) if request is not None else "",
                client_request_id=_printable(meta.get("HTTP_X_REQUEST_ID", ""), 64),
                method=getattr(request, "method", "") or "",
                **fields,
            )
    except Exception:
        logger.critical("audit: could not write an event for action %s", action, exc_info=True)
        return False
    return True


def mark_subject(request, *, patient_id, object_id=None) -> None:
    """Name the patient (and object) a request created, for its audit event: a create's URL
    has no id in it (a patient-create event had no patient id)."""
    raw = getattr(request, "_request", request)  # a DRF Request wraps Django's
    raw.audit_patient_id = patient_id
    raw.audit_object_id = str(object_id if object_id is not None else patient_id)
