"""`casework demo` leaves reminders in every state for the agente account."""

from sqlalchemy import select

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
