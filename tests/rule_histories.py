"""Building blocks of the pure rule tests: a fixed "now", the default thresholds, a log and a
patient's history as symptoms/rules.py reads them."""

import itertools
from datetime import UTC, datetime, timedelta

from symptoms.alerts import rules
from symptoms.models import AlertThresholds
from symptoms.scales import items_for_total

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
T = AlertThresholds()  # the defaults of clinical.ALERT_DEFAULTS, unsaved
_numbers = itertools.count(1)


def log(hours_ago=1, total=6, items=None, **fields) -> rules.LogView:
    """A scored log assessed ``hours_ago`` before NOW, its items adding up to ``total``."""
    return rules.LogView(
        id=f"log{next(_numbers)}",
        assessed_at=NOW - timedelta(hours=hours_ago),
        total=total,
        items=items_for_total(total, items or {}),
        **fields,
    )


def history(logs, **kwargs) -> rules.History:
    values = {
        "now": NOW,
        "zone": UTC,
        "logs": sorted(logs, key=lambda x: x.assessed_at),
        "thresholds": T,
        "severe_from": 41,
    }
    values.update(kwargs)
    return rules.History(**values)
