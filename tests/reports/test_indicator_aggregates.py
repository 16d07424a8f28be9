"""The indicators' aggregates (reports/aggregates.py): the situation that stands at each
follow-up milestone follows the follow-ups recorded through the operations, in their
transaction, and agrees with a full recount; a change past the operations is found."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from casework.core.time import local_today
from casework.extensions import db
from casework.followups.models import FollowUp, FollowUpSituation
from casework.reports import aggregates, indicators
from casework.reports.models import IndicatorSituation
from tests import helpers
from tests.reports.test_indicators import follow_up, region_id, residence

pytestmark = pytest.mark.usefixtures("ctx")


def in_step() -> None:
    db.session.flush()
    assert aggregates.differences() == []


def standing(case_id: int, domain: str, milestone: int) -> IndicatorSituation | None:
    return db.session.get(IndicatorSituation, (case_id, domain, milestone), populate_existing=True)


def this_year() -> tuple:
    today = local_today()
    return today.replace(month=1, day=1), today


def test_the_situation_that_stands_follows_each_follow_up():
    agent = helpers.create_user("agent", region="04")
    case_id = helpers.create_case(agent.id).id
    in_step()
    follow_up(agent.id, case_id, 6, residence=residence("04", "Shawinigan"))
    in_step()
    first = standing(case_id, "residence", 6)
    assert (first.settled_region_id, first.in_montreal_cmm) == (region_id("04"), False)
    board = indicators.compute(*this_year(), [region_id("04")], exact=True)
    assert (board.figure("followed_6").count, board.figure("outside_cmm_6").count) == (1, 1)

    # A second follow-up at the same milestone corrects the first: it stands now.
    employed = {"employment_status": "employed_in_field"}
    follow_up(agent.id, case_id, 6, residence=residence("06", "Laval"), employment=employed)
    in_step()
    assert standing(case_id, "residence", 6).settled_region_id == region_id("06")
    assert standing(case_id, "employment", 6).employment_status == "employed_in_field"
    board = indicators.compute(*this_year(), [region_id("04")], exact=True)
    assert (board.figure("followed_6").count, board.figure("outside_cmm_6").count) == (1, 0)
    assert board.figure("employed_in_field_6").count == 1

    # On the islands at 12 months; a follow-up at no milestone and a domain the indicators do
    # not count keep no row.
    follow_up(agent.id, case_id, 12, residence=residence("11", "Les Îles-de-la-Madeleine"))
    follow_up(agent.id, case_id, None, residence=residence("03", "Québec"))
    follow_up(agent.id, case_id, 3, housing={"housing_status": "stable"})
    in_step()
    assert standing(case_id, "residence", 12).in_iles is True
    kept = db.session.scalars(
        select(IndicatorSituation.milestone).where(IndicatorSituation.case_id == case_id)
    )
    assert sorted(kept) == [6, 6, 12]


def test_a_situation_written_past_the_operations_is_found_and_rebuilt():
    agent = helpers.create_user("agent", region="04")
    case_id = helpers.create_case(agent.id).id
    follow_up(agent.id, case_id, 6, residence=residence("04", "Shawinigan"))
    in_step()
    # A later interview written straight into the tables: no event, the aggregate lags.
    later = FollowUp(
        case_id=case_id,
        held_on=local_today() + timedelta(days=1),
        milestone=6,
        region_id=region_id("04"),
    )
    later.situations.append(
        FollowUpSituation(
            case_id=case_id,
            domain="residence",
            observed_on=later.held_on,
            milestone=6,
            region_id=region_id("03"),
            municipality="Québec",
            in_montreal_cmm=False,
        )
    )
    db.session.add(later)
    db.session.flush()
    found = aggregates.differences()
    assert sorted((d.aggregate, d.stored) for d in found) == [
        ("indicator_situations", False),
        ("indicator_situations", True),
    ]
    aggregates.rebuild()
    in_step()
    assert standing(case_id, "residence", 6).settled_region_id == region_id("03")
