"""Reminders follow what they watch: when a case, an appointment, a plan action or a referral
changes, the case's reminders are reconciled as the transaction commits (once per commit,
only the rules concerned). Also what reminders add to the pages below them. Imported by
``app.register_listeners``; ``casework events`` lists it all."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from casework.appointments.events import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentOutcomeRecorded,
    AppointmentRescheduled,
)
from casework.attachments.events import DocumentExpiryChanged
from casework.cases.events import CasesAnonymised, CaseStatusChanged
from casework.cases.models import Case
from casework.cases.sections import CASE_PAGE_SECTIONS, CaseSection
from casework.core.events import listens_to
from casework.plans.events import PlanActionStatusChanged
from casework.plans.operations import OPEN_ACTION_STATUSES
from casework.reference.seed import SEED_LOADERS, SeedLoader
from casework.referrals.events import ReferralStatusChanged
from casework.referrals.operations import QUEUE_BADGES, QueueBadge
from casework.reminders import operations
from casework.reminders.rules import load_follow_up_rules


@listens_to(CaseStatusChanged)
def case_status_changed(event: CaseStatusChanged) -> None:
    """Closing (or reopening) a case cancels (or brings back) its reminders at once."""
    operations.refresh_case_on_commit(event.case_id)


@listens_to(AppointmentBooked, AppointmentRescheduled, AppointmentCancelled)
def appointment_changed(event: AppointmentBooked) -> None:
    operations.refresh_case_on_commit(event.case_id, triggers=("appointment_upcoming",))


@listens_to(AppointmentOutcomeRecorded)
def appointment_outcome(event: AppointmentOutcomeRecorded) -> None:
    operations.refresh_case_on_commit(event.case_id, triggers=("appointment_upcoming", "no_show"))


@listens_to(PlanActionStatusChanged)
def plan_action_followed(event: PlanActionStatusChanged) -> None:
    """An action done or abandoned no longer falls due; one reopened does again."""
    if (event.previous in OPEN_ACTION_STATUSES) != (event.status in OPEN_ACTION_STATUSES):
        operations.refresh_case_on_commit(event.case_id, triggers=("plan_action_due",))


@listens_to(ReferralStatusChanged)
def referral_moved(event: ReferralStatusChanged) -> None:
    """Sent, or answered: the « no answer » reminder starts or stops now, not at the next run."""
    if "sent" in (event.previous, event.status):
        operations.refresh_case_on_commit(event.case_id, triggers=("referral_unanswered",))


@listens_to(DocumentExpiryChanged)
def document_expiry_changed(event: DocumentExpiryChanged) -> None:
    operations.refresh_case_on_commit(event.case_id, triggers=("document_expiring",))


@listens_to(CasesAnonymised)
def cancel_open(event: CasesAnonymised) -> dict[str, int]:
    return operations.cancel_for_anonymised(event.case_ids)


def case_section(case: Case) -> dict[str, Any]:
    return {"reminders": operations.of_case(case), "reminder_labels": operations.STATUS_LABELS}


CASE_PAGE_SECTIONS.add(
    CaseSection("reminders", "reminders/_case_section.html", case_section, slot="timeline")
)
QUEUE_BADGES.add(QueueBadge("unanswered", _l("No answer yet"), operations.unanswered_referrals))
SEED_LOADERS.add(SeedLoader("follow_up_rules", "règles de suivi", load_follow_up_rules))
