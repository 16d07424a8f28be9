"""What appointments do when a case changes, and what they add to the features below them
(imported by ``app.register_listeners``; ``casework events`` lists it all)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from casework.appointments import operations
from casework.appointments.lines import rendered_lines
from casework.appointments.seed import load_appointment_types
from casework.auth.models import User
from casework.auth.sessions import SESSION_FIGURES, SessionFigure
from casework.cases.events import CasesAnonymised, CaseTransferred
from casework.cases.models import Case
from casework.cases.sections import CASE_PAGE_SECTIONS, CaseSection
from casework.cases.timeline import TIMELINE_SOURCES, TimelineEntry, TimelineSource
from casework.core.events import listens_to
from casework.core.permissions import can
from casework.extensions import db
from casework.reference.revision import REFERENCE_REVISION, revision_column
from casework.reference.seed import SEED_LOADERS, SeedLoader

# The reference data's revision, read with the session on every signed-in request: the airport
# console keeps its places' lists for one revision (reference/places.py).
SESSION_FIGURES.add(SessionFigure(REFERENCE_REVISION, revision_column))


@listens_to(CaseTransferred)
def hand_over_upcoming(event: CaseTransferred) -> None:
    """The case's upcoming appointments go to its new agent where their calendar is free."""
    operations.hand_over(db.session.get(User, event.actor_id), db.session.get(Case, event.case_id))


@listens_to(CasesAnonymised)
def anonymise(event: CasesAnonymised) -> dict[str, int]:
    return operations.anonymise_cases(event.case_ids)


def case_glance(case: Case) -> dict[str, Any]:
    """The case page's « next appointment » card."""
    next_appointment = operations.next_appointment(case.id)
    return {"next_appointment": next_appointment, "lines": rendered_lines(next_appointment)}


def timeline_entries(case: Case, now: datetime) -> list[TimelineEntry]:
    """Every appointment of the case, past and to come, in one query."""
    readable = can(current_user, "appointments.read")
    return [
        TimelineEntry(
            at=appointment.starts_at,
            kind="appointment",
            title=_("Appointment: %(type)s", type=appointment.type.label),
            detail=" · ".join(
                [
                    str(operations.STATUSES.get(appointment.status, appointment.status)),
                    appointment.agent.full_name,
                    appointment.service_point.name,
                ]
            ),
            url=url_for("appointments.show", appointment_id=appointment.id) if readable else None,
        )
        for appointment in operations.of_case(case)
    ]


def case_action(case: Case) -> dict[str, Any]:
    """The quick action's link needs the case only."""
    return {}


CASE_PAGE_SECTIONS.add(
    CaseSection("appointments", "appointments/_case_glance.html", case_glance, "glance", order=10)
)
CASE_PAGE_SECTIONS.add(
    CaseSection("book", "appointments/_case_action.html", case_action, "actions", order=10)
)
TIMELINE_SOURCES.add(TimelineSource("appointment", _l("Appointments"), timeline_entries, order=20))
SEED_LOADERS.add(SeedLoader("appointment_types", "types de rendez-vous", load_appointment_types))
