from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from patients.models import Patient
from patients.selectors import clinicians_for_user_clinics
from patients.services import EDITABLE_FIELDS
from taperapp.accounts.selectors import clinics_for_user


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
