"""`casework demo` leaves reminders in every state for the agente account."""

from datetime import date

from sqlalchemy import select, text

from casework.auth.models import User
from casework.extensions import db
from casework.reminders import operations
from casework.reminders.models import Reminder


def test_demo_has_reminders_in_every_state(ctx):
    from casework.demo import load_demo, load_demo_cases_once

    load_demo(password="Demo-mot-de-passe-2026")
    load_demo_cases_once(40)
    agente = db.session.scalar(select(User).where(User.username == "agente"))
    statuses = set(
        db.session.scalars(select(Reminder.status).where(Reminder.agent_id == agente.id))
    )
    assert {"pending", "sent", "snoozed", "done", "failed"} <= statuses
    counts = operations.tab_counts(agente, operations.ListFilters())
    assert all(counts[tab] > 0 for tab in ("due", "overdue", "snoozed", "done", "failed")), counts
    # The home's two figures, read from the waiting reminders only, are the same counts.
    assert operations.waiting_counts(agente) == {"due": counts["due"], "overdue": counts["overdue"]}


def test_each_tabs_count_is_its_list_and_is_counted_on_the_index(ctx):
    """The tabs are counted one index range each (reminders/operations.py ``_counts``), not by
    reading every reminder of the scope, five years of done ones included: each count is still
    the length of its tab's list, for the agent and for a supervisor of the region."""
    from casework.demo import load_demo, load_demo_cases_once

    load_demo(password="Demo-mot-de-passe-2026")
    load_demo_cases_once(40)
    agente = db.session.scalar(select(User).where(User.username == "agente"))
    supervisor = db.session.scalar(
        select(User).where(User.role == "supervisor", User.region_id == agente.region_id)
    )
    for reader in (agente, supervisor):
        counts = operations.tab_counts(reader, operations.ListFilters())
        for tab in operations.TABS:
            listed = operations.listing(reader, operations.ListFilters(tab=tab))
            assert counts[tab] == len(db.session.scalars(listed).unique().all()), (reader, tab)
    if db.engine.dialect.name == "sqlite":
        conditions = operations._tab_conditions(date.today())
        statement = operations.counts_statement(operations.visible(agente), conditions)
        compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = [str(row[-1]) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
        by_status = "ix_reminders_agent_status_due (agent_id=? AND status"
        ranges = [step for step in plan if by_status in step]
        assert len(ranges) == len(conditions), plan
        assert not any("SCAN reminders" in step for step in plan), plan
