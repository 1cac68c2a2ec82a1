import json
import uuid
from datetime import UTC, datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from symptoms import clinical, scales
from symptoms.models import NOTES_MAX_CHARS, Consciousness, SymptomLog
from symptoms.services import LogEntry
from taperapp.errors import Conflict

SCORE_CHOICES = [(value, str(value)) for value in range(scales.MIN_SCORE, scales.MAX_SCORE + 1)]


class WallClockDateTimeField(forms.DateTimeField):
    """A time typed as the clinic's wall clock shows it (the view activates the clinic's zone).

    At the autumn clock change the hour after 01:00 happens twice: the first occurrence (still
    summer time) is taken and ``repeated_hour`` is set so the page can say so; Django's own
    field refused every time in that hour, so a night-shift log could not be entered. In the
    spring gap the time never existed: refused with that reason."""

    repeated_hour = False

    def to_python(self, value):

        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            naive = value.replace(tzinfo=None) if timezone.is_aware(value) else value
        else:
            naive = None
            for fmt in self.input_formats:
                try:
                    naive = datetime.strptime(str(value).strip(), fmt)
                    break
                except (ValueError, TypeError):
                    continue
            if naive is None:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        zone = timezone.get_current_timezone()
        first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
        try:
            round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        except OverflowError as error:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from error
        if round_trip != naive:
            raise forms.ValidationError(
                _(
                    "%(time)s did not exist here: the clocks went forward that night. Check "
                    "the time."
                ),
                params={"time": naive.strftime("%H:%M")},
                code="nonexistent",
            )
        self.repeated_hour = first.utcoffset() != second.utcoffset()
        return first


class SymptomLogForm(forms.Form):
    """The one-screen entry: 20 items (0-4), vital signs, flags, dose, notes.

    Only reads the input; the rules are in services.validate_entry, shared with the API.
    """

    submission_key = forms.UUIDField(widget=forms.HiddenInput)
    assessed_at = WallClockDateTimeField(
        label=_("Assessed at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    source = forms.ChoiceField(
        label=_("Reported by"),
        choices=SymptomLog.Source.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    heart_rate = forms.IntegerField(label=_("Pulse"), required=False)
    systolic_bp = forms.IntegerField(label=_("Systolic"), required=False)
    diastolic_bp = forms.IntegerField(label=_("Diastolic"), required=False)
    temperature_c = forms.DecimalField(
        label=_("Temperature °C"), required=False, max_digits=4, decimal_places=1
    )
    respiratory_rate = forms.IntegerField(label=_("Respirations"), required=False)
    spo2 = forms.IntegerField(label=_("SpO2"), required=False)
    supplemental_oxygen = forms.BooleanField(label=_("On supplemental oxygen"), required=False)
    consciousness = forms.ChoiceField(
        label=_("Consciousness (ACVPU)"),
        choices=[("", _("Not recorded")), *Consciousness.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    items_not_assessed = forms.BooleanField(
        label=_("CIWA-B not assessed"),
        required=False,
        help_text=_("The patient cannot answer (e.g. after a seizure): record the event alone."),
    )
    items_not_assessed_reason = forms.CharField(
        label=_("Why not assessed"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. post-ictal, not responding")}),
    )
    seizure = forms.BooleanField(label=_("Seizure"), required=False)
    hallucinations = forms.BooleanField(label=_("Hallucinations"), required=False)
    confusion = forms.BooleanField(label=_("Confusion or delirium"), required=False)
    suicidal_ideation = forms.BooleanField(label=_("Suicidal thoughts"), required=False)
    dose_taken_mg = forms.DecimalField(
        label=_("Dose taken today (mg)"), required=False, max_digits=8, decimal_places=4
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=NOTES_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, with_reason=False, planned_doses=None, pace_percent=None, **kwargs):
        super().__init__(*args, **kwargs)
        for item in scales.ITEMS:
            self.fields[item.code] = forms.TypedChoiceField(
                label=f"{item.number}. {item.wording}",
                choices=SCORE_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,  # unless "CIWA-B not assessed" is ticked: see clean()
                widget=forms.RadioSelect,
            )
        for name, (_low, _high, usual_low, usual_high, unit) in clinical.VITAL_LIMITS.items():
            widget = self.fields[name].widget
            widget.attrs.update(
                {
                    "inputmode": "decimal" if name == "temperature_c" else "numeric",
                    "data-usual-min": str(usual_low),
                    "data-usual-max": str(usual_high),
                    "aria-describedby": f"unit-{name}",
                }
            )
            self.fields[name].unit = unit
        # The plan's dose by day, so the page can warn as a dose taken is typed (log-form.js).
        # The warning follows the dose-deviation rule: the clinic's pace and the rule's
        # tolerance, read from their one home.
        if planned_doses:
            self.fields["dose_taken_mg"].widget.attrs.update(
                {
                    "data-planned-doses": json.dumps(
                        {day.isoformat(): str(dose) for day, dose in planned_doses.items()}
                    ),
                    "data-pace-percent": str(
                        pace_percent or clinical.ALERT_DEFAULTS["taper_pace_percent"]
                    ),
                    "data-tolerance-mg": str(clinical.DOSE_TOLERANCE_MG),
                }
            )
        if with_reason:
            self.fields["reason"] = forms.CharField(
                label=_("Reason for the correction"), widget=forms.Textarea(attrs={"rows": 2})
            )
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4())

    def clean(self):
        data = super().clean()
        if data.get("items_not_assessed"):
            if not (data.get("items_not_assessed_reason") or "").strip():
                self.add_error(
                    "items_not_assessed_reason",
                    _("Say why the CIWA-B could not be assessed (e.g. post-ictal)."),
                )
            for code in scales.ITEM_CODES:
                data[code] = None
                self.errors.pop(code, None)
        else:
            for code in scales.ITEM_CODES:
                if data.get(code) is None and code not in self.errors:
                    self.add_error(
                        code,
                        _(
                            "Score this item (0-4), or tick “CIWA-B not assessed” if the patient "
                            "cannot answer."
                        ),
                    )
        return data

    @property
    def item_fields(self):
        return [(item, self[item.code]) for item in scales.ITEMS]

    @property
    def item_rows(self):
        """(item, field, [(radio, the item's own anchor for that score)]) per CIWA-B item."""
        return [
            (item, self[item.code], list(zip(self[item.code], item.anchors, strict=True)))
            for item in scales.ITEMS
        ]

    @property
    def vital_fields(self):
        return [self[name] for name in clinical.VITAL_LIMITS]

    @property
    def flag_fields(self):
        return [
            self[name] for name in ("seizure", "hallucinations", "confusion", "suicidal_ideation")
        ]

    def entry(self) -> LogEntry:
        data = self.cleaned_data
        return LogEntry(
            assessed_at=data["assessed_at"],
            items=None
            if data.get("items_not_assessed")
            else {code: data[code] for code in scales.ITEM_CODES},
            items_not_assessed_reason=data.get("items_not_assessed_reason", "")
            if data.get("items_not_assessed")
            else "",
            source=data["source"],
            heart_rate=data.get("heart_rate"),
            systolic_bp=data.get("systolic_bp"),
            diastolic_bp=data.get("diastolic_bp"),
            temperature_c=data.get("temperature_c"),
            respiratory_rate=data.get("respiratory_rate"),
            spo2=data.get("spo2"),
            supplemental_oxygen=data.get("supplemental_oxygen", False),
            consciousness=data.get("consciousness", ""),
            seizure=data.get("seizure", False),
            hallucinations=data.get("hallucinations", False),
            confusion=data.get("confusion", False),
            suicidal_ideation=data.get("suicidal_ideation", False),
            dose_taken_mg=data.get("dose_taken_mg"),
            notes=data.get("notes", ""),
        )

    def add_service_errors(self, error):
        if isinstance(error, Conflict):
            # This form was already saved as another log (Back, then new values typed into the
            # restored form): the entry is kept on screen with a fresh key, so saving again
            # records it as a new log instead of failing for ever.
            data = self.data.copy()
            data["submission_key"] = str(uuid.uuid4())
            self.data = data
            self.add_error(
                None,
                _(
                    "This form had already been saved as another log, so these values were not "
                    "saved. Check them and save again to record them as a new log."
                ),
            )
            return
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for voiding"), widget=forms.Textarea(attrs={"rows": 2})
    )
