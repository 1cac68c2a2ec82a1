from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView

from patients.selectors import patients_visible_to
from symptoms import clinical, scales
from symptoms.charts import timeline_chart_data
from symptoms.forms import SymptomLogForm, VoidForm
from symptoms.models import SeverityBands, SymptomLog
from symptoms.selectors import (
    WORKLIST_SORT_NAMES,
    correction_of,
    dose_warning,
    log_detail,
    timeline_page,
    worklist,
)
from symptoms.services import symptom_log_amend, symptom_log_record, symptom_log_void
from symptoms.signals import alerts_raised_by
from taperapp.accounts.roles import Role, role_names


def _log_words(log) -> str:
    if log.total is None:
        return _("event only, CIWA-B not assessed (%(why)s)") % {
            "why": log.items_not_assessed_reason
        }
    return _("CIWA-B %(total)s (%(band)s)") % {
        "total": log.total,
        "band": scales.Severity(log.severity).label,
    }


def _default_source(user) -> str:
    return (
        SymptomLog.Source.STAFF if Role.STAFF in role_names(user) else SymptomLog.Source.CLINICIAN
    )


def _alerts_message(request, alerts) -> None:
    """Name the alerts a saved log opened or updated, each with a link, so the person who
    entered it sees at once what the system raised."""
    if not alerts:
        return
    messages.error(
        request,
        format_html(
            "{} {}",
            _("This log raised:"),
            format_html_join(
                "; ",
                '<a class="alert-link" href="{}">{} ({})</a>',
                (
                    (
                        alert.get_absolute_url(),
                        alert.get_rule_display(),
                        alert.get_severity_display(),
                    )
                    for alert in alerts
                ),
            ),
        ),
    )


def _old_entry_warning(request, log) -> None:
    """Scores, vital signs and doses of a log assessed before the state rules' look-back are
    kept and charted but raise no alert: say so to the person who entered it, so they review
    them themselves. A reported seizure, confusion or suicidal thoughts alert however old."""
    age = timezone.now() - log.assessed_at
    if age <= timedelta(days=clinical.STATE_LOOKBACK_DAYS):
        return
    messages.warning(
        request,
        _(
            "This assessment is %(days)s days old. Alerts look back %(state)s days for scores, "
            "vital signs and doses: review anything abnormal in it yourself. A seizure, "
            "confusion or suicidal thoughts it reports raise an alert however old."
        )
        % {"days": age.days, "state": clinical.STATE_LOOKBACK_DAYS},
    )


class LogFormMixin:
    """Runs the form in the clinic's time zone: typed times are the clinic's local times."""

    template_name = "symptoms/log_form.html"
    form_class = SymptomLogForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), **dose_warning(self.patient)}

    def dispatch(self, request, *args, **kwargs):
        with timezone.override(self.zone_for(request, kwargs)):
            return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "patient": self.patient,
                "max_total": scales.MAX_TOTAL,
                "item_codes": scales.ITEM_CODES,
                "band_starts": SeverityBands.current().starts(),
            }
        )
        return context


def _repeated_hour_warning(request, form, log):
    """The typed time fell in the hour the autumn clock change repeats: say which one was kept."""
    if form.fields["assessed_at"].repeated_hour:
        messages.warning(
            request,
            _(
                "%(time)s happened twice that night (the clocks went back): it was recorded as "
                "the first, still summer time. Correct the log if it was the second."
            )
            % {"time": timezone.localtime(log.assessed_at).strftime("%H:%M")},
        )


class LogCreateView(PermissionRequiredMixin, LogFormMixin, FormView):
    permission_required = ["patients.view_patient", "symptoms.add_symptomlog"]

    def zone_for(self, request, kwargs):
        if not request.user.is_authenticated:
            return timezone.get_current_timezone()
        self.patient = get_object_or_404(
            patients_visible_to(request.user).select_related("clinic"), pk=kwargs["pk"]
        )
        return self.patient.clinic.zone

    def get_initial(self):
        return {
            "assessed_at": timezone.localtime().replace(second=0, microsecond=0),
            "source": _default_source(self.request.user),
        }

    def form_valid(self, form):
        try:
            log, created = symptom_log_record(
                patient=self.patient,
                entry=form.entry(),
                recorded_by=self.request.user,
                submission_key=form.cleaned_data["submission_key"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
            return self.form_invalid(form)
        if created:
            messages.success(self.request, _("Log saved: %(what)s.") % {"what": _log_words(log)})
            _repeated_hour_warning(self.request, form, log)
        else:
            messages.info(self.request, _("This log was already saved; it was not added twice."))
        _alerts_message(self.request, alerts_raised_by(log))
        _old_entry_warning(self.request, log)
        return redirect("symptoms:timeline", pk=self.patient.pk)


class LogAmendView(PermissionRequiredMixin, LogFormMixin, FormView):
    permission_required = ["symptoms.change_symptomlog"]

    def zone_for(self, request, kwargs):
        if not request.user.is_authenticated:
            return timezone.get_current_timezone()
        self.log = get_object_or_404(log_detail(user=request.user), pk=kwargs["pk"])
        self.patient = self.log.patient
        return self.patient.clinic.zone

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "with_reason": True}

    def get_initial(self):
        log = self.log
        initial = {
            name: getattr(log, name)
            for name in self.form_class.base_fields
            if name not in {"submission_key"} and hasattr(log, name)
        }
        initial.update(log.items or {})
        initial["items_not_assessed"] = not log.items_assessed
        initial["assessed_at"] = timezone.localtime(log.assessed_at)
        return initial

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "log": self.log}

    def form_valid(self, form):
        try:
            amended = symptom_log_amend(
                log=self.log,
                entry=form.entry(),
                amended_by=self.request.user,
                reason=form.cleaned_data["reason"],
                submission_key=form.cleaned_data["submission_key"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
            return self.form_invalid(form)
        messages.success(self.request, _("Correction saved; the earlier version is kept."))
        _repeated_hour_warning(self.request, form, amended)
        _alerts_message(self.request, alerts_raised_by(amended))
        _old_entry_warning(self.request, amended)
        return redirect(amended)


class LogDetailView(PermissionRequiredMixin, TemplateView):
    permission_required = ["symptoms.view_symptomlog"]
    template_name = "symptoms/log_detail.html"

    def get_context_data(self, **kwargs):
        log = get_object_or_404(log_detail(user=self.request.user), pk=kwargs["pk"])
        versions = [log]
        earlier = log.supersedes
        while earlier is not None:  # the chain of corrections, newest first
            versions.append(earlier)
            earlier = earlier.supersedes
        later = correction_of(log)
        return {
            "log": log,
            "patient": log.patient,
            "versions": versions,
            "later": later,
            "items": [(item, getattr(log, item.code)) for item in scales.ITEMS],
            "void_form": VoidForm(),
        }


@method_decorator(require_POST, name="dispatch")
class LogVoidView(PermissionRequiredMixin, View):
    permission_required = ["symptoms.change_symptomlog"]

    def post(self, request, pk):
        log = get_object_or_404(log_detail(user=request.user), pk=pk)
        form = VoidForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the reason for voiding this log."))
            return redirect(log)
        try:
            symptom_log_void(log=log, voided_by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Log voided. It stays in the history."))
        return redirect(log)


class TimelineView(PermissionRequiredMixin, TemplateView):
    permission_required = ["patients.view_patient", "symptoms.view_symptomlog"]
    template_name = "symptoms/timeline.html"

    def get_context_data(self, **kwargs):
        context = timeline_page(
            user=self.request.user,
            patient_id=kwargs["pk"],
            log_page=self.request.GET.get("logs", 1),  # Paginator.get_page forgives bad input
        )
        context["chart_data"] = timeline_chart_data(context)
        return context


@permission_required("symptoms.view_symptomlog", raise_exception=True)
def worklist_view(request):
    """The clinician's (and, until the alert dashboard, staff's) home: who needs what today."""
    sort = request.GET.get("sort", "due")
    if sort not in WORKLIST_SORT_NAMES:
        sort = "due"  # an unknown sort is the default order, never an error
    listed = worklist(user=request.user, sort=sort, page=request.GET.get("page", 1))
    return render(
        request,
        "symptoms/worklist.html",
        {"page": listed.page, "rows": listed.rows, "sort": sort, "due_count": listed.due_count},
    )
