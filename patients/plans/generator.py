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
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
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

    def at_or_above_exact(self, target_mg: Decimal, below_mg: Decimal) -> Decimal | None:
        """Like ``at_or_above``, with the target rounded up to the microgram, never down: the
        dose found is never a hair below the target (a cut a hair above the one asked for)."""
        target_ug = int((Decimal(target_mg) * 1000).to_integral_value(ROUND_CEILING))
        doses = self._doses_up_to(_to_ug(below_mg))
        index = bisect.bisect_left(doses, target_ug)
        if index < len(doses) and doses[index] < _to_ug(below_mg):
            return _from_ug(doses[index])
        return None

    def smaller_strength_for(self, target_mg: Decimal, below_mg: Decimal) -> Decimal | None:
        """A strength half the smallest dose unit, when adding it would make a dose >= target
        and < below that these units cannot; else None (then only a liquid would)."""
        units = self._units_ug()
        if not units or units[0] < 2:
            return None
        smaller = _from_ug(units[0] // 2)
        wider = Formulary((*self.units_mg, smaller), self.lowest_practical_dose_mg)
        return smaller if wider.at_or_above_exact(target_mg, below_mg) is not None else None

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

    if method == PlanMethod.PERCENT:
        assert reduction_percent is not None  # validated above
        allowance: _Allowance = _PercentAllowance(Decimal(reduction_percent))
        field_name = "reduction_percent"
    else:
        assert reduction_mg is not None  # validated above: a fixed plan
        allowance = _FixedAllowance(Decimal(reduction_mg))
        field_name = "reduction_mg"
    doses, holds = _paced_doses(Decimal(start_dose_mg), formulary, allowance, field_name)

    steps = []
    start = start_date
    for index, dose in enumerate(doses):
        is_last = index == len(doses) - 1
        end = None if is_last else start + timedelta(days=holds[index] * interval_days - 1)
        change = None if index == 0 else percent_change(doses[index - 1], dose)
        steps.append(PlannedStep(index + 1, start, end, dose, change))
        if end is not None:
            start = end + timedelta(days=1)
    return steps


class _Allowance(Protocol):
    """How far the requested pace lets the dose fall, held for some intervals."""

    def floor(self, dose: Decimal, intervals: int) -> Decimal:
        """The lowest dose the pace allows ``intervals`` intervals after ``dose``."""
        ...

    def intervals_to_reach(self, dose: Decimal, lower: Decimal, most: int) -> int | None:
        """The fewest intervals (at least 1) after which the pace allows ``lower``, or None
        when that takes more than ``most``."""
        ...

    def last_hold(self, dose: Decimal, most: int) -> int | None:
        """How many intervals the lowest dose is held before the final step to zero."""
        ...


@dataclass(frozen=True)
class _PercentAllowance:
    """Hyperbolic: ``percent`` of the current dose per interval, compounding while held."""

    percent: Decimal

    def floor(self, dose: Decimal, intervals: int) -> Decimal:
        return dose * ((100 - self.percent) / 100) ** intervals

    def intervals_to_reach(self, dose: Decimal, lower: Decimal, most: int) -> int | None:
        factor = (100 - self.percent) / 100
        floor = dose
        for intervals in range(1, most + 1):
            floor *= factor
            if floor <= lower:
                return intervals
        return None

    def last_hold(self, dose: Decimal, most: int) -> int | None:
        # A percentage never adds up to the whole dose: the stop from the lowest practical
        # dose comes one interval after it (the guideline checks name it).
        return 1


@dataclass(frozen=True)
class _FixedAllowance:
    """Linear: ``mg`` per interval, adding up while held."""

    mg: Decimal

    def floor(self, dose: Decimal, intervals: int) -> Decimal:
        return dose - self.mg * intervals

    def intervals_to_reach(self, dose: Decimal, lower: Decimal, most: int) -> int | None:
        intervals = max(1, math.ceil((dose - lower) / self.mg))
        return intervals if intervals <= most else None

    def last_hold(self, dose: Decimal, most: int) -> int | None:
        return self.intervals_to_reach(dose, Decimal(0), most)  # the mg asked for add up to it


def _paced_doses(
    start: Decimal, formulary: Formulary, allowance: _Allowance, field_name: str
) -> tuple[list[Decimal], list[int]]:
    """The doses of a percent or fixed plan, and how many intervals each is held (the final
    dose, 0, is open-ended).

    The pace is kept by construction. From each dose the plan goes, after one interval, to the
    smallest dispensable dose the requested cut allows (rounding towards the current dose: a
    smaller cut than asked). When the strengths have no dose that close, it does not take a
    bigger cut: it holds the current dose for more intervals, until the requested reduction
    accumulated over them (compounding for a percent) reaches the next dispensable dose, and
    steps to that one. So the cut per interval held stays within the request, a single cut is
    larger than asked only where no dispensable dose lies between (a strengths gap, flagged by
    the guideline checks). The last dose before zero is the lowest practical dose; a fixed plan
    holds it until the mg asked for add up to it, a percent plan (which never adds up to the
    whole dose) for one interval."""
    lowest = formulary.lowest_practical_dose_mg
    doses, holds = [start], []
    budget = clinical.MAX_GENERATED_STEPS  # intervals left: held intervals count as steps
    while doses[-1] > 0:
        current = doses[-1]
        if len(doses) > clinical.MAX_GENERATED_STEPS:
            raise _too_long(field_name)
        intervals: int | None = 1
        if current <= lowest:
            nxt = Decimal("0")  # the final step to zero, from the lowest dose
            intervals = allowance.last_hold(current, budget)
        else:
            within = formulary.at_or_above_exact(max(allowance.floor(current, 1), lowest), current)
            if within is not None:
                nxt = within
            else:
                # No dispensable dose within one interval's reduction: hold the current dose
                # until the reduction adds up to the next dose down, then step to that one.
                below = formulary.largest_below(current)
                nxt = below if below is not None and below >= lowest else lowest
                intervals = allowance.intervals_to_reach(current, nxt, budget)
        if intervals is None or intervals > budget:
            raise _too_long(field_name)
        budget -= intervals
        holds.append(intervals)
        doses.append(nxt)
    return doses, holds


def _too_long(field_name: str) -> PlanInputError:
    return PlanInputError(
        {
            field_name: _(
                "This reduction would need more than %(n)s steps or intervals: make it larger."
            )
            % {"n": clinical.MAX_GENERATED_STEPS}
        }
    )


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
# fiddly and less exact). Each different product (a strength in a form) costs PRODUCT_COST
# more: another box to dispense and to tell apart, so a dose is made from as few products as
# the pieces allow (1.875 mg clonazepam: 1 mg + 1½ × 0.5 mg + one 0.125 mg ODT, three
# products, not four). Above 3, three products would rather be two with one more tablet; at
# 5, one more whole tablet never replaces a half (6 mg from 5 mg + ½ × 2 mg, not 3 × 2 mg).
PIECE_COST = {"whole": 10, "other_form": 11, "half": 14}
PRODUCT_COST = 5


def tablets_for(dose_mg: Decimal, strengths: list[tuple[Decimal, str, bool]]) -> list[tuple]:
    """How to make a daily dose from the strengths, at the lowest cost: PIECE_COST for each
    piece plus PRODUCT_COST for each different product (strength and form) it needs.

    ``strengths`` are (strength, form, splittable) with form "tablet", "odt" or "capsule".
    Returns [(count, strength, form)], count in halves where needed, largest strength first,
    or [] when the dose cannot be made.
    """
    products: dict[tuple[Decimal, str], bool] = {}
    for strength, form, splittable in strengths:
        key = (Decimal(strength), form)
        products[key] = products.get(key, False) or bool(splittable)
    return list(_tablets_for(_to_ug(dose_mg), tuple(products.items())))


@cache
def _tablets_for(
    target: int, products: tuple[tuple[tuple[Decimal, str], bool], ...]
) -> tuple[tuple[Decimal, Decimal, str], ...]:
    if target == 0:
        return ()
    pieces = []  # (ug, cost, product index, is_half)
    for index, ((strength, form), splittable) in enumerate(products):
        whole_cost = PIECE_COST["whole"] if form == "tablet" else PIECE_COST["other_form"]
        if _to_ug(strength) > 0:
            pieces.append((_to_ug(strength), whole_cost, index, False))
        if splittable and _to_ug(strength) // 2 > 0:
            pieces.append((_to_ug(strength) // 2, PIECE_COST["half"], index, True))
    found = _cheapest_pieces(target, tuple(pieces))
    if found is None:
        return ()
    # The cheapest pieces from all the products bound every choice from fewer of them: a
    # choice of n products costs at least that plus n * PRODUCT_COST.
    least_pieces_cost = found[0]

    def total(choice: tuple[int, tuple[int, ...]]) -> tuple[int, int, tuple[int, ...]]:
        cost, used = choice
        return (cost + PRODUCT_COST * len({pieces[i][2] for i in used}), len(used), used)

    best = total(found)
    for size in range(1, len(products)):
        if least_pieces_cost + PRODUCT_COST * size >= best[0]:
            break
        for chosen in itertools.combinations(range(len(products)), size):
            allowed = tuple(piece for piece in pieces if piece[2] in chosen)
            choice = _cheapest_pieces(target, allowed)
            if choice is not None:
                # Piece indices of the subset, mapped back to ``pieces``.
                mapped = (choice[0], tuple(pieces.index(allowed[i]) for i in choice[1]))
                best = min(best, total(mapped))
    counts: dict[int, Decimal] = {}
    for index in best[2]:
        _ug, _cost, product, is_half = pieces[index]
        counts[product] = counts.get(product, Decimal(0)) + (
            Decimal("0.5") if is_half else Decimal(1)
        )
    return tuple(
        (count, products[product][0][0], products[product][0][1])
        for product, count in sorted(
            counts.items(), key=lambda item: (-products[item[0]][0][0], products[item[0]][0][1])
        )
    )


def _cheapest_pieces(
    target: int, pieces: tuple[tuple[int, int, int, bool], ...]
) -> tuple[int, tuple[int, ...]] | None:
    """(cost, indices of the pieces) of the cheapest pieces adding up to ``target`` µg."""
    grain = 0
    for ug, *_rest in pieces:
        grain = math.gcd(grain, ug)
    if grain == 0 or target % grain:
        return None
    # Cheapest way to reach each total, walking totals in steps of the pieces' common divisor.
    best: dict[int, tuple[int, tuple[int, ...]]] = {0: (0, ())}
    for total in range(grain, target + 1, grain):
        for index, (ug, cost, *_rest) in enumerate(pieces):
            if ug <= total and total - ug in best:
                previous_cost, used = best[total - ug]
                if total not in best or previous_cost + cost < best[total][0]:
                    best[total] = (previous_cost + cost, (*used, index))
    return best.get(target)
