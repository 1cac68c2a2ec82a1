"""The log page shows NEWS2 and its parameters, and an event-only log as such (issue 11)."""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from tests.factories import SymptomLogFactory


def test_the_log_page_shows_news2_with_its_parameters(patient, clinician, client_for):
    log = SymptomLogFactory(
        patient=patient,
        recorded_by=clinician,
        assessed_at=timezone.now() - timedelta(minutes=5),
        total=6,
        heart_rate=44,
        systolic_bp=82,
        diastolic_bp=50,
        temperature_c=Decimal("34.8"),
    )
    page = client_for(clinician).get(reverse("symptoms:log_detail", kwargs={"pk": log.pk}))
    html = page.content.decode()
    assert page.status_code == 200
    assert "NEWS2" in html and "<strong>7</strong> · emergency" in html
    assert "systolic BP 82 mmHg (3)" in html and "pulse 44/min (1)" in html
    assert "temperature 34.8 °C (3)" in html
    assert "Not measured" in html and "spo2" in html


def test_an_event_only_log_page_says_not_assessed(patient, clinician, client_for):
    log = SymptomLogFactory(
        patient=patient,
        recorded_by=clinician,
        assessed_at=timezone.now() - timedelta(minutes=5),
        items=None,
        items_not_assessed_reason="post-ictal",
        seizure=True,
    )
    html = client_for(clinician).get(log.get_absolute_url()).content.decode()
    assert "Event only: CIWA-B not assessed" in html and "post-ictal" in html
    assert "CIWA-B None" not in html
