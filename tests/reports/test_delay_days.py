"""The delays' days are kept as a count per day (reports/operations.py ``day_counts``): the
median and the 90th percentile read from it are those of the persons' values, and a snapshot
kept before, with one value per person, reads the same."""

from __future__ import annotations

import math
import random
from statistics import median

import pytest
from sqlalchemy import select, update

from casework.extensions import db
from casework.reports import operations as reports
from casework.reports.models import DashboardSnapshot
from tests.reports.factories import busy_agent


def nearest_rank_p90(values: list[int]) -> int:
    return sorted(values)[math.ceil(0.9 * len(values)) - 1]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 9, 10, 11, 250, 2001])
def test_the_figures_from_the_counts_are_the_persons_figures(size):
    draw = random.Random(size)
    values = [draw.choice([0, 1, 3, 7, 7, 12, 30, 45, 200]) for _ in range(size)]
    stat = reports.DelayStat("k", "label", reports.day_counts(values))
    assert stat.n == size
    assert stat.median == round(median(values), 1)
    assert type(stat.median) is type(round(median(values), 1))  # 10, not 10.0, as before
    assert stat.p90 == nearest_rank_p90(values)
    assert len(stat.days) <= 9


def test_no_person_no_figure():
    stat = reports.DelayStat("k", "label", reports.day_counts([]))
    assert (stat.n, stat.median, stat.p90) == (0, None, None)


def test_values_and_pairs_give_the_same_counts():
    assert reports.day_counts([7, 3, 7]) == ((3, 1), (7, 2))
    assert reports.day_counts([[7, 2], [3, 1]]) == ((3, 1), (7, 2))


def test_a_snapshot_kept_with_one_value_per_person_reads_the_same(app, client, login, make_user):
    login(role="supervisor")
    with app.app_context():
        busy_agent(make_user, 3)
    page = client.get("/rapports/tableau-de-bord").text
    with app.app_context():
        snapshot = db.session.scalar(select(DashboardSnapshot))
        payload = dict(snapshot.payload)
        assert sum(count for days in payload["delays"].values() for _day, count in days) >= 3
        assert all(
            isinstance(pair, list) and len(pair) == 2
            for days in payload["delays"].values()
            for pair in days
        )
        # As a snapshot kept before the days were counted: each person's days, one by one.
        payload["delays"] = {
            key: [day for day, count in days for _ in range(count)]
            for key, days in payload["delays"].items()
        }
        db.session.execute(update(DashboardSnapshot).values(payload=payload))
        db.session.commit()
    assert client.get("/rapports/tableau-de-bord").text == page
