"""The plan builder's form and the form of a plan action (hold, resume, stop...)."""

from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from patients.models import Medication, PlanMethod
from patients.plans import clinical
from patients.plans import services as plan_services


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
        data = self.cleaned_data
        return plan_services.PlanParameters.from_input(data, data.get("custom_steps") or [])

    def add_service_errors(self, error):
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                name = self.FIELD_FOR.get(field, field)
                self.add_error(name if name in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.preview = plan_services.plan_preview(
                patient=self.patient, params=self.parameters()
            )
        except ValidationError as error:
            self.add_service_errors(error)
        return cleaned


class PlanActionForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )
