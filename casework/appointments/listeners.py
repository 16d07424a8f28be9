"""What appointments do when a case changes, and what they add to the features below them
(imported by ``app.register_listeners``; ``casework events`` lists it all)."""

from __future__ import annotations

from typing import Any

from casework.appointments import operations
from casework.appointments.seed import load_appointment_types
from casework.auth.models import User
from casework.cases.events import CasesAnonymised, CaseTransferred
from casework.cases.models import Case
from casework.cases.sections import CASE_PAGE_SECTIONS, CaseSection
from casework.core.events import listens_to
from casework.core.time import utcnow
from casework.extensions import db
from casework.reference.seed import SEED_LOADERS, SeedLoader


@listens_to(CaseTransferred)
def hand_over_upcoming(event: CaseTransferred) -> None:
    """The case's upcoming appointments go to its new agent where their calendar is free."""
    operations.hand_over(db.session.get(User, event.actor_id), db.session.get(Case, event.case_id))


@listens_to(CasesAnonymised)
def anonymise(event: CasesAnonymised) -> dict[str, int]:
    return operations.anonymise_cases(event.case_ids)


def case_section(case: Case) -> dict[str, Any]:
    return {
        "appointments": operations.of_case(case),
        "appointment_labels": operations.STATUSES,
        "now": utcnow(),
    }


CASE_PAGE_SECTIONS.add(
    CaseSection("appointments", "appointments/_case_section.html", case_section, order=10)
)
SEED_LOADERS.add(SeedLoader("appointment_types", "types de rendez-vous", load_appointment_types))
