"""Taper plan screens: the builder with its live preview, the plan page, actions, schedule."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, FormView

from patients.models import PlanMethod
from patients.plans import services as plan_services
from patients.plans.charts import dose_chart
from patients.plans.forms import PlanActionForm, TaperPlanForm
from patients.plans.selectors import patient_timeline, plan_detail
from patients.selectors import patients_visible_to


def _clinic_today(patient):
    return timezone.localdate(timezone=patient.clinic.zone)


class PatientScopedMixin:
    """Loads ``self.patient`` from the user's clinics (404 for anyone else's)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.patient = get_object_or_404(
                patients_visible_to(request.user).select_related("clinic"), pk=kwargs["pk"]
            )
        return super().dispatch(request, *args, **kwargs)


class PlanScopedMixin:
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.plan = get_object_or_404(plan_detail(user=request.user), pk=kwargs["pk"])
            self.patient = self.plan.patient
        return super().dispatch(request, *args, **kwargs)


def _preview_context(form):
    preview = form.preview
    if preview is None:
        return {"form": form, "preview": None}
    return {
        "form": form,
        "preview": preview,
        "medication": form.cleaned_data["medication"],
        "chart": dose_chart(preview.steps),
    }


def _builder_context(context, patient):
    """The plan builder's page: the patient, the live preview's address, and the preview of a
    submitted form."""
    context["patient"] = patient
    context["preview_url"] = reverse_preview(patient)
    form = context["form"]
    if form.is_bound and form.preview is not None:
        context.update(_preview_context(form))
    return context


class PlanCreateView(PermissionRequiredMixin, PatientScopedMixin, FormView):
    permission_required = "patients.add_taperplan"
    template_name = "patients/plan_builder.html"
    form_class = TaperPlanForm

    def get_initial(self):
        return {"start_date": _clinic_today(self.patient), "method": PlanMethod.PERCENT}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "patient": self.patient}

    def get_context_data(self, **kwargs):
        return _builder_context(super().get_context_data(**kwargs), self.patient)

    def form_valid(self, form):
        try:
            plan = plan_services.taper_plan_create(
                patient=self.patient,
                params=form.parameters(),
                justification=form.cleaned_data["justification"],
                created_by=self.request.user,
            )
        except ValidationError as error:
            form.add_service_errors(error)
            return self.form_invalid(form)
        messages.success(self.request, _("Draft plan saved. Check it, then activate it."))
        return redirect(plan)


@method_decorator(require_POST, name="dispatch")
class PlanPreviewView(PermissionRequiredMixin, PatientScopedMixin, View):
    """The builder's live preview (htmx): steps, warnings and chart for the typed values."""

    permission_required = "patients.add_taperplan"

    def post(self, request, *args, **kwargs):
        form = TaperPlanForm(request.POST, patient=self.patient)
        form.is_valid()
        return render(request, "patients/_plan_preview.html", _preview_context(form))


class PlanDetailView(PermissionRequiredMixin, PlanScopedMixin, DetailView):
    permission_required = "patients.view_taperplan"
    template_name = "patients/plan_detail.html"
    context_object_name = "plan"

    def get_object(self, queryset=None):
        return self.plan

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        plan = self.plan
        today = _clinic_today(plan.patient)
        steps = list(plan.current_revision.steps.all())
        context.update(
            {
                "patient": plan.patient,
                "steps": steps,
                "today": today,
                "today_dose": plan.dose_on(today),
                "chart": dose_chart(steps, today=today),
                "revisions": sorted(plan.revisions.all(), key=lambda r: -r.number),
                "timeline": patient_timeline(plan.patient, today),
                "last_dose_date": plan.last_dose_date(),
                "early_completion_from": plan_services.early_completion(plan, today)
                if plan.is_running
                else None,
                "allowed": {
                    action: plan.status in statuses
                    for action, statuses in plan_services.ALLOWED_FROM.items()
                },
                "needs_cosign": plan_services.needs_cosign(plan),
            }
        )
        return context


ACTIONS = {
    "activate": (
        lambda plan, user, reason: plan_services.taper_plan_activate(plan=plan, by=user),
        _("Plan activated."),
    ),
    "cosign": (
        lambda plan, user, reason: plan_services.taper_plan_cosign(
            plan=plan, by=user, comment=reason
        ),
        _("Plan co-signed."),
    ),
    "hold": (
        lambda plan, user, reason: plan_services.taper_plan_hold(plan=plan, by=user, reason=reason),
        _("Plan on hold: the current dose continues."),
    ),
    "resume": (
        lambda plan, user, reason: plan_services.taper_plan_resume(plan=plan, by=user),
        _("Plan resumed: the remaining steps moved by the days held."),
    ),
    "step-back": (
        lambda plan, user, reason: plan_services.taper_plan_step_back(
            plan=plan, by=user, reason=reason
        ),
        _("Stepped back to the previous dose."),
    ),
    "complete": (
        lambda plan, user, reason: plan_services.taper_plan_complete(
            plan=plan, by=user, reason=reason
        ),
        _("Plan completed."),
    ),
    "stop": (
        lambda plan, user, reason: plan_services.taper_plan_stop(plan=plan, by=user, reason=reason),
        _("Plan stopped."),
    ),
}


@method_decorator(require_POST, name="dispatch")
class PlanActionView(PermissionRequiredMixin, PlanScopedMixin, View):
    permission_required = "patients.change_taperplan"

    def post(self, request, *args, **kwargs):
        action = kwargs["action"]
        if action not in ACTIONS:
            raise Http404
        run, done = ACTIONS[action]
        form = PlanActionForm(request.POST)
        form.is_valid()
        try:
            run(self.plan, request.user, form.cleaned_data.get("reason", ""))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, done)
        return redirect(self.plan)


class PlanReviseView(PermissionRequiredMixin, PlanScopedMixin, FormView):
    permission_required = "patients.change_taperplan"
    template_name = "patients/plan_builder.html"
    form_class = TaperPlanForm

    def get_initial(self):
        revision = self.plan.current_revision
        return {
            "medication": self.plan.medication,
            "method": revision.method,
            "start_date": max(_clinic_today(self.patient), revision.start_date),
            "start_dose_mg": self.plan.dose_on(_clinic_today(self.patient))
            or revision.start_dose_mg,
            "reduction_percent": revision.reduction_percent,
            "reduction_mg": revision.reduction_mg,
            "interval_days": revision.interval_days,
            "justification": revision.justification,
        }

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "patient": self.patient,
            "plan": self.plan,
            "with_reason": True,
        }

    def get_context_data(self, **kwargs):
        context = _builder_context(super().get_context_data(**kwargs), self.patient)
        context["plan"] = self.plan
        return context

    def form_valid(self, form):
        try:
            plan_services.taper_plan_revise(
                plan=self.plan,
                params=form.parameters(),
                justification=form.cleaned_data["justification"],
                reason=form.cleaned_data["reason"],
                by=self.request.user,
            )
        except ValidationError as error:
            form.add_service_errors(error)
            return self.form_invalid(form)
        messages.success(self.request, _("Plan changed: a new revision was saved."))
        return redirect(self.plan)


def reverse_preview(patient):

    return reverse("plans:preview", kwargs={"pk": patient.pk})


class PlanScheduleView(PermissionRequiredMixin, PlanScopedMixin, DetailView):
    """One printable page for the patient: dates, daily dose and tablets, in plain words."""

    permission_required = "patients.view_taperplan"
    template_name = "patients/plan_schedule.html"
    context_object_name = "plan"

    def get_object(self, queryset=None):
        return self.plan

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "patient": self.plan.patient,
                "steps": list(self.plan.current_revision.steps.all()),
                "printed_on": _clinic_today(self.plan.patient),
            }
        )
        return context
