from datetime import date
from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from taperapp.accounts.selectors import clinics_for_user

from . import clinical
from .models import Medication, Patient, PlanMethod
from .selectors import clinicians_for_user_clinics
from .services import EDITABLE_FIELDS


class PatientForm(forms.ModelForm):
    """Create and edit. The model's clean() holds the rules, so the API applies the same."""

    class Meta:
        model = Patient
        fields = ["clinic", *EDITABLE_FIELDS]
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        clinics = clinics_for_user(user)
        if not self.instance._state.adding:
            # A patient does not move between clinics through the edit form.
            del self.fields["clinic"]
        else:
            self.fields["clinic"].queryset = clinics
            self.fields["clinic"].error_messages["invalid_choice"] = _(
                "Choose one of your clinics."
            )
            if len(clinics) == 1:
                self.fields["clinic"].initial = clinics[0]
        self.fields["primary_clinician"].queryset = clinicians_for_user_clinics(user)
        self.fields["primary_clinician"].label_from_instance = lambda u: (
            u.get_full_name() or u.username
        )
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(
                _("Identity"),
                *(["clinic"] if "clinic" in self.fields else []),
                Div(
                    Div("mrn", css_class="col-md-4"),
                    Div("given_name", css_class="col-md-4"),
                    Div("family_name", css_class="col-md-4"),
                    css_class="row",
                ),
                Div(
                    Div("birth_date", css_class="col-md-4"),
                    Div("sex", css_class="col-md-4"),
                    Div("primary_clinician", css_class="col-md-4"),
                    css_class="row",
                ),
            ),
            Fieldset(
                _("Seizure-risk factors"),
                "seizure_history",
                "alcohol_use",
                "opioid_use",
                "other_sedative_use",
                "prior_complicated_withdrawal",
            ),
            Submit("submit", _("Save patient")),
        )


class DischargeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for discharge"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("For example: taper completed, transferred to another service."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Discharge patient"), css_class="btn-danger"))


class CustomStepsField(forms.CharField):
    """Custom steps typed one per line: ``2026-03-01 1.5`` (date, then the daily dose in mg)."""

    widget = forms.Textarea(attrs={"rows": 5, "placeholder": "2026-03-01 1.75\n2026-03-15 1.5"})

    def to_python(self, value):
        text = super().to_python(value)
        steps = []
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            parts = line.replace(",", " ").split()
            try:
                if len(parts) != 2:
                    raise ValueError
                step_date = date.fromisoformat(parts[0])
                dose = Decimal(parts[1])
                if not dose.is_finite():
                    raise ValueError
            except (ValueError, ArithmeticError) as error:
                raise forms.ValidationError(
                    _("Line %(n)s: write a date and a dose in mg, e.g. 2026-03-01 1.5"),
                    params={"n": number},
                ) from error
            steps.append((step_date, dose))
        return steps


class TaperPlanForm(forms.Form):
    """The plan builder. The services hold the rules; this form only reads the input."""

    medication = forms.ModelChoiceField(
        queryset=Medication.objects.prefetch_related("strengths", "equivalences"),
        label=_("Medication"),
        error_messages={"invalid_choice": _("Choose a medication of the catalogue.")},
    )
    method = forms.ChoiceField(
        choices=PlanMethod.choices, widget=forms.RadioSelect, initial=PlanMethod.PERCENT
    )
    start_date = forms.DateField(
        label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    start_dose_mg = forms.DecimalField(
        label=_("Current daily dose (mg)"), max_digits=8, decimal_places=4
    )
    reduction_percent = forms.DecimalField(
        label=_("Reduce by (% of the current dose)"),
        max_digits=5,
        decimal_places=2,
        required=False,
        initial=Decimal("10"),
    )
    reduction_mg = forms.DecimalField(
        label=_("Reduce by (mg each step)"), max_digits=8, decimal_places=4, required=False
    )
    interval_days = forms.IntegerField(
        label=_("Days between reductions"), required=False, initial=14
    )
    custom_steps = CustomStepsField(
        label=_("Steps after the start (one per line: date and daily dose in mg)"), required=False
    )
    justification = forms.CharField(
        label=_("Justification"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=clinical.MAX_JUSTIFICATION_CHARS,
        help_text=_(
            "Needed when the plan has guideline warnings: why it is right for this patient."
        ),
    )

    # Service error keys -> form fields.
    FIELD_FOR = {"steps": "custom_steps"}

    def __init__(self, *args, patient, plan=None, with_reason=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.plan = plan
        if plan is not None:
            self.fields["medication"].disabled = True
        if with_reason:
            self.fields["reason"] = forms.CharField(
                label=_("Why change the plan"), widget=forms.Textarea(attrs={"rows": 2})
            )
        self.preview = None

    def parameters(self):
        from .plan_services import PlanParameters

        data = self.cleaned_data
        return PlanParameters(
            medication=data["medication"],
            method=data["method"],
            start_date=data["start_date"],
            start_dose_mg=data["start_dose_mg"],
            reduction_percent=data.get("reduction_percent"),
            reduction_mg=data.get("reduction_mg"),
            interval_days=data.get("interval_days"),
            custom_steps=data.get("custom_steps") or [],
        )

    def add_service_errors(self, error):
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                name = self.FIELD_FOR.get(field, field)
                self.add_error(name if name in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)

    def clean(self):
        from .plan_services import plan_preview

        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.preview = plan_preview(patient=self.patient, params=self.parameters())
        except ValidationError as error:
            self.add_service_errors(error)
        return cleaned


class PlanActionForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )
