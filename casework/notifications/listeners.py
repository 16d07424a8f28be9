"""Who hears of what: each workflow event becomes a notification for the people it concerns.
Imported by ``app.register_listeners``; ``casework events`` lists it all (docs/architecture.md).

Each listener runs in the transaction of the change (both commit, or neither) and names the
event by what identifies it once — a referral's transition row, a transfer and its answer, an
appointment, an escalated reminder — so a replayed event records nothing more."""

from __future__ import annotations

from sqlalchemy import select

from casework.appointments.events import AppointmentBooked
from casework.appointments.models import Appointment
from casework.auth.models import User
from casework.auth.sessions import SESSION_FIGURES, SessionFigure
from casework.cases.events import CasesAnonymised, TransferChanged
from casework.cases.models import Case, CaseTransfer
from casework.core.events import listens_to
from casework.extensions import db
from casework.notifications import operations
from casework.notifications.operations import COMMENT_LENGTH, REFERRAL_KINDS, Subject
from casework.reference.lookup import territory
from casework.referrals.events import ReferralStatusChanged
from casework.referrals.models import Referral, ReferralEvent
from casework.reminders.events import ReminderEscalated
from casework.reminders.models import Reminder
from casework.reminders.operations import unread_column
from casework.reminders.tasks import DIGEST_SECTIONS, DigestSection


@listens_to(ReferralStatusChanged)
def referral_moved(event: ReferralStatusChanged) -> int:
    """Returned or approved by the advisor, answered by the organisation: the referral's agent
    is told (with the comment, when there is one)."""
    kind = REFERRAL_KINDS.get(event.status)
    if kind is None:
        return 0
    referral = db.session.get(Referral, event.referral_id)
    transition = db.session.get(ReferralEvent, event.transition_id)
    actor = db.session.get(User, transition.actor_id) if transition.actor_id else None
    details = {
        "number": referral.case.number,
        "organisation": referral.organisation.name,
        "actor": actor.full_name if actor else "",
    }
    if transition.comment:
        details["comment"] = transition.comment[:COMMENT_LENGTH]
    subject = Subject("referral", referral.id, referral.case_id)
    return operations.record(kind, f"t{transition.id}", [referral.agent_id], subject, details)


@listens_to(TransferChanged)
def transfer_changed(event: TransferChanged) -> int:
    """Offered: the receiving agent is told. Answered: the agent who had the case and whoever
    asked for the transfer (a supervisor) are told."""
    transfer = db.session.get(CaseTransfer, event.transfer_id)
    case = db.session.get(Case, event.case_id)
    if event.status == "pending":
        asker = db.session.get(User, transfer.requested_by_id)
        details = {"number": case.number, "actor": asker.full_name}
        subject = Subject("transfer", transfer.id, case.id)
        return operations.record(
            "transfer_offered", f"x{transfer.id}", [transfer.to_agent_id], subject, details
        )
    if event.status not in ("accepted", "declined"):
        return 0
    details = {"number": case.number, "actor": transfer.to_agent.full_name}
    told = {transfer.from_agent_id, transfer.requested_by_id} - {transfer.to_agent_id}
    subject = Subject("case", case.id, case.id)
    return operations.record(f"transfer_{event.status}", f"x{transfer.id}", told, subject, details)


@listens_to(AppointmentBooked)
def airport_booking(event: AppointmentBooked) -> int:
    """A first interview booked at the airport counter lands in an agent's calendar: they are
    told (an agent's own bookings are not news to them)."""
    appointment = db.session.get(Appointment, event.appointment_id)
    if appointment.channel != "airport":
        return 0
    case = db.session.get(Case, event.case_id)
    details = {"number": case.number, "when": appointment.starts_at.isoformat()}
    subject = Subject("appointment", appointment.id, case.id)
    return operations.record(
        "airport_booking", f"a{appointment.id}", [appointment.agent_id], subject, details
    )


@listens_to(ReminderEscalated)
def reminder_escalated(event: ReminderEscalated) -> int:
    """The active supervisors whose directorate covers the region are told of a reminder left
    unhandled."""
    reminder = db.session.get(Reminder, event.reminder_id)
    supervisors = db.session.scalars(
        select(User.id).where(
            User.role == "supervisor",
            User.active.is_(True),
            User.region_id.in_(territory(event.region_id)),
        )
    ).all()
    number = reminder.case.number if reminder.case else ""
    details = {"number": number, "agent": reminder.agent.full_name}
    subject = Subject("reminder", reminder.id, event.case_id)
    return operations.record(
        "escalation",
        f"r{reminder.id}",
        supervisors,
        subject,
        details,
        reminder_id=reminder.id,
        now=event.at,
    )


@listens_to(CasesAnonymised)
def erase_details(event: CasesAnonymised) -> dict[str, int]:
    return operations.erase_details(event.case_ids)


DIGEST_SECTIONS.add(DigestSection("notifications", operations.digest_lines))

# The header's unread count, read by the session lookup's query rather than a query of its own.
UNREAD = "unread_notifications"
SESSION_FIGURES.add(SessionFigure(UNREAD, unread_column))
