"""Alerts shown on other apps' pages: the patient page lists the patient's open alerts at its
top. A template tag, so the patients app's code never imports the alerts (dependencies point
from alerts to patients, never back)."""

from django import template

from symptoms.alerts.selectors import open_alerts_for_patient

register = template.Library()


@register.inclusion_tag("symptoms/_patient_alerts.html")
def open_alerts(patient):
    return {"patient": patient, "alerts": open_alerts_for_patient(patient)}
