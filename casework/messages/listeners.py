"""Messages follow appointments and consents: a booking, a move or a cancellation queues the
person's messages in the same transaction; a consent withdrawn, a case closed or anonymised
stops (or erases) them. Also the case page's « Messages to the person » section."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from casework.appointments.events import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentOutcomeRecorded,
    AppointmentRescheduled,
    PhoneMarkedLandline,
)
from casework.appointments.lines import APPOINTMENT_LINES, AppointmentLine
from casework.appointments.models import Appointment
from casework.auth.models import User
from casework.cases.events import CasesAnonymised, CaseStatusChanged, ConsentWithdrawn
from casework.cases.models import Case
from casework.cases.sections import CASE_PAGE_SECTIONS, CaseSection
from casework.core.events import listens_to
from casework.core.time import utcnow
from casework.extensions import db
from casework.messages import operations
from casework.messages.models import PENDING_STATUSES, PersonMessage


@listens_to(AppointmentBooked)
def booked(event: AppointmentBooked) -> None:
    operations.queue_for_appointment(event.appointment_id, "confirmation")


@listens_to(AppointmentRescheduled)
def moved(event: AppointmentRescheduled) -> None:
    operations.queue_for_appointment(event.appointment_id, "update")


@listens_to(AppointmentCancelled)
def cancelled(event: AppointmentCancelled) -> None:
    operations.queue_for_appointment(event.appointment_id, "cancellation")


@listens_to(PhoneMarkedLandline)
def landline(event: PhoneMarkedLandline) -> None:
    """The landline flag given at the airport counter, as the agent would set it."""
    case = db.session.get(Case, event.case_id)
    actor = db.session.get(User, event.actor_id)
    operations.update_settings(actor, case, True, operations.time_zone_of(case.id))


@listens_to(AppointmentOutcomeRecorded)
def held_or_missed(event: AppointmentOutcomeRecorded) -> None:
    """The appointment is over: a reminder still waiting would be wrong."""
    db.session.execute(
        update(PersonMessage)
        .where(
            PersonMessage.appointment_id == event.appointment_id,
            PersonMessage.status.in_(PENDING_STATUSES),
        )
        .values(
            status="cancelled",
            cancelled_at=utcnow(),
            claim_token=None,
            last_error="appointment_passed",
        )
        .execution_options(synchronize_session=False)
    )


@listens_to(ConsentWithdrawn)
def consent_withdrawn(event: ConsentWithdrawn) -> None:
    operations.stop_for_withdrawal(event.case_id, event.purpose)


@listens_to(CaseStatusChanged)
def case_closed(event: CaseStatusChanged) -> None:
    if event.status == "closed":
        operations.stop_for_case(event.case_id)


@listens_to(CasesAnonymised)
def anonymise(event: CasesAnonymised) -> dict[str, int]:
    return operations.anonymise_cases(event.case_ids)


def appointment_line(appointment: Appointment) -> dict[str, Any] | None:
    """The appointment's « Person reached? » line: the latest message of each channel."""
    latest = operations.latest_of_appointment(appointment.id)
    if not latest:
        return None
    return {
        "latest_messages": latest,
        "reached": operations.reached(latest),
        "message_labels": operations.STATUS_LABELS,
        "message_kinds": operations.KIND_LABELS,
        "message_channels": operations.CHANNEL_LABELS,
        "message_reasons": operations.REASONS,
    }


def case_section(case: Case) -> dict[str, Any]:
    messages = operations.of_case(case)
    return {
        "person_messages": messages,
        "reached": operations.reached(messages),
        "withdrawals": operations.withdrawals(case),
        "contact_settings": operations.settings_of(case.id),
        "message_labels": operations.STATUS_LABELS,
        "message_kinds": operations.KIND_LABELS,
        "message_channels": operations.CHANNEL_LABELS,
        "message_reasons": operations.REASONS,
        "time_zones": operations.TIME_ZONES,
    }


APPOINTMENT_LINES.add(
    AppointmentLine("messages", "messages/_appointment_line.html", appointment_line)
)
CASE_PAGE_SECTIONS.add(
    CaseSection("messages", "messages/_case_section.html", case_section, slot="timeline", order=50)
)
