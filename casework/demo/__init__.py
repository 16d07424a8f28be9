"""`casework demo`: demo accounts, then illustrative cases, plans, referrals, appointments and
reminders, created through the operations.

The tables (names, streets, phrases, shares) are data, in ``seed/demo/*.yaml`` under the
configured seed folder (``CASEWORK_SEED_DIR``); ``tables`` reads them.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from casework.cases.models import Case
from casework.demo.accounts import enrol_second_factors, load_demo
from casework.demo.appointments import CalendarTables, load_demo_appointments
from casework.demo.cases import load_demo_cases
from casework.demo.followups import FollowUpTables, load_demo_follow_ups
from casework.demo.planning import CaseTables
from casework.demo.plans import (
    PlanTables,
    date_plans_after_first_interviews,
    load_demo_plans,
    load_demo_referrals,
)
from casework.demo.reminders import load_demo_reminders
from casework.extensions import db
from casework.reports.aggregates import rebuild as rebuild_dashboard_aggregates

__all__ = ["enrol_second_factors", "load_demo", "load_demo_cases_once"]


def load_demo_cases_once(count: int, progress: Callable[[str], None] | None = None) -> int | None:
    """Create ``count`` illustrative cases when the database has none; None when it has some."""
    if db.session.scalar(select(Case.id).limit(1)) is not None:
        return None
    # Every table is read before a case is written: a bad file stops the demo before it starts.
    for tables in (CaseTables, PlanTables, CalendarTables, FollowUpTables):
        tables.read()
    created = load_demo_cases(count, progress=progress)
    load_demo_plans(progress=progress)
    load_demo_referrals(progress=progress)
    load_demo_appointments(progress=progress)
    date_plans_after_first_interviews()
    load_demo_follow_ups(progress=progress)
    load_demo_reminders(progress=progress)
    # Some demo rows are written straight into their tables: the dashboard's aggregates are
    # recounted once at the end (the operations keep them as they go).
    rebuild_dashboard_aggregates()
    db.session.commit()
    return created
