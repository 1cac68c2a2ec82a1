"""Guideline checks of a taper schedule: one function per check, pure functions of the steps.

Each check reads the steps (and the context: drug, strengths, patient risks) and returns its
warnings in plain language; ``check_guidelines`` runs them in a fixed order, so a plan's
warnings read from its start to its end. The numbers and their sources:
docs/clinical-basis.md, "Tapering pace" and "Withdrawal risk by dose".
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from patients.plans import clinical, risk
from patients.plans.generator import Formulary, PlannedStep, cuts, fmt, percent_change

# Two tiers. A *risk note* informs (the drug, the dose's band, the patient's own factors) and
# needs no justification: nothing about the plan could change it. A *deviation* is a decision
# the plan makes against the guideline (its pace, its first cut, a bigger cut than asked, an
# increase, a dose the strengths cannot make, an end above zero): it needs the clinician's
# written reasons, and where the clinic asks, a second clinician's co-sign.
NOTE = "note"
DEVIATION = "deviation"
NOTE_CODES = frozenset(
    {
        "outpatient_taper_unsuitable",
        "high_starting_dose",
        "seizure_risk_factors",
        "short_acting_drug",
        "final_step_from_lowest_dose",
        "long_plan",
        "strengths_gap",
    }
)


def tier_of(code: str) -> str:
    """The tier of a warning code (also of warnings stored before tiers existed)."""
    return NOTE if code in NOTE_CODES else DEVIATION


@dataclass(frozen=True)
class GuidelineWarning:
    code: str
    message: str
    sequence: int | None = None

    @property
    def tier(self) -> str:
        return tier_of(self.code)

    def as_dict(self) -> dict:
        return {**asdict(self), "tier": self.tier}


def deviations(warnings) -> list:
    """The deviations among warnings (GuidelineWarning objects or their stored dicts)."""
    return [
        w for w in warnings if tier_of(w.code if hasattr(w, "code") else w["code"]) == DEVIATION
    ]


@dataclass
class PlanContext:
    """What the checks need besides the steps."""

    formulary: Formulary
    short_acting: bool
    medication_name: str
    diazepam_equivalents: list[tuple[Decimal, str]] = field(default_factory=list)
    medication_code: str = ""
    requested_percent: Decimal | None = None
    requested_mg: Decimal | None = None  # a fixed plan's mg per interval
    interval_days: int | None = None  # the requested time between cuts
    patient_risks: list[str] = field(default_factory=list)


def _previous(steps: list[PlannedStep], step: PlannedStep) -> PlannedStep:
    return steps[step.sequence - 2]


def reductions(steps: list[PlannedStep]) -> list[PlannedStep]:
    """The steps that cut the dose."""
    return [after for _before, after in cuts(steps)]


# --- Checks of the whole plan ----------------------------------------------------------------


def starting_dose_risk(
    steps: list[PlannedStep], context: PlanContext
) -> Iterator[GuidelineWarning]:
    """The starting dose's band for that drug (Table 2), and the outpatient limit, by Table 2's
    own conversion: a label never depends on which equivalence table is the strictest."""
    start = steps[0].daily_dose_mg
    equivalent = risk.table2_diazepam_equivalent(context.medication_code, start)
    if equivalent is not None and equivalent > clinical.OUTPATIENT_UNSUITABLE_DAILY_DE_MG:
        yield GuidelineWarning(
            "outpatient_taper_unsuitable",
            _(
                "The starting dose is about %(de)s mg diazepam a day (2025 Joint Guideline, "
                "Table 2), above %(limit)s mg: an outpatient taper is unsuitable; consider "
                "inpatient or medically managed withdrawal."
            )
            % {"de": fmt(equivalent), "limit": clinical.OUTPATIENT_UNSUITABLE_DAILY_DE_MG},
            1,
        )
    elif risk.dose_band(context.medication_code, start) == "high":
        yield GuidelineWarning(
            "high_starting_dose",
            _(
                "%(dose)s mg of %(drug)s a day is in the high band of the 2025 Joint Guideline's "
                "Table 2 (above %(limit)s mg, about 15 mg diazepam): withdrawal risk is high; "
                "taper slowly and assess often."
            )
            % {
                "dose": fmt(start),
                "drug": context.medication_name,
                "limit": fmt(clinical.HIGH_BAND_DAILY_MG[context.medication_code]),
            },
            1,
        )


def plan_length(steps: list[PlannedStep], context: PlanContext) -> Iterator[GuidelineWarning]:
    """A very slow pace, held until the strengths allow each cut, can last for years: said, so
    the clinician sees the length the rate implies."""
    days = (steps[-1].start_date - steps[0].start_date).days
    if days > clinical.LONG_PLAN_DAYS:
        yield GuidelineWarning(
            "long_plan",
            _(
                "At this pace, with the doses the strengths allow, the taper lasts about "
                "%(years)s years: review whether a faster pace, a liquid formulation or custom "
                "steps suit this patient."
            )
            % {"years": fmt(Decimal(days) / 365)[:4].rstrip(".")},
        )


def seizure_risk_factors(
    steps: list[PlannedStep], context: PlanContext
) -> Iterator[GuidelineWarning]:
    if context.patient_risks:
        yield GuidelineWarning(
            "seizure_risk_factors",
            _(
                "This patient has seizure-risk factors (%(risks)s). A history of seizures or "
                "co-used CNS depressants make an outpatient taper unsuitable."
            )
            % {"risks": ", ".join(context.patient_risks)},
        )


def short_acting_drug(steps: list[PlannedStep], context: PlanContext) -> Iterator[GuidelineWarning]:
    if context.short_acting:
        yield GuidelineWarning(
            "short_acting_drug",
            _(
                "%(drug)s is short-acting: consider switching to a longer-acting "
                "benzodiazepine such as diazepam (cross over across 1–2 weeks) before "
                "tapering."
            )
            % {"drug": context.medication_name},
        )


def start_dose_dispensable(
    steps: list[PlannedStep], context: PlanContext
) -> Iterator[GuidelineWarning]:
    start = steps[0].daily_dose_mg
    if not context.formulary.achievable(start):
        yield GuidelineWarning(
            "start_dose_not_dispensable",
            _("The starting dose %(dose)s mg cannot be made from the available strengths.")
            % {"dose": fmt(start)},
            1,
        )


def first_cut_size(steps: list[PlannedStep], context: PlanContext) -> Iterator[GuidelineWarning]:
    cuts = reductions(steps)
    if not cuts:
        return
    first = cuts[0]
    previous = _previous(steps, first)
    change = percent_change(previous.daily_dose_mg, first.daily_dose_mg)
    # A cut: the dose before is above this one (never negative), so above 0 and a change exists.
    assert change is not None
    first_cut = -change
    # Held for whole intervals until the strengths allow the cut (the generator's way of
    # keeping the pace): judged per interval held, as strengths_force_larger_cut judges.
    intervals = 1
    if context.interval_days and previous.days and previous.days >= context.interval_days:
        intervals = previous.days // context.interval_days
    ratio = first.daily_dose_mg / previous.daily_dose_mg
    per_interval = (1 - Decimal(float(ratio) ** (1 / intervals))) * 100
    if per_interval > clinical.MAX_FIRST_REDUCTION_PERCENT and first.daily_dose_mg > 0:
        yield GuidelineWarning(
            "first_cut_above_10_percent",
            _("The first reduction is %(cut)s%%; the guideline starts with 5–10%%.")
            % {"cut": first_cut},
            first.sequence,
        )


def reduction_spacing(steps: list[PlannedStep], context: PlanContext) -> Iterator[GuidelineWarning]:
    for earlier, later in itertools.pairwise(reductions(steps)):
        gap = (later.start_date - earlier.start_date).days
        if gap < clinical.MIN_DAYS_BETWEEN_REDUCTIONS:
            yield GuidelineWarning(
                "reductions_less_than_14_days_apart",
                _(
                    "Step %(seq)s cuts the dose %(gap)s days after the previous cut; the "
                    "guideline leaves at least %(min)s days between reductions."
                )
                % {"seq": later.sequence, "gap": gap, "min": clinical.MIN_DAYS_BETWEEN_REDUCTIONS},
                later.sequence,
            )


# --- Checks of one step against the steps before it --------------------------------------------


def dose_increase(
    steps: list[PlannedStep], step: PlannedStep, context: PlanContext
) -> Iterator[GuidelineWarning]:
    previous = _previous(steps, step)
    if step.daily_dose_mg > previous.daily_dose_mg:
        yield GuidelineWarning(
            "dose_increase",
            _("Step %(seq)s raises the dose from %(a)s mg to %(b)s mg.")
            % {
                "seq": step.sequence,
                "a": fmt(previous.daily_dose_mg),
                "b": fmt(step.daily_dose_mg),
            },
            step.sequence,
        )


def highest_dose_in_window(steps: list[PlannedStep], step: PlannedStep, days: int) -> Decimal:
    """The highest dose taken in the ``days`` before ``step`` starts (the pace's reference)."""
    window_start = step.start_date - timedelta(days=days)
    return max(
        s.daily_dose_mg
        for s in steps
        if s.sequence < step.sequence and (s.end_date is None or s.end_date >= window_start)
    )


def pace(
    steps: list[PlannedStep], step: PlannedStep, context: PlanContext
) -> Iterator[GuidelineWarning]:
    if step.daily_dose_mg >= _previous(steps, step).daily_dose_mg:
        return
    window, max_cut = clinical.PACE_WINDOW_DAYS, clinical.MAX_REDUCTION_PERCENT_PER_WINDOW
    previous = _previous(steps, step)
    lowest = context.formulary.lowest_practical_dose_mg
    if step.daily_dose_mg == 0 and previous.daily_dose_mg <= lowest:
        return  # how every taper ends: final_step_from_lowest_dose's note says so
    reference = highest_dose_in_window(steps, step, window)
    cut = (reference - step.daily_dose_mg) / reference * 100
    if cut > max_cut and _strengths_gap(previous, step, context):
        # The pace asked for keeps to the guideline, the dose was held until it allowed this
        # cut, and the strengths have no dose in between: not the clinician's decision, a
        # limit of the forms at hand. Said as a note with the form that would avoid it.
        yield GuidelineWarning(
            "strengths_gap",
            _(
                "Step %(seq)s goes from %(a)s mg to %(b)s mg (%(cut)s%%), more than %(max)s%% "
                "at once: the strengths have no dose in between. A liquid formulation would "
                "allow smaller steps here."
            )
            % {
                "seq": step.sequence,
                "a": fmt(previous.daily_dose_mg),
                "b": fmt(step.daily_dose_mg),
                "cut": cut.quantize(Decimal("1"), ROUND_HALF_UP),
                "max": max_cut,
            },
            step.sequence,
        )
    elif cut > max_cut:
        yield GuidelineWarning(
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


def _strengths_gap(previous: PlannedStep, step: PlannedStep, context: PlanContext) -> bool:
    """A cut the strengths force on a pace that keeps to the guideline: the request is at most
    the guideline's pace, the step is the next dispensable dose below, and the dose was held at
    least one interval before it."""
    requested_ok = (
        context.requested_percent is not None
        and context.requested_percent <= clinical.MAX_REDUCTION_PERCENT_PER_WINDOW
        and (context.interval_days or 0) >= clinical.MIN_DAYS_BETWEEN_REDUCTIONS
    ) or (
        context.requested_mg is not None
        and context.requested_mg
        <= previous.daily_dose_mg * clinical.MAX_REDUCTION_PERCENT_PER_WINDOW / 100
        and (context.interval_days or 0) >= clinical.MIN_DAYS_BETWEEN_REDUCTIONS
    )
    next_below = context.formulary.largest_below(previous.daily_dose_mg)
    return (
        bool(requested_ok)
        and next_below == step.daily_dose_mg
        and bool(previous.days and context.interval_days and previous.days >= context.interval_days)
    )


def final_step_from_lowest_dose(
    steps: list[PlannedStep], step: PlannedStep, context: PlanContext
) -> Iterator[GuidelineWarning]:
    previous = _previous(steps, step)
    if step.daily_dose_mg != 0 or previous.daily_dose_mg == 0:
        return
    if previous.daily_dose_mg > context.formulary.lowest_practical_dose_mg:
        return  # a stop from above the lowest dose is already flagged for its pace
    yield GuidelineWarning(
        "final_step_from_lowest_dose",
        _(
            "Step %(seq)s stops from %(dose)s mg, the lowest dose the strengths "
            "allow. A liquid formulation would allow smaller final steps."
        )
        % {"seq": step.sequence, "dose": fmt(previous.daily_dose_mg)},
        step.sequence,
    )


def strengths_force_larger_cut(
    steps: list[PlannedStep], step: PlannedStep, context: PlanContext
) -> Iterator[GuidelineWarning]:
    """Every cut larger than the one asked for (a percent of the previous dose, or mg), whatever
    its size: the generator holds the dose longer instead, but where the strengths have no dose
    in between, the single cut is still larger. The stop from the lowest practical dose is
    final_step_from_lowest_dose's to state."""
    previous = _previous(steps, step)
    before, after = previous.daily_dose_mg, step.daily_dose_mg
    if after >= before or (after == 0 and before <= context.formulary.lowest_practical_dose_mg):
        return
    # The generator holds a dose for whole intervals until the cuts asked for add up to the
    # next dispensable dose: judged per interval held, such a cut is the pace asked for.
    intervals = 1
    if context.interval_days and previous.days and previous.days >= context.interval_days:
        intervals = previous.days // context.interval_days
    if context.requested_percent is not None:
        requested = Decimal(context.requested_percent)
        floor = before * (1 - requested / 100) ** intervals
        if after >= floor.quantize(Decimal("0.0001")):
            return
        floor = before * (100 - requested) / 100
        cut_text = _("a %(cut)s%% cut, more than the %(req)s%% asked for") % {
            "cut": fmt(((before - after) / before * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)),
            "req": fmt(requested),
        }
    elif context.requested_mg is not None:
        requested = Decimal(context.requested_mg)
        if before - after <= requested * intervals:
            return
        floor = before - requested
        cut_text = _("a %(cut)s mg cut, more than the %(req)s mg asked for") % {
            "cut": fmt(before - after),
            "req": fmt(requested),
        }
    else:
        return  # custom steps: the clinician's own, no request to compare with
    formulary = context.formulary
    closer = formulary.at_or_above_exact(floor, before)
    if closer is not None:
        remedy = _("%(dose)s mg can be dispensed and keeps the cut to the one asked for.") % {
            "dose": fmt(closer)
        }
    elif (smaller := formulary.smaller_strength_for(floor, before)) is not None:
        remedy = _(
            "The strengths have no dose in between: a smaller strength (such as %(mg)s mg) "
            "would allow it."
        ) % {"mg": fmt(smaller)}
    else:
        remedy = _("The strengths have no dose in between: a liquid formulation would allow it.")
    held = (
        _(" %(dose)s mg is held %(days)s days before this cut.")
        % {"dose": fmt(before), "days": previous.days}
        if previous.days is not None
        else ""
    )
    yield GuidelineWarning(
        "strengths_force_larger_cut",
        _("Step %(seq)s takes %(a)s mg to %(b)s mg, %(cut)s. %(remedy)s%(held)s")
        % {
            "seq": step.sequence,
            "a": fmt(before),
            "b": fmt(after),
            "cut": cut_text,
            "remedy": remedy,
            "held": held,
        },
        step.sequence,
    )


def dose_dispensable(
    steps: list[PlannedStep], step: PlannedStep, context: PlanContext
) -> Iterator[GuidelineWarning]:
    if step.daily_dose_mg > 0 and not context.formulary.achievable(step.daily_dose_mg):
        yield GuidelineWarning(
            "dose_not_dispensable",
            _("Step %(seq)s: %(dose)s mg cannot be made from the available strengths.")
            % {"seq": step.sequence, "dose": fmt(step.daily_dose_mg)},
            step.sequence,
        )


def reaches_zero(steps: list[PlannedStep], context: PlanContext) -> Iterator[GuidelineWarning]:
    if steps[-1].daily_dose_mg != 0:
        yield GuidelineWarning(
            "does_not_reach_zero",
            _("The plan ends at %(dose)s mg a day, not at zero.")
            % {"dose": fmt(steps[-1].daily_dose_mg)},
            steps[-1].sequence,
        )


PlanCheck = Callable[[list[PlannedStep], PlanContext], Iterator[GuidelineWarning]]
StepCheck = Callable[[list[PlannedStep], PlannedStep, PlanContext], Iterator[GuidelineWarning]]

# The order warnings are listed in: the plan as a whole, then each step from the second (its
# change from the step before), then what each step's dose and the end of the plan allow.
PLAN_CHECKS: tuple[PlanCheck, ...] = (
    starting_dose_risk,
    plan_length,
    seizure_risk_factors,
    short_acting_drug,
    start_dose_dispensable,
    first_cut_size,
    reduction_spacing,
)
STEP_CHECKS: tuple[StepCheck, ...] = (
    dose_increase,
    pace,
    final_step_from_lowest_dose,
    strengths_force_larger_cut,
)


def check_guidelines(steps: list[PlannedStep], context: PlanContext) -> list[GuidelineWarning]:
    """Warnings against the 2025 Joint Guideline, in plain language, in a fixed order."""
    if not steps:
        return []
    warnings = [found for check in PLAN_CHECKS for found in check(steps, context)]
    for step in steps[1:]:
        for step_check in STEP_CHECKS:
            warnings.extend(step_check(steps, step, context))
    for step in steps[1:]:  # the first step's dose is start_dose_dispensable's
        warnings.extend(dose_dispensable(steps, step, context))
    warnings.extend(reaches_zero(steps, context))
    return warnings
