"""The generator keeps the requested pace (issue 15), table by table (no database).

Where the strengths cannot make the requested cut, a plan holds the dose for more intervals
until the requested reduction, accumulated over them, reaches the next dispensable dose; it
never silently cuts more than asked. A single cut is still larger than asked where no
dispensable dose lies between, and the guideline checks name each one
(strengths_force_larger_cut). The formularies are built from the catalogue the way the
catalogue seeding and services.formulary_for build them.
"""

import itertools
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from patients.plans import clinical, guidelines
from patients.plans.generator import (
    Formulary,
    PlanInputError,
    cuts,
    generate_steps,
    tablets_for,
)

START = date(2026, 1, 5)
INTERVAL = 14


def catalogue(code):
    """(Formulary, strengths) of a catalogue medication: whole tablets and the halves of scored
    ones (Medication.dose_units_mg); the lowest practical dose as seeded (the smallest unit)."""
    entry = next(m for m in clinical.MEDICATIONS if m["code"] == code)
    strengths = [(D(mg), form, splittable) for mg, form, splittable in entry["strengths"]]
    units = set()
    for strength, _form, splittable in strengths:
        units.add(strength)
        if splittable:
            units.add(strength / 2)
    formulary = Formulary(units_mg=tuple(sorted(units)), lowest_practical_dose_mg=min(units))
    return formulary, strengths


def plan(code, dose, *, percent=None, mg=None, interval=INTERVAL):
    formulary, _strengths = catalogue(code)
    return generate_steps(
        method="percent" if percent else "fixed",
        start_date=START,
        start_dose_mg=D(dose),
        formulary=formulary,
        reduction_percent=D(percent) if percent else None,
        reduction_mg=D(mg) if mg else None,
        interval_days=interval,
    )


def warnings_of(code, steps, *, percent=None, mg=None):
    formulary, _strengths = catalogue(code)
    return guidelines.check_guidelines(
        steps,
        guidelines.PlanContext(
            formulary=formulary,
            short_acting=False,
            medication_name=code,
            requested_percent=D(percent) if percent else None,
            requested_mg=D(mg) if mg else None,
        ),
    )


def table(steps):
    """[(dose, weeks held)], the final 0 mg step open-ended (None)."""
    return [(str(s.daily_dose_mg), None if s.days is None else s.days // 7) for s in steps]


def gap(formulary, upper, lower):
    """No dispensable dose lies strictly between the two."""
    below = formulary.largest_below(upper)
    return below is None or below <= lower


TABLES = {
    ("clonazepam", "2", "10"): [
        ("2", 2),
        ("1.875", 2),
        ("1.75", 2),
        ("1.625", 2),
        ("1.5", 2),
        ("1.375", 2),
        ("1.25", 2),
        ("1.125", 4),
        ("1", 4),
        ("0.875", 4),
        ("0.75", 4),
        ("0.625", 6),
        ("0.5", 6),
        ("0.375", 8),
        ("0.25", 14),
        ("0.125", 2),
        ("0", None),
    ],
    ("lorazepam", "3", "10"): [
        ("3", 4),
        ("2.5", 6),
        ("2", 6),
        ("1.5", 8),
        ("1", 14),
        ("0.5", 2),
        ("0", None),
    ],
    ("diazepam", "10", "5"): [
        ("10", 2),
        ("9.5", 4),
        ("9", 4),
        ("8.5", 4),
        ("8", 4),
        ("7.5", 4),
        ("7", 4),
        ("6.5", 4),
        ("6", 4),
        ("5.5", 4),
        ("5", 6),
        ("4.5", 6),
        ("4", 6),
        ("3.5", 8),
        ("3", 8),
        ("2.5", 10),
        ("2", 28),
        ("1", 2),
        ("0", None),
    ],
    ("alprazolam", "4", "10"): [
        ("4", 2),
        ("3.625", 2),
        ("3.375", 2),
        ("3.125", 2),
        ("2.875", 2),
        ("2.625", 2),
        ("2.375", 2),
        ("2.25", 2),
        ("2.125", 2),
        ("2", 2),
        ("1.875", 2),
        ("1.75", 2),
        ("1.625", 2),
        ("1.5", 2),
        ("1.375", 2),
        ("1.25", 2),
        ("1.125", 4),
        ("1", 4),
        ("0.875", 4),
        ("0.75", 4),
        ("0.625", 6),
        ("0.5", 6),
        ("0.375", 8),
        ("0.25", 14),
        ("0.125", 2),
        ("0", None),
    ],
}
TOTAL_WEEKS = {"clonazepam": 66, "lorazepam": 40, "diazepam": 112, "alprazolam": 84}


@pytest.mark.parametrize(("code", "dose", "percent"), list(TABLES))
def test_the_generator_tables(code, dose, percent):
    steps = plan(code, dose, percent=percent)
    assert table(steps) == TABLES[(code, dose, percent)]
    assert (steps[-1].start_date - START).days == TOTAL_WEEKS[code] * 7


@pytest.mark.parametrize(("code", "dose", "percent"), list(TABLES))
def test_every_table_keeps_the_invariants(code, dose, percent):
    formulary, _strengths = catalogue(code)
    steps = plan(code, dose, percent=percent)
    doses = [s.daily_dose_mg for s in steps]
    assert steps[0].start_date == START and doses[0] == D(dose)
    assert all(later < earlier for earlier, later in itertools.pairwise(doses)), doses
    assert doses[-1] == 0 and doses[-2] == formulary.lowest_practical_dose_mg
    assert steps[-1].end_date is None
    for earlier, later in itertools.pairwise(steps):
        assert later.start_date == earlier.end_date + timedelta(days=1)  # no gap, no overlap
        assert earlier.days % INTERVAL == 0  # a step lasts whole intervals
    for step in steps[:-1]:
        assert formulary.achievable(step.daily_dose_mg), step


@pytest.mark.parametrize(("code", "dose", "percent"), list(TABLES))
def test_no_cut_per_interval_is_larger_than_asked(code, dose, percent):
    """Held for n intervals, a dose falls by at most the requested percent compounded n times
    (the final stop from the lowest practical dose apart)."""
    steps = plan(code, dose, percent=percent)
    factor = (100 - D(percent)) / 100
    for before, after in cuts(steps):
        if after.daily_dose_mg == 0:
            continue
        held = before.days // INTERVAL
        assert after.daily_dose_mg >= before.daily_dose_mg * factor**held, (before, after)
        # ...and it is held no longer than needed: one interval fewer would not reach it.
        if held > 1:
            assert after.daily_dose_mg < before.daily_dose_mg * factor ** (held - 1)


@pytest.mark.parametrize(("code", "dose", "percent"), list(TABLES))
def test_every_cut_larger_than_asked_is_named(code, dose, percent):
    formulary, _strengths = catalogue(code)
    steps = plan(code, dose, percent=percent)
    warnings = warnings_of(code, steps, percent=percent)
    forced = {w.sequence: w for w in warnings if w.code == "strengths_force_larger_cut"}
    final = {w.sequence for w in warnings if w.code == "final_step_from_lowest_dose"}
    for before, after in cuts(steps):
        cut = (before.daily_dose_mg - after.daily_dose_mg) / before.daily_dose_mg * 100
        if cut <= D(percent):
            assert after.sequence not in forced  # no false alarm
        elif after.daily_dose_mg == 0:
            assert after.sequence in final  # the stop from the lowest practical dose
        else:
            message = forced[after.sequence].message
            assert f"Step {after.sequence} " in message
            assert f"more than the {percent}% asked for" in message
            assert gap(formulary, before.daily_dose_mg, after.daily_dose_mg)
            assert "a liquid formulation" in message or "a smaller strength" in message


@pytest.mark.parametrize(("code", "dose", "percent"), list(TABLES))
def test_no_cut_above_25_percent_in_14_days_but_at_a_strengths_gap(code, dose, percent):
    formulary, _strengths = catalogue(code)
    steps = plan(code, dose, percent=percent)
    too_fast = {
        w.sequence
        for w in warnings_of(code, steps, percent=percent)
        if w.code in {"exceeds_25_percent_in_2_weeks", "strengths_gap"}
    }
    for before, after in cuts(steps):
        if after.sequence in too_fast or after.daily_dose_mg == 0:
            # Only where no dispensable dose lies between: the final stop, or a gap such as
            # 0.375 -> 0.25 mg clonazepam or 1.5 -> 1 mg lorazepam.
            assert after.daily_dose_mg == 0 or gap(
                formulary, before.daily_dose_mg, after.daily_dose_mg
            ), (before, after)
        else:
            reference = guidelines.highest_dose_in_window(steps, after, clinical.PACE_WINDOW_DAYS)
            cut = (reference - after.daily_dose_mg) / reference * 100
            assert cut <= clinical.MAX_REDUCTION_PERCENT_PER_WINDOW


@pytest.mark.parametrize(("code", "dose", "percent"), list(TABLES))
def test_the_last_three_cuts_do_not_grow_in_mg(code, dose, percent):
    formulary, _strengths = catalogue(code)
    steps = plan(code, dose, percent=percent)
    last = cuts(steps)[-3:]
    sizes = [before.daily_dose_mg - after.daily_dose_mg for before, after in last]
    for (smaller, larger), (before, after) in zip(itertools.pairwise(sizes), last[1:], strict=True):
        if larger > smaller:
            # Diazepam only: 2.5 -> 2 -> 1 -> 0 mg, a 0.5 mg cut then 1 mg ones, because no
            # dose lies between 2 and 1 mg (no 1.5 mg) and 1 mg is the lowest practical dose.
            assert code == "diazepam", sizes
            assert gap(formulary, before.daily_dose_mg, after.daily_dose_mg)
    if code != "diazepam":
        assert sizes == sorted(sizes, reverse=True), sizes


def test_the_linear_staircase_at_the_end_is_held_longer_as_the_cut_grows():
    steps = plan("clonazepam", "2", percent="10")
    by_dose = {str(s.daily_dose_mg): s.days for s in steps}
    # 0.5 -> 0.375 (25%), 0.375 -> 0.25 (33%), 0.25 -> 0.125 (50%): each bigger cut waits for
    # the 10% a fortnight to add up to it.
    assert by_dose["0.5"] < by_dose["0.375"] < by_dose["0.25"]
    assert by_dose["0.25"] == 7 * INTERVAL  # 0.9 ** 7 = 0.478 <= 0.5


def test_lorazepam_at_10_percent_no_longer_ends_in_12_weeks():
    steps = plan("lorazepam", "3", percent="10")
    # Before: 16.7, 20, 25, 33, 50 and 100% cuts every two weeks, zero after 12 weeks.
    assert (steps[-1].start_date - START).days == 40 * 7
    for before, after in cuts(steps)[:-1]:
        per_interval = 1 - (after.daily_dose_mg / before.daily_dose_mg) ** (
            D(INTERVAL) / before.days
        )
        assert per_interval <= D("0.10")


def test_diazepam_at_5_percent_holds_instead_of_cutting_11_to_20_percent():
    steps = plan("diazepam", "10", percent="5")
    held = {str(s.daily_dose_mg): s.days // INTERVAL for s in steps[:-1]}
    assert held["4"] == 3  # 4 -> 3.5 mg (12.5%) after 6 weeks, 0.95 ** 3 = 0.857
    assert held["3"] == 4  # 3 -> 2.5 mg (16.7%) after 8 weeks
    assert held["2.5"] == 5  # 2.5 -> 2 mg (20%) after 10 weeks
    named = [
        w
        for w in warnings_of("diazepam", steps, percent="5")
        if w.code == "strengths_force_larger_cut"
    ]
    assert any("takes 4 mg to 3.5 mg, a 12.5% cut" in w.message for w in named)


def test_clonazepam_at_1_percent_is_not_the_10_percent_schedule():
    slow = plan("clonazepam", "2", percent="1")
    fast = plan("clonazepam", "2", percent="10")
    assert table(slow) != table(fast)
    assert [s.daily_dose_mg for s in slow] == [s.daily_dose_mg for s in fast]  # same strengths
    for held_slow, held_fast in zip(slow[:-2], fast[:-2], strict=True):
        assert held_slow.days > held_fast.days
    assert slow[1].start_date == START + timedelta(days=7 * INTERVAL)  # 0.99 ** 7 <= 0.9375
    factor = D("0.99")
    for before, after in cuts(slow)[:-1]:
        assert after.daily_dose_mg >= before.daily_dose_mg * factor ** (before.days // INTERVAL)


def test_lorazepam_fixed_quarter_milligram_never_cuts_half_a_milligram_silently():
    steps = plan("lorazepam", "3", mg="0.25")
    assert table(steps) == [
        ("3", 4),
        ("2.5", 4),
        ("2", 4),
        ("1.5", 4),
        ("1", 4),
        ("0.5", 4),  # the stop too waits until 0.25 mg a fortnight adds up to 0.5 mg
        ("0", None),
    ]
    warnings = warnings_of("lorazepam", steps, mg="0.25")
    forced = {w.sequence: w.message for w in warnings if w.code == "strengths_force_larger_cut"}
    final = {w.sequence for w in warnings if w.code == "final_step_from_lowest_dose"}
    for before, after in cuts(steps):
        assert before.daily_dose_mg - after.daily_dose_mg == D("0.5")
        assert before.days == 2 * INTERVAL  # never 0.5 mg within one interval
        if after.daily_dose_mg:
            assert "a 0.5 mg cut, more than the 0.25 mg asked for" in forced[after.sequence]
        else:
            assert after.sequence in final
    # 3 -> 2.5 mg: a 0.25 mg strength would make 2.75 mg.
    assert "a smaller strength (such as 0.25 mg)" in forced[2]


def test_the_checks_name_the_remedy_and_the_hold():
    steps = plan("lorazepam", "3", percent="10")
    forced = {
        w.sequence: w.message
        for w in warnings_of("lorazepam", steps, percent="10")
        if w.code == "strengths_force_larger_cut"
    }
    assert set(forced) == {2, 3, 4, 5, 6}
    assert forced[2] == (
        "Step 2 takes 3 mg to 2.5 mg, a 16.7% cut, more than the 10% asked for. The strengths "
        "have no dose in between: a smaller strength (such as 0.25 mg) would allow it. 3 mg is "
        "held 28 days before this cut."
    )
    assert "a liquid formulation would allow it" in forced[6]  # 1 -> 0.5 mg: 0.9 mg needed


def test_a_custom_plan_has_no_requested_cut_to_compare_with():
    formulary, _strengths = catalogue("lorazepam")
    steps = generate_steps(
        method="custom",
        start_date=START,
        start_dose_mg=D("3"),
        formulary=formulary,
        custom_steps=[(date(2026, 2, 1), D("2")), (date(2026, 3, 1), D("0.5"))],
    )
    assert [s.daily_dose_mg for s in steps] == [D("3"), D("2"), D("0.5")]  # kept as written
    warnings = warnings_of("lorazepam", steps)
    assert "strengths_force_larger_cut" not in {w.code for w in warnings}


def test_a_cut_the_strengths_could_make_smaller_says_which_dose():
    """A schedule not from the generator (an old revision, say) with a bigger cut than asked
    where a closer dose exists: the check names that dose."""
    formulary, _strengths = catalogue("clonazepam")
    steps = generate_steps(
        method="custom",
        start_date=START,
        start_dose_mg=D("2"),
        formulary=formulary,
        custom_steps=[(START + timedelta(days=14), D("1.5")), (START + timedelta(days=28), D("0"))],
    )
    forced = [
        w
        for w in warnings_of("clonazepam", steps, percent="10")
        if w.code == "strengths_force_larger_cut"
    ]
    assert [w.sequence for w in forced] == [2, 3]
    assert "1.875 mg can be dispensed" in forced[0].message


def test_a_pace_too_slow_for_the_strengths_is_refused_not_rounded():
    with pytest.raises(PlanInputError) as error:
        plan("clonazepam", "2", percent="0.001")
    assert "more than" in error.value.errors["reduction_percent"]


def test_fewest_products_per_step():
    _formulary, strengths = catalogue("clonazepam")
    assert tablets_for(D("1.875"), strengths) == [
        (D(1), D(1), "tablet"),
        (D("1.5"), D("0.5"), "tablet"),
        (D(1), D("0.125"), "odt"),
    ]
    for code, dose, percent in TABLES:
        _formulary, strengths = catalogue(code)
        for step in plan(code, dose, percent=percent)[:-1]:
            made = tablets_for(step.daily_dose_mg, strengths)
            assert sum(count * strength for count, strength, _form in made) == step.daily_dose_mg
            assert len(made) <= 3, (code, step.daily_dose_mg, made)


def test_a_rate_so_slow_the_plan_lasts_years_says_so_in_a_note():
    """Clonazepam 2 mg at 1% a fortnight: the strengths make 0.125 mg cuts, each held until
    1% cuts add up to it, about eleven years in all. The length is said (a risk note)."""
    from datetime import date
    from decimal import Decimal

    from patients.plans import guidelines
    from patients.plans.generator import Formulary, generate_steps

    clonazepam = Formulary(
        units_mg=(Decimal("0.125"), Decimal("0.25"), Decimal("0.5"), Decimal("1"), Decimal("2")),
        lowest_practical_dose_mg=Decimal("0.125"),
    )
    steps = generate_steps(
        method="percent",
        start_date=date(2026, 1, 5),
        start_dose_mg=Decimal("2"),
        formulary=clonazepam,
        reduction_percent=Decimal("1"),
        interval_days=14,
    )
    context = guidelines.PlanContext(
        formulary=clonazepam,
        short_acting=False,
        medication_name="Clonazepam",
        requested_percent=Decimal("1"),
        interval_days=14,
    )
    notes = [w for w in guidelines.check_guidelines(steps, context) if w.code == "long_plan"]
    assert len(notes) == 1 and notes[0].tier == "note"
    assert "about 10" in notes[0].message or "about 11" in notes[0].message
