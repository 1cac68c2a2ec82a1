"""Writes of taper plans: create, revise, and every status change.

Each change of schedule is a new TaperPlanRevision; steps are never edited in place, so the
history of what the patient was told to take stays readable. Status changes lock the plan
row and refuse illegal transitions with a message a clinician can act on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import overload

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from patients.models import (
    RUNNING_STATUSES,
    Medication,
    Patient,
    PlanMethod,
    PlanStatus,
    TaperPlan,
    TaperPlanRevision,
    TaperStep,
)
from patients.plans import clinical, generator, guidelines, risk
from patients.plans.signals import plan_changed
from taperapp.accounts.models import User
from taperapp.accounts.roles import Role
from taperapp.accounts.selectors import care_team


@dataclass
class PlanParameters:
    medication: Medication
    method: str
    start_date: date
    start_dose_mg: Decimal
    reduction_percent: Decimal | None = None
    reduction_mg: Decimal | None = None
    interval_days: int | None = None
    custom_steps: list[tuple[date, Decimal]] | None = None

    @classmethod
    def from_input(cls, data: Mapping, custom_steps: list[tuple[date, Decimal]]) -> PlanParameters:
        """From the cleaned input of the plan builder's form or the API's serializer."""
        return cls(
            medication=data["medication"],
            method=data["method"],
            start_date=data["start_date"],
            start_dose_mg=data["start_dose_mg"],
            reduction_percent=data.get("reduction_percent"),
            reduction_mg=data.get("reduction_mg"),
            interval_days=data.get("interval_days"),
            custom_steps=custom_steps,
        )


@dataclass
class Schedule:
    steps: list[generator.PlannedStep]
    warnings: list[guidelines.GuidelineWarning]

    @property
    def last_dose_date(self) -> date | None:
        return generator.last_dose_date(self.steps)


def formulary_for(medication: Medication) -> generator.Formulary:
    return generator.Formulary(
        units_mg=tuple(medication.dose_units_mg()),
        lowest_practical_dose_mg=medication.lowest_practical_dose_mg,
    )


def check_schedule(
    steps: list[generator.PlannedStep], *, patient: Patient, params: PlanParameters
) -> list[guidelines.GuidelineWarning]:
    medication = params.medication
    context = guidelines.PlanContext(
        formulary=formulary_for(medication),
        short_acting=medication.is_short_acting,
        medication_name=medication.name,
        medication_code=medication.code,
        diazepam_equivalents=medication.diazepam_equivalents(steps[0].daily_dose_mg),
        requested_percent=params.reduction_percent if params.method == PlanMethod.PERCENT else None,
        requested_mg=params.reduction_mg if params.method == PlanMethod.FIXED else None,
        interval_days=params.interval_days if params.method != PlanMethod.CUSTOM else None,
        patient_risks=risk.patient_factors(patient, steps[0].start_date),
    )
    return guidelines.check_guidelines(steps, context)


def plan_preview(*, patient: Patient, params: PlanParameters) -> Schedule:
    """The steps and warnings a plan would have; raises ValidationError on bad input."""
    try:
        steps = generator.generate_steps(
            method=params.method,
            start_date=params.start_date,
            start_dose_mg=params.start_dose_mg,
            formulary=formulary_for(params.medication),
            reduction_percent=params.reduction_percent,
            reduction_mg=params.reduction_mg,
            interval_days=params.interval_days,
            custom_steps=params.custom_steps,
            today=timezone.localdate(timezone=patient.clinic.zone),
        )
    except generator.PlanInputError as error:
        raise ValidationError(error.errors) from error
    return Schedule(steps, check_schedule(steps, patient=patient, params=params))


def _overlapping_running_plan(
    patient: Patient, start: date, exclude: TaperPlan | None = None
) -> TaperPlan | None:
    running = TaperPlan.objects.filter(patient=patient, status__in=RUNNING_STATUSES)
    if exclude is not None:
        running = running.exclude(pk=exclude.pk)
    for plan in running.select_related("medication", "current_revision").prefetch_related(
        "current_revision__steps"
    ):
        last = plan.last_dose_date()
        if last is None or last >= start:
            return plan
    return None


def _current_revision(plan: TaperPlan) -> TaperPlanRevision:
    """The plan's schedule. Every plan has one: taper_plan_create saves the plan and its first
    revision in one transaction, and later writes only replace it."""
    revision = plan.current_revision
    if revision is None:
        raise ValueError(f"Taper plan {plan.pk} has no schedule (no current revision).")
    return revision


# A justification is read by the next clinician, the pharmacist and the reviewer: reasons,
# not a keystroke. Clinical shorthand is welcome ("Pt request", "Per Dr Smith", "Inpt, CIWA
# q4h"); a single word, a repeated word or character, or a scrap is not. At least this many
# letters, this many different ones, and two different words (or, in a script written without
# spaces, one run of that many letters).
JUSTIFICATION_MIN_LETTERS = 8
JUSTIFICATION_MIN_DISTINCT_LETTERS = 5


def justification_problem(text: str) -> str | None:
    """Why a text is not a justification (a single word, a repeated word or character)."""
    words = re.findall(r"[^\W\d_]+", text)
    letters = "".join(words).lower()
    unspaced = len(words) == 1 and not words[0].isascii()
    if (
        len(letters) < JUSTIFICATION_MIN_LETTERS
        or len(set(letters)) < JUSTIFICATION_MIN_DISTINCT_LETTERS
        or (len({word.lower() for word in words}) < 2 and not unspaced)
    ):
        return _(
            "Write the clinical reasons in a sentence or two (who decided, and why this pace is "
            "right for this patient): “%(text)s” is not a justification."
        ) % {"text": text[:40]}
    return None


def _require_justification(warnings, justification: str) -> str:
    """Guideline deviations need the clinician's written reasons; risk notes do not."""
    justification = (justification or "").strip()
    departures = guidelines.deviations(warnings)
    if not departures:
        return justification
    if not justification:
        raise ValidationError(
            {
                "justification": _(
                    "This plan departs from the guideline in %(n)s way(s). Write why it is "
                    "right for this patient before saving."
                )
                % {"n": len(departures)}
            }
        )
    problem = justification_problem(justification)
    if problem:
        raise ValidationError({"justification": problem})
    return justification


def _write_revision(
    *,
    plan: TaperPlan,
    params: PlanParameters,
    schedule: Schedule,
    justification: str,
    reason: str,
    created_by: User,
) -> TaperPlanRevision:
    number = (plan.revisions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    revision = TaperPlanRevision(
        plan=plan,
        number=number,
        method=params.method,
        start_date=params.start_date,
        start_dose_mg=params.start_dose_mg,
        reduction_percent=params.reduction_percent if params.method == PlanMethod.PERCENT else None,
        reduction_mg=params.reduction_mg if params.method == PlanMethod.FIXED else None,
        interval_days=params.interval_days if params.method != PlanMethod.CUSTOM else None,
        warnings=[w.as_dict() for w in schedule.warnings],
        warning_count=len(schedule.warnings),
        deviation_count=len(guidelines.deviations(schedule.warnings)),
        justification=justification,
        reason=reason,
        created_by=created_by,
    )
    revision.save()
    TaperStep.objects.bulk_create(
        TaperStep(
            revision=revision,
            sequence=step.sequence,
            start_date=step.start_date,
            end_date=step.end_date,
            daily_dose_mg=step.daily_dose_mg,
            change_percent=step.change_percent,
        )
        for step in schedule.steps
    )
    plan.current_revision = revision
    plan.save(update_fields=["current_revision", "updated_at"])
    return revision


@transaction.atomic
def taper_plan_create(
    *, patient: Patient, params: PlanParameters, justification: str, created_by: User
) -> TaperPlan:
    """A new draft plan with its first revision. Nothing is saved when anything is wrong."""
    if not patient.is_active:
        raise ValidationError(_("This patient has been discharged: a plan cannot be added."))
    schedule = plan_preview(patient=patient, params=params)
    running = _overlapping_running_plan(patient, params.start_date)
    if running is not None:
        raise ValidationError(
            {
                "start_date": _(
                    "This patient already has a running %(drug)s plan (from %(start)s). Stop or "
                    "complete it, or start this plan after its last dose."
                )
                % {
                    "drug": running.medication.name,
                    "start": _current_revision(running).start_date.strftime("%-d %b %Y"),
                }
            }
        )
    justification = _require_justification(schedule.warnings, justification)
    plan = TaperPlan.objects.create(
        patient=patient, medication=params.medication, created_by=created_by
    )
    _write_revision(
        plan=plan,
        params=params,
        schedule=schedule,
        justification=justification,
        reason=_("First version."),
        created_by=created_by,
    )
    return _changed(plan)


def _changed(plan: TaperPlan) -> TaperPlan:
    """Every plan write ends here: derived dose dates, then whoever listens (alert rules)."""
    plan.refresh_dose_dates()
    plan_changed.send(sender=TaperPlan, patient_id=plan.patient_id)
    return plan


# Which statuses each action may start from; anything else is refused with a message.
ALLOWED_FROM = {
    "activate": {PlanStatus.DRAFT},
    "cosign": {PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.ON_HOLD},
    "hold": {PlanStatus.ACTIVE},
    "resume": {PlanStatus.ON_HOLD},
    "step_back": {PlanStatus.ACTIVE, PlanStatus.ON_HOLD},
    "complete": {PlanStatus.ACTIVE, PlanStatus.ON_HOLD},
    "stop": {PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.ON_HOLD},
    "revise": {PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.ON_HOLD},
}
ACTION_NAMES = {
    "activate": "activated",
    "cosign": "co-signed",
    "hold": "put on hold",
    "resume": "resumed",
    "step_back": "stepped back",
    "complete": "completed",
    "stop": "stopped",
    "revise": "changed",
}
ALLOWED_HINT = {
    "activate": "only a draft can be activated",
    "cosign": "a completed or stopped plan has ended",
    "hold": "only an active plan can be put on hold",
    "resume": "only a plan on hold can be resumed",
    "step_back": "only an active or held plan can step back",
    "complete": "only an active or held plan can be completed",
    "stop": "a completed or stopped plan has already ended",
    "revise": "a completed or stopped plan cannot be changed",
}


def _lock(plan: TaperPlan, action: str) -> TaperPlan:
    locked = (
        TaperPlan.objects.select_for_update(of=("self",))
        .select_related("patient", "medication", "current_revision")
        .get(pk=plan.pk)
    )
    if locked.status not in ALLOWED_FROM[action]:
        raise ValidationError(
            _("This plan is %(status)s and cannot be %(action)s: %(hint)s.")
            % {
                "status": locked.get_status_display().lower(),
                "action": _(ACTION_NAMES[action]),
                "hint": _(ALLOWED_HINT[action]),
            }
        )
    return locked


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for %(what)s.") % {"what": what}})
    return reason


def _today(plan: TaperPlan) -> date:
    return timezone.localdate(timezone=plan.patient.clinic.zone)


def needs_cosign(plan: TaperPlan) -> bool:
    """The clinic asks for a second clinician on plans that depart from the guideline, and
    this plan's schedule does and has not been co-signed."""
    revision = _current_revision(plan)
    return (
        plan.status == PlanStatus.DRAFT
        and plan.patient.clinic.plans_need_cosign
        and revision.deviation_count > 0
        and revision.cosigned_by_id is None
    )


@transaction.atomic
def taper_plan_activate(*, plan: TaperPlan, by: User) -> TaperPlan:
    plan = _lock(plan, "activate")
    if not plan.patient.is_active:
        raise ValidationError(_("This patient has been discharged: the plan cannot start."))
    if needs_cosign(plan):
        raise ValidationError(
            _(
                "This plan departs from the guideline and this clinic asks for a second "
                "clinician's co-sign before it starts: ask a colleague to review and co-sign it."
            )
        )
    running = _overlapping_running_plan(plan.patient, _current_revision(plan).start_date, plan)
    if running is not None:
        raise ValidationError(
            _("This patient already has a running plan. Stop or complete it first.")
        )
    plan.status = PlanStatus.ACTIVE
    plan.activated_at = timezone.now()
    try:
        with transaction.atomic():
            plan.save(update_fields=["status", "activated_at", "updated_at"])
    except IntegrityError as error:  # a colleague activated another plan at the same moment
        raise ValidationError(
            _("This patient already has a running plan. Stop or complete it first.")
        ) from error
    return _changed(plan)


@transaction.atomic
def taper_plan_cosign(*, plan: TaperPlan, by: User, comment: str) -> TaperPlan:
    """A second clinician agrees with the current schedule's departures from the guideline.
    Never the author of the schedule; a clinician of the patient's clinic; with a comment."""
    comment = _reason(comment, _("the co-sign"))
    if problem := justification_problem(comment):
        raise ValidationError({"reason": problem})
    plan = _lock(plan, "cosign")
    revision = TaperPlanRevision.objects.select_for_update().get(pk=_current_revision(plan).pk)
    if revision.deviation_count == 0:
        raise ValidationError(_("This plan follows the guideline: there is nothing to co-sign."))
    if revision.cosigned_by_id is not None:
        raise ValidationError(
            _("This schedule was already co-signed by %(who)s.") % {"who": revision.cosigned_by}
        )
    if plan.revisions.filter(created_by=by).exists() or plan.created_by_id == by.pk:
        raise ValidationError(
            _("A co-sign is a second clinician's: the author of the schedule cannot give it.")
        )
    if (
        not care_team([plan.patient.clinic_id])
        .filter(pk=by.pk, groups__name=Role.CLINICIAN)
        .exists()
    ):
        raise ValidationError(_("Only a clinician of the patient's clinic can co-sign a plan."))
    revision.cosigned_by = by
    revision.cosigned_at = timezone.now()
    revision.cosign_comment = comment
    revision.save(update_fields=["cosigned_by", "cosigned_at", "cosign_comment"])
    return _changed(plan)


@transaction.atomic
def taper_plan_hold(*, plan: TaperPlan, by: User, reason: str, on: date | None = None) -> TaperPlan:
    reason = _reason(reason, _("the hold"))
    plan = _lock(plan, "hold")
    plan.status = PlanStatus.ON_HOLD
    plan.held_since = on or _today(plan)
    plan.hold_reason = reason
    plan.save(update_fields=["status", "held_since", "hold_reason", "updated_at"])
    return _changed(plan)


def _steps_of(revision: TaperPlanRevision) -> list[generator.PlannedStep]:
    return [
        generator.PlannedStep(
            s.sequence, s.start_date, s.end_date, s.daily_dose_mg, s.change_percent
        )
        for s in revision.steps.order_by("sequence")
    ]


def _renumber(steps: Sequence[tuple[date, date | None, Decimal]]) -> list[generator.PlannedStep]:
    planned = []
    for index, (start, end, dose) in enumerate(steps):
        change = None if index == 0 else generator.percent_change(steps[index - 1][2], dose)
        planned.append(generator.PlannedStep(index + 1, start, end, dose, change))
    return planned


def _params_of(plan: TaperPlan, revision: TaperPlanRevision) -> PlanParameters:
    return PlanParameters(
        medication=plan.medication,
        method=revision.method,
        start_date=revision.start_date,
        start_dose_mg=revision.start_dose_mg,
        reduction_percent=revision.reduction_percent,
        reduction_mg=revision.reduction_mg,
        interval_days=revision.interval_days,
    )


@overload
def _shift(day: date, days: int) -> date: ...
@overload
def _shift(day: date | None, days: int) -> date | None: ...
def _shift(day: date | None, days: int) -> date | None:
    return None if day is None else day + timedelta(days=days)


@transaction.atomic
def taper_plan_resume(*, plan: TaperPlan, by: User, on: date | None = None) -> TaperPlan:
    """Resume a held plan: the remaining steps move later by the days held (a new revision)."""
    plan = _lock(plan, "resume")
    revision = _current_revision(plan)
    resumed_on = on or _today(plan)
    held_since = plan.held_since
    # _lock let only a plan on hold through, and the taper_plan_hold_consistent constraint
    # gives every plan on hold its date.
    assert held_since is not None
    days_held = max((resumed_on - held_since).days, 0)
    shifted: list[tuple[date, date | None, Decimal]] = []
    for step in _steps_of(revision):
        if step.end_date is not None and step.end_date < held_since:
            shifted.append((step.start_date, step.end_date, step.daily_dose_mg))
        elif step.start_date <= held_since:  # the step the hold began in: it lasts longer
            shifted.append((step.start_date, _shift(step.end_date, days_held), step.daily_dose_mg))
        else:
            shifted.append(
                (
                    _shift(step.start_date, days_held),
                    _shift(step.end_date, days_held),
                    step.daily_dose_mg,
                )
            )
    steps = _renumber(shifted)
    params = _params_of(plan, revision)
    reason = _("Resumed after %(days)s day(s) on hold (from %(since)s): %(why)s") % {
        "days": days_held,
        "since": held_since.strftime("%-d %b %Y"),
        "why": plan.hold_reason,
    }
    schedule = Schedule(steps, check_schedule(steps, patient=plan.patient, params=params))
    _write_revision(
        plan=plan,
        params=params,
        schedule=schedule,
        justification=revision.justification or reason,
        reason=reason,
        created_by=by,
    )
    _run_again(plan)
    return _changed(plan)


def _run_again(plan: TaperPlan) -> None:
    """A held plan runs again (resumed, or stepped back from the hold)."""
    plan.status = PlanStatus.ACTIVE
    plan.held_since = None
    plan.hold_reason = ""
    plan.save(update_fields=["status", "held_since", "hold_reason", "updated_at"])


@transaction.atomic
def taper_plan_step_back(
    *, plan: TaperPlan, by: User, reason: str, on: date | None = None
) -> TaperPlan:
    """Return to the previous dose from today for as long as the current step was planned,
    then retry the current dose; later steps move later accordingly (a new revision)."""
    reason = _reason(reason, _("stepping back"))
    plan = _lock(plan, "step_back")
    revision = _current_revision(plan)
    today = on or _today(plan)
    if plan.status == PlanStatus.ON_HOLD:
        # A plan on hold has its date (the taper_plan_hold_consistent constraint).
        assert plan.held_since is not None
        # The held dose is the one the patient takes: step back from there.
        today = max(today, plan.held_since)
    steps = _steps_of(revision)
    current = next(
        (s for s in steps if s.start_date <= today and (s.end_date is None or today <= s.end_date)),
        None,
    )
    if current is None or current.sequence == 1:
        raise ValidationError(_("There is no earlier dose to step back to on this date."))
    previous = steps[current.sequence - 2]
    if previous.daily_dose_mg <= current.daily_dose_mg:
        raise ValidationError(_("The current step is not a reduction: there is nothing to undo."))
    length = current.days or (revision.interval_days or clinical.PACE_WINDOW_DAYS)
    new_start = today + timedelta(days=length)
    offset = (new_start - current.start_date).days
    rebuilt: list[tuple[date, date | None, Decimal]] = [
        (s.start_date, s.end_date, s.daily_dose_mg) for s in steps[: current.sequence - 1]
    ]
    if today > current.start_date:
        rebuilt.append((current.start_date, today - timedelta(days=1), current.daily_dose_mg))
    rebuilt.append((today, today + timedelta(days=length - 1), previous.daily_dose_mg))
    for step in steps[current.sequence - 1 :]:
        rebuilt.append(
            (_shift(step.start_date, offset), _shift(step.end_date, offset), step.daily_dose_mg)
        )
    new_steps = _renumber(rebuilt)
    params = _params_of(plan, revision)
    schedule = Schedule(new_steps, check_schedule(new_steps, patient=plan.patient, params=params))
    text = _("Stepped back to %(dose)s mg from %(date)s: %(why)s") % {
        "dose": previous.daily_dose_mg.normalize(),
        "date": today.strftime("%-d %b %Y"),
        "why": reason,
    }
    _write_revision(
        plan=plan, params=params, schedule=schedule, justification=text, reason=text, created_by=by
    )
    if plan.status == PlanStatus.ON_HOLD:
        _run_again(plan)
    return _changed(plan)


@transaction.atomic
def taper_plan_revise(
    *, plan: TaperPlan, params: PlanParameters, justification: str, reason: str, by: User
) -> TaperPlan:
    """A new schedule from ``params.start_date``; on a running plan the steps before that date
    are kept as they were (they happened)."""
    reason = _reason(reason, _("the change"))
    plan = _lock(plan, "revise")
    if params.medication.pk != plan.medication_id:
        raise ValidationError({"medication": _("A plan keeps its medication: start a new plan.")})
    schedule = plan_preview(patient=plan.patient, params=params)
    steps = schedule.steps
    if plan.status != PlanStatus.DRAFT:
        kept = []
        old_steps = _steps_of(_current_revision(plan))
        planned_then = next(
            (
                s.daily_dose_mg
                for s in old_steps
                if s.start_date <= params.start_date
                and (s.end_date is None or params.start_date <= s.end_date)
            ),
            None,
        )
        for step in old_steps:
            if step.start_date >= params.start_date:
                break
            end = step.end_date
            if end is None or end >= params.start_date:
                end = params.start_date - timedelta(days=1)
            kept.append((step.start_date, end, step.daily_dose_mg))
        steps = _renumber(kept + [(s.start_date, s.end_date, s.daily_dose_mg) for s in steps])
        # The steps already taken were judged when they were planned: only the change and what
        # follows it is judged against the new request (a slower pace must not turn past cuts
        # into deviations). The cut into the first new step is the change's own only when it
        # goes below the dose the old schedule planned for that day.
        judged_from = len(kept) + 1
        if planned_then is not None and params.start_dose_mg >= planned_then:
            judged_from += 1
        warnings = [
            w
            for w in check_schedule(steps, patient=plan.patient, params=params)
            if w.tier == guidelines.NOTE or w.sequence is None or w.sequence >= judged_from
        ]
        schedule = Schedule(steps, warnings)
        if plan.patient.clinic.plans_need_cosign and guidelines.deviations(warnings):
            raise ValidationError(
                {
                    "justification": _(
                        "This change departs from the guideline, and this clinic needs a "
                        "second clinician's co-sign before such a schedule runs: the running "
                        "plan was not changed. To pause, put the plan on hold (the current dose "
                        "continues); for a faster schedule, review it with a colleague first."
                    )
                }
            )
    justification = _require_justification(schedule.warnings, justification)
    _write_revision(
        plan=plan,
        params=params,
        schedule=schedule,
        justification=justification,
        reason=reason,
        created_by=by,
    )
    return _changed(plan)


def early_completion(plan: TaperPlan, on: date) -> Decimal | None:
    """The dose a completion on ``on`` would stop abruptly: the current dose when it is above
    the medication's lowest practical dose
    (docs/clinical-basis.md#abrupt-stop-and-early-completion), else None (a taper that has reached
    its
    last step may be completed without more ado)."""
    dose = plan.dose_on(on)
    if dose is None or dose <= plan.medication.lowest_practical_dose_mg:
        return None
    return dose


def _held_dose_continued(plan: TaperPlan, by: User, ended_on: date) -> None:
    """A plan ends while on hold: the held dose continued to the end, and no step planned after
    the hold began was taken. A revision records the doses as they were taken, so the
    timeline, the per-reduction view and the alerts judge the real last dose (an abrupt stop
    from the held dose), not a cut the patient never had."""
    revision = _current_revision(plan)
    held_since = plan.held_since
    assert held_since is not None  # taper_plan_hold_consistent: a plan on hold has its date
    steps = _steps_of(revision)
    taken = [
        (step.start_date, step.end_date, step.daily_dose_mg)
        for step in steps
        if step.start_date <= held_since
    ]
    if not taken or (len(taken) == len(steps) and taken[-1][1] is None):
        return  # nothing was planned after the hold began
    start, _end, dose = taken[-1]
    taken[-1] = (start, None, dose)  # the held dose, to the end
    reason = _(
        "Ended on %(end)s while on hold since %(since)s: %(dose)s mg a day continued to the "
        "end; the steps planned after the hold were not taken."
    ) % {
        "end": ended_on.strftime("%-d %b %Y"),
        "since": held_since.strftime("%-d %b %Y"),
        "dose": dose.normalize(),
    }
    params = _params_of(plan, revision)
    planned = _renumber(taken)
    _write_revision(
        plan=plan,
        params=params,
        schedule=Schedule(planned, check_schedule(planned, patient=plan.patient, params=params)),
        justification=revision.justification or reason,
        reason=reason,
        created_by=by,
    )


@transaction.atomic
def taper_plan_complete(
    *, plan: TaperPlan, by: User, reason: str = "", on: date | None = None
) -> TaperPlan:
    """End the taper. Completing above the lowest practical dose is an abrupt stop from the
    current dose: it needs a reason, and the timeline makes that day the last dose."""
    plan = _lock(plan, "complete")
    today = on or _today(plan)
    if plan.status == PlanStatus.ON_HOLD:
        _held_dose_continued(plan, by, today)
    planned_last = plan.last_dose_date()
    abrupt_from = early_completion(plan, today)
    reason = (reason or "").strip()
    if abrupt_from is not None and not reason:
        raise ValidationError(
            {
                "reason": _(
                    "The current dose is %(dose)s mg, above the lowest practical dose "
                    "(%(lowest)s mg): completing now is an abrupt stop, with a risk of "
                    "withdrawal seizures. Give the reason."
                )
                % {
                    "dose": abrupt_from.normalize(),
                    "lowest": plan.medication.lowest_practical_dose_mg.normalize(),
                }
            }
        )
    if abrupt_from is not None:
        end_reason = _("Completed early from %(dose)s mg (abrupt stop): %(why)s") % {
            "dose": abrupt_from.normalize(),
            "why": reason,
        }
    else:
        end_reason = reason or _("Completed.")
    ended_on = min(today, planned_last) if planned_last else today
    return _end(plan, PlanStatus.COMPLETED, ended_on, end_reason)


def _end(plan: TaperPlan, status: str, ended_on: date, end_reason: str) -> TaperPlan:
    """Complete or stop: the day it ended and why; a hold ends with the plan."""
    plan.status = status
    plan.ended_on = ended_on
    plan.held_since = None
    plan.hold_reason = ""
    plan.end_reason = end_reason
    plan.save(
        update_fields=[
            "status",
            "ended_on",
            "held_since",
            "hold_reason",
            "end_reason",
            "updated_at",
        ]
    )
    return _changed(plan)


@transaction.atomic
def taper_plan_stop(*, plan: TaperPlan, by: User, reason: str, on: date | None = None) -> TaperPlan:
    reason = _reason(reason, _("stopping the plan"))
    plan = _lock(plan, "stop")
    ended_on = on or _today(plan)
    if plan.status == PlanStatus.ON_HOLD:
        _held_dose_continued(plan, by, ended_on)
    return _end(plan, PlanStatus.STOPPED, ended_on, reason)
