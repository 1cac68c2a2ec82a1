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
