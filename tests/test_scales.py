import pytest

from symptoms import scales


def test_the_scale_has_the_twenty_items_of_design_section_4_in_order():
    assert scales.ITEM_CODES == (
        "irritable",
        "fatigued",
        "tense",
        "concentration",
        "appetite",
        "numbness",
        "heart_racing",
        "head_full",
        "muscle_aches",
        "anxious",
        "upset",
        "sleep_unrestful",
        "weak",
        "sleep_insufficient",
        "visual_disturbance",
        "fearful",
        "worrying",
        "obs_sweating_agitation",
        "obs_tremor",
        "obs_palms_sweating",
    )
    assert [item.observed for item in scales.ITEMS].count(True) == 3
    assert scales.MAX_TOTAL == 80


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "none"),
        (1, "mild"),
        (20, "mild"),
        (21, "moderate"),
        (40, "moderate"),
        (41, "severe"),
        (60, "severe"),
        (61, "very_severe"),
        (80, "very_severe"),
    ],
)
def test_severity_at_every_band_edge(total, band):
    assert scales.severity_for(total) == band
    items = scales.items_for_total(total, {"obs_tremor": min(total, 4)} if total <= 68 else None)
    assert scales.total(items) == total


def test_bands_follow_the_admin_setting():
    starts = {"mild": 5, "moderate": 15, "severe": 30, "very_severe": 50}
    assert scales.severity_for(4, starts) == "none"
    assert scales.severity_for(30, starts) == "severe"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"irritable": 5}, "irritable"),
        ({"irritable": -1}, "irritable"),
        ({"irritable": "x"}, "irritable"),
        ({"telepathy": 1}, "items"),
    ],
)
def test_invalid_items_are_named(change, key):
    items = {code: 0 for code in scales.ITEM_CODES} | change
    assert key in scales.validate_items(items)


def test_a_missing_item_is_named():
    items = {code: 0 for code in scales.ITEM_CODES if code != "weak"}
    assert "weak" in scales.validate_items(items)["items"]


EXPECTED_CODES = [
    "irritable",
    "fatigued",
    "tense",
    "concentration",
    "appetite",
    "numbness",
    "heart_racing",
    "head_full",
    "muscle_aches",
    "anxious",
    "upset",
    "sleep_unrestful",
    "weak",
    "sleep_insufficient",
    "visual_disturbance",
    "fearful",
    "worrying",
    "obs_sweating_agitation",
    "obs_tremor",
    "obs_palms_sweating",
]


def test_item_codes_numbers_and_order_are_unchanged():
    assert [item.code for item in scales.ITEMS] == EXPECTED_CODES
    assert list(scales.ITEM_CODES) == EXPECTED_CODES
    assert [item.number for item in scales.ITEMS] == list(range(1, 21))
    assert list(scales.ITEM_BY_CODE) == EXPECTED_CODES
    assert list(scales.PATIENT_RATED_CODES) == EXPECTED_CODES[:17]
    assert [item.code for item in scales.ITEMS if item.observed] == EXPECTED_CODES[17:]


@pytest.mark.parametrize("item", scales.ITEMS, ids=lambda item: item.code)
def test_every_item_has_five_non_empty_anchors_of_its_own(item):
    assert isinstance(item.anchors, tuple)
    assert len(item.anchors) == 5
    assert all(isinstance(text, str) and text.strip() for text in item.anchors)
    assert len(set(item.anchors)) == 5
    # Not the generic severity words: the form shows each item's own anchors.
    assert item.anchors != tuple(scales.ANCHORS.values())
    assert [item.anchor(score) for score in range(5)] == list(item.anchors)


def test_patient_rated_anchors_run_from_not_at_all_to_very_much_so():
    for item in scales.ITEMS[:17]:
        if item.code == "sleep_unrestful":
            continue
        assert item.anchors[0].startswith("Not at all"), item.code
        assert item.anchors[4].startswith("Very much so"), item.code


def test_item_12_restful_sleep_scores_zero_and_unrestful_scores_four():
    item = scales.ITEM_BY_CODE["sleep_unrestful"]
    assert item.number == 12
    assert item.wording == "How restful was your sleep last night?"
    zero, four = item.anchors[0].lower(), item.anchors[4].lower()
    assert "restful" in zero and "not" not in zero and "un" not in zero
    assert "not" in four and "restful" in four


def test_item_14_enough_sleep_scores_zero():
    item = scales.ITEM_BY_CODE["sleep_insufficient"]
    assert item.number == 14
    assert "enough sleep" in item.anchors[0]
    assert "too little sleep" in item.anchors[4]


def test_observed_items_use_the_observed_anchors():
    agitation = scales.ITEM_BY_CODE["obs_sweating_agitation"]
    assert agitation.anchors[0].lower().startswith("none")
    assert "pacing" in agitation.anchors[4].lower()
    assert "unable to sit still" in agitation.anchors[4].lower()
    assert scales.ITEM_BY_CODE["obs_tremor"].anchors == (
        "No tremor",
        "Not visible but can be felt in fingers",
        "Visible but mild",
        "Moderate with arms extended",
        "Severe with arms not extended",
    )
    assert scales.ITEM_BY_CODE["obs_palms_sweating"].anchors == (
        "No sweating visible",
        "Barely perceptible sweating",
        "Palms moist",
        "Beads of sweat",
        "Drenching sweats",
    )


def test_the_generic_anchors_stay_for_existing_readers():
    assert scales.ANCHORS == {0: "none", 1: "mild", 2: "moderate", 3: "severe", 4: "very severe"}


def test_an_item_needs_five_non_empty_anchors():
    with pytest.raises(ValueError):
        scales.Item(99, "x", "X?", False, ("a", "b", "c", "d"))
    with pytest.raises(ValueError):
        scales.Item(99, "x", "X?", False, ("a", "b", "", "d", "e"))
    # Four-argument construction still works (generic anchors).
    assert len(scales.Item(99, "x", "X?", False).anchors) == 5


def test_the_module_stays_free_of_django():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(scales))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert "django" not in imported
