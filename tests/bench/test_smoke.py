"""A smoke run of the province-scale benchmark (bench/, docs/performance.md): the generator at
two small sizes, one pass of the page harness, the dispatcher. Query counts must not follow the
data size. The real benchmark is ``python -m bench.run`` and is not part of the test run."""

from __future__ import annotations

import pytest

from bench.generate import bench_app, generate
from bench.run import measure_dispatcher, measure_pages

pytestmark = pytest.mark.no_transaction


def _run(tmp_path, size: int) -> dict[str, int | None]:
    app = bench_app(f"sqlite:///{tmp_path}/bench-{size}.sqlite3")
    with app.app_context():
        tables = generate(size, progress=lambda _message: None)
    assert tables["cases"] == size == tables["persons"] == tables["case_search"]
    assert tables["interactions"] > 3 * size and tables["reminders"] > size
    assert tables["referral_events"] > tables["referrals"] > 0 and tables["slot_claims"] > 0
    assert tables["users"] == 150
    results = measure_pages(app, size, runs=2, warmup=0)
    dispatched = measure_dispatcher(app, 40, with_email=True)
    assert dispatched["outcome"] == {"delivered": 40}
    from casework.extensions import db

    with app.app_context():
        db.engine.dispose()
    for result in results:
        assert result.status in (200, 404), (result.page, result.status)
    return {result.page: result.queries for result in results}


def test_query_counts_do_not_follow_the_data_size(tmp_path):
    from casework.reminders.subjects import LOADERS

    small, large = _run(tmp_path, 300), _run(tmp_path, 600)
    # The case page names each reminder's subject with one query per kind of subject present
    # (an appointment, a referral…), once for its « next follow-up » card and its timeline: the
    # measured cases of the two sizes differ in which kinds they have, not in how many rows.
    # tests/cases proves the count flat from 10 to 200 reminders, notes and referrals.
    shape = len(LOADERS)
    assert abs(small.pop("case page") - large.pop("case page")) <= shape
    assert small == large
    assert small["caseload (agent)"] and small["airport slot search"]
