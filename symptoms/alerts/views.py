"""The staff alert dashboard (staff home), the alert page, and the in-place actions."""

import uuid
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patients.plans import services as plan_services
from symptoms.alerts import workflow
from symptoms.alerts.selectors import (
    AlertFilterForm,
    alert_dashboard,
    alert_detail,
    assignable_users,
    assignees_by_clinic,
    holdable_plan,
)
from symptoms.models import Rule
from taperapp.accounts.models import User
from taperapp.redirects import safe_next

HOLDABLE_RULES = {Rule.REDUCTION_RESPONSE, Rule.SEIZURE_RISK}
DASHBOARD_PAGE_SIZE = 25


def _dashboard_context(request):
    form = AlertFilterForm(request.GET or None)
    filters = form.clean_fields_safely() if request.GET else {}
    alerts, counts = alert_dashboard(user=request.user, filters=filters)
    # The most urgent first, a page at a time: staff work from the top, and a network with
    # hundreds of open alerts must not make every refresh render them all.
    page = Paginator(alerts, DASHBOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    alerts = list(page.object_list)
    people = assignees_by_clinic(request.user)
    for alert in alerts:
        alert.assignees = people.get(alert.patient.clinic_id, [])
    filters_only = request.GET.copy()
    filters_only.pop("page", None)
    return {
        "alerts": alerts,
        "page": page,
        "counts": counts,
        "filter_form": form,
        "query": request.GET.urlencode(),
        "filter_query": filters_only.urlencode(),
        "refresh_seconds": settings.ALERT_DASHBOARD_REFRESH_SECONDS,
        "snooze_options": workflow.SNOOZE_OPTIONS,
    }


@permission_required("symptoms.view_alert", raise_exception=True)
def dashboard(request):
    return render(request, "symptoms/alerts_dashboard.html", _dashboard_context(request))


@permission_required("symptoms.view_alert", raise_exception=True)
def dashboard_rows(request):
    """The table body and counts, for the dashboard's own refresh."""
    return render(request, "symptoms/_alerts_table.html", _dashboard_context(request))


@permission_required("symptoms.view_alert", raise_exception=True)
def detail(request, pk):
    alert = get_object_or_404(alert_detail(user=request.user), pk=pk)
    running_plan = None
    if alert.rule in HOLDABLE_RULES and request.user.has_perm("patients.change_taperplan"):
        running_plan = holdable_plan(alert)
    alert.assignees = [(u.pk, str(u)) for u in assignable_users(alert)]
    return render(
        request,
        "symptoms/alert_detail.html",
        {
            "alert": alert,
            "events": alert.events.all(),
            "evidence_logs": [
                item | {"at": datetime.fromisoformat(item["assessed_at"])}
                for item in alert.evidence.get("logs", [])
                if "assessed_at" in item
            ],
            "running_plan": running_plan,
            "hold_reason": _("Alert: %(summary)s") % {"summary": alert.summary},
            "snooze_options": workflow.SNOOZE_OPTIONS,
        },
    )


def _run(action, alert, request):
    post = request.POST
    if action == "acknowledge":
        return workflow.alert_acknowledge(alert=alert, by=request.user)
    if action == "assign":
        assignee = (
            User.objects.filter(pk=post.get("user") or None).first()
            if _is_uuid(post.get("user"))
            else None
        )
        if assignee is None:
            raise ValidationError(
                {"user": _("Choose a clinician or staff member of this patient's clinic.")}
            )
        return workflow.alert_assign(alert=alert, by=request.user, assignee=assignee)
    if action == "snooze":
        try:
            minutes = int(post.get("minutes", ""))
        except ValueError:
            minutes = 0
        return workflow.alert_snooze(
            alert=alert, by=request.user, minutes=minutes, reason=post.get("reason", "")
        )
    if action == "resolve":
        return workflow.alert_resolve(alert=alert, by=request.user, note=post.get("note", ""))
    return workflow.alert_dismiss(alert=alert, by=request.user, reason=post.get("reason", ""))


def _is_uuid(value) -> bool:

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@require_POST
@permission_required("symptoms.change_alert", raise_exception=True)
def act(request, pk, action):
    alert = get_object_or_404(alert_detail(user=request.user), pk=pk)
    error = None
    try:
        alert = _run(action, alert, request)
    except ValidationError as problem:
        error = " ".join(problem.messages)
    if request.htmx:
        alert = alert_detail(user=request.user).get(pk=alert.pk)
        alert.assignees = [(u.pk, str(u)) for u in assignable_users(alert)]
        html = render_to_string(
            "symptoms/_alert_row.html",
            {"alert": alert, "row_error": error, "perms_change": True},
            request,
        )
        return HttpResponse(html, status=200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Alert %(action)s.") % {"action": _(ACTION_WORDS[action])})
    return redirect(safe_next(request, reverse("alerts:detail", kwargs={"pk": alert.pk})))


ACTION_WORDS = {
    "acknowledge": "acknowledged",
    "assign": "assigned",
    "snooze": "snoozed",
    "resolve": "resolved",
    "dismiss": "dismissed",
}


@require_POST
@permission_required("patients.change_taperplan", raise_exception=True)
def hold_taper(request, pk):
    """From a reduction_response or seizure_risk alert: hold the running taper in one step."""
    alert = get_object_or_404(alert_detail(user=request.user), pk=pk, rule__in=HOLDABLE_RULES)
    plan = holdable_plan(alert)
    if plan is None:
        messages.error(request, _("This patient has no active taper to hold."))
        return redirect(alert)
    try:
        plan_services.taper_plan_hold(
            plan=plan, by=request.user, reason=request.POST.get("reason") or alert.summary
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(alert)
    messages.success(request, _("Taper on hold: the current dose continues."))
    return redirect(plan)
