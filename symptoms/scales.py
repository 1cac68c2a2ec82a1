"""The CIWA-B scale, defined once (docs/clinical-basis.md#ciwa-b; Busto, Sykora, Sellers, J Clin
Psychopharmacol
1989;9:412-6): item codes, wording, each item's own 0-4 anchors and which items the
clinician observes. The entry form, validation, scoring, the API and chart labels all read this
module. Pure Python: no Django imports (the model reads its choices from ``Severity``).

Scoring direction
-----------------
Every item is scored 0-4 with 0 = no problem and 4 = the worst, including the two sleep items
whose question runs the other way: item 12 "How restful was your sleep last night?" scores 0 for
"very restful" and 4 for "not at all restful"; item 14 scores 0 when the patient had enough
sleep. A well-rested patient adds 0, never 4. ``Item.anchors`` gives the text for scores 0..4 in
that order; forms should show it per item instead of the generic ``ANCHORS`` words, which read
backwards on item 12.

Sources: what was checked and what was not
------------------------------------------
* Busto UE, Sykora K, Sellers EM. A clinical scale to assess benzodiazepine withdrawal. J Clin
  Psychopharmacol 1989;9(6):412-6. Abstract only (PubMed 2574193,
  https://pubmed.ncbi.nlm.nih.gov/2574193, and the journal's abstract page): it verifies
  20 five-point (0-4) items. The full text and the printed form were not available.
* A hospital EHR data dictionary of the form (TrakCare table "questionnaire.QTCBWS - Clinical
  Institute Withdrawal Assessment Scale - Benzodiazepines (CIWA-B)", a public GitHub copy found
  through the code index). It lists the questions in this order, the patient-rated endpoints
  "Not at all" / "Very much so", the observed items ("Observe behaviour for restlessness and
  agitation", "Ask the patient to extend arms with fingers apart, ...", "Observe for sweating -
  feel palms") and the bands 0 no signs, 1-20 mild, 21-40 moderate, 41-60 severe, 61-80 very
  severe (= DEFAULT_BAND_STARTS). Verified there: the wording of items 1-3, 5, 7-13 and 16
  exactly as below, item 17 up to "possible misfortunes" (cut off there), items 19-20 in
  substance, and the 0 = "Not at all" / 4 = "Very much so" endpoints of items 1-17.
  Differences kept on purpose (``wording`` is also the verbose_name of the SymptomLog columns,
  so changing it needs a migration; the meaning is the same): item 4 there says "difficulty"
  (ours "difficulties"); item 6 "numbness or burning in your face, han[ds ...]" (cut off there);
  item 14 "Do you think you had enough sleep last night?" (ours asks "didn't have enough", so
  "very much so" is the worst; its anchors name the state, "had enough sleep" ... "far too
  little sleep", so they read right under either phrasing); item 15 "(sensitivity t[o ...]"
  (cut off; ours "(light, blurred)"); item 18 there omits sweating (ours keeps it, as in the
  project's reference copy of the form).
* Not verified anywhere: the intermediate anchors 1-3 of items 1-17 (the form prints only the
  endpoints; ours are graded slightly / moderately / markedly wording written for this app), the
  item-specific phrases after "Very much so:" (e.g. "unable to function", "unable to eat"), and
  the 0-4 anchors of observed items 18-20, which follow the reference copy of the CIWA-B form in
  the project brief. Those observed anchors have the shape of the CIWA-Ar (alcohol) tremor and
  sweat anchors, which were verified (CamCOPS ciwa.xml and a Cleveland Clin J Med table:
  https://camcops.readthedocs.io/en/latest/autodoc/server/camcops_server/extra_strings/ciwa.xml.html
  https://www.ccjm.org/content/83/1/67/tab-figures-data), but CIWA-Ar scores 0-7, so the
  CIWA-B 0-4 wording itself is unconfirmed. Check against a licensed copy before clinical use.
"""

from dataclasses import dataclass
from enum import StrEnum

MIN_SCORE = 0
MAX_SCORE = 4

# Generic severity words 0 none, 1 mild, 2 moderate, 3 severe, 4 very severe
# [docs/clinical-basis.md#ciwa-b].
# Kept because other code reads them (e.g. a legend on the entry form), but they are not the
# words of the form: each item shows its own ``Item.anchors``. On item 12 (sleep restfulness)
# these generic words read backwards, so never show them as an item's answer options.
ANCHORS = {0: "none", 1: "mild", 2: "moderate", 3: "severe", 4: "very severe"}

Anchors = tuple[str, str, str, str, str]


@dataclass(frozen=True)
class Item:
    number: int
    code: str
    wording: str
    observed: bool  # items 18-20 are observed by the clinician; 1-17 are asked of the patient
    # Text for scores 0..4 as the form shows it; 0 is always "no problem", 4 the worst. The
    # default (the generic words) only keeps four-argument construction working: every item of
    # ITEMS passes its own.
    anchors: Anchors = (ANCHORS[0], ANCHORS[1], ANCHORS[2], ANCHORS[3], ANCHORS[4])

    def __post_init__(self):
        if len(self.anchors) != MAX_SCORE - MIN_SCORE + 1 or not all(
            isinstance(text, str) and text.strip() for text in self.anchors
        ):
            raise ValueError(f"CIWA-B item {self.number} needs five non-empty anchors (0-4).")

    def anchor(self, score: int) -> str:
        """The form's text for ``score`` (0-4) on this item."""
        return self.anchors[score - MIN_SCORE]


# Items 1-17: question wording as on the form; anchors 0 and 4 start with the form's endpoints
# "Not at all" / "Very much so" (or name the state where that reads more clearly), 1-3 are this
# app's graded wording (see the module docstring for what is verified).
ITEMS = (
    Item(
        1,
        "irritable",
        "Do you feel irritable?",
        False,
        (
            "Not at all irritable",
            "Slightly irritable",
            "Moderately irritable",
            "Markedly irritable",
            "Very much so: extremely irritable",
        ),
    ),
    Item(
        2,
        "fatigued",
        "Do you feel fatigued?",
        False,
        (
            "Not at all fatigued",
            "Slightly fatigued",
            "Moderately fatigued",
            "Markedly fatigued",
            "Very much so: unable to function",
        ),
    ),
    Item(
        3,
        "tense",
        "Do you feel tense?",
        False,
        (
            "Not at all tense",
            "Slightly tense",
            "Moderately tense",
            "Markedly tense",
            "Very much so: extremely tense",
        ),
    ),
    Item(
        4,
        "concentration",
        "Do you have difficulties concentrating?",
        False,
        (
            "Not at all: no difficulty concentrating",
            "Slight difficulty concentrating",
            "Moderate difficulty concentrating",
            "Marked difficulty concentrating",
            "Very much so: unable to concentrate",
        ),
    ),
    Item(
        5,
        "appetite",
        "Do you have any loss of appetite?",
        False,
        (
            "Not at all: no loss of appetite",
            "Slight loss of appetite",
            "Moderate loss of appetite",
            "Marked loss of appetite, eating little",
            "Very much so: no appetite, unable to eat",
        ),
    ),
    Item(
        6,
        "numbness",
        "Have you any numbness or burning on your face, hands or feet?",
        False,
        (
            "Not at all: no numbness or burning",
            "Slight numbness or burning",
            "Moderate numbness or burning",
            "Marked numbness or burning",
            "Very much so: intense numbness or burning",
        ),
    ),
    Item(
        7,
        "heart_racing",
        "Do you feel your heart racing (palpitations)?",
        False,
        (
            "Not at all: no palpitations",
            "Slight, occasional palpitations",
            "Moderate palpitations",
            "Marked, frequent palpitations",
            "Very much so: heart racing constantly",
        ),
    ),
    Item(
        8,
        "head_full",
        "Does your head feel full or achy?",
        False,
        (
            "Not at all",
            "Slightly full or achy",
            "Moderately full or achy",
            "Markedly full or achy",
            "Very much so: severe headache",
        ),
    ),
    Item(
        9,
        "muscle_aches",
        "Do you feel muscle aches or stiffness?",
        False,
        (
            "Not at all: no aches or stiffness",
            "Slight aches or stiffness",
            "Moderate aches or stiffness",
            "Marked aches or stiffness",
            "Very much so: severe pain or stiffness",
        ),
    ),
    Item(
        10,
        "anxious",
        "Do you feel anxious, nervous or jittery?",
        False,
        (
            "Not at all anxious",
            "Slightly anxious, nervous or jittery",
            "Moderately anxious, nervous or jittery",
            "Markedly anxious, nervous or jittery",
            "Very much so: extremely anxious, nervous or jittery",
        ),
    ),
    Item(
        11,
        "upset",
        "Do you feel upset?",
        False,
        (
            "Not at all upset",
            "Slightly upset",
            "Moderately upset",
            "Markedly upset",
            "Very much so: extremely upset",
        ),
    ),
    # Reversed wording: the question asks how restful, the score counts how unrestful.
    Item(
        12,
        "sleep_unrestful",
        "How restful was your sleep last night?",
        False,
        (
            "Very restful",
            "Mostly restful, slightly disturbed",
            "Moderately disturbed, partly restful",
            "Poor, barely restful",
            "Not at all restful",
        ),
    ),
    Item(
        13,
        "weak",
        "Do you feel weak?",
        False,
        (
            "Not at all weak",
            "Slightly weak",
            "Moderately weak",
            "Markedly weak",
            "Very much so: extremely weak",
        ),
    ),
    # The TrakCare copy asks "had enough sleep"; ours asks "didn't have enough". Either way 0 is
    # enough sleep and 4 far too little, which is what the anchors say.
    Item(
        14,
        "sleep_insufficient",
        "Do you think you didn't have enough sleep last night?",
        False,
        (
            "Not at all: had enough sleep",
            "Slightly too little sleep",
            "Moderately too little sleep",
            "Much too little sleep",
            "Very much so: far too little sleep",
        ),
    ),
    Item(
        15,
        "visual_disturbance",
        "Do you have any visual disturbances (light, blurred)?",
        False,
        (
            "Not at all: no visual disturbance",
            "Slight sensitivity to light or blurring",
            "Moderate sensitivity to light or blurring",
            "Marked sensitivity to light or blurring",
            "Very much so: very sensitive to light, blurred vision",
        ),
    ),
    Item(
        16,
        "fearful",
        "Are you fearful?",
        False,
        (
            "Not at all fearful",
            "Slightly fearful",
            "Moderately fearful",
            "Markedly fearful",
            "Very much so: extremely fearful",
        ),
    ),
    Item(
        17,
        "worrying",
        "Have you been worrying about possible misfortunes lately?",
        False,
        (
            "Not at all",
            "Slightly worried about misfortunes",
            "Moderately worried about misfortunes",
            "Markedly worried about misfortunes",
            "Very much so: worrying constantly",
        ),
    ),
    # Items 18-20 are observed. Anchors as in the reference copy of the form in the project
    # brief (not independently verified; 18's anchors 1-3 are this app's wording).
    Item(
        18,
        "obs_sweating_agitation",
        "Observe: sweating, restlessness and agitation",
        True,
        (
            "None: normal activity",
            "Mild: slightly restless or sweating",
            "Moderate: fidgety, restless, sweating",
            "Marked: very restless and agitated",
            "Pacing, unable to sit still",
        ),
    ),
    # Ask the patient to extend the arms with the fingers apart.
    Item(
        19,
        "obs_tremor",
        "Observe: tremor",
        True,
        (
            "No tremor",
            "Not visible but can be felt in fingers",
            "Visible but mild",
            "Moderate with arms extended",
            "Severe with arms not extended",
        ),
    ),
    Item(
        20,
        "obs_palms_sweating",
        "Observe: feel palms for sweating",
        True,
        (
            "No sweating visible",
            "Barely perceptible sweating",
            "Palms moist",
            "Beads of sweat",
            "Drenching sweats",
        ),
    ),
)
ITEM_CODES = tuple(item.code for item in ITEMS)
ITEM_BY_CODE = {item.code: item for item in ITEMS}
PATIENT_RATED_CODES = tuple(item.code for item in ITEMS if not item.observed)
MAX_TOTAL = MAX_SCORE * len(ITEMS)  # 80


class Severity(StrEnum):
    """CIWA-B severity bands, mildest first (the order is the members' order). A standard-library
    enum, so this module stays free of Django; ``choices`` gives a model field its choices."""

    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"
    VERY_SEVERE = "very_severe"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(band.value, band.label) for band in cls]


SEVERITY_CHOICES = Severity.choices()  # for model fields and the OpenAPI enum


# Bands in common use: 1-20 mild, 21-40 moderate, 41-60 severe, 61-80 very severe
# [secondary: docs/clinical-basis.md#ciwa-b]. These are the defaults of the admin-editable
# SeverityBands row.
DEFAULT_BAND_STARTS = {"mild": 1, "moderate": 21, "severe": 41, "very_severe": 61}


def total(scores: dict[str, int]) -> int:
    return sum(scores[code] for code in ITEM_CODES)


def severity_for(total_score: int, starts: dict[str, int] | None = None) -> str:
    """The band of a total, given the first score of each band (mild..very_severe)."""
    starts = starts or DEFAULT_BAND_STARTS
    band = Severity.NONE
    for code in (Severity.MILD, Severity.MODERATE, Severity.SEVERE, Severity.VERY_SEVERE):
        if total_score >= starts[code]:
            band = code
    return str(band)


def validate_items(items) -> dict[str, str]:
    """Errors per item code (or "items") for a mapping of code -> score; {} when valid."""
    if not isinstance(items, dict):
        return {"items": "Give the 20 CIWA-B items as code: score (0-4)."}
    errors = {}
    unknown = sorted(set(items) - set(ITEM_CODES))
    if unknown:
        errors["items"] = "Unknown CIWA-B item(s): " + ", ".join(unknown) + "."
    missing = [code for code in ITEM_CODES if code not in items]
    if missing:
        errors.setdefault("items", "")
        errors["items"] = (
            errors["items"] + " Missing item(s): " + ", ".join(missing) + "."
        ).strip()
    for code in ITEM_CODES:
        if code not in items:
            continue
        value = items[code]
        if isinstance(value, bool) or not isinstance(value, int):
            try:
                value = int(str(value))
            except ValueError:
                errors[code] = f"Score {ITEM_BY_CODE[code].number} must be a whole number 0-4."
                continue
        if not MIN_SCORE <= value <= MAX_SCORE:
            errors[code] = f"Item {ITEM_BY_CODE[code].number} ({code}) must be 0 to 4, not {value}."
    return errors


def items_for_total(total_score: int, fixed: dict[str, int] | None = None) -> dict[str, int]:
    """Item scores that add up to ``total_score``: the ``fixed`` ones first, the rest spread as
    evenly as possible over the other patient-rated items (demo data and clinical scenarios,
    shared/scenarios/README.md)."""
    fixed = dict(fixed or {})
    scores = {code: 0 for code in ITEM_CODES} | fixed
    remaining = total_score - sum(fixed.values())
    spread = [code for code in PATIENT_RATED_CODES if code not in fixed]
    # Above 68 the patient-rated items are full: the observed items take the rest.
    overflow = [code for code in ITEM_CODES if code not in fixed and code not in spread]
    if remaining < 0 or remaining > MAX_SCORE * (len(spread) + len(overflow)):
        raise ValueError(f"cannot make a total of {total_score} with {fixed}")
    spill = max(0, remaining - MAX_SCORE * len(spread))
    base, extra = divmod(remaining - spill, len(spread))
    for index, code in enumerate(spread):
        scores[code] = base + (1 if index < extra else 0)
    for code in overflow:
        scores[code] = min(MAX_SCORE, spill)
        spill -= scores[code]
    return scores
