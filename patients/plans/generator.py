"""Taper schedules: generation, as pure functions of their inputs (the guideline checks are in
guidelines.py).

Nothing here reads the database, so the generator is tested table by table, and the plan
builder's live preview runs the very code that saving runs.

Doses are Decimals in mg; internally they are counted in micrograms so that rounding to what
the strengths allow is exact.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Protocol, TypeVar

from django.db.models import TextChoices
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patients.plans import clinical


class PlanMethod(TextChoices):
    PERCENT = "percent", gettext_lazy("Percent of the current dose (hyperbolic)")
    FIXED = "fixed", gettext_lazy("Fixed mg per step")
    CUSTOM = "custom", gettext_lazy("Custom steps")


class PlanInputError(ValueError):
    """Input that cannot make a plan; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class PlannedStep:
    sequence: int
    start_date: date
    end_date: date | None  # None: open-ended (the final step, usually 0 mg)
    daily_dose_mg: Decimal
    change_percent: Decimal | None  # change from the previous step; None for the first

    @property
    def days(self) -> int | None:
        return None if self.end_date is None else (self.end_date - self.start_date).days + 1


@dataclass(frozen=True)
class Formulary:
    """What can be dispensed: dose units (tablets, half-tablets) and the last dose before 0."""

    units_mg: tuple[Decimal, ...]
    lowest_practical_dose_mg: Decimal

    def achievable(self, dose_mg: Decimal) -> bool:
        ug = _to_ug(dose_mg)
        doses = self._doses_up_to(ug)
        index = bisect.bisect_left(doses, ug)
        return index < len(doses) and doses[index] == ug

    def at_or_above(self, target_mg: Decimal, below_mg: Decimal) -> Decimal | None:
        """The smallest achievable dose >= target and < below, or None."""
        doses = self._doses_up_to(_to_ug(below_mg))
        index = bisect.bisect_left(doses, _to_ug(target_mg))
        if index < len(doses) and doses[index] < _to_ug(below_mg):
            return _from_ug(doses[index])
        return None

    def largest_below(self, below_mg: Decimal) -> Decimal | None:
        doses = self._doses_up_to(_to_ug(below_mg))
        index = bisect.bisect_left(doses, _to_ug(below_mg)) - 1
        return _from_ug(doses[index]) if index >= 1 else None  # doses[0] is 0

    def _doses_up_to(self, ug: int) -> tuple[int, ...]:
        # Rounded up to a power of two so a whole plan reuses a handful of cached tables.
        return _reachable(self._units_ug(), 1 << max(ug.bit_length(), 10))

    def _units_ug(self) -> tuple[int, ...]:
        return tuple(sorted({_to_ug(u) for u in self.units_mg if u > 0}))


def _to_ug(mg: Decimal) -> int:
    return int((Decimal(mg) * 1000).to_integral_value(ROUND_HALF_UP))


def _from_ug(ug: int) -> Decimal:
    return Decimal(ug) / 1000 if ug else Decimal("0")


def fmt(value: Decimal) -> str:
    """A dose or percentage for people: 1.875, 10, 0.5 (never 1E+1 or 2.0000)."""
    return format(Decimal(value).normalize(), "f")


@cache
def _reachable(units_ug: tuple[int, ...], up_to_ug: int) -> tuple[int, ...]:
    """Every daily dose up to ``up_to_ug`` that whole units add up to, sorted (coin sums)."""
    if not units_ug:
        return (0,)
    step = 0
    for unit in units_ug:
        step = math.gcd(step, unit)
    reachable = {0}
    for total in range(step, up_to_ug + 1, step):
        if any(total - unit in reachable for unit in units_ug if unit <= total):
            reachable.add(total)
    return tuple(sorted(reachable))


def percent_change(previous: Decimal, current: Decimal) -> Decimal | None:
    if previous == 0:
        return None
    return ((current - previous) / previous * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


def dose_problem(dose: Decimal) -> str | None:
    """Why a daily dose cannot be right (a typo), or None: the one bound for starting, step and
    taken doses."""
    dose = Decimal(dose)
    if not dose.is_finite() or dose > clinical.MAX_PLAUSIBLE_DAILY_DOSE_MG:
        return _("%(dose)s mg a day is not plausible: check the dose (at most %(most)s mg).") % {
            "dose": dose,
            "most": clinical.MAX_PLAUSIBLE_DAILY_DOSE_MG,
        }
    exponent = dose.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # a finite Decimal (checked above) has a numeric exponent
    if -exponent > clinical.DOSE_DECIMAL_PLACES:
        return _("Give the dose with at most %(n)s decimal places.") % {
            "n": clinical.DOSE_DECIMAL_PLACES
        }
    return None


def _validate_common(start_date, start_dose_mg, interval_days, method, today):
    errors: dict[str, str] = {}
    if start_date is None:
        errors["start_date"] = _("Give the date the plan starts.")
    elif today is not None:
        earliest = today - timedelta(days=clinical.PLAN_START_EARLIEST_DAYS_AGO)
        latest = today + timedelta(days=clinical.PLAN_START_LATEST_DAYS_AHEAD)
        if not earliest <= start_date <= latest:
            errors["start_date"] = _(
                "Check the start date: a plan starts between %(earliest)s (two years ago) and "
                "%(latest)s (a year ahead)."
            ) % {"earliest": earliest.isoformat(), "latest": latest.isoformat()}
    if start_dose_mg is None or start_dose_mg <= 0:
        errors["start_dose_mg"] = _("The starting dose must be more than 0 mg.")
    elif problem := dose_problem(start_dose_mg):
        errors["start_dose_mg"] = problem
    if method != PlanMethod.CUSTOM and (
        interval_days is None or not 1 <= interval_days <= clinical.MAX_INTERVAL_DAYS
    ):
        errors["interval_days"] = _(
            "The interval between reductions must be 1 to %(most)s days (12 weeks); for a "
            "longer pause, hold the plan."
        ) % {"most": clinical.MAX_INTERVAL_DAYS}
    return errors


def generate_steps(
    *,
    method: str,
    start_date: date,
    start_dose_mg: Decimal,
    formulary: Formulary,
    reduction_percent: Decimal | None = None,
    reduction_mg: Decimal | None = None,
    interval_days: int | None = None,
    custom_steps: list[tuple[date, Decimal]] | None = None,
    today: date | None = None,
) -> list[PlannedStep]:
    """The steps of a plan. Raises PlanInputError for input that cannot make a plan. With
    ``today`` (the clinic's date), the start date must lie in the plausible window."""
    errors = _validate_common(start_date, start_dose_mg, interval_days, method, today)
    if method == PlanMethod.PERCENT:
        if reduction_percent is None or not (0 < reduction_percent < 100):
            errors["reduction_percent"] = _(
                "The reduction must be more than 0% and less than 100% of the current dose."
            )
    elif method == PlanMethod.FIXED:
        if reduction_mg is None or reduction_mg <= 0:
            errors["reduction_mg"] = _("The reduction must be more than 0 mg.")
        elif start_dose_mg and reduction_mg >= start_dose_mg:
            errors["reduction_mg"] = _("The reduction must be smaller than the starting dose.")
    elif method == PlanMethod.CUSTOM:
        return _custom_steps(start_date, start_dose_mg, custom_steps, errors)
    else:
        errors["method"] = _("Choose how the dose is reduced: percent, fixed or custom.")
    if errors:
        raise PlanInputError(errors)
    # Validated above: a percent or fixed plan has an interval (_validate_common).
    assert interval_days is not None

    doses = [Decimal(start_dose_mg)]
    lowest = formulary.lowest_practical_dose_mg
    while doses[-1] > 0:
        current = doses[-1]
        if len(doses) > clinical.MAX_GENERATED_STEPS:
            raise PlanInputError(
                {
                    "reduction_percent" if method == PlanMethod.PERCENT else "reduction_mg": _(
                        "This reduction would need more than %(n)s steps: make it larger."
                    )
                    % {"n": clinical.MAX_GENERATED_STEPS}
                }
            )
        if current <= lowest:
            doses.append(Decimal("0"))  # the final step to zero, from the lowest dose
            continue
        if method == PlanMethod.PERCENT:
            assert reduction_percent is not None  # validated above
            target = current * (100 - reduction_percent) / 100
        else:
            assert reduction_mg is not None  # validated above: a fixed plan
            target = current - reduction_mg
        if target < lowest:
            doses.append(lowest)
            continue
        # Round towards the current dose (a smaller cut than asked), never back up to it;
        # when no dispensable dose lies in between, take the next one down (a larger cut,
        # flagged by the checks).
        nxt = formulary.at_or_above(target, current) or formulary.largest_below(current)
        doses.append(nxt if nxt is not None and nxt >= lowest else lowest)

    steps = []
    for index, dose in enumerate(doses):
        start = start_date + timedelta(days=index * interval_days)
        is_last = index == len(doses) - 1
        end = None if is_last else start + timedelta(days=interval_days - 1)
        change = None if index == 0 else percent_change(doses[index - 1], dose)
        steps.append(PlannedStep(index + 1, start, end, dose, change))
    return steps


def _custom_steps(start_date, start_dose_mg, custom_steps, errors):
    custom_steps = list(custom_steps or [])
    if custom_steps and custom_steps[0] == (start_date, start_dose_mg):
        custom_steps = custom_steps[1:]  # the starting dose repeated as a first line
    if not custom_steps:
        errors["steps"] = _("Add at least one step after the starting dose.")
    elif len(custom_steps) > clinical.MAX_GENERATED_STEPS:
        errors["steps"] = _("A plan has at most %(n)s steps.") % {"n": clinical.MAX_GENERATED_STEPS}
        custom_steps = []
    for index, (step_date, dose) in enumerate(custom_steps, start=2):
        if dose is None or dose < 0:
            errors["steps"] = _("Step %(n)s: the dose cannot be negative.") % {"n": index}
            break
        problem = dose_problem(dose)
        if problem:
            errors["steps"] = _("Step %(n)s: %(problem)s") % {"n": index, "problem": problem}
            break
        if start_dose_mg and dose > start_dose_mg:
            errors["steps"] = _(
                "Step %(n)s: %(dose)s mg is above the starting dose (%(start)s mg). A taper does "
                "not go above where it started: start a new plan for a higher dose."
            ) % {"n": index, "dose": dose, "start": start_dose_mg}
            break
        # A difference of dates, never a date plus days: year 9999 plus five years overflowed.
        if start_date and step_date and (step_date - start_date).days > clinical.PLAN_LONGEST_DAYS:
            errors["steps"] = _(
                "Step %(n)s: a step more than five years after the start is not plausible: "
                "check the date."
            ) % {"n": index}
            break
        previous_date = start_date if index == 2 else custom_steps[index - 3][0]
        if start_date and previous_date and step_date <= previous_date:
            errors["steps"] = _(
                "Step %(n)s: each step must start after the one before (dates in order)."
            ) % {"n": index}
            break
    if errors:
        raise PlanInputError(errors)
    points = [(start_date, Decimal(start_dose_mg)), *custom_steps]
    steps = []
    for index, (start, dose) in enumerate(points):
        is_last = index == len(points) - 1
        end = None if is_last else points[index + 1][0] - timedelta(days=1)
        change = None if index == 0 else percent_change(points[index - 1][1], Decimal(dose))
        steps.append(PlannedStep(index + 1, start, end, Decimal(dose), change))
    return steps


class Step(Protocol):
    """Any dated dose step: a generated ``PlannedStep``, a stored ``TaperStep``, a timeline
    ``StepFact``. The schedule facts below are the one home of their rule for all three."""

    @property
    def start_date(self) -> date: ...

    @property
    def daily_dose_mg(self) -> Decimal: ...


AnyStep = TypeVar("AnyStep", bound=Step)


def last_dose_date(steps: Sequence[Step]) -> date | None:
    """The last day with a dose above zero, when the plan reaches zero."""
    if not steps or steps[-1].daily_dose_mg != 0 or len(steps) < 2:
        return None
    return steps[-1].start_date - timedelta(days=1)


def cuts(steps: Sequence[AnyStep]) -> list[tuple[AnyStep, AnyStep]]:
    """Each dose reduction of a schedule, as (the step before, the step that lowers the dose):
    what the guideline checks, the timeline, the per-reduction view and the alerts count."""
    return [
        (before, after)
        for before, after in itertools.pairwise(steps)
        if after.daily_dose_mg < before.daily_dose_mg
    ]


# How much each kind of piece costs a patient when the schedule chooses tablets: whole
# tablets first, then orally disintegrating tablets or capsules, and halves last (splitting is
# fiddly and less exact).
PIECE_COST = {"whole": 10, "other_form": 11, "half": 14}


def tablets_for(dose_mg: Decimal, strengths: list[tuple[Decimal, str, bool]]) -> list[tuple]:
    """How to make a daily dose from the strengths, at the lowest PIECE_COST.

    ``strengths`` are (strength, form, splittable) with form "tablet", "odt" or "capsule".
    Returns [(count, strength, form)], count in halves where needed, largest strength first,
    or [] when the dose cannot be made.
    """
    target = _to_ug(dose_mg)
    if target == 0:
        return []
    pieces = []  # (ug, cost, strength, form, is_half)
    for strength, form, splittable in strengths:
        whole_cost = PIECE_COST["whole"] if form == "tablet" else PIECE_COST["other_form"]
        pieces.append((_to_ug(strength), whole_cost, strength, form, False))
        if splittable:
            pieces.append((_to_ug(strength) // 2, PIECE_COST["half"], strength, form, True))
    grain = 0
    for ug, *_rest in pieces:
        grain = math.gcd(grain, ug)
    # Cheapest way to reach each total, walking totals in steps of the pieces' common divisor.
    best: dict[int, tuple[int, tuple[int, ...]]] = {0: (0, ())}
    for total in range(grain, target + 1, grain):
        for index, (ug, cost, *_rest) in enumerate(pieces):
            if ug <= total and total - ug in best:
                previous_cost, used = best[total - ug]
                if total not in best or previous_cost + cost < best[total][0]:
                    best[total] = (previous_cost + cost, (*used, index))
    if target not in best:
        return []
    counts: dict[tuple, Decimal] = {}
    for index in best[target][1]:
        _ug, _cost, strength, form, is_half = pieces[index]
        counts[(strength, form)] = counts.get((strength, form), Decimal(0)) + (
            Decimal("0.5") if is_half else Decimal(1)
        )
    return [
        (count, strength, form)
        for (strength, form), count in sorted(counts.items(), key=lambda item: -item[0][0])
    ]
