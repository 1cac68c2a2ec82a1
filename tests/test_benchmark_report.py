"""A benchmark run where one measurement fails keeps and reports every other figure (an aborted
B2 once lost the whole report). Rendered from the last full run's figures (docs/benchmarks.json)
with one measurement taken out, as benchmarks/measure.py leaves them when it fails."""

import copy
import json

import pytest
from django.conf import settings

from benchmarks import report

FIGURES = json.loads((settings.BASE_DIR / "docs" / "benchmarks.json").read_text())


@pytest.mark.parametrize(
    "failed", ["b1_pages", "b2_alert_latency", "b3_sweep", "b4_ingest", "b5_evaluation"]
)
def test_a_failed_measurement_is_named_and_the_others_are_kept(failed):
    figures = copy.deepcopy(FIGURES)
    del figures["full"][failed]
    figures["full"]["failed"] = {failed: "TimeoutError: the worker did not answer"}
    figures["full"]["worker_log"] = "benchmarks-worker.log"

    document = report.render(figures)

    assert "not measured: TimeoutError: the worker did not answer" in document
    assert "`benchmarks-worker.log` beside this file" in document
    complete = report.render(FIGURES)
    kept = {
        "b1_pages": "B1 staff alert dashboard",
        "b2_alert_latency": "B2 seizure log commit → alert in the API",
        "b3_sweep": "B3 worker memory during the sweep",
        "b4_ingest": "B4 ingest, 8 clients via the API under gunicorn",
        "b5_evaluation": "B5 evaluate_patient",
    }
    for key, row in kept.items():
        assert row in complete
        if key != failed:
            # The other measurements' rows and paragraphs are there, with their figures.
            line = next(line for line in complete.splitlines() if line.startswith(f"| {row}"))
            assert line in document
            assert f"**{row[:2]}**" in document
