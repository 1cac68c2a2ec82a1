"""A dose schedule drawn as a step line in SVG, computed on the server.

Server-side SVG works offline, prints, and needs no script; the steps table beside it is the
accessible reading of the same data.
"""

from datetime import date, timedelta
from decimal import Decimal

from patients.plans.generator import fmt


def dose_chart(steps, *, width=640, height=220, today: date | None = None) -> dict | None:
    """Template context for the dose chart: polyline points, axis ticks and labels."""
    if not steps:
        return None
    left, right, top, bottom = 48, 12, 12, 28
    first = steps[0].start_date
    final = steps[-1]
    last = final.end_date or (final.start_date + timedelta(days=14))
    span = max((last - first).days + 1, 1)
    top_dose = max(Decimal(s.daily_dose_mg) for s in steps) or Decimal(1)

    def x(day: date) -> float:
        return round(left + (day - first).days / span * (width - left - right), 1)

    def y(dose) -> float:
        return round(top + (1 - float(Decimal(dose) / top_dose)) * (height - top - bottom), 1)

    points = []
    for step in steps:
        end = (step.end_date or last) + timedelta(days=1)
        points += [(x(step.start_date), y(step.daily_dose_mg)), (x(end), y(step.daily_dose_mg))]
    ticks = []
    month = date(first.year, first.month, 1)
    every = 1 if span <= 200 else 2 if span <= 400 else 3
    while month <= last:
        if month >= first:
            ticks.append({"x": x(month), "label": month.strftime("%b %Y")})
        for _ in range(every):
            month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    dose_ticks = [
        {
            "y": y(top_dose * fraction / 4),
            "label": fmt((top_dose * fraction / 4).quantize(Decimal("0.001"))),
        }
        for fraction in range(5)
    ]
    marker = None
    if today and first <= today <= last:
        marker = x(today)
    return {
        "width": width,
        "height": height,
        "points": " ".join(f"{px},{py}" for px, py in points),
        "ticks": ticks,
        "dose_ticks": dose_ticks,
        "plot_left": left,
        "plot_right": width - right,
        "plot_bottom": height - bottom,
        "today_x": marker,
        "summary": f"Daily dose from {fmt(steps[0].daily_dose_mg)} mg on "
        f"{first.strftime('%-d %b %Y')} to {fmt(final.daily_dose_mg)} mg from "
        f"{final.start_date.strftime('%-d %b %Y')}",
    }
