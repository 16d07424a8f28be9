"""Quiet hours and the reminder's time, in the person's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from casework.messages.operations import outside_quiet_hours, reminder_time


def utc(local: str, zone: str = "America/Toronto") -> datetime:
    moment = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC).replace(tzinfo=None)


@pytest.mark.parametrize(
    "local, expected",
    [
        ("2026-06-15T08:00", "2026-06-15T08:00"),
        ("2026-06-15T20:59", "2026-06-15T20:59"),
        ("2026-06-15T21:00", "2026-06-16T08:00"),
        ("2026-06-15T23:30", "2026-06-16T08:00"),
        ("2026-06-16T00:10", "2026-06-16T08:00"),
        ("2026-06-16T07:59", "2026-06-16T08:00"),
        # The night of the autumn change (1 November 2026): still 08:00 on the wall clock.
        ("2026-10-31T22:00", "2026-11-01T08:00"),
    ],
)
def test_no_sms_between_nine_at_night_and_eight_in_the_morning(local, expected):
    assert outside_quiet_hours(utc(local), "America/Toronto") == utc(expected)


def test_quiet_hours_follow_the_persons_time_zone():
    # 20:30 in Montréal is 21:30 on the Magdalen Islands: that person waits for their 08:00.
    evening = utc("2026-06-15T20:30")
    assert outside_quiet_hours(evening, "America/Toronto") == evening
    held = outside_quiet_hours(evening, "America/Halifax")
    assert held == utc("2026-06-16T08:00", "America/Halifax")


def test_the_reminder_falls_the_day_before_at_ten_local_time():
    starts = utc("2026-11-02T09:00")  # the day after the autumn change
    assert reminder_time(starts, "America/Toronto") == utc("2026-11-01T10:00")
