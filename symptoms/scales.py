"""The CIWA-B scale, defined once (domain.md §4; Busto, Sykora, Sellers, J Clin Psychopharmacol
1989;9:412-6): item codes (design §4), wording, 0-4 anchors and which items the clinician
observes. The entry form, validation, scoring, the API and chart labels all read this module.
"""

from dataclasses import dataclass

MIN_SCORE = 0
MAX_SCORE = 4

# 0 none, 1 mild, 2 moderate, 3 severe, 4 very severe [confirmed: domain.md §4].
ANCHORS = {0: "none", 1: "mild", 2: "moderate", 3: "severe", 4: "very severe"}


@dataclass(frozen=True)
class Item:
    number: int
    code: str
    wording: str
    observed: bool  # items 18-20 are observed by the clinician; 1-17 are asked of the patient


ITEMS = (
    Item(1, "irritable", "Do you feel irritable?", False),
    Item(2, "fatigued", "Do you feel fatigued?", False),
    Item(3, "tense", "Do you feel tense?", False),
    Item(4, "concentration", "Do you have difficulties concentrating?", False),
    Item(5, "appetite", "Do you have any loss of appetite?", False),
    Item(6, "numbness", "Have you any numbness or burning on your face, hands or feet?", False),
    Item(7, "heart_racing", "Do you feel your heart racing (palpitations)?", False),
    Item(8, "head_full", "Does your head feel full or achy?", False),
    Item(9, "muscle_aches", "Do you feel muscle aches or stiffness?", False),
    Item(10, "anxious", "Do you feel anxious, nervous or jittery?", False),
    Item(11, "upset", "Do you feel upset?", False),
    Item(12, "sleep_unrestful", "How restful was your sleep last night?", False),
    Item(13, "weak", "Do you feel weak?", False),
    Item(14, "sleep_insufficient", "Do you think you didn't have enough sleep last night?", False),
    Item(15, "visual_disturbance", "Do you have any visual disturbances (light, blurred)?", False),
    Item(16, "fearful", "Are you fearful?", False),
    Item(17, "worrying", "Have you been worrying about possible misfortunes lately?", False),
    Item(18, "obs_sweating_agitation", "Observe: sweating, restlessness and agitation", True),
    Item(19, "obs_tremor", "Observe: tremor", True),
    Item(20, "obs_palms_sweating", "Observe: feel palms for sweating", True),
)
ITEM_CODES = tuple(item.code for item in ITEMS)
ITEM_BY_CODE = {item.code: item for item in ITEMS}
PATIENT_RATED_CODES = tuple(item.code for item in ITEMS if not item.observed)
MAX_TOTAL = MAX_SCORE * len(ITEMS)  # 80


class Severity:
    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"
    VERY_SEVERE = "very_severe"

    ORDER = (NONE, MILD, MODERATE, SEVERE, VERY_SEVERE)
    LABELS = {
        NONE: "none",
        MILD: "mild",
        MODERATE: "moderate",
        SEVERE: "severe",
        VERY_SEVERE: "very severe",
    }
    CHOICES = list(LABELS.items())


# Bands in common use: 1-20 mild, 21-40 moderate, 41-60 severe, 61-80 very severe
# [secondary: domain.md §4]. These are the defaults of the admin-editable SeverityBands row.
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
    return band


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
