"""The quick regression check's verdict (bench/quick.py): ratios to the bare page compared with
the committed baseline; the timing itself is not tested (noisy)."""

from __future__ import annotations

import json

from bench.quick import BASELINE, compare, lower_quartile, report


def test_a_page_more_than_the_tolerance_worse_is_flagged():
    baseline = {"home": 7.0, "caseload": 9.0}
    current = {"home": 9.2, "caseload": 11.6, "new page": 3.0}
    assert compare(current, baseline, 0.30) == ["home"]
    assert compare(current, baseline, 0.35) == []


def test_a_page_without_a_baseline_is_reported_new_not_flagged():
    assert compare({"new page": 50.0}, {}, 0.30) == []
    assert "new" in report({"new page": 50.0}, {}, [])
    assert "WORSE" in report({"home": 9.2}, {"home": 7.0}, ["home"])


def test_the_lower_quartile_ignores_the_slow_tail():
    assert lower_quartile([1.0, 1.0, 1.1, 1.2, 9.0, 9.0, 9.0, 9.0]) < 1.2


def test_the_committed_baseline_covers_the_key_pages():
    from bench.run import key_pages

    ratios = json.loads(BASELINE.read_text())["ratios"]
    assert {page.name for page in key_pages(1)} <= set(ratios)
    assert all(ratio > 1 for ratio in ratios.values())
