"""Data for the patient timeline chart (drawn by ECharts from static/js/timeline-chart.js).

One time axis: the dose schedule as a step line, CIWA-B totals over shaded severity bands,
the phases as background bands, and the vital signs in a panel beneath.
"""

from datetime import timedelta

from django.utils import timezone

from patients.models import PlanStatus
from patients.plans.timeline import Phase, timeline_on
from symptoms import scales
from symptoms.models import SeverityBands
from symptoms.services import VITAL_FIELDS


def _dose_series(plans, start, end):
    """The dose each plan governs, as step points clipped to the chart's window (a step that
    runs past the window's edge gets a point at the edge, so the line reaches it)."""
    series = []
    for plan in plans:
        if plan.current_revision is None:
            continue
        facts = plan.facts()
        points = [
            [step.start_date.isoformat(), float(step.daily_dose_mg)]
            for step in facts.steps
            if start <= step.start_date <= end
        ]
        for edge in (start, end):
            dose = facts.dose_on(edge)
            if dose is not None:
                points.append([edge.isoformat(), float(dose)])
        if points:
            series.append({"name": plan.medication.name, "points": sorted(points)})
    return series


def _phase_bands(plans, start, end):
    """Contiguous runs of the same phase between two dates, from the timeline itself (each
    plan's facts built once, not once a day)."""
    facts = [plan.facts() for plan in plans if plan.status != PlanStatus.DRAFT]
    bands = []
    day = start
    while day <= end:
        phase = timeline_on(facts, day).phase
        if bands and bands[-1]["phase"] == phase:
            bands[-1]["end"] = day.isoformat()
        else:
            bands.append(
                {
                    "phase": phase,
                    "label": Phase(phase).label,
                    "start": day.isoformat(),
                    "end": day.isoformat(),
                }
            )
        day += timedelta(days=1)
    return [band for band in bands if band["phase"] != Phase.PRE_TAPER]


def timeline_chart_data(context) -> dict:
    patient, plans, logs = context["patient"], context["plans"], context["current_logs"]
    zone = patient.clinic.zone
    today = context["today"]
    dates = [timezone.localtime(log.assessed_at, zone).date() for log in logs]
    for plan in plans:
        if plan.current_revision:
            dates.append(plan.current_revision.start_date)
    start = min(dates, default=today - timedelta(days=30))
    end = max([today, *dates])
    starts = SeverityBands.current().starts()
    edges = [starts["mild"], starts["moderate"], starts["severe"], starts["very_severe"]]
    names = ["mild", "moderate", "severe", "very severe"]
    bands = [
        {
            "name": names[i],
            "from": edges[i],
            "to": (edges[i + 1] if i + 1 < len(edges) else scales.MAX_TOTAL),
        }
        for i in range(len(edges))
    ]
    return {
        "start": start.isoformat(),
        "end": (end + timedelta(days=1)).isoformat(),
        "today": today.isoformat(),
        "doses": _dose_series(plans, start, end + timedelta(days=1)),
        "totals": [
            [timezone.localtime(log.assessed_at, zone).isoformat(), log.total, str(log.pk)]
            for log in logs
            if log.total is not None
        ],
        "flags": [
            [timezone.localtime(log.assessed_at, zone).isoformat(), log.total, ", ".join(log.flags)]
            for log in logs
            if log.flags and log.total is not None
        ],
        # Event-only logs (CIWA-B not assessed) are markers of their own, never a total of 0.
        "events": [
            [
                timezone.localtime(log.assessed_at, zone).isoformat(),
                ", ".join(log.flags) or "event",
            ]
            for log in logs
            if log.total is None
        ],
        "severity_bands": bands,
        "max_total": scales.MAX_TOTAL,
        "phases": _phase_bands(plans, start, end),
        "vitals": {
            field: [
                [timezone.localtime(log.assessed_at, zone).isoformat(), float(getattr(log, field))]
                for log in logs
                if getattr(log, field) is not None
            ]
            for field in VITAL_FIELDS
        },
    }
