"""Seizure-risk factors of a patient on a date: the one home of the labels every screen shows,
the plan checks and the seizure_risk alert rule read (docs/clinical-basis.md#risk-factors).

Risk comes from the patient (seizure history, alcohol, opioids or other sedatives, a previous
complicated withdrawal, older age) and from the drug and how it is being stopped: a short
half-life, a dose in the 2025 Joint Guideline's high band for that drug, an abrupt stop, or a
cut of more than 25% [confirmed: SA Health, WikiTox, product labels, Joint Guideline Table 2].
A patient who ticked no box can still be at risk because of the drug.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, overload

from django.utils.translation import gettext as _

from patients.plans import clinical
from patients.plans.timeline import PlanFacts

if TYPE_CHECKING:  # patients.models imports this package
    from patients.models import TaperPlan

PATIENT_FACTOR_FIELDS = (
    "seizure_history",
    "alcohol_use",
    "opioid_use",
    "other_sedative_use",
    "prior_complicated_withdrawal",
)


@dataclass(frozen=True)
class DrugContext:
    """What the drug factors read: the governing plan's medication and dose history."""

    code: str
    name: str
    short_acting: bool
    facts: PlanFacts
    lowest_practical_dose_mg: Decimal


@dataclass
class RiskProfile:
    patient_factors: list[str] = field(default_factory=list)
    drug_factors: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.patient_factors or self.drug_factors)


def patient_factors(patient, on: date) -> list[str]:
    labels = [
        str(patient._meta.get_field(name).verbose_name)
        for name in PATIENT_FACTOR_FIELDS
        if getattr(patient, name)
    ]
    age = patient.age_on(on)
    if age >= clinical.OLDER_AGE_YEARS:
        labels.append(_("age %(age)s") % {"age": age})
    return labels


def dose_band(code: str, daily_mg: Decimal | None) -> str | None:
    """ "low", "moderate" or "high": the 2025 Joint Guideline's Table 2 band of a daily dose of
    this drug (docs/clinical-basis.md#withdrawal-risk-by-dose); None for a drug without bands."""
    low, high = clinical.LOW_BAND_MAX_DAILY_MG.get(code), clinical.HIGH_BAND_DAILY_MG.get(code)
    if daily_mg is None or low is None or high is None:
        return None
    if daily_mg > high:
        return "high"
    return "low" if daily_mg <= low else "moderate"


def table2_diazepam_equivalent(code: str, daily_mg: Decimal) -> Decimal | None:
    """The dose in diazepam equivalents by Table 2's own conversion (its low band's limit is
    10 mg DE), or None for a drug without bands."""
    low = clinical.LOW_BAND_MAX_DAILY_MG.get(code)
    return None if low is None else daily_mg * clinical.LOW_BAND_DE_MG / low


def is_high_band(code: str, daily_mg: Decimal | None) -> bool:
    limit = clinical.HIGH_BAND_DAILY_MG.get(code)
    return limit is not None and daily_mg is not None and daily_mg > limit


def abrupt_stop_from(drug: DrugContext) -> Decimal | None:
    """The dose a stopped or early-completed plan ended from, when it ended above the lowest
    practical dose (docs/clinical-basis.md#abrupt-stop-and-early-completion), else None."""
    facts = drug.facts
    if facts.status not in ("stopped", "completed") or not facts.ended_on or not facts.steps:
        return None
    ended_from = facts.planned_dose_on(facts.ended_on)
    if ended_from is None or ended_from <= drug.lowest_practical_dose_mg:
        return None
    return ended_from


def largest_recent_cut(facts: PlanFacts, on: date, days: int) -> Decimal | None:
    """The largest single step down (in % of the dose before it) that started in the
    ``days`` before ``on`` (inclusive), as the plan scheduled it."""
    cuts = [
        (before - after) / before * 100
        for start, before, after in facts.reductions_until(on)
        if (on - start).days <= days
    ]
    return max(cuts, default=None)


def drug_factors(drug: DrugContext | None, on: date) -> list[str]:
    """The drug's factors on a date: while the patient takes it and through the acute window
    after the last dose; past that window the drug no longer adds to the risk of a seizure."""
    if drug is None:
        return []
    last_dose = drug.facts.last_dose_date()
    if last_dose is not None and (on - last_dose).days > drug.facts.acute_window_days:
        return []
    labels = []
    if drug.short_acting:
        labels.append(_("short-acting %(drug)s") % {"drug": drug.name})
    window = timedelta(days=clinical.PACE_WINDOW_DAYS)
    recent = [
        dose
        for back in range(window.days + 1)
        if (dose := drug.facts.dose_on(on - timedelta(days=back))) is not None
    ]
    highest = max(recent, default=None)
    if highest is not None and is_high_band(drug.code, highest):
        labels.append(
            _("high dose (%(dose)s mg a day; high band above %(limit)s mg)")
            % {
                "dose": highest.normalize(),
                "limit": clinical.HIGH_BAND_DAILY_MG[drug.code].normalize(),
            }
        )
    stopped_from = abrupt_stop_from(drug)
    ended_on = drug.facts.ended_on
    # abrupt_stop_from gives a dose only for a plan that has ended, so ended_on is set then.
    if stopped_from is not None and ended_on is not None:
        labels.append(
            _("abrupt stop from %(dose)s mg on %(date)s")
            % {"dose": stopped_from.normalize(), "date": ended_on.strftime("%-d %b")}
        )
    cut = largest_recent_cut(drug.facts, on, clinical.POST_REDUCTION_WINDOW_DAYS)
    if (
        cut is not None
        and cut > clinical.MAX_REDUCTION_PERCENT_PER_WINDOW
        and not (stopped_from is not None and cut == 100)  # said already: the abrupt stop
    ):
        labels.append(_("a cut of %(cut)s%%") % {"cut": round(cut)})
    return labels


def risk_profile(patient, on: date, drug: DrugContext | None = None) -> RiskProfile:
    return RiskProfile(patient_factors(patient, on), drug_factors(drug, on))


@overload
def drug_context(plan: TaperPlan) -> DrugContext: ...
@overload
def drug_context(plan: None) -> None: ...
@overload
def drug_context(plan: TaperPlan | None) -> DrugContext | None: ...
def drug_context(plan: TaperPlan | None) -> DrugContext | None:
    """The DrugContext of a plan (medication and current steps loaded), or None."""
    if plan is None:
        return None
    return DrugContext(
        code=plan.medication.code,
        name=plan.medication.name,
        short_acting=plan.medication.is_short_acting,
        facts=plan.facts(),
        lowest_practical_dose_mg=plan.medication.lowest_practical_dose_mg,
    )
