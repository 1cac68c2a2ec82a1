"""Where a patient stands on a date: the withdrawal timeline
(docs/clinical-basis.md#timeline-phases).

The phase is derived, never typed in: ``pre_taper`` before any plan runs, ``tapering`` from a
plan's first day through its last dose, ``acute`` from the day after the last dose through the
medication's acute window, ``protracted`` through its protracted window, then
``post_withdrawal``. A plan on hold keeps its current dose. A stopped plan, and a plan completed
before its planned end, stopped abruptly: the day it ended is the last dose and the acute
window opens the next day (docs/clinical-basis.md#abrupt-stop-and-early-completion), which is when
withdrawal risk peaks. A plan stopped
before its first dose was ever taken does not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import TextChoices
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from patients.plans.generator import cuts, last_dose_date


class Phase(TextChoices):
    PRE_TAPER = "pre_taper", gettext_lazy("before the taper")
    TAPERING = "tapering", gettext_lazy("tapering")
    ACUTE = "acute", gettext_lazy("acute withdrawal")
    PROTRACTED = "protracted", gettext_lazy("protracted withdrawal")
    POST_WITHDRAWAL = "post_withdrawal", gettext_lazy("after withdrawal")


@dataclass(frozen=True)
class StepFact:
    start_date: date
    end_date: date | None
    daily_dose_mg: Decimal


@dataclass(frozen=True)
class PlanFacts:
    """What the timeline needs of a plan: its current steps, status and windows."""

    plan_id: object
    status: str
    steps: tuple[StepFact, ...]
    held_since: date | None
    ended_on: date | None  # the day a completed or stopped plan ended
    acute_window_days: int
    protracted_window_days: int

    @property
    def start_date(self) -> date:
        return self.steps[0].start_date

    def planned_dose_on(self, on: date) -> Decimal | None:
        for step in self.steps:
            if step.start_date <= on and (step.end_date is None or on <= step.end_date):
                return step.daily_dose_mg
        return None

    def dose_on(self, on: date) -> Decimal | None:
        if on < self.start_date:
            return None
        if self.status == "on_hold" and self.held_since and on >= self.held_since:
            return self.planned_dose_on(self.held_since)  # the current dose continues
        if self.status in ("stopped", "completed") and self.ended_on and on > self.ended_on:
            return Decimal("0")
        return self.planned_dose_on(on)

    def last_dose_date(self) -> date | None:
        if self.status == "on_hold":
            return None  # unknown until the plan resumes
        planned = self._planned_last_dose()
        if self.status in ("stopped", "completed") and self.ended_on:
            # Ended before the planned step to zero: that day was the last dose.
            return min(planned, self.ended_on) if planned else self.ended_on
        return planned

    def _planned_last_dose(self) -> date | None:
        return last_dose_date(self.steps)

    def reductions_until(self, on: date) -> list[tuple[date, Decimal, Decimal]]:
        """Each cut up to ``on`` as (first day, dose before, dose after): the scheduled steps,
        none past the start of a hold (the current dose continues), and for a plan that ended
        (completed or stopped) its end: from the dose of its last day to nothing the next day,
        whether that was the planned step to zero or an earlier end."""
        end = self.ended_on if self.status in ("stopped", "completed") else None
        held = self.held_since if self.status == "on_hold" else None
        taken = []  # the steps that began by ``on``, before an end or a hold
        for step in self.steps:
            if step.start_date > on or (end and step.start_date > end):
                break
            if held and step.start_date > held:
                break
            taken.append(step)
        found = [
            (after.start_date, before.daily_dose_mg, after.daily_dose_mg)
            for before, after in cuts(taken)
        ]
        stopped_on = end + timedelta(days=1) if end else None
        last_dose = taken[-1].daily_dose_mg if taken else None
        if stopped_on and stopped_on <= on and last_dose:
            found.append((stopped_on, last_dose, Decimal(0)))
        return found

    def last_reduction_on_or_before(self, on: date) -> date | None:
        cuts = self.reductions_until(on)
        return cuts[-1][0] if cuts else None


@dataclass(frozen=True)
class TimelinePoint:
    on: date
    phase: str
    day_in_phase: int | None
    daily_dose_mg: Decimal | None
    days_since_last_reduction: int | None
    last_dose_date: date | None
    plan_id: object = None

    @property
    def phase_label(self) -> str:
        return str(Phase(self.phase).label)

    def in_words(self) -> str:
        """E.g. "Day 18 of tapering · 1.875 mg a day · last reduction 3 days ago", or
        "Acute-withdrawal window, day 3 after the last dose". After the last dose the words
        state time since that dose, not a diagnosis: a patient in the protracted window may
        well have no symptoms at all."""
        if self.phase == Phase.PRE_TAPER:
            parts = [_("No taper running")]
        elif self.phase == Phase.TAPERING:
            parts = [_("Day %(day)s of tapering") % {"day": self.day_in_phase}]
        elif self.phase == Phase.ACUTE:
            parts = [
                _("Acute-withdrawal window, day %(day)s after the last dose")
                % {"day": self.days_since_last_dose}
            ]
        elif self.phase == Phase.PROTRACTED:
            parts = [
                _("Protracted-withdrawal window, week %(week)s after the last dose")
                % {"week": self.weeks_since_last_dose}
            ]
        else:
            parts = [
                _("Past the protracted-withdrawal window, week %(week)s after the last dose")
                % {"week": self.weeks_since_last_dose}
            ]
        if self.phase == Phase.TAPERING and self.daily_dose_mg is not None:
            parts.append(_("%(dose)s mg a day") % {"dose": self.daily_dose_mg.normalize()})
        if self.days_since_last_reduction is not None and self.phase == Phase.TAPERING:
            days = self.days_since_last_reduction
            parts.append(
                _("last reduction today")
                if days == 0
                else ngettext("last reduction %(n)s day ago", "last reduction %(n)s days ago", days)
                % {"n": days}
            )
        if self.last_dose_date and self.phase != Phase.PRE_TAPER:
            parts.append(
                _("last dose %(date)s") % {"date": self.last_dose_date.strftime("%-d %b %Y")}
            )
        return " · ".join(parts)

    @property
    def days_since_last_dose(self) -> int | None:
        if self.last_dose_date is None or self.on <= self.last_dose_date:
            return None
        return (self.on - self.last_dose_date).days

    @property
    def weeks_since_last_dose(self) -> int | None:
        days = self.days_since_last_dose
        return None if days is None else (days - 1) // 7 + 1


def timeline_on(plans: list[PlanFacts], on: date) -> TimelinePoint:
    """The phase on a date. ``plans`` are the patient's non-draft plans, any order."""
    governing = None
    for facts in plans:
        if (
            facts.steps
            and facts.start_date <= on
            and (governing is None or facts.start_date > governing.start_date)
        ):
            governing = facts
    if governing is None:
        return TimelinePoint(on, Phase.PRE_TAPER, None, None, None, None)

    last_dose = governing.last_dose_date()
    dose = governing.dose_on(on)
    if last_dose is None or on <= last_dose:
        reduced = governing.last_reduction_on_or_before(on)
        return TimelinePoint(
            on,
            Phase.TAPERING,
            (on - governing.start_date).days + 1,
            dose,
            None if reduced is None else (on - reduced).days,
            last_dose,
            governing.plan_id,
        )
    days_after = (on - last_dose).days  # 1 on the day after the last dose
    if days_after <= governing.acute_window_days:
        phase, day = Phase.ACUTE, days_after
    elif days_after <= governing.protracted_window_days:
        phase, day = Phase.PROTRACTED, days_after - governing.acute_window_days
    else:
        phase, day = Phase.POST_WITHDRAWAL, days_after - governing.protracted_window_days
    return TimelinePoint(on, phase, day, Decimal("0"), None, last_dose, governing.plan_id)
