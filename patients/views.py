from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, ListView

from patients.filters import PatientFilter
from patients.forms import DischargeForm, PatientForm
from patients.plans import risk
from patients.plans.selectors import patient_timeline, plans_with_steps
from patients.selectors import (
    patient_detail,
    patient_history,
    patient_list,
    patients_visible_to,
)
from patients.services import EDITABLE_FIELDS, patient_create, patient_discharge, patient_update
from taperapp.audit import services as audit


class PatientListView(PermissionRequiredMixin, ListView):
    """The patient list. Searching by name or MRN is a POST, so no patient identifier ever
    travels in a URL (browser history, proxy and server logs); the status filter and the page
    may be in the query string."""

    permission_required = "patients.view_patient"
    template_name = "patients/list.html"
    context_object_name = "patients"
    paginate_by = 25

    def post(self, request, *args, **kwargs):
        self.kwargs["page"] = request.POST.get("page") or 1
        return self.get(request, *args, **kwargs)

    def _criteria(self):
        if self.request.method == "POST":
            return self.request.POST
        # A name or MRN in the query string is ignored: search with the form (POST).
        return {key: value for key, value in self.request.GET.items() if key != "q"}

    def get_queryset(self):
        self.filterset = PatientFilter(
            self._criteria(), queryset=patient_list(user=self.request.user)
        )
        if not self.filterset.is_valid():
            return patient_list(user=self.request.user).none()
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        return context


class PatientDetailView(PermissionRequiredMixin, DetailView):
    permission_required = "patients.view_patient"
    template_name = "patients/detail.html"
    context_object_name = "patient"

    def get_queryset(self):
        return patient_detail(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        patient = self.object
        today = timezone.localdate(timezone=patient.clinic.zone)
        plans = list(plans_with_steps(patient.taper_plans.all()))
        running = next((plan for plan in plans if plan.is_running), None)
        timeline = patient_timeline(patient, today, plans)
        governing = next((plan for plan in plans if plan.pk == timeline.plan_id), None)
        context.update(
            {
                "risks": risk.risk_profile(patient, today, risk.drug_context(governing)),
                "today": today,
                "plans": plans,
                "running_plan": running,
                "today_dose": running.dose_on(today) if running else None,
                "timeline": timeline,
            }
        )
        return context


class PatientFormView(PermissionRequiredMixin, FormView):
    """Create (no pk) or edit (pk) a patient through the services."""

    template_name = "patients/form.html"
    form_class = PatientForm
    patient = None

    def get_permission_required(self):
        return ["patients.change_patient" if "pk" in self.kwargs else "patients.add_patient"]

    def dispatch(self, request, *args, **kwargs):
        if "pk" in kwargs and request.user.is_authenticated:
            self.patient = get_object_or_404(patients_visible_to(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": self.patient}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "patient": self.patient}

    def form_valid(self, form):
        fields = {name: form.cleaned_data[name] for name in EDITABLE_FIELDS}
        try:
            if self.patient is None:
                patient = patient_create(
                    created_by=self.request.user, clinic=form.cleaned_data["clinic"], **fields
                )
                audit.mark_subject(self.request, patient_id=patient.pk)
                messages.success(
                    self.request, _("Patient %(name)s added.") % {"name": patient.full_name}
                )
            else:
                # Re-read: the form has already copied its values onto self.patient.
                current = patients_visible_to(self.request.user).get(pk=self.patient.pk)
                patient = patient_update(patient=current, updated_by=self.request.user, **fields)
                messages.success(self.request, _("Changes saved."))
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        return redirect(patient)


class PatientDischargeView(PermissionRequiredMixin, FormView):
    permission_required = "patients.discharge_patient"
    template_name = "patients/discharge.html"
    form_class = DischargeForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.patient = get_object_or_404(patients_visible_to(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "patient": self.patient}

    def form_valid(self, form):
        try:
            patient_discharge(
                patient=self.patient,
                discharged_by=self.request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
            return self.form_invalid(form)
        messages.success(
            self.request, _("%(name)s has been discharged.") % {"name": self.patient.full_name}
        )
        return redirect(self.patient)


class PatientHistoryView(PermissionRequiredMixin, DetailView):
    """Every recorded change to the patient's records, written by database triggers
    (django-pghistory), so bulk updates and raw SQL cannot skip it."""

    permission_required = "patients.view_patient"
    template_name = "patients/history.html"
    context_object_name = "patient"

    def get_queryset(self):
        return patient_detail(user=self.request.user)

    def get_context_data(self, **kwargs):

        return {**super().get_context_data(**kwargs), "events": patient_history(self.object)}
