"""Taper schedules: generation and guideline checks, as pure functions of their inputs.

Nothing here reads the database, so the generator and the checks are tested table by table,
and the plan builder's live preview runs the very code that saving runs.

Doses are Decimals in mg; internally they are counted in micrograms so that rounding to what
the strengths allow is exact.
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from django.utils.translation import gettext as _

from . import clinical


class Method:
    PERCENT = "percent"
    FIXED = "fixed"
    CUSTOM = "custom"


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
class GuidelineWarning:
    code: str
    message: str
    sequence: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


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
    if -dose.normalize().as_tuple().exponent > clinical.DOSE_DECIMAL_PLACES:
        return _("Give the dose with at most %(n)s decimal places.") % {
            "n": clinical.DOSE_DECIMAL_PLACES
        }
    return None


def _validate_common(start_date, start_dose_mg, interval_days, method, today):
    errors = {}
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
    elif dose_problem(start_dose_mg):
        errors["start_dose_mg"] = dose_problem(start_dose_mg)
    if method != Method.CUSTOM and (
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
    if method == Method.PERCENT:
        if reduction_percent is None or not (0 < reduction_percent < 100):
            errors["reduction_percent"] = _(
                "The reduction must be more than 0% and less than 100% of the current dose."
            )
    elif method == Method.FIXED:
        if reduction_mg is None or reduction_mg <= 0:
            errors["reduction_mg"] = _("The reduction must be more than 0 mg.")
        elif start_dose_mg and reduction_mg >= start_dose_mg:
            errors["reduction_mg"] = _("The reduction must be smaller than the starting dose.")
    elif method == Method.CUSTOM:
        return _custom_steps(start_date, start_dose_mg, custom_steps, errors)
    else:
        errors["method"] = _("Choose how the dose is reduced: percent, fixed or custom.")
    if errors:
        raise PlanInputError(errors)

    doses = [Decimal(start_dose_mg)]
    lowest = formulary.lowest_practical_dose_mg
    while doses[-1] > 0:
        current = doses[-1]
        if len(doses) > clinical.MAX_GENERATED_STEPS:
            raise PlanInputError(
                {
                    "reduction_percent" if method == Method.PERCENT else "reduction_mg": _(
                        "This reduction would need more than %(n)s steps: make it larger."
                    )
                    % {"n": clinical.MAX_GENERATED_STEPS}
                }
            )
        if current <= lowest:
            doses.append(Decimal("0"))  # the final step to zero, from the lowest dose
            continue
        if method == Method.PERCENT:
            target = current * (100 - reduction_percent) / 100
        else:
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


def last_dose_date(steps: list[PlannedStep]) -> date | None:
    """The last day with a dose above zero, when the plan reaches zero."""
    if not steps or steps[-1].daily_dose_mg != 0 or len(steps) < 2:
        return None
    return steps[-1].start_date - timedelta(days=1)


@dataclass
class PlanContext:
    """What the checks need besides the steps."""

    formulary: Formulary
    short_acting: bool
    medication_name: str
    diazepam_equivalents: list[tuple[Decimal, str]] = field(default_factory=list)
    requested_percent: Decimal | None = None
    patient_risks: list[str] = field(default_factory=list)


def check_guidelines(steps: list[PlannedStep], context: PlanContext) -> list[GuidelineWarning]:
    """Warnings against the 2025 Joint Guideline (patients/clinical.py), in plain language."""
    warnings: list[GuidelineWarning] = []
    if not steps:
        return warnings
    window = clinical.PACE_WINDOW_DAYS
    max_cut = clinical.MAX_REDUCTION_PERCENT_PER_WINDOW

    start = steps[0].daily_dose_mg
    if context.diazepam_equivalents:
        highest_de, source = max(context.diazepam_equivalents)
        if highest_de > clinical.OUTPATIENT_UNSUITABLE_DAILY_DE_MG:
            warnings.append(
                GuidelineWarning(
                    "outpatient_taper_unsuitable",
                    _(
                        "The starting dose is about %(de)s mg diazepam a day (%(source)s), above "
                        "%(limit)s mg: an outpatient taper is unsuitable; consider inpatient or "
                        "medically managed withdrawal."
                    )
                    % {
                        "de": fmt(highest_de),
                        "source": source,
                        "limit": clinical.OUTPATIENT_UNSUITABLE_DAILY_DE_MG,
                    },
                    1,
                )
            )
        elif highest_de > clinical.HIGH_RISK_DAILY_DE_MG:
            warnings.append(
                GuidelineWarning(
                    "high_starting_dose",
                    _(
                        "The starting dose is about %(de)s mg diazepam a day (%(source)s), above "
                        "%(limit)s mg: withdrawal risk is high; taper slowly and assess often."
                    )
                    % {
                        "de": fmt(highest_de),
                        "source": source,
                        "limit": clinical.HIGH_RISK_DAILY_DE_MG,
                    },
                    1,
                )
            )
    if context.patient_risks:
        warnings.append(
            GuidelineWarning(
                "seizure_risk_factors",
                _(
                    "This patient has seizure-risk factors (%(risks)s). A history of seizures or "
                    "co-used CNS depressants make an outpatient taper unsuitable."
                )
                % {"risks": ", ".join(context.patient_risks)},
            )
        )
    if context.short_acting:
        warnings.append(
            GuidelineWarning(
                "short_acting_drug",
                _(
                    "%(drug)s is short-acting: consider switching to a longer-acting "
                    "benzodiazepine such as diazepam (cross over across 1–2 weeks) before "
                    "tapering."
                )
                % {"drug": context.medication_name},
            )
        )
    if not context.formulary.achievable(start):
        warnings.append(
            GuidelineWarning(
                "start_dose_not_dispensable",
                _("The starting dose %(dose)s mg cannot be made from the available strengths.")
                % {"dose": fmt(start)},
                1,
            )
        )

    reductions = [s for s in steps[1:] if s.daily_dose_mg < _previous(steps, s).daily_dose_mg]
    if reductions:
        first = reductions[0]
        first_cut = -percent_change(_previous(steps, first).daily_dose_mg, first.daily_dose_mg)
        if first_cut > clinical.MAX_FIRST_REDUCTION_PERCENT and first.daily_dose_mg > 0:
            warnings.append(
                GuidelineWarning(
                    "first_cut_above_10_percent",
                    _("The first reduction is %(cut)s%%; the guideline starts with 5–10%%.")
                    % {"cut": first_cut},
                    first.sequence,
                )
            )
    for earlier, later in itertools.pairwise(reductions):
        gap = (later.start_date - earlier.start_date).days
        if gap < clinical.MIN_DAYS_BETWEEN_REDUCTIONS:
            warnings.append(
                GuidelineWarning(
                    "reductions_less_than_14_days_apart",
                    _(
                        "Step %(seq)s cuts the dose %(gap)s days after the previous cut; the "
                        "guideline leaves at least %(min)s days between reductions."
                    )
                    % {
                        "seq": later.sequence,
                        "gap": gap,
                        "min": clinical.MIN_DAYS_BETWEEN_REDUCTIONS,
                    },
                    later.sequence,
                )
            )
    for step in steps[1:]:
        previous = _previous(steps, step)
        if step.daily_dose_mg > previous.daily_dose_mg:
            warnings.append(
                GuidelineWarning(
                    "dose_increase",
                    _("Step %(seq)s raises the dose from %(a)s mg to %(b)s mg.")
                    % {
                        "seq": step.sequence,
                        "a": fmt(previous.daily_dose_mg),
                        "b": fmt(step.daily_dose_mg),
                    },
                    step.sequence,
                )
            )
            continue
        if step.daily_dose_mg == previous.daily_dose_mg:
            continue
        # The highest dose taken in the 14 days before this step starts.
        window_start = step.start_date - timedelta(days=window)
        recent = [
            s.daily_dose_mg
            for s in steps
            if s.sequence < step.sequence and (s.end_date is None or s.end_date >= window_start)
        ]
        reference = max(recent)
        cut = (reference - step.daily_dose_mg) / reference * 100
        if cut > max_cut:
            warnings.append(
                GuidelineWarning(
                    "exceeds_25_percent_in_2_weeks",
                    _(
                        "Step %(seq)s takes the dose from %(a)s mg to %(b)s mg within %(days)s "
                        "days, a cut of %(cut)s%%; the guideline pace is at most %(max)s%% every "
                        "2 weeks."
                    )
                    % {
                        "seq": step.sequence,
                        "a": fmt(reference),
                        "b": fmt(step.daily_dose_mg),
                        "days": window,
                        "cut": cut.quantize(Decimal("1"), ROUND_HALF_UP),
                        "max": max_cut,
                    },
                    step.sequence,
                )
            )
        if step.daily_dose_mg == 0:
            if previous.daily_dose_mg > context.formulary.lowest_practical_dose_mg:
                continue  # a stop from above the lowest dose is already flagged for its pace
            warnings.append(
                GuidelineWarning(
                    "final_step_from_lowest_dose",
                    _(
                        "Step %(seq)s stops from %(dose)s mg, the lowest dose the strengths "
                        "allow. A liquid formulation would allow smaller final steps."
                    )
                    % {"seq": step.sequence, "dose": fmt(previous.daily_dose_mg)},
                    step.sequence,
                )
            )
            continue
        requested = context.requested_percent
        this_cut = -step.change_percent if step.change_percent is not None else None
        forced = (
            requested is not None
            and this_cut is not None
            and this_cut > requested
            and this_cut > max_cut
        )
        if forced:
            warnings.append(
                GuidelineWarning(
                    "strengths_force_larger_cut",
                    _(
                        "Step %(seq)s: the available strengths cannot make a %(req)s%% cut from "
                        "%(a)s mg; the nearest dispensable dose is %(b)s mg (a %(cut)s%% cut). "
                        "Consider a liquid formulation or switching to diazepam."
                    )
                    % {
                        "seq": step.sequence,
                        "req": fmt(requested),
                        "a": fmt(previous.daily_dose_mg),
                        "b": fmt(step.daily_dose_mg),
                        "cut": this_cut.quantize(Decimal("1"), ROUND_HALF_UP),
                    },
                    step.sequence,
                )
            )
    for step in steps:
        if step.daily_dose_mg > 0 and not context.formulary.achievable(step.daily_dose_mg):
            if step.sequence == 1:
                continue  # reported above as start_dose_not_dispensable
            warnings.append(
                GuidelineWarning(
                    "dose_not_dispensable",
                    _("Step %(seq)s: %(dose)s mg cannot be made from the available strengths.")
                    % {"seq": step.sequence, "dose": fmt(step.daily_dose_mg)},
                    step.sequence,
                )
            )
    if steps[-1].daily_dose_mg != 0:
        warnings.append(
            GuidelineWarning(
                "does_not_reach_zero",
                _("The plan ends at %(dose)s mg a day, not at zero.")
                % {"dose": fmt(steps[-1].daily_dose_mg)},
                steps[-1].sequence,
            )
        )
    return warnings


def _previous(steps: list[PlannedStep], step: PlannedStep) -> PlannedStep:
    return steps[step.sequence - 2]


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
