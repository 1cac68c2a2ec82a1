"""Audit every access to clinical pages and API endpoints (reads, writes and refusals), and
mark PHI responses as not to be cached."""

from __future__ import annotations

import logging

from django.contrib.admin.models import ADDITION, LogEntry
from rest_framework.request import Request
from rest_framework.settings import api_settings

from patients.models import TaperPlan
from symptoms.models import Alert, SymptomLog
from taperapp.errors import refusal

from . import services

logger = logging.getLogger(__name__)


def audit_unavailable(request):
    """What is sent instead of a clinical response whose audit event could not be written
    (fail closed): no PHI, a 503 the client may retry (a form or API submission saved already
    is saved once), and a critical log line already written by services.record."""
    response = refusal(
        request,
        status=503,
        title="This page cannot be shown just now",
        message=(
            "Every look at a patient's record is logged, and the log could not be written, so "
            "the page is withheld. Try again in a moment. If you were saving a form, go back "
            "and check whether it was recorded: sending the same form again saves it only "
            "once. If this keeps happening, tell the on-call administrator."
        ),
    )
    response["Cache-Control"] = "no-store"
    response["Retry-After"] = "5"
    response["X-Request-ID"] = services.request_id(request)
    return response


# URL namespaces and API basenames that serve protected health information.
PHI_NAMESPACES = {"patients", "plans", "symptoms", "alerts"}
API_OBJECTS = {
    "patient": "patient",
    "taper-plan": "taper_plan",
    "symptom-log": "symptom_log",
    "alert": "alert",
    "audit-event": "audit_event",
}
NAMESPACE_OBJECTS = {"patients": "patient", "plans": "taper_plan", "alerts": "alert"}
SYMPTOM_VIEWS = {"log_detail": "symptom_log", "log_amend": "symptom_log", "log_void": "symptom_log"}
# Views whose ``pk`` is the patient's although their namespace is about something else.
PATIENT_VIEWS = {"plans:create", "plans:preview"}
ADMIN_MODELS = {
    "patients_patient",
    "patients_taperplan",
    "symptoms_symptomlog",
    "symptoms_alert",
    "audit_auditevent",
}

# Clinical addresses: a request under these that resolves to no view is audited as refused.
CLINICAL_PREFIXES = (
    "/api/v1/patients/",
    "/api/v1/taper-plans/",
    "/api/v1/symptom-logs/",
    "/api/v1/alerts/",
    "/api/v1/audit-events/",
    "/patients/",
    "/plans/",
    "/alerts/",
    "/logs/",
)

# Account screens whose use is audited (a password change, successful or not).
ACCOUNT_VIEWS = {"password_change"}

# What a POST to each view does (anything else: "change").
WRITE_ACTIONS = {
    "patients:list": "read",  # the search form posts, to keep names out of URLs
    "patient-search": "read",
    "patients:create": "create",
    "patients:discharge": "discharge",
    "plans:create": "create",
    "plans:preview": "preview",
    "symptoms:log_create": "create",
    "symptoms:log_void": "void",
    "patient-list": "create",
    "patient-discharge": "discharge",
    "patient-symptom-logs": "create",
    "patient-taper-plans": "create",
    "symptom-log-void": "void",
    "password_change": "password_change",
}


def _describe(match) -> tuple[str, str, str] | None:
    """(view name, object type, object id) for an audited view, else None."""
    if match is None:
        return None
    name = match.url_name or ""
    namespace = match.namespace or ""
    view = f"{namespace}:{name}" if namespace else name
    object_id = str(match.kwargs.get("pk", ""))
    if namespace == "admin" and name in ("login", "logout", "jsi18n"):
        return None  # sign-in and sign-out are audited by the authentication signals
    if namespace == "admin":
        # Every admin screen: records (patients, plans...) and administration (users, roles,
        # memberships, clinics, medications, thresholds), with the object's type and id.
        model = match.kwargs.get("model_name") or next(
            (m.split("_", 1)[1] for m in ADMIN_MODELS if name.startswith(m)), None
        )
        if model is None and name.count("_") >= 2:
            model = name.split("_")[1]  # <app>_<model>_<changelist|add|change|delete|history>
        return view, f"admin:{model or name}", str(match.kwargs.get("object_id", ""))
    if name in ACCOUNT_VIEWS:
        return view, "account", ""
    if view in PATIENT_VIEWS:
        return view, "patient", object_id
    if namespace in PHI_NAMESPACES:
        if namespace == "symptoms":
            kind = SYMPTOM_VIEWS.get(name)
            if kind is None:
                kind = "alert" if name.startswith("alert") else "patient"
            return view, kind, object_id
        return view, NAMESPACE_OBJECTS.get(namespace, namespace), object_id
    if name == "home":
        return view, "worklist", ""
    for prefix, kind in API_OBJECTS.items():
        if name.startswith(prefix + "-"):
            if name.startswith("patient-") and name not in {
                "patient-list",
                "patient-detail",
                "patient-discharge",
            }:
                # /patients/{id}/symptom-logs/, /taper-plans/, /timeline/: about that patient
                return view, name.removeprefix("patient-").replace("-", "_"), object_id
            return view, kind, object_id
    return None


def _api_caller(request):
    """Who sent an API request that reached no view (so no DRF authentication ran): the
    configured API authenticators are asked, as the view would have; None if nobody."""

    authenticators = [auth() for auth in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
    try:
        user = Request(request, authenticators=authenticators).user
    except Exception:  # a bad or expired token: an anonymous attempt
        return None
    return user if user.is_authenticated else None


def _admin_created_id(request, response) -> str | None:
    """The id of the object an admin add page just created: Django's admin logs each addition
    (a LogEntry) in the same request; its redirect goes to the list, without the id."""
    if response.status_code != 302:
        return None

    entry = (
        LogEntry.objects.filter(user_id=request.user.pk, action_flag=ADDITION)
        .order_by("-action_time", "-id")
        .values_list("object_id", flat=True)
        .first()
    )
    return str(entry) if entry else None


def _sent_to_admin_login(response) -> bool:
    return response.status_code == 302 and "/admin/login/" in response.get("Location", "")


def _outcome(status: int) -> str:
    if status in (401, 403, 404):
        return "refused"
    if status >= 500:
        return "error"
    if status >= 400:
        return "invalid"
    return "ok"


def _patient_id(object_type: str, object_id: str, match, request):
    if getattr(request, "audit_patient_id", None):
        return request.audit_patient_id
    if object_type in ("patient", "admin:patient") or (match.url_name or "").startswith("patient-"):
        return object_id or None
    if not object_id:
        return None

    model = {"taper_plan": TaperPlan, "symptom_log": SymptomLog, "alert": Alert}.get(object_type)
    if model is None:
        return None
    try:
        return model.objects.filter(pk=object_id).values_list("patient_id", flat=True).first()
    except (ValueError, TypeError):  # not a valid id: nothing to point at
        return None


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        services.request_id(request)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        described = _describe(getattr(request, "resolver_match", None))
        user = getattr(request, "user", None)
        if described is None:
            if getattr(request, "resolver_match", None) is None and request.path.startswith(
                CLINICAL_PREFIXES
            ):
                # A malformed id (/api/v1/alerts/abc/) resolves to no view: still an attempt
                # on a clinical route, recorded as refused.
                is_api = request.path.startswith("/api/")
                services.record(
                    request,
                    user=_api_caller(request) if is_api else None,
                    action="refused",
                    outcome="refused",
                    object_type=request.path.split("/")[3 if is_api else 1],
                    view="(no such address)",
                    status_code=response.status_code,
                )
            return response
        # PHI never sits in a shared or browser cache.
        response["Cache-Control"] = "no-store"
        if user is None or not user.is_authenticated:
            if getattr(request, "auth_via_api_refused", False) or response.status_code in (
                401,
                403,
            ):
                services.record(
                    request,
                    action="refused",
                    outcome="refused",
                    view=described[0],
                    status_code=response.status_code,
                )
            return response
        view, object_type, object_id = described
        method = request.method.upper()
        if method in ("GET", "HEAD"):
            action = "read"
        else:
            action = (
                WRITE_ACTIONS.get(view)
                or WRITE_ACTIONS.get(request.resolver_match.url_name)
                or "change"
            )
        if view.startswith("admin:") and _sent_to_admin_login(response):
            outcome = "refused"  # a clinician at /admin/: turned away, not a read
        elif view == "password_change" and method == "POST":
            outcome = "ok" if response.status_code == 302 else "invalid"
        else:
            outcome = _outcome(response.status_code)
        if method in ("GET", "HEAD") and object_type == "account":
            return response  # opening the form is not an event; using it is
        try:
            patient_id = _patient_id(object_type, object_id, request.resolver_match, request)
        except Exception:  # the database is gone: the event below cannot be written either
            logger.exception("audit: could not find the patient of %s %s", view, object_id)
            patient_id = None
        if view.startswith("admin:") and view.endswith("_add") and method == "POST":
            action = "create"
            created = _admin_created_id(request, response)
            if created:
                object_id = created
                if object_type == "admin:patient":
                    patient_id = created
        written = services.record(
            request,
            action=action,
            outcome=outcome,
            object_type=object_type,
            object_id=getattr(request, "audit_object_id", None) or object_id,
            patient_id=patient_id,
            status_code=response.status_code,
            view=view,
        )
        if not written:
            return audit_unavailable(request)
        return response
