import logging

from django.contrib.auth.decorators import login_not_required
from django.db import connection, transaction
from django.db.models import Count, Q
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from patients.models import Patient
from symptoms.alerts.views import dashboard
from symptoms.views import worklist_view
from taperapp.accounts.roles import Role, role_names
from taperapp.accounts.selectors import clinics_for_user
from taperapp.celery import app as celery_app

logger = logging.getLogger(__name__)


def home(request):
    """The home of the user's role (README: API): the "Today" worklist for clinicians, the
    alert dashboard for staff, the clinics overview for admins and users without a role
    (counts only, no PHI)."""
    roles = role_names(request.user)
    if Role.STAFF in roles and Role.CLINICIAN not in roles:
        return dashboard(request)
    if Role.CLINICIAN in roles:
        return worklist_view(request)
    clinics = clinics_for_user(request.user).annotate(
        active_patients=Count("patients", filter=Q(patients__status=Patient.Status.ACTIVE)),
        discharged_patients=Count("patients", filter=Q(patients__status=Patient.Status.DISCHARGED)),
        members=Count("memberships", distinct=True),
    )
    return render(request, "home.html", {"clinics": clinics})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("healthz: database unreachable")
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_read() as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        logger.exception("healthz: broker unreachable")
        return False


@login_not_required
@transaction.non_atomic_requests  # a probe must not need the database to answer
@never_cache
@require_GET
def healthz(request):
    """Reachability of the database and the broker for load balancers. No PHI, no login."""
    checks = {
        "database": "ok" if _database_ok() else "unreachable",
        "broker": "ok" if _broker_ok() else "unreachable",
    }
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # No context processors: the failure may be in one of them.

    return HttpResponseServerError(loader.get_template("500.html").render())
