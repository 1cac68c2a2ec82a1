"""The entry form's live dose warning says what the dose-deviation rule will judge: the clinic's
pace and the rule's tolerance come from the server, not from numbers written into the page's
script (a clinic with a stricter pace was warned at 25% while its alerts fired at 20%)."""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from tests.factories import AlertThresholdsFactory, make_plan


def test_the_dose_warning_carries_the_clinics_pace_and_the_rules_tolerance(
    client_for, clinician, patient, riverside
):
    AlertThresholdsFactory(clinic=riverside, taper_pace_percent=Decimal("20"))
    make_plan(patient, start=timezone.localdate() - timedelta(days=3), by=clinician)
    page = client_for(clinician).get(reverse("symptoms:log_create", kwargs={"pk": patient.pk}))
    html = page.content.decode()
    assert 'data-pace-percent="20' in html
    assert 'data-tolerance-mg="0.001"' in html
    assert "data-planned-doses=" in html


def test_without_clinic_thresholds_the_default_pace_is_given(client_for, clinician, patient):
    make_plan(patient, start=timezone.localdate() - timedelta(days=3), by=clinician)
    page = client_for(clinician).get(reverse("symptoms:log_create", kwargs={"pk": patient.pk}))
    assert 'data-pace-percent="25' in page.content.decode()
