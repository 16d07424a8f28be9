"""Slot generation: local wall-clock availability, exceptions, claims, daylight-saving time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from casework.appointments.models import AvailabilityException
from casework.appointments.slots import (
    SlotQuery,
    SlotRef,
    find_slots,
    local_wall_to_utc,
    offered_slot,
)
from casework.extensions import db
from tests import helpers
from tests.appointments.factories import open_every_day

NINETY = timedelta(minutes=90)
FORTY_FIVE = timedelta(minutes=45)


def _query(agent_id: int, duration=FORTY_FIVE, **extra) -> SlotQuery:
    return SlotQuery(duration=duration, mode="in_person", agent_id=agent_id, **extra)


def test_slots_start_on_the_quarter_hour_inside_the_window(ctx):
    agent = helpers.create_user("agent")
    open_every_day(agent.id, starts=time(9, 0), ends=time(11, 0))
    now = datetime(2027, 1, 11, 12, 0)  # 7:00 in Montréal, a Monday
    slots = find_slots(_query(agent.id, NINETY), limit=20, now=now)
    starts = [s.local_start.time() for s in slots if s.local_start.date() == date(2027, 1, 11)]
    # 90 minutes fit from 9:00 to 9:30 in a 9:00–11:00 window.
    assert starts == [time(9, 0), time(9, 15), time(9, 30)]


def test_nothing_before_now_plus_notice(ctx):
    agent = helpers.create_user("agent")
    open_every_day(agent.id, starts=time(9, 0), ends=time(17, 0))
    now = datetime(2027, 1, 11, 15, 5)  # 10:05 in Montréal
    first = find_slots(_query(agent.id), limit=1, now=now)[0]
    assert first.local_start == datetime(2027, 1, 11, 11, 15)  # one hour's notice, next quarter


def test_exception_days_offer_nothing(ctx):
    agent = helpers.create_user("agent")
    open_every_day(agent.id)
    db.session.add(
        AvailabilityException(
            agent_id=agent.id,
            region_id=agent.region_id,
            starts_on=date(2027, 1, 11),
            ends_on=date(2027, 1, 12),
            kind="leave",
            created_by_id=agent.id,
        )
    )
    db.session.commit()
    now = datetime(2027, 1, 11, 5, 0)
    first = find_slots(_query(agent.id), limit=1, now=now)[0]
    assert first.local_start.date() == date(2027, 1, 13)


def test_mode_and_language_filter_windows(ctx):
    agent = helpers.create_user("agent")
    open_every_day(agent.id, modes=("phone",), interpreters=("es",))
    now = datetime(2027, 1, 11, 5, 0)
    assert find_slots(_query(agent.id), now=now) == []  # in person: not offered
    phone = SlotQuery(duration=FORTY_FIVE, mode="phone", agent_id=agent.id, language="es")
    slot = find_slots(phone, limit=1, now=now)[0]
    assert (slot.interpreter_language, slot.remote_interpretation) == ("es", False)
    arabic = SlotQuery(duration=FORTY_FIVE, mode="phone", agent_id=agent.id, language="ar")
    assert find_slots(arabic, now=now) == []


def test_remote_interpretation_covers_any_language(ctx):
    agent = helpers.create_user("agent")
    open_every_day(agent.id, remote=True)
    query = SlotQuery(duration=FORTY_FIVE, mode="video", agent_id=agent.id, language="ti")
    slot = find_slots(query, limit=1, now=datetime(2027, 1, 11, 5, 0))[0]
    assert (slot.interpreter_language, slot.remote_interpretation) == ("ti", True)


def test_order_is_deterministic_time_then_agent(ctx):
    first = helpers.create_user("agent", username="zoe")
    second = helpers.create_user("agent", username="adam")
    for agent in (first, second):
        open_every_day(agent.id, point_code="DR-MTL")
    query = SlotQuery(duration=FORTY_FIVE, mode="in_person", region_id=first.region_id)
    now = datetime(2027, 1, 11, 5, 0)
    slots = find_slots(query, limit=4, now=now)
    assert [s.agent_name for s in slots[:2]] == ["Test Adam", "Test Zoe"]
    assert slots[0].starts_at == slots[1].starts_at
    assert find_slots(query, limit=4, now=now) == slots


# --- Daylight-saving time (America/Toronto) --------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "utc_before", "utc_after"),
    [
        # Spring forward on Sunday 14 March 2027: 9:00 is 14:00 UTC before, 13:00 after.
        (
            date(2027, 3, 13),
            date(2027, 3, 15),
            datetime(2027, 3, 13, 14),
            datetime(2027, 3, 15, 13),
        ),
        # Fall back on Sunday 7 November 2027: 9:00 is 13:00 UTC before, 14:00 after.
        (
            date(2027, 11, 6),
            date(2027, 11, 8),
            datetime(2027, 11, 6, 13),
            datetime(2027, 11, 8, 14),
        ),
    ],
)
def test_nine_oclock_stays_nine_oclock_across_dst(ctx, before, after, utc_before, utc_after):
    agent = helpers.create_user("agent")
    open_every_day(agent.id, starts=time(9, 0), ends=time(10, 0))
    slots = find_slots(_query(agent.id, days=4), limit=20, now=datetime.combine(before, time(0)))
    by_day = {s.local_start.date(): s for s in slots if s.local_start.time() == time(9, 0)}
    assert by_day[before].starts_at == utc_before
    assert by_day[after].starts_at == utc_after
    assert by_day[after].local_start.time() == time(9, 0)


def test_spring_forward_hour_is_never_offered(ctx):
    agent = helpers.create_user("agent")
    open_every_day(agent.id, starts=time(1, 0), ends=time(4, 0), weekdays=(6,))
    slots = find_slots(
        _query(agent.id, timedelta(minutes=15), days=2), limit=50, now=datetime(2027, 3, 13, 12)
    )
    local_times = [s.local_start.time() for s in slots if s.local_start.date() == date(2027, 3, 14)]
    assert time(2, 0) not in local_times and time(2, 45) not in local_times
    assert local_times[:4] == [time(1, 0), time(1, 15), time(1, 30), time(1, 45)]
    assert local_times[4] == time(3, 0)
    assert len({s.starts_at for s in slots}) == len(slots)
    # The whole day, to the window's end: 1:00–1:45, then 3:00–3:45 (2:00–2:59 does not exist).
    assert local_times == [time(h, m) for h in (1, 3) for m in (0, 15, 30, 45)]


def test_fall_back_hour_is_offered_once(ctx):
    agent = helpers.create_user("agent")
    open_every_day(agent.id, starts=time(0, 30), ends=time(2, 30), weekdays=(6,))
    slots = find_slots(
        _query(agent.id, timedelta(minutes=15), days=2), limit=50, now=datetime(2027, 11, 6, 12)
    )
    day = [s for s in slots if s.local_start.date() == date(2027, 11, 7)]
    assert len(day) == 8  # 0:30 to 2:15, each wall-clock quarter once
    wall_times = [time(0, 30), time(0, 45)] + [time(h, m) for h in (1, 2) for m in (0, 15, 30, 45)]
    assert [s.local_start.time() for s in day] == wall_times[:8]
    assert local_wall_to_utc(date(2027, 11, 7), time(1, 30)) == datetime(2027, 11, 7, 5, 30)
    assert local_wall_to_utc(date(2027, 3, 14), time(2, 30)) is None


def test_offered_slot_refuses_off_grid_past_and_unknown(ctx):
    agent = helpers.create_user("agent")
    open_every_day(agent.id, point_code="DR-MTL")
    now = datetime(2027, 1, 11, 5, 0)
    slot = find_slots(_query(agent.id), limit=1, now=now)[0]
    point = slot.service_point_id
    assert offered_slot(_query(agent.id), SlotRef(agent.id, point, slot.starts_at), now) == slot
    off_grid = slot.starts_at + timedelta(minutes=5)
    assert offered_slot(_query(agent.id), SlotRef(agent.id, point, off_grid), now) is None
    past = slot.starts_at - timedelta(days=3)
    assert offered_slot(_query(agent.id), SlotRef(agent.id, point, past), now) is None
    night = datetime(2027, 1, 12, 7, 0)  # 2:00 in Montréal
    assert offered_slot(_query(agent.id), SlotRef(agent.id, point, night), now) is None
    assert (
        offered_slot(_query(agent.id), SlotRef(agent.id + 999, point, slot.starts_at), now) is None
    )


@pytest.mark.parametrize(
    "token", ["", "x", "1-2", "1-2-202701011200x", "1-2-209913311200", "9" * 12 + "-1-202701011200"]
)
def test_slot_tokens_are_parsed_strictly(token):
    assert SlotRef.parse(token) is None


def test_slot_token_round_trip():
    ref = SlotRef.parse("12-3-202701111415")
    assert ref == SlotRef(12, 3, datetime(2027, 1, 11, 14, 15))
