"""Every clinical number of the taper and timeline logic, with its source (docs/clinical-basis.md).

Tags (docs/clinical-basis.md#how-to-read-the-tables): [confirmed] read in a primary or authoritative
source, [secondary] seen
only in a secondary source, [site policy] no published number: a configurable default.
Values an admin may change per medication are seeded from here into the Medication table
(the catalogue migration) and read from the database after that.
"""

from decimal import Decimal

# --- Tapering pace: 2025 Joint Clinical Practice Guideline on Benzodiazepine Tapering (ASAM
# and nine societies, J Gen Intern Med 2025), pocket guide. [confirmed]
MAX_REDUCTION_PERCENT_PER_WINDOW = Decimal("25")  # "should generally not exceed 25% every 2 weeks"
PACE_WINDOW_DAYS = 14
MIN_DAYS_BETWEEN_REDUCTIONS = 14  # "at least 2 weeks between reductions"
MAX_FIRST_REDUCTION_PERCENT = Decimal("10")  # "first reductions of 5-10%"

# --- Withdrawal risk by dose in diazepam equivalents (DE) per day. Joint Guideline Table 2
# [confirmed]; outpatient unsuitability: SA Health [confirmed].
HIGH_RISK_DAILY_DE_MG = Decimal("15")  # high risk above 15 mg DE (> 1.5 mg clonazepam)
OUTPATIENT_UNSUITABLE_DAILY_DE_MG = Decimal("50")  # > 50 mg DE: outpatient taper unsuitable
# The high band of Table 2 per drug: "more than 15 mg diazepam equivalents (e.g. >1.5 mg
# clonazepam, >3 mg lorazepam, >2 mg alprazolam)" [confirmed: 2025 Joint Guideline, Table 2,
# footnote f]; diazepam itself: > 15 mg [confirmed]. Drugs Table 2 does not name: 15 mg DE
# converted with the larger of the two equivalents of the catalogue, as the named examples do
# [site policy]. A daily dose above this is a drug factor of seizure risk (patients/risk.py).
HIGH_BAND_DAILY_MG = {
    "clonazepam": Decimal("1.5"),
    "lorazepam": Decimal("3"),
    "alprazolam": Decimal("2"),
    "diazepam": Decimal("15"),
    "chlordiazepoxide": Decimal("37.5"),
    "oxazepam": Decimal("45"),
    "temazepam": Decimal("30"),
    "clorazepate": Decimal("22.5"),
    "triazolam": Decimal("0.75"),
}

# The low band of Table 2 per drug: "10 mg diazepam equivalents or less (e.g. 0.5 mg clonazepam
# or less)" [confirmed: 2025 Joint Guideline, Table 2]; lorazepam 2 mg and alprazolam 1 mg, the
# doses the guideline's examples put at 10 mg DE [confirmed: Table 2 footnote, as cited in
# issue review]; diazepam itself 10 mg [confirmed]. The drugs Table 2 does not name: 10 mg DE
# converted as HIGH_BAND_DAILY_MG converts 15 mg [site policy]. Between the two: moderate.
LOW_BAND_MAX_DAILY_MG = {
    "clonazepam": Decimal("0.5"),
    "lorazepam": Decimal("2"),
    "alprazolam": Decimal("1"),
    "diazepam": Decimal("10"),
    "chlordiazepoxide": Decimal("25"),
    "oxazepam": Decimal("30"),
    "temazepam": Decimal("20"),
    "clorazepate": Decimal("15"),
    "triazolam": Decimal("0.5"),
}
# The diazepam equivalent of the low band's limit: Table 2's own conversion, used for its bands
# and for the outpatient limit (OUTPATIENT_UNSUITABLE_DAILY_DE_MG), so a label never depends on
# which equivalence table a screen happens to show.
LOW_BAND_DE_MG = Decimal("10")

# --- Timeline windows by half-life class (docs/clinical-basis.md#timeline-phases), all counted from
# the last dose.
# Onset: short-acting drugs within about 1-2 days; long-acting usually 2-10 days
# [confirmed: NHS Scotland, DSM-IV text, WikiTox]. Acute phase: usually 10-14 days from onset,
# can run to about 3-4 weeks ("around 3 weeks" in the seed text) [confirmed: WikiTox]. So the
# acute window is the onset window plus 3 weeks: 23 days for a short-acting drug, 31 for a
# long-acting one [the sum is site policy; per medication, admin-editable]. Protracted
# withdrawal runs many weeks to months, sometimes a year or more [confirmed: Ashton 1995]; the
# 12-month end is [site policy]. Seizure risk peaks 24-72 h after stopping a short-acting drug
# [secondary: alprazolam label], inside its onset window.
ONSET_WINDOW_DAYS = {"short": 2, "long": 10}
ACUTE_COURSE_DAYS = 21
ACUTE_WINDOW_DAYS = {
    kind: onset + ACUTE_COURSE_DAYS for kind, onset in ONSET_WINDOW_DAYS.items()
}  # short 23, long 31
PROTRACTED_WINDOW_DAYS = 365  # counted from the last dose

# After a dose cut, symptoms may take up to a week to appear [confirmed: 2025 Joint Guideline
# patient guide; Maudsley 2024]. The per-reduction view and the alert rules look this far after
# each cut (the default of each clinic's AlertThresholds.post_reduction_days).
POST_REDUCTION_WINDOW_DAYS = 7

# A generated plan never has more steps than this (a guard against a typo such as 0.001 mg).
MAX_GENERATED_STEPS = 1000

# Plausible bounds for a plan's dates, against typos (9999, 0001) rather than clinical choice.
# A plan may be recorded after it started (a patient arriving mid-taper) up to two years back,
# and scheduled up to a year ahead. The longest published tapers run 6 to 18 months and may be
# paused; five years from the start bounds any custom step. Reductions every 1 to 4 weeks are
# the guideline's range (2025 Joint Guideline, Rec. 8); 12 weeks between reductions is kept as
# the upper bound so a deliberately slow plan stays possible, beyond it a hold says it better.
PLAN_START_EARLIEST_DAYS_AGO = 2 * 365
PLAN_START_LATEST_DAYS_AHEAD = 365
PLAN_LONGEST_DAYS = 5 * 365
# A generated plan longer than this carries a risk note with its length: a slow rate, held until
# the strengths allow each cut, can take years [site policy].
LONG_PLAN_DAYS = 2 * 365
MAX_INTERVAL_DAYS = 12 * 7

# A guard against typos (an extra zero or two) in a daily dose, starting or taken: far above any
# prescribed or reported benzodiazepine daily dose, in mg, whatever the drug. Doses are kept to
# 4 decimal places (0.0625 mg is the smallest quarter-tablet step in the catalogue).
MAX_PLAUSIBLE_DAILY_DOSE_MG = 1000
DOSE_DECIMAL_PLACES = 4

# Free text a clinician writes with a plan (the justification of its warnings, a reason).
MAX_JUSTIFICATION_CHARS = 10_000

# --- Diazepam equivalence: the oral dose of each drug taken as about diazepam 10 mg, by source
# (Ashton Manual and VA/DoD 2021, via the 2025 Joint Guideline Table 7 [confirmed]). Sources
# disagree up to two-fold, so each conversion keeps its source (DiazepamEquivalence.Source)
# and every screen names it.

# --- The medication catalogue seeded by the catalogue migration; admins edit it afterwards.
# Half-lives: NHS Scotland table after Ashton and Maudsley [confirmed; alprazolam secondary].
# Strengths: marketed oral forms from product labelling [clonazepam confirmed from the label;
# the others secondary]: verify against the local formulary. ``scored`` tablets may be halved;
# capsules and orally disintegrating tablets (ODT) may not.
MEDICATIONS = [
    {
        "code": "clonazepam",
        "name": "Clonazepam (Klonopin)",
        "half_life_class": "long",
        "half_life_hours": "18–50",
        "equivalents": {"ashton": "0.5", "va_dod_2021": "1"},
        "strengths": [
            ("0.5", "tablet", True),
            ("1", "tablet", False),
            ("2", "tablet", False),
            ("0.125", "odt", False),
            ("0.25", "odt", False),
            ("0.5", "odt", False),
            ("1", "odt", False),
            ("2", "odt", False),
        ],
    },
    {
        "code": "diazepam",
        "name": "Diazepam (Valium)",
        "half_life_class": "long",
        "half_life_hours": "20–100 (active metabolite 36–200)",
        "equivalents": {"ashton": "10", "va_dod_2021": "10"},
        "strengths": [("2", "tablet", True), ("5", "tablet", True), ("10", "tablet", True)],
    },
    {
        "code": "alprazolam",
        "name": "Alprazolam (Xanax)",
        "half_life_class": "short",
        "half_life_hours": "6–27",
        "equivalents": {"ashton": "0.5", "va_dod_2021": "1"},
        "strengths": [
            ("0.25", "tablet", True),
            ("0.5", "tablet", True),
            ("1", "tablet", True),
            ("2", "tablet", True),
        ],
    },
    {
        "code": "lorazepam",
        "name": "Lorazepam (Ativan)",
        "half_life_class": "short",
        "half_life_hours": "10–20",
        "equivalents": {"ashton": "1", "va_dod_2021": "2"},
        "strengths": [("0.5", "tablet", False), ("1", "tablet", True), ("2", "tablet", True)],
    },
    {
        "code": "chlordiazepoxide",
        "name": "Chlordiazepoxide (Librium)",
        "half_life_class": "long",
        "half_life_hours": "5–30 (active metabolite 36–200)",
        "equivalents": {"ashton": "25", "va_dod_2021": "25"},
        "strengths": [("5", "capsule", False), ("10", "capsule", False), ("25", "capsule", False)],
    },
    {
        "code": "oxazepam",
        "name": "Oxazepam",
        "half_life_class": "short",
        "half_life_hours": "4–15",
        "equivalents": {"ashton": "20", "va_dod_2021": "30"},
        "strengths": [("10", "capsule", False), ("15", "capsule", False), ("30", "capsule", False)],
    },
    {
        "code": "temazepam",
        "name": "Temazepam (Restoril)",
        "half_life_class": "short",
        "half_life_hours": "8–22",
        "equivalents": {"ashton": "20", "va_dod_2021": "15"},
        "strengths": [
            ("7.5", "capsule", False),
            ("15", "capsule", False),
            ("22.5", "capsule", False),
            ("30", "capsule", False),
        ],
    },
    {
        "code": "clorazepate",
        "name": "Clorazepate (Tranxene)",
        "half_life_class": "long",
        "half_life_hours": "active metabolite 36–200",
        "equivalents": {"ashton": "15", "va_dod_2021": "15"},
        "strengths": [("3.75", "tablet", True), ("7.5", "tablet", True), ("15", "tablet", True)],
    },
    {
        "code": "triazolam",
        "name": "Triazolam (Halcion)",
        "half_life_class": "short",
        "half_life_hours": "1.5–5.5",
        "equivalents": {"ashton": "0.5", "va_dod_2021": "0.25"},
        "strengths": [("0.125", "tablet", False), ("0.25", "tablet", True)],
    },
]

# Older age raises seizure risk in withdrawal [confirmed: SA Health, WikiTox, labels]; the age
# at which taperapp calls it out is [site policy].
OLDER_AGE_YEARS = 65
